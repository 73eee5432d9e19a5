#!/usr/bin/env bash
# The whole test suite on a bare Debian machine with Node 20: installs the system packages the suite needs
# when they are missing, the npm dependencies, then runs `pnpm test` (build, type-check, lint, every test).
# This is the README's test command, and CI (.ci/run) runs exactly it. The suite needs no external service
# (embedded aedes broker, SQLite files in temp dirs, onnxruntime-node's bundled CPU binary); the dashboard's
# browser tests need Debian's Chromium (/usr/bin/chromium), installed here when missing.
# ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's postinstall would try to download CUDA files (no internet
# here); pnpm does not run it anyway (not in onlyBuiltDependencies) — the variable keeps npm users safe too.
# socat: the firmware bridge's serialport test joins two real ptys with it (Debian package).
# mosquitto: the external-broker tests start their own brokers from it on free ports (no service needed).
set -euo pipefail
cd "$(dirname "$0")/.."
# System packages the suite needs: socat (the firmware bridge's real-pty test) and Debian's Chromium (the
# dashboard's browser tests through playwright-core), and Mosquitto with its dynamic-security plugin (the
# external-broker tests). Installed only when missing.
MISSING=""
command -v socat >/dev/null || MISSING="$MISSING socat"
[ -x /usr/bin/chromium ] || MISSING="$MISSING chromium"
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || MISSING="$MISSING mosquitto"
# PostgreSQL 15 (Debian 12): the scheduler leader-election and dialect tests start throw-away servers from its
# binaries (test-kit/src/postgres.ts); the apt package's own cluster is not used.
[ -x /usr/lib/postgresql/15/bin/postgres ] || MISSING="$MISSING postgresql"
if [ -n "$MISSING" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    # Neither root nor password-less sudo: say what is missing in one line instead of failing test files.
    echo "the test suite needs these Debian packages: apt-get install -y$MISSING (as root)" >&2
    exit 1
  fi
  $SUDO apt-get update -qq && $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $MISSING
fi
ONNXRUNTIME_NODE_INSTALL=skip npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 test
