# Helpers for the end-to-end scripts: run a command and check its exit status
# and output. Each failed check prints what was expected and what happened.
set -uo pipefail

failures=0
out="" err="" status=0

# run CMD...: runs it, capturing stdout, stderr and the exit status.
run() {
  local o e
  o=$(mktemp) e=$(mktemp)
  "$@" >"$o" 2>"$e"
  status=$?
  out=$(cat "$o") err=$(cat "$e")
  rm -f "$o" "$e"
}

fail() {
  echo "FAIL: $*" >&2
  echo "  exit status: $status" >&2
  [[ -n $out ]] && echo "  stdout: ${out:0:2000}" >&2
  [[ -n $err ]] && echo "  stderr: ${err:0:2000}" >&2
  failures=$((failures + 1))
}

# expect STATUS DESCRIPTION: the last run exited with STATUS.
expect() { [[ $status == "$1" ]] || fail "$2: expected exit status $1"; }
# expect_err TEXT DESCRIPTION: the last run's stderr contains TEXT.
expect_err() { [[ $err == *"$1"* ]] || fail "$2: expected stderr to contain '$1'"; }
expect_out() { [[ $out == *"$1"* ]] || fail "$2: expected stdout to contain '$1'"; }

# wait_for FILE PATTERN: waits until a line of FILE matches PATTERN (grep),
# up to a minute: a slow start (sanitizers, the GC stress mode) takes a while.
wait_for() {
  for _ in $(seq 1200); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

finish() {
  if ((failures > 0)); then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
