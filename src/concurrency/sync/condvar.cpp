#include "concurrency/sync/condvar.hpp"

#include "concurrency/blocking.hpp"

namespace runa::concurrency {

bool CondVar::wait_until(Mutex& m, std::optional<Clock::time_point> deadline) {
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  std::uint32_t seen = seq_.load(std::memory_order_seq_cst);
  m.unlock();
  bool in_time = true;
  {
    BlockingRegion blocking;
    in_time = futex_wait(seq_, seen, deadline);
    // Relocks inside the region: the mutex may be held by a thread that
    // is itself stopped for a collection.
    m.lock_contended();
  }
  waiters_.fetch_sub(1, std::memory_order_relaxed);
  return in_time;
}

// The increment of seq_ and the read of waiters_ are seq_cst, as are the
// waiter's increment of waiters_ and read of seq_ (store-load both ways):
// either the notifier sees the waiter counted, or the waiter reads the new
// seq_ and does not sleep on the old one.
void CondVar::notify_one() {
  seq_.fetch_add(1, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) != 0) futex_wake(seq_, 1);
}

void CondVar::notify_all() {
  seq_.fetch_add(1, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) != 0) futex_wake_all(seq_);
}

}  // namespace runa::concurrency
