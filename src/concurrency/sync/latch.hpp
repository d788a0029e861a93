// Latch: a single-use countdown; wait() returns once the count reaches 0.
// Barrier: a reusable rendezvous of a fixed number of threads.
//
// Both sleep on futex words. The latch's word is the count itself: a waiter
// sleeps only while the count is the non-zero value it read, and the
// count_down that reaches zero wakes everyone. The barrier's word is the
// phase number: the last thread to arrive resets the arrival count, then
// advances the phase (release) and wakes everyone; a thread waits while the
// phase is the one it arrived in. A thread can arrive for the next phase
// only after seeing the phase advance, so it sees the reset count.
//
// Waits run in a BlockingRegion and MAY COLLECT.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace runa::concurrency {

class Latch {
 public:
  explicit Latch(std::uint32_t count) : count_(count) {}
  // n <= the remaining count (more is a bug: aborts).
  void count_down(std::uint32_t n = 1);
  [[nodiscard]] bool try_wait() const { return count_.load(std::memory_order_acquire) == 0; }
  void wait();
  // wait() giving up at `deadline` (steady clock): whether the latch was
  // open. False means only that the count was not 0 when the wait ended;
  // it may reach 0 just after.
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  void arrive_and_wait(std::uint32_t n = 1) {
    count_down(n);
    wait();
  }

 private:
  std::atomic<std::uint32_t> count_;
};

class Barrier {
 public:
  // parties >= 1 threads meet at each phase.
  explicit Barrier(std::uint32_t parties);
  // Returns once `parties` threads have arrived in this phase; true for
  // exactly one of them (the last to arrive), as pthread_barrier_wait's
  // PTHREAD_BARRIER_SERIAL_THREAD.
  bool arrive_and_wait();

 private:
  const std::uint32_t parties_;
  std::atomic<std::uint32_t> arrived_{0};
  std::atomic<std::uint32_t> phase_{0};
};

}  // namespace runa::concurrency
