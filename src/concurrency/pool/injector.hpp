// Injector: the pool's global FIFO of jobs, for submissions from threads
// that are not workers and for a worker whose deque is full.
//
// A Mutex-guarded intrusive list: jobs come here at the rate threads outside
// the pool submit, far below the rate of the workers' own deques, and a
// lock keeps it exact and simple (Go's global run queue is locked too).
// A worker takes them in batches and a full deque spills half of itself
// here in one chain (pool.cpp), as Go's runqputslow and globrunqget do:
// a task spawning a million coroutine tasks past its full deque took the
// lock once per task on each side, and the lock's line moved between the
// two cores on each take (245 ns per task).
// `size_` is written under the lock and read without it, as a hint: an idle
// worker's check for work, which the sleep protocol (sleep.hpp) makes safe
// by reading it after a seq_cst fence.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>

#include "concurrency/pool/job.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

class Injector {
 public:
  void push(Job* job) { push_chain(job, job, 1); }

  // A chain first..last (linked by `next`, `count` jobs, oldest first)
  // appended in one go.
  void push_chain(Job* first, Job* last, std::size_t count) {
    last->next = nullptr;
    std::lock_guard lock(mu_);
    if (tail_ == nullptr) {
      head_ = first;
    } else {
      tail_->next = first;
    }
    tail_ = last;
    size_.store(size_.load(std::memory_order_relaxed) + count, std::memory_order_seq_cst);
  }

  // Up to `max` (>= 1) of the oldest jobs, as a chain linked by `next`
  // ending in nullptr, oldest first; nullptr when empty.
  Job* pop_batch(std::size_t max) {
    if (size_.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard lock(mu_);
    return pop_batch_locked(max);
  }

  // A hint (read without the lock): how big a batch to take.
  [[nodiscard]] std::size_t size() const { return size_.load(std::memory_order_relaxed); }

  [[nodiscard]] bool empty() const { return size_.load(std::memory_order_seq_cst) == 0; }

 private:
  // A test holds mu_ while a worker waits for it, and takes the jobs as
  // another worker would (tests/concurrency/pool/next_slot_test.cpp).
  friend struct PoolProbe;

  // pop_batch with mu_ held.
  Job* pop_batch_locked(std::size_t max) {
    Job* first = head_;
    if (first == nullptr) return nullptr;
    Job* last = first;
    std::size_t n = 1;
    for (; n < max && last->next != nullptr; ++n) last = last->next;
    head_ = last->next;
    last->next = nullptr;
    if (head_ == nullptr) tail_ = nullptr;
    size_.store(size_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
    return first;
  }

  Mutex mu_;
  Job* head_ = nullptr;
  Job* tail_ = nullptr;
  std::atomic<std::size_t> size_{0};
};

}  // namespace runa::concurrency
