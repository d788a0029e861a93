// Parker: one thread's sleep and wake-up, with a permit — the building block
// of the pool's idle workers and of every waiter list in this part.
//
// unpark() gives the permit (at most one is kept); park() consumes it,
// sleeping until there is one. An unpark() that comes before the park() is
// therefore not lost: the park() returns at once. This is what makes the
// "announce, recheck, sleep" protocols of the pool and the channels free of
// lost wake-ups: a waker that saw the announcement may unpark at any moment,
// before or during the sleep.
//
// States of word_: kEmpty (no permit, nobody asleep), kNotified (a permit),
// kParked (the owner is asleep or about to be). Only the owner moves
// kEmpty -> kParked and kNotified -> kEmpty; any thread moves * -> kNotified
// and wakes the futex when it replaced kParked.
//
// park() may return spuriously only when a deadline is given and passed;
// otherwise it returns exactly after consuming a permit.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "concurrency/blocking.hpp"
#include "concurrency/sync/futex.hpp"

namespace runa::concurrency {

class Parker {
 public:
  // Owner thread. Sleeps (in a BlockingRegion) until a permit is given or
  // `deadline` passes; true when it consumed a permit. MAY COLLECT.
  bool park(std::optional<Clock::time_point> deadline = std::nullopt) {
    // Fast path: a permit is already here (kNotified -> kEmpty).
    if (word_.exchange(kEmpty, std::memory_order_acquire) == kNotified) return true;
    std::uint32_t expected = kEmpty;
    if (!word_.compare_exchange_strong(expected, kParked, std::memory_order_acquire)) {
      // Only an unpark() moves the word off kEmpty meanwhile: take its permit.
      word_.store(kEmpty, std::memory_order_relaxed);
      return true;
    }
    BlockingRegion blocking;
    for (;;) {
      bool in_time = futex_wait(word_, kParked, deadline);
      expected = kNotified;
      if (word_.compare_exchange_strong(expected, kEmpty, std::memory_order_acquire)) return true;
      if (!in_time) {
        // Withdraw; an unpark() racing with the timeout wins the CAS.
        expected = kParked;
        if (word_.compare_exchange_strong(expected, kEmpty, std::memory_order_acquire)) {
          return false;
        }
        word_.store(kEmpty, std::memory_order_relaxed);
        return true;
      }
    }
  }

  // Any thread. Release: what the caller wrote before is visible to the
  // parked thread once park() returns.
  void unpark() {
    if (word_.exchange(kNotified, std::memory_order_release) == kParked) futex_wake(word_, 1);
  }

 private:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kNotified = 1;
  static constexpr std::uint32_t kParked = 2;
  std::atomic<std::uint32_t> word_{kEmpty};
};

}  // namespace runa::concurrency
