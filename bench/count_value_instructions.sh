#!/usr/bin/env bash
# Instructions per operation on Runa values (bench/bench_values.cpp), counted
# by callgrind: on a shared machine times vary from run to run, instruction
# counts do not.
#
#   bench/count_value_instructions.sh [bench_values executable]
#
# (default: build/release/bench/bench_values; build it first). For each
# kernel, callgrind counts the instructions executed inside its count_*
# function (--toggle-collect, callees included) in a run of N operations
# and in one of 2N; the difference divided by N leaves out everything that
# happens once. Each figure includes the loop around the operation (a
# compare, a branch, an increment); the plain_* kernels have the same loop,
# so "value - plain" is what the value representation costs. spur_float_mul
# is the same multiplication with Spur's immediate floats, for comparison.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-$root/build/release/bench/bench_values}
[[ -x $exe ]] || { echo "no executable $exe (cmake --build --preset release --target bench_values)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions inside count_<kernel> for `--count=<kernel>/<n>`.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$work/out" --toggle-collect="*count_$1(*" \
    "$exe" "--count=$1/$2" >"$work/stdout" 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; exit 1; }
  callgrind_annotate "$work/out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

per_op() {
  local once twice
  once=$(instructions "$1" "$2")
  twice=$(instructions "$1" "$((2 * $2))")
  awk -v a="$once" -v c="$twice" -v n="$2" 'BEGIN { printf "%.2f", (c - a) / n }'
}

printf '%-16s %s\n' kernel instructions/operation
for kernel in int_add plain_int_add float_mul spur_float_mul plain_float_mul; do
  printf '%-16s %s\n' "$kernel" "$(per_op "$kernel" 100000)"
done
printf '%-16s %s\n' "nbody (per step)" "$(per_op nbody 2000)"
