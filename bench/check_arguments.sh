#!/usr/bin/env bash
# Checks that a benchmark program tells the truth about its arguments (issue 11,
# defect 11): --help prints the usage and exits 0 without running the benchmark,
# and an argument the program does not understand is refused with status 2 and a
# message naming it, instead of being read as something else and run silently.
#
#   bench/check_arguments.sh PROGRAM USAGE_PREFIX BAD_ARGUMENT...
#
# Run by ctest (bench/CMakeLists.txt, label "bench"). Exits 1 with the reason on
# the first failed check.
set -uo pipefail

program=$1
usage_prefix=$2
shift 2

fail() {
  echo "check_arguments: ${program##*/} $*" >&2
  exit 1
}

out=$("$program" --help 2>&1)
status=$?
((status == 0)) || fail "--help exited $status"
[[ $out == "$usage_prefix"* ]] || fail "--help did not start with '$usage_prefix': ${out:0:200}"
# The heap options are part of every program's arguments: the help lists them.
[[ $out == *max_heap* ]] || fail "--help does not list the heap options"

for bad in "$@"; do
  out=$("$program" "$bad" 2>&1)
  status=$?
  ((status == 2)) || fail "'$bad' exited $status, not 2 (output: ${out:0:200})"
  [[ $out == *"'$bad'"* ]] || fail "'$bad' was refused without naming it: ${out:0:200}"
done
echo "check_arguments: ${program##*/}: --help and $# bad argument(s) handled"
