// Once: runs a function exactly once, however many threads ask at the same
// time; the others wait until it has returned. If it throws, the next caller
// runs it again (as std::call_once).
//
// word_: kNew, kRunning, kRunningWaited (someone sleeps), kDone. The runner
// moves kNew -> kRunning by CAS; a waiter moves kRunning -> kRunningWaited
// and sleeps while the word holds that. The runner's final exchange (to
// kDone, or back to kNew after a throw) wakes all if it replaced
// kRunningWaited. A finished Once costs one acquire load.
//
// Waits run in a BlockingRegion and MAY COLLECT. The function must not call
// the same Once (deadlock).
#pragma once

#include <atomic>
#include <cstdint>

#include "concurrency/blocking.hpp"
#include "concurrency/sync/futex.hpp"

namespace runa::concurrency {

class Once {
 public:
  template <class Fn>
  void call(Fn&& fn) {
    if (word_.load(std::memory_order_acquire) == kDone) return;
    for (;;) {
      std::uint32_t w = kNew;
      if (word_.compare_exchange_strong(w, kRunning, std::memory_order_acquire)) {
        try {
          fn();
        } catch (...) {
          finish(kNew);
          throw;
        }
        finish(kDone);
        return;
      }
      if (w == kDone) return;
      wait(w);
    }
  }
  [[nodiscard]] bool done() const { return word_.load(std::memory_order_acquire) == kDone; }

 private:
  static constexpr std::uint32_t kNew = 0;
  static constexpr std::uint32_t kRunning = 1;
  static constexpr std::uint32_t kRunningWaited = 2;
  static constexpr std::uint32_t kDone = 3;

  void finish(std::uint32_t state) {
    if (word_.exchange(state, std::memory_order_release) == kRunningWaited) futex_wake_all(word_);
  }
  // Sleeps while a runner runs; `seen` is kRunning or kRunningWaited.
  void wait(std::uint32_t seen) {
    if (seen == kRunning &&
        !word_.compare_exchange_strong(seen, kRunningWaited, std::memory_order_relaxed)) {
      return;  // the runner finished meanwhile: look again
    }
    BlockingRegion blocking;
    futex_wait(word_, kRunningWaited);
  }

  std::atomic<std::uint32_t> word_{kNew};
};

}  // namespace runa::concurrency
