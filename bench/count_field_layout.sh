#!/usr/bin/env bash
# Instructions per unit of each kernel of bench_field_layout (LOAD_FIELD under
# the two field orders, and the collectors' cost per object under each),
# counted by callgrind: on a shared machine the times vary from run to run,
# instruction counts do not.
#
#   bench/count_field_layout.sh [bench_field_layout executable]
#
# (default: build/release/bench/bench_field_layout; build it first). For each
# kernel, callgrind counts the instructions inside field_round() or
# collect_round() (--toggle-collect, callees included) in a run of R rounds
# and in one of 2R; the difference divided by the units of R rounds leaves out
# what happens once (filling the inline cache, a collection's fixed work).
# A field round is 1024 LOAD_FIELDs; a collection round is 1000 live objects.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-$root/build/release/bench/bench_field_layout}
[[ -x $exe ]] || { echo "no executable $exe (cmake --build --preset release --target bench_field_layout)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions inside the counted functions for `--count=<kernel>/<rounds>`.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$work/out" \
    --toggle-collect='*field_round*' --toggle-collect='*collect_round*' \
    "$exe" "--count=$1" >"$work/stdout" 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; exit 1; }
  callgrind_annotate "$work/out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

printf '%-14s %s\n' kernel instructions/unit
for kernel in words_mono offsets_mono words_poly offsets_poly minor_words minor_offsets \
  major_words major_offsets; do
  case $kernel in
    *_mono | *_poly) rounds=20 per=1024 ;;
    *) rounds=20 per=1000 ;;
  esac
  once=$(instructions "$kernel/$rounds")
  twice=$(instructions "$kernel/$((2 * rounds))")
  awk -v k="$kernel" -v a="$once" -v c="$twice" -v n=$((rounds * per)) \
    'BEGIN { printf "%-14s %.2f\n", k, (c - a) / n }'
done
