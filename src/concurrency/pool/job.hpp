// Job: the unit of work of the pool — an intrusive record with a function
// pointer, so that queues move pointers and never allocate for it.
//
// A job runs exactly once, on whatever worker pops or steals it. Who owns
// its memory depends on the kind:
//  - HeapJob: allocated by spawn() from the spawner's JobCache
//    (job_cache.hpp), released after running.
//  - StackJob: lives in the frame of a join() or run() that waits for it;
//    its JobLatch tells that frame the job has finished, and the frame does
//    not return (freeing the job) before it has seen the latch set.
// `next` links a job in the injection queue (injector.hpp) only.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "concurrency/blocking.hpp"
#include "concurrency/pool/job_cache.hpp"
#include "concurrency/sync/futex.hpp"

namespace runa::concurrency {

struct Job {
  Job() = default;
  explicit Job(void (*fn)(Job*)) : execute(fn) {}
  void (*execute)(Job* self) = nullptr;
  Job* next = nullptr;
};

// Set once when a job has finished. The waiting frame probes it between
// other work; a waiter with nothing else to do sleeps on it.
class JobLatch {
 public:
  [[nodiscard]] bool probe() const { return word_.load(std::memory_order_acquire) == kSet; }

  // Release: everything the job did is visible to the waiter once it
  // probes the latch set. The waiter may free the latch as soon as it sees
  // kSet, so the futex_wake may touch a freed word: a wake on a stale
  // address at worst wakes a stranger spuriously, which every futex wait
  // here tolerates (the waits loop on their condition).
  void set() {
    if (word_.exchange(kSet, std::memory_order_release) == kSleeping) futex_wake_all(word_);
  }

  // Sleeps (in a BlockingRegion: MAY COLLECT) until set.
  void wait() {
    std::uint32_t w = kUnset;
    if (!word_.compare_exchange_strong(w, kSleeping, std::memory_order_acquire) && w == kSet) {
      return;
    }
    BlockingRegion blocking;
    while (word_.load(std::memory_order_acquire) != kSet) futex_wait(word_, kSleeping);
  }

 private:
  static constexpr std::uint32_t kUnset = 0;
  static constexpr std::uint32_t kSet = 1;
  static constexpr std::uint32_t kSleeping = 2;
  std::atomic<std::uint32_t> word_{kUnset};
};

template <class F>
class HeapJob final : public Job {
 public:
  explicit HeapJob(F&& f) : Job(&run), fn_(std::forward<F>(f)) {}

 private:
  static void run(Job* self) {
    auto* job = static_cast<HeapJob*>(self);
    try {
      job->fn_();
    } catch (...) {
      // Nobody waits for a spawned job, so nobody could see its exception:
      // spawn what may throw in a TaskGroup, which keeps it.
      std::fputs("runatime: an exception escaped a job spawned on the pool\n", stderr);
      std::terminate();
    }
    job->~HeapJob();
    JobCache::release(job, sizeof(HeapJob));
  }
  std::decay_t<F> fn_;
};

// F's result (or exception) is kept for the waiting frame.
template <class F>
class StackJob final : public Job {
 public:
  using R = std::invoke_result_t<F&>;

  explicit StackJob(F& f) : Job(&run), fn_(f) {}

  // Set once the job has finished.
  JobLatch& done() { return latch_; }

  // On the waiting frame's thread, once latch is set (or after run_inline).
  R take() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<R>) return std::move(*result_);
  }
  // The frame popped its own job back: run it here, no latch needed.
  void run_inline() { invoke(); }

 private:
  void invoke() {
    try {
      if constexpr (std::is_void_v<R>) {
        fn_();
      } else {
        result_.emplace(fn_());
      }
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  static void run(Job* self) {
    auto* job = static_cast<StackJob*>(self);
    job->invoke();
    job->latch_.set();  // the last touch: the frame may free the job now
  }

  F& fn_;
  JobLatch latch_;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result_{};
  std::exception_ptr error_;
};

}  // namespace runa::concurrency
