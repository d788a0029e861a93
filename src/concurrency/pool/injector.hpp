// Injector: the pool's global FIFO of jobs, for submissions from threads
// that are not workers and for a worker whose deque is full.
//
// A Mutex-guarded intrusive list: jobs come here at the rate threads outside
// the pool submit, far below the rate of the workers' own deques, and a
// lock keeps it exact and simple (Go's global run queue is locked too).
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
  void push(Job* job) {
    job->next = nullptr;
    std::lock_guard lock(mu_);
    if (tail_ == nullptr) {
      head_ = job;
    } else {
      tail_->next = job;
    }
    tail_ = job;
    size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_seq_cst);
  }

  Job* pop() {
    if (size_.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard lock(mu_);
    Job* job = head_;
    if (job == nullptr) return nullptr;
    head_ = job->next;
    if (head_ == nullptr) tail_ = nullptr;
    size_.store(size_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return job;
  }

  [[nodiscard]] bool empty() const { return size_.load(std::memory_order_seq_cst) == 0; }

 private:
  Mutex mu_;
  Job* head_ = nullptr;
  Job* tail_ = nullptr;
  std::atomic<std::size_t> size_{0};
};

}  // namespace runa::concurrency
