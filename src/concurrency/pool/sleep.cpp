#include "concurrency/pool/sleep.hpp"

#include <algorithm>
#include <mutex>

namespace runa::concurrency {

void Sleep::announce(unsigned w) {
  {
    std::lock_guard lock(mu_);
    sleepers_.push_back(w);
    asleep_[w] = true;
    idle_.fetch_add(1, std::memory_order_seq_cst);
  }
  searching_.fetch_sub(1, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

bool Sleep::cancel(unsigned w) {
  std::lock_guard lock(mu_);
  if (!asleep_[w]) return false;
  asleep_[w] = false;
  sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), w));
  idle_.fetch_sub(1, std::memory_order_seq_cst);
  searching_.fetch_add(1, std::memory_order_seq_cst);
  return true;
}

bool Sleep::wake_one() {
  unsigned w = 0;
  {
    std::lock_guard lock(mu_);
    if (sleepers_.empty()) return false;
    w = sleepers_.back();
    sleepers_.pop_back();
    asleep_[w] = false;
    searching_.fetch_add(1, std::memory_order_seq_cst);
    idle_.fetch_sub(1, std::memory_order_seq_cst);
  }
  parkers_[w].unpark();
  return true;
}

void Sleep::wake_all() {
  while (wake_one()) {
  }
}

}  // namespace runa::concurrency
