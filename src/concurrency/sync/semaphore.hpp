// Semaphore: a counting semaphore on a futex word.
//
// count_ is the number of permits. acquire() takes one, sleeping while
// there are none; release(n) adds n and wakes up to n sleepers. waiters_
// counts the threads in the slow path so that a release nobody waits for
// makes no system call.
//
// No lost wake-up: a waiter increments waiters_ and then reads count_
// (inside futex_wait, which sleeps only while count_ is 0); a releaser
// increments count_ and then reads waiters_. All four are seq_cst, so one
// of the two sees the other's write: either the releaser wakes, or the
// waiter finds the permit.
//
// Waits run in a BlockingRegion and MAY COLLECT.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "concurrency/sync/futex.hpp"

namespace runa::concurrency {

class Semaphore {
 public:
  explicit Semaphore(std::uint32_t permits = 0) : count_(permits) {}

  void acquire() { (void)acquire_until(std::nullopt); }
  // False when the deadline passed without a permit.
  [[nodiscard]] bool acquire_until(std::optional<Clock::time_point> deadline);
  [[nodiscard]] bool try_acquire();
  void release(std::uint32_t n = 1);

  // A snapshot, for tests and dumps.
  [[nodiscard]] std::uint32_t available() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint32_t> count_;
  std::atomic<std::uint32_t> waiters_{0};
};

}  // namespace runa::concurrency
