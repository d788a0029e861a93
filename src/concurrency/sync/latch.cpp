#include "concurrency/sync/latch.hpp"

#include <cstdio>
#include <cstdlib>

#include "concurrency/blocking.hpp"
#include "concurrency/sync/futex.hpp"

namespace runa::concurrency {

void Latch::count_down(std::uint32_t n) {
  std::uint32_t before = count_.fetch_sub(n, std::memory_order_acq_rel);
  if (before < n) {
    std::fputs("runatime: Latch counted down below zero\n", stderr);
    std::abort();
  }
  if (before == n) futex_wake_all(count_);
}

void Latch::wait() {
  std::uint32_t c = count_.load(std::memory_order_acquire);
  if (c == 0) return;
  BlockingRegion blocking;
  while (c != 0) {
    futex_wait(count_, c);
    c = count_.load(std::memory_order_acquire);
  }
}

bool Latch::wait_until(std::chrono::steady_clock::time_point deadline) {
  std::uint32_t c = count_.load(std::memory_order_acquire);
  if (c == 0) return true;
  BlockingRegion blocking;
  while (c != 0) {
    // futex_wait returns false only once the deadline has passed; a wake
    // or a spurious return loops to read the count again.
    if (!futex_wait(count_, c, deadline)) return count_.load(std::memory_order_acquire) == 0;
    c = count_.load(std::memory_order_acquire);
  }
  return true;
}

Barrier::Barrier(std::uint32_t parties) : parties_(parties) {
  if (parties == 0) {
    std::fputs("runatime: a Barrier needs at least one party\n", stderr);
    std::abort();
  }
}

bool Barrier::arrive_and_wait() {
  std::uint32_t phase = phase_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parties_) {
    arrived_.store(0, std::memory_order_relaxed);
    phase_.fetch_add(1, std::memory_order_release);
    futex_wake_all(phase_);
    return true;
  }
  BlockingRegion blocking;
  while (phase_.load(std::memory_order_acquire) == phase) futex_wait(phase_, phase);
  return false;
}

}  // namespace runa::concurrency
