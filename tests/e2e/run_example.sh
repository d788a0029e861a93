#!/usr/bin/env bash
# run_example.sh RUNA PROGRAM EXPECTED_STDOUT [ARGS...]
# Runs a program with `runa run` and checks its standard output byte for byte
# and its exit status (0). RUNA_GC from the environment applies (the stress
# runs set it).
source "$(dirname "$0")/lib.sh"
runa=$1 program=$2 expected=$3
shift 3
actual=$(mktemp)
"$runa" run "$program" "$@" >"$actual" 2>"$actual.err"
status=$?
err=$(cat "$actual.err")
[[ $status == 0 ]] || fail "$(basename "$program"): expected exit status 0"
if ! cmp -s "$actual" "$expected"; then
  diff "$expected" "$actual" | head -20 >&2
  fail "$(basename "$program"): standard output differs from $(basename "$expected")"
fi
rm -f "$actual" "$actual.err"
finish
