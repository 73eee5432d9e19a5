#!/bin/sh
# ExecStartPre of edgefleet-agent.service: picks the agent release this start runs and points
# <state>/releases/active at it. systemd runs it before every start, restarts included, so it is where
# starts are counted; it is plain POSIX sh so it works when every Node release on the device is broken.
#
#   select-release.sh <state dir> <base dir> <max trial starts> <max crash starts>
#
# <state>/releases/state (key=value lines, written whole by the agent and by this script, never at the
# same time) says which release is current, which one was the last known good, whether the current one is
# on trial, and how many starts it has had. Rules:
# - a release whose files do not match its SHA256SUMS is reverted (reason: damaged);
# - a release on trial gets <max trial starts> starts to report healthy; then it is reverted (trial-failed);
# - a confirmed release started more than <max crash starts> times without staying up (the agent resets
#   the count after a stable period and on a clean stop) is reverted too (crash-loop);
# - `base` (the release the service was installed from) is never reverted: it is what reverts fall back to.
# The agent reports the outcome it finds here to the control plane.
set -eu

state_dir=$1
base_dir=$2
max_trials=$3
max_starts=$4
releases="$state_dir/releases"
state="$releases/state"
mkdir -p "$releases"

current=base
previous=
phase=confirmed
attempts=0
starts=0
outcome=
outcome_release=
outcome_reason=
outcome_at=
if [ -f "$state" ]; then
  while IFS='=' read -r key value; do
    # Plain tokens only: a damaged or hostile file cannot inject anything into the eval below.
    case "$value" in *[!A-Za-z0-9._-]*) continue ;; esac
    case "$key" in
      current | previous | phase | attempts | starts | outcome | outcome_release | outcome_reason | outcome_at)
        eval "$key=\$value"
        ;;
    esac
  done <"$state"
fi
case "$attempts" in '' | *[!0-9]*) attempts=0 ;; esac
case "$starts" in '' | *[!0-9]*) starts=0 ;; esac
case "$phase" in trial | confirmed) ;; *) phase=confirmed ;; esac
case "$current" in '' | . | .. | .*) current=base ;; esac
case "$previous" in . | .. | .*) previous= ;; esac

intact() {
  [ "$1" = base ] && return 0
  [ -f "$releases/$1/agent.mjs" ] && [ -f "$releases/$1/SHA256SUMS" ] &&
    (cd "$releases/$1" && sha256sum --check --status SHA256SUMS)
}

revert() {
  echo "edgefleet-agent: release $current reverted to ${previous:-base} ($1)" >&2
  outcome=reverted
  outcome_release=$current
  outcome_reason=$1
  outcome_at=$(date +%s)
  current=${previous:-base}
  previous=
  phase=confirmed
  attempts=0
  starts=0
}

while ! intact "$current"; do revert damaged; done
if [ "$phase" = trial ]; then
  if [ "$attempts" -ge "$max_trials" ]; then revert trial-failed; else attempts=$((attempts + 1)); fi
else
  starts=$((starts + 1))
  if [ "$current" != base ] && [ "$starts" -gt "$max_starts" ]; then revert crash-loop; fi
fi

tmp="$state.tmp"
cat >"$tmp" <<STATE
# written by select-release.sh and by the agent; see the agent's release-state module
current=$current
previous=$previous
phase=$phase
attempts=$attempts
starts=$starts
outcome=$outcome
outcome_release=$outcome_release
outcome_reason=$outcome_reason
outcome_at=$outcome_at
STATE
sync "$tmp"
mv -f "$tmp" "$state"

if [ "$current" = base ]; then target=$base_dir; else target="$releases/$current"; fi
ln -sfn "$target" "$releases/active.tmp"
mv -Tf "$releases/active.tmp" "$releases/active"
sync "$releases"
