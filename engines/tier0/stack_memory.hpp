// StackMemory: the reservations behind tier 0's per-thread stacks
// (stack.hpp), kept for the next thread when one ends.
//
// Why: every thread that runs tier-0 code reserves a value array and a
// frame array (160 MiB of address space, committed as touched). Mapping
// them for each new thread and unmapping them when it ends cost a program
// that starts threads two mmaps, two munmaps (each a TLB shootdown on the
// other cores running the process) and the first touches of the pages
// again: about a fifth of a thread's spawn and join (docs/engine.md,
// "Threads"). A thread's end gives its arrays back here instead, and the
// next thread takes them, their first pages still mapped.
//
// Invariants:
//   - At most kSpare sets are kept; the rest are unmapped. A kept set keeps
//     only its first kWarm bytes of each array resident: the rest is
//     returned to the kernel (MADV_DONTNEED) when it is given back, so a
//     thread that recursed deep leaves no megabytes behind. The spares'
//     resident memory is therefore bounded by kSpare * 2 * kWarm.
//   - A set taken from here may hold stale values and frame records below
//     kWarm: the stack's users never read a slot above sp or a frame record
//     above depth before writing it (stack.hpp), so stale data is dead.
//   - take() and give() may run on any threads at once (under mu_).
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "code.hpp"

namespace runa::tier0 {

struct Frame;

class StackMemory {
 public:
  struct Set {
    Value* values = nullptr;
    Frame* frames = nullptr;
  };
  static constexpr std::size_t kSpare = 8;
  static constexpr std::size_t kWarm = std::size_t{64} << 10;

  StackMemory();
  StackMemory(const StackMemory&) = delete;
  StackMemory& operator=(const StackMemory&) = delete;
  StackMemory(StackMemory&&) = delete;
  StackMemory& operator=(StackMemory&&) = delete;
  ~StackMemory();

  // A spare set, or a new one (aborts when the address space is exhausted:
  // a thread without a stack cannot run).
  Set take();
  void give(Set s);
  [[nodiscard]] std::size_t spares();

 private:
  std::mutex mu_;
  std::vector<Set> spare_;  // under mu_; never more than kSpare
};

}  // namespace runa::tier0
