// Mutex: a futex lock that a waiting mutator never holds a collection up
// with — Drepper's three-state mutex ("Futexes Are Tricky", mutex 3).
//
// word_: 0 unlocked; 1 locked, nobody asleep; 2 locked, perhaps sleepers.
// Uncontended lock and unlock are one atomic read-modify-write each and
// never touch the safepoint protocol. A contended lock spins a little (the
// holder is likely to be running and about to release: a sleep and a wake
// cost microseconds), then sleeps on the futex inside a BlockingRegion, so
// a mutator waiting here counts as stopped for a collection.
//
// Why 2 is sticky: a thread that sleeps sets 2 and only an unlock clears
// it; a woken thread relocks with 2, not 1, because it cannot know whether
// others sleep. The cost is one extra futex_wake now and then; the gain is
// that no sleeper is ever forgotten (an unlock that sees 1 knows that no
// thread had gone to sleep).
//
// It satisfies the standard Lockable requirements (std::lock_guard,
// std::unique_lock, std::scoped_lock work). Not recursive; unlock() only by
// the owner. lock() MAY COLLECT when it has to wait (the BlockingRegion's
// leave waits for a collection in progress).
#pragma once

#include <atomic>
#include <cstdint>

namespace runa::concurrency {

class CondVar;

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  Mutex(Mutex&&) = delete;
  Mutex& operator=(Mutex&&) = delete;
  ~Mutex() = default;

  void lock() {
    std::uint32_t expected = 0;
    if (!word_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      lock_slow();
    }
  }
  [[nodiscard]] bool try_lock() {
    std::uint32_t expected = 0;
    return word_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }
  void unlock() {
    if (word_.exchange(0, std::memory_order_release) == 2) wake_one();
  }

 private:
  friend class CondVar;
  void lock_slow();
  // Takes the lock marking it contended: for a thread that has slept (a
  // condition variable's waiter), which cannot know who else sleeps.
  void lock_contended();
  void wake_one();

  std::atomic<std::uint32_t> word_{0};
};

}  // namespace runa::concurrency
