#!/usr/bin/env bash
# Instructions per store of each barrier of bench_barrier_cards (plain store,
# RunaTime's object-logging barrier, unconditional and conditional card mark),
# counted by callgrind: on a shared machine the times vary from run to run,
# instruction counts do not.
#
#   bench/count_barrier_instructions.sh [bench_barrier_cards executable]
#
# (default: build/release/bench/bench_barrier_cards; build it first). For each
# workload and barrier, callgrind counts the instructions executed inside
# store_round() (--toggle-collect, callees included: the logging slow path is
# counted) in a run of R rounds and in one of 2R rounds over the 4096 objects
# of mutator/steady; the difference divided by R x 4096 stores leaves out
# everything that happens once (the first round of "steady" logs every object
# and dirties every card). Workloads:
#   steady  every object already logged, every card already dirty
#   first   every store the first into its object since the last collection
#           (each round follows a minor collection or a clean card table)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-$root/build/release/bench/bench_barrier_cards}
[[ -x $exe ]] || { echo "no executable $exe (cmake --build --preset release --target bench_barrier_cards)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions inside store_round for `--count=<workload>/<barrier>/<rounds>`.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$work/out" --toggle-collect='*store_round*' \
    "$exe" "--count=$1" >"$work/stdout" 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; exit 1; }
  callgrind_annotate "$work/out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

rounds=50
stores=4096
printf '%-8s %-11s %s\n' workload barrier instructions/store
for workload in steady first; do
  for barrier in plain logging cards cond_cards; do
    once=$(instructions "$workload/$barrier/$rounds")
    twice=$(instructions "$workload/$barrier/$((2 * rounds))")
    awk -v w="$workload" -v b="$barrier" -v a="$once" -v c="$twice" -v n=$((rounds * stores)) \
      'BEGIN { printf "%-8s %-11s %.2f\n", w, b, (c - a) / n }'
  done
done
