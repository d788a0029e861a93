#!/usr/bin/env bash
# run_errors.sh RUNA SOURCE_DIR
# `runa run` at its edges: an uncaught exception (type, message, trace with
# source lines, status 1), deep recursion, a caught StackOverflow, a caught
# OutOfMemory, a native's TypeError, a module that does not verify, main's
# exit status and arguments, and the command's usage errors.
source "$(dirname "$0")/lib.sh"
runa=$1 src=$2
p=$src/tests/e2e/programs

run "$runa" run "$p/uncaught.runas"
expect 1 "an uncaught exception"
expect_out "before" "output before the exception is kept"
expect_err "uncaught DivisionByZero: DIV: Integer 10 by zero" "its type and message"
expect_err "    at divide_by (uncaught.runa:2)" "the throwing frame with its source line"
expect_err "    at main (uncaught.runa:6)" "the calling frame with its source line"

run "$runa" run "$p/deep_recursion.runas"
expect 0 "100,000 nested calls"
expect_out "depth: 100000" "deep recursion computes"

run "$runa" run "$p/stack_overflow.runas"
expect 0 "unbounded recursion, caught"
expect_out "caught StackOverflow" "StackOverflow is catchable"
expect_out "still running" "the program goes on after it"

# A collection every 500 allocations keeps the stress runs (which verify the
# heap after each) within seconds.
run "$runa" run --max-heap=8m --stress-every=500 "$p/out_of_memory.runas"
expect 0 "filling the heap, caught"
expect_out "caught OutOfMemory" "OutOfMemory is catchable"
expect_out "after: [1, 2]" "the heap has room again once the List is dropped"

run "$runa" run "$p/native_type_error.runas"
expect 1 "a native given a wrong argument"
expect_err "uncaught TypeError: text_length: argument 1 must be a String, not Integer 7" \
  "the native's TypeError names it, the argument and what it got"

run "$runa" run "$p/does_not_verify.runas"
expect 1 "a module that does not verify"
expect_err "does not verify" "the verifier's message"
expect_err "stack underflow" "the verifier's reason"

run "$runa" run "$p/exit_status.runas" a "b c"
expect 2 "main's result is the exit status"
expect_out '["a", "b c"]' "main gets the arguments as a List of Strings"

run "$runa" run "$p/main_returns_text.runas"
expect 1 "main returning a String"
expect_err 'main returned "done", not an Integer or nothing' "the result is reported"

run "$runa" run "$p/missing.runas"
expect 1 "a missing program"
expect_err "cannot open" "a missing program is reported"
run "$runa" run
expect 2 "runa run without a program"
run "$runa" run --bogus "$p/uncaught.runas"
expect 2 "an unknown option"
expect_err "unknown option --bogus" "the unknown option is named"
run "$runa" run --max-heap=lots "$p/uncaught.runas"
expect 2 "a bad heap option"
run "$runa" run --help
expect 0 "runa run --help"
expect_out "usage: runa run" "runa run --help prints its usage"
run "$runa" run --tier-log --profile-dump "${TMPDIR:-/tmp}/profile.json" "$src/examples/fib.runas"
expect 0 "fib with the tier log and a profile dump"
expect_err "tier: fib" "the tier log names the hot function"
finish
