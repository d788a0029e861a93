// RwLock: many readers or one writer, on one futex word; writers first.
//
// word_: bits 0-28 count the readers holding the lock; kWriter says a
// writer holds it; kWritersWaiting and kReadersWaiting say some thread
// sleeps (or is about to) waiting for it. A reader enters only while no
// writer holds or waits: a stream of readers cannot starve a writer.
//
// No lost wake-up. A waiter sets its waiting bit and then sleeps only while
// the word still holds exactly what it saw with the bit set. Every release
// that may let a waiter in (a writer's unlock; the last reader's unlock)
// clears the waiting bits and, if it cleared any, wakes all sleepers; each
// re-evaluates, and those that must wait again set their bit again. A
// release between a waiter's look and its sleep changes the word, so the
// futex_wait returns at once. Waking all is simple and cheap at the rates
// where waiting happens at all (a writer's turn); the uncontended paths are
// one read-modify-write each.
//
// Satisfies Lockable (lock/unlock) and SharedLockable (lock_shared/
// unlock_shared): std::unique_lock and std::shared_lock work. Waits run in a
// BlockingRegion; lock() and lock_shared() MAY COLLECT when they wait.
// Not recursive: a reader that asks again while a writer waits deadlocks,
// as with every writer-preferring lock.
#pragma once

#include <atomic>
#include <cstdint>

namespace runa::concurrency {

class RwLock {
 public:
  RwLock() = default;
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;
  RwLock(RwLock&&) = delete;
  RwLock& operator=(RwLock&&) = delete;
  ~RwLock() = default;

  void lock() {
    std::uint32_t expected = 0;
    if (!word_.compare_exchange_strong(expected, kWriter, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      lock_slow();
    }
  }
  [[nodiscard]] bool try_lock();
  void unlock();

  void lock_shared() {
    std::uint32_t w = word_.load(std::memory_order_relaxed);
    if ((w & kBlocksReaders) != 0 || (w & kReaders) == kReaders ||
        !word_.compare_exchange_weak(w, w + 1, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      lock_shared_slow();
    }
  }
  [[nodiscard]] bool try_lock_shared();
  void unlock_shared();

 private:
  static constexpr std::uint32_t kReaders = (1U << 29) - 1;
  static constexpr std::uint32_t kReadersWaiting = 1U << 29;
  static constexpr std::uint32_t kWritersWaiting = 1U << 30;
  static constexpr std::uint32_t kWriter = 1U << 31;
  static constexpr std::uint32_t kWaiting = kReadersWaiting | kWritersWaiting;
  static constexpr std::uint32_t kBlocksReaders = kWriter | kWritersWaiting;

  void lock_slow();
  void lock_shared_slow();
  void wake_waiters();

  std::atomic<std::uint32_t> word_{0};
};

}  // namespace runa::concurrency
