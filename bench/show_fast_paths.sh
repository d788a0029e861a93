#!/usr/bin/env bash
# Prints the machine code of the heap's inline fast paths (include/runatime/heap.hpp)
# as a caller compiled with -O2 gets them, and counts the instructions each one
# executes when it does not take its slow path: runa::heap::allocate (goal: at most
# 10 instructions on x86-64, docs/memory.md), runa::heap::write (the write barrier)
# and runa::heap::poll.
#
#   bench/show_fast_paths.sh [compiler]      (default g++; e.g. clang++)
#
# Each fast path is wrapped in an extern "C" function of its own. The count is the
# instructions from the function's entry to its first `ret` (the compiler lays the
# [[likely]] path out first; the slow path is a branch to a tail call past it),
# without the `ret` itself, which inlined code does not have. Run from anywhere.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cxx=${1:-g++}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/fast_paths.cpp" <<'EOF'
#include "runatime/heap.hpp"

using namespace runa::heap;

extern "C" {
// A 24-byte object of a type index known at compile time (the common case
// in generated code).
Object* fast_allocate_const(Mutator& m) {
  return allocate(m, 7, 24);
}
// Type and size in registers.
Object* fast_allocate(Mutator& m, std::uint32_t type, std::size_t bytes) {
  return allocate(m, type, bytes);
}
// Store v into slot i of o, with the barrier.
void fast_write(Mutator& m, Object* o, std::size_t i, Value v) {
  set_slot(m, o, i, v);
}
// The same store without it, for comparison.
void plain_store(Object* o, std::size_t i, Value v) {
  o->slots()[i] = v;
}
void fast_poll(Mutator& m) {
  poll(m);
}
}
EOF

"$cxx" -std=c++20 -O2 -DNDEBUG -I"$root/include" -c "$work/fast_paths.cpp" -o "$work/fast_paths.o"
objdump -dr -C --no-show-raw-insn -M att "$work/fast_paths.o" >"$work/dis.txt"

echo "== $("$cxx" --version | head -n1), -O2, x86-64 ($(uname -m))"
status=0
for fn in fast_allocate_const fast_allocate fast_write plain_store fast_poll; do
  echo
  echo "-- $fn"
  # The function's body: from its label to the next blank line.
  awk -v f="<$fn>:" '$2 == f {on = 1; next} on && NF == 0 {exit} on' "$work/dis.txt" |
    sed 's/^ *//' >"$work/$fn.txt"
  cat "$work/$fn.txt"
  n=$(awk '{sub(/^[0-9a-f]+:[ \t]*/, "")} /^ret/ {exit} NF {n++} END {print n + 0}' "$work/$fn.txt")
  echo "fast path: $n instructions (entry to the first ret, ret excluded)"
  if [[ $fn == fast_allocate* ]] && ((n > 10)); then
    echo "  over the goal of 10 instructions"
    status=1
  fi
done
exit $status
