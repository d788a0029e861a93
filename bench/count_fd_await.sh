#!/usr/bin/env bash
# Instructions one awaited read of a ready pipe costs (bench/runa_fd_await.cpp),
# counted by callgrind over all threads: the difference of a run of R and
# one of 2R rounds, divided by R (start-up and shutdown drop out), for each
# of `runs` pairs of runs, then their median. epoll only: valgrind 3.19
# hangs in io_uring_enter.
#
#   bench/count_fd_await.sh [runa_fd_await executable] [runs] [loop|fast]
#
# (default: build/release/bench/runa_fd_await, 5 runs, loop: every read asks
# the loop; fast: the non-blocking pipe's fast path; build it first).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-$root/build/release/bench/runa_fd_await}
runs=${2:-5}
mode=${3:-loop}
[[ -x $exe ]] || { echo "no executable $exe (cmake --build --preset release --target runa_fd_await)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

total() {
  valgrind --tool=callgrind --callgrind-out-file="$work/out" "$exe" epoll "$1" "$mode" >/dev/null 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; exit 1; }
  callgrind_annotate "$work/out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

rounds=2000
for ((i = 0; i < runs; ++i)); do
  once=$(total "$rounds")
  twice=$(total $((2 * rounds)))
  echo $(((twice - once) / rounds))
done | sort -n | awk '{ v[NR] = $1; printf "run: %d instructions/round\n", $1 }
  END { printf "median of %d: %d instructions/round (range %d-%d)\n", NR, v[int((NR + 1) / 2)], v[1], v[NR] }'
