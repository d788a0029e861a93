// TaskGroup: spawn any number of jobs and wait for all of them (oneTBB's
// task_group, a structured scope of fire-and-forget jobs).
//
// run(f) counts the job in and submits it; wait() returns once every job
// run so far has finished, and rethrows the first exception any of them
// threw. As with oneTBB's task_group, the jobs of a group must not wait for
// one another (a job may run on the spawning thread, inside run(): when the
// worker's deque is full, run() runs the job at once rather than queue it
// in the injector, so that a spawning loop feeds its thieves and works too). cancel() (or a job's
// exception) makes jobs that have not started skip their function. A worker that waits runs other
// jobs meanwhile; any other thread sleeps. The destructor waits too, so jobs never outlive the
// group they reference.
//
// word_ holds (pending jobs << 1) | kWaiterBit. Counting and the waiter's
// flag share one word so that the last job's decrement both finds out
// whether to wake and is its last touch of the group: once the count is
// zero, a waiter may return and free the group. The wake itself may touch
// the freed word, which is harmless (see JobLatch::set).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <new>
#include <utility>

#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/futex.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

class TaskGroup {
 public:
  explicit TaskGroup(Pool& pool) : pool_(pool) {}
  ~TaskGroup() { wait_all(); }
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  TaskGroup(TaskGroup&&) = delete;
  TaskGroup& operator=(TaskGroup&&) = delete;

  template <class F>
  void run(F&& f) {
    word_.fetch_add(2, std::memory_order_relaxed);
    Job* job = new (JobCache::allocate(sizeof(Task<F>))) Task<F>(*this, std::forward<F>(f));
    Pool::Worker* w = Pool::current();
    if (w == nullptr || &w->pool != &pool_) {
      pool_.submit(job);
    } else if (!Pool::push_local(*w, job)) {
      job->execute(job);  // the deque is full: enough is queued; run it here
    }
  }

  // MAY COLLECT (a plain thread sleeps; a worker runs other jobs).
  void wait() {
    wait_all();
    std::exception_ptr e;
    {
      std::lock_guard lock(error_mu_);
      e = std::exchange(error_, nullptr);
    }
    cancelled_.store(false, std::memory_order_relaxed);
    if (e) std::rethrow_exception(e);
  }

  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  [[nodiscard]] bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::uint32_t kWaiterBit = 1;

  template <class F>
  struct Task final : Job {
    Task(TaskGroup& g, F&& f) : Job(&run), group(g), fn(std::forward<F>(f)) {}
    static void run(Job* self) {
      auto* t = static_cast<Task*>(self);
      TaskGroup& g = t->group;
      if (!g.cancelled()) {
        try {
          t->fn();
        } catch (...) {
          g.fail(std::current_exception());
        }
      }
      t->~Task();
      JobCache::release(t);
      g.finish_one();
    }
    TaskGroup& group;
    std::decay_t<F> fn;
  };

  void fail(std::exception_ptr e) {
    std::lock_guard lock(error_mu_);
    if (!error_) error_ = std::move(e);
    cancelled_.store(true, std::memory_order_relaxed);
  }
  void finish_one() {
    if (word_.fetch_sub(2, std::memory_order_acq_rel) == (2 | kWaiterBit)) futex_wake_all(word_);
  }
  [[nodiscard]] bool idle() const { return (word_.load(std::memory_order_acquire) >> 1) == 0; }
  void sleep() {
    std::uint32_t w = word_.load(std::memory_order_acquire);
    while ((w >> 1) != 0) {
      if ((w & kWaiterBit) == 0) {
        word_.compare_exchange_weak(w, w | kWaiterBit, std::memory_order_acquire);
        continue;
      }
      BlockingRegion blocking;
      futex_wait(word_, w);
      w = word_.load(std::memory_order_acquire);
    }
    word_.fetch_and(~kWaiterBit, std::memory_order_relaxed);
  }
  void wait_all() {
    Pool::Worker* w = Pool::current();
    if (w != nullptr && &w->pool == &pool_) {
      Pool::help_until(
          *w, [this] { return idle(); }, [this] { sleep(); });
    } else {
      sleep();
    }
  }

  Pool& pool_;
  std::atomic<std::uint32_t> word_{0};
  std::atomic<bool> cancelled_{false};
  Mutex error_mu_;
  std::exception_ptr error_;
};

}  // namespace runa::concurrency
