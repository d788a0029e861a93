#!/usr/bin/env bash
# Instructions a large reference array costs, counted by callgrind
# (bench_large_array.cpp says what each case does):
#   - per store through runa::heap::write, into the array (young and old
#     references) and, for comparison, into ordinary logged objects: the
#     difference of a run of R and one of 2R rounds of store_round(),
#     divided by R x 4096 stores (what happens once drops out);
#   - per minor collection (measured_minor(), callees included) of a heap
#     holding an array of 2^20 slots with 0, 1, 64 and 4096 young elements
#     (one per 256 slots), the part of it spent in the remembered set
#     (MinorGC::Worker::scan_logged, callees included: the card sweep and
#     the visits of the elements read) and the remembered slots it read.
#
#   bench/count_large_array.sh [bench_large_array executable]
#
# (default: build/release/bench/bench_large_array; build it first).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-$root/build/release/bench/bench_large_array}
[[ -x $exe ]] || { echo "no executable $exe (cmake --build --preset release --target bench_large_array)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions inside function $1 for argument $2; the program's stdout in $work/stdout.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$work/out" --toggle-collect="*$1*" \
    "$exe" "$2" >"$work/stdout" 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  callgrind_annotate "$work/out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

rounds=20
printf '%-12s %s\n' store instructions/store
for kind in object array_young array_old; do
  once=$(instructions store_round "store/$kind/$rounds")
  twice=$(instructions store_round "store/$kind/$((2 * rounds))")
  awk -v k="$kind" -v a="$once" -v c="$twice" -v n=$((rounds * 4096)) \
    'BEGIN { printf "%-12s %.2f\n", k, (c - a) / n }'
done
echo
printf '%-26s %-14s %-16s %s\n' "minor collection" instructions "in scan_logged" \
  "remembered slots read"
for young in 0 1 64 4096; do
  n=$(instructions measured_minor "minor/1048576/$young")
  read_slots=$(awk '{print $NF}' "$work/stdout")
  s=$(callgrind_annotate --inclusive=yes "$work/out" |
    awk '/Worker::scan_logged/ && !done { gsub(",", "", $1); print $1; done = 1 }')
  printf '%-26s %-14s %-16s %s\n' "2^20 slots, $young young" "$n" "${s:-0}" "$read_slots"
done
