#include "concurrency/sync/rwlock.hpp"

#include "concurrency/blocking.hpp"
#include "concurrency/sync/futex.hpp"

#include <thread>

namespace runa::concurrency {

bool RwLock::try_lock() {
  std::uint32_t w = word_.load(std::memory_order_relaxed);
  while ((w & (kWriter | kReaders)) == 0) {
    if (word_.compare_exchange_weak(w, w | kWriter, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

bool RwLock::try_lock_shared() {
  std::uint32_t w = word_.load(std::memory_order_relaxed);
  while ((w & kBlocksReaders) == 0 && (w & kReaders) != kReaders) {
    if (word_.compare_exchange_weak(w, w + 1, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void RwLock::lock_slow() {
  BlockingRegion blocking;
  for (;;) {
    std::uint32_t w = word_.load(std::memory_order_relaxed);
    if ((w & (kWriter | kReaders)) == 0) {
      // Keeps the waiting bits: whoever else waits is woken at our unlock.
      if (word_.compare_exchange_weak(w, w | kWriter, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        return;
      }
      continue;
    }
    if ((w & kWritersWaiting) == 0 &&
        !word_.compare_exchange_weak(w, w | kWritersWaiting, std::memory_order_relaxed)) {
      continue;
    }
    futex_wait(word_, w | kWritersWaiting);
  }
}

void RwLock::lock_shared_slow() {
  BlockingRegion blocking;
  for (;;) {
    std::uint32_t w = word_.load(std::memory_order_relaxed);
    if ((w & kBlocksReaders) == 0 && (w & kReaders) != kReaders) {
      if (word_.compare_exchange_weak(w, w + 1, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        return;
      }
      continue;
    }
    if ((w & kReaders) == kReaders && (w & kBlocksReaders) == 0) {
      // 2^29 - 1 readers (more threads than Linux runs): let one leave.
      std::this_thread::yield();
      continue;
    }
    if ((w & kReadersWaiting) == 0 &&
        !word_.compare_exchange_weak(w, w | kReadersWaiting, std::memory_order_relaxed)) {
      continue;
    }
    futex_wait(word_, w | kReadersWaiting);
  }
}

void RwLock::unlock() {
  // Nobody else changes the word while a writer holds it except by setting
  // waiting bits, so the exchange releases the lock and reads them at once.
  if ((word_.exchange(0, std::memory_order_release) & kWaiting) != 0) futex_wake_all(word_);
}

void RwLock::unlock_shared() {
  std::uint32_t before = word_.fetch_sub(1, std::memory_order_release);
  if ((before & kReaders) == 1 && (before & kWaiting) != 0) wake_waiters();
}

void RwLock::wake_waiters() {
  // Another thread may have taken the lock meanwhile; clearing the bits
  // anyway only makes its waiters look again.
  if ((word_.fetch_and(~kWaiting, std::memory_order_relaxed) & kWaiting) != 0) {
    futex_wake_all(word_);
  }
}

}  // namespace runa::concurrency
