#!/usr/bin/env bash
# Instructions per Dictionary operation beside absl::flat_hash_map and
# std::unordered_map (bench/bench_dictionary.cpp), counted by callgrind: on a
# shared machine times vary from run to run, instruction counts do not.
#
#   bench/count_dictionary_instructions.sh [bench_dictionary executable] [N]
#
# (defaults: build/release/bench/bench_dictionary, N = 100000). One run of
# N keys; each map runs in a process of its own, whose four loops
# (insert_all, lookup_hits, lookup_misses, delete_all) callgrind counts with
# their callees; the count divided by N is one operation with its share of
# the loop and of the growth (inserts) and of the key fetch, the same for
# every map.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-$root/build/release/bench/bench_dictionary}
n=${2:-100000}
[[ -x $exe ]] || { echo "no executable $exe (cmake --build --preset release --target bench_dictionary)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$exe" --count "$n" --runs 1 \
  >"$work/stdout" 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
for f in "$work"/cg.*; do
  callgrind_annotate --inclusive=yes "$f" | grep -E '::(insert_all|lookup_hits|lookup_misses|delete_all)<' || true
done | awk -v n="$n" '
  {
    count = $1; gsub(",", "", count)
    map = /Runa</ ? "runatime" : /absl::/ ? "absl::flat_hash_map" : "std::unordered_map"
    keys = /basic_string/ ? "String" : "Integer"
    match($0, /(insert_all|lookup_hits|lookup_misses|delete_all)</)
    op = substr($0, RSTART, RLENGTH - 1)
    v[keys "|" map "|" op] = count / n
  }
  END {
    split("insert_all lookup_hits lookup_misses delete_all", ops, " ")
    split("runatime absl::flat_hash_map std::unordered_map", maps, " ")
    split("Integer String", kinds, " ")
    for (k = 1; k <= 2; k++) {
      printf "\n%s keys, instructions per operation\n%-22s %12s %12s %12s %12s\n", kinds[k], "map", "insert", "lookup hit", "lookup miss", "delete"
      for (m = 1; m <= 3; m++) {
        printf "%-22s", maps[m]
        for (o = 1; o <= 4; o++) printf " %12.1f", v[kinds[k] "|" maps[m] "|" ops[o]]
        printf "\n"
      }
    }
  }'
