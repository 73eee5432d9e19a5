#!/usr/bin/env bash
# Power-cut soak: the e2e power-cut test with many more trials and several seeds than CI runs.
# Each trial rolls out a new agent release, SIGKILLs the service (start step and agent) at a seeded random moment,
# boots the service again and requires a working agent that then finishes or reverts the update.
#   agent/scripts/power-cut-soak.sh [trials per seed, default 100] [seeds, default "1 2 3"]
set -euo pipefail
cd "$(dirname "$0")/../.."
TRIALS=${1:-100}
for seed in ${2:-1 2 3}; do
  POWER_CUT_TRIALS=$TRIALS POWER_CUT_SEED=$seed npx vitest run test/e2e/self-update.test.ts -t "power cuts" \
    --reporter=verbose 2>&1 | grep -E "power cuts|✓|×|FAIL|Tests"
done
