// CondVar: a condition variable for Mutex, on a futex sequence word.
//
// A waiter reads seq_ while it holds the mutex, unlocks, and sleeps only
// while seq_ still holds what it read; every notify increments seq_ before
// waking. A notify that comes after the waiter's read therefore either
// finds it asleep (and wakes it) or makes its futex_wait return at once —
// no lost wake-up. A notify cannot come between the waiter's check of its
// condition and its read of seq_, as both happen under the mutex that the
// notifier's change of the condition also takes.
//
// Waits sleep in a BlockingRegion (a waiting mutator never holds up a
// collection) and MAY COLLECT. Spurious wake-ups happen, as with every
// condition variable: use the predicate forms or loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "concurrency/sync/futex.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

class CondVar {
 public:
  // `m` is held by the caller, and held again when these return.
  void wait(Mutex& m) { wait_until(m, std::nullopt); }
  // False when `deadline` passed (the caller should recheck its condition).
  bool wait_until(Mutex& m, std::optional<Clock::time_point> deadline);

  template <class Pred>
  void wait(Mutex& m, Pred pred) {
    while (!pred()) wait(m);
  }
  // pred()'s value when it became true or the deadline passed.
  template <class Pred>
  bool wait_until(Mutex& m, Clock::time_point deadline, Pred pred) {
    while (!pred()) {
      if (!wait_until(m, deadline)) return pred();
    }
    return true;
  }

  void notify_one();
  void notify_all();

 private:
  std::atomic<std::uint32_t> seq_{0};
  // Threads inside wait: a notify with none skips the system call.
  std::atomic<std::uint32_t> waiters_{0};
};

}  // namespace runa::concurrency
