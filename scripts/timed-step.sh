# Sourced by the long-running shell scripts (arm64 check, arm64 release): `step <name> <command…>` runs the
# command with its output appended to "$LOG", and prints and logs how many seconds it took.
step() {
  local name=$1
  shift
  local start=$SECONDS
  echo "== $name" | tee -a "$LOG"
  "$@" >>"$LOG" 2>&1
  echo "   $name: $((SECONDS - start)) s" | tee -a "$LOG"
}
