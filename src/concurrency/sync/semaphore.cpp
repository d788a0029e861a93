#include "concurrency/sync/semaphore.hpp"

#include "concurrency/blocking.hpp"

namespace runa::concurrency {

bool Semaphore::try_acquire() {
  std::uint32_t c = count_.load(std::memory_order_relaxed);
  while (c != 0) {
    if (count_.compare_exchange_weak(c, c - 1, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

bool Semaphore::acquire_until(std::optional<Clock::time_point> deadline) {
  if (try_acquire()) return true;
  BlockingRegion blocking;
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  bool got = false;
  for (;;) {
    std::uint32_t c = count_.load(std::memory_order_seq_cst);
    if (c != 0) {
      if (count_.compare_exchange_weak(c, c - 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        got = true;
        break;
      }
      continue;
    }
    if (!futex_wait(count_, 0, deadline)) {
      got = try_acquire();
      break;
    }
  }
  waiters_.fetch_sub(1, std::memory_order_relaxed);
  return got;
}

void Semaphore::release(std::uint32_t n) {
  count_.fetch_add(n, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) != 0) {
    futex_wake(count_, n > 0x7fffffffU ? 0x7fffffff : static_cast<int>(n));
  }
}

}  // namespace runa::concurrency
