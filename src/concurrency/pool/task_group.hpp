// TaskGroup: spawn any number of jobs and wait for all of them (oneTBB's
// task_group, a structured scope of fire-and-forget jobs).
//
// run(f) counts the job in and queues it: on a worker of the group's pool,
// onto that worker's deque, where thieves can take it (or, that deque being
// full, runs it at once: below); from any other thread, into the pool's
// injector. wait() returns once every job run so
// far has finished, and rethrows the first exception any of them threw. As
// with oneTBB's task_group, the jobs of a group must not wait for one
// another (a job may run on the spawning thread, inside run(); so run()
// must not be called holding a lock the group's jobs take). cancel()
// (or a job's exception) makes jobs that have not started skip their
// function. A worker that waits runs other jobs meanwhile; any other
// thread sleeps. The destructor waits too, so jobs never outlive the group
// they reference.
//
// A full deque. When the spawning worker's deque is full, run() runs the
// new job's function right here, inside run(), and neither counts nor
// allocates nor queues it: a full deque already holds thousands of jobs
// for the thieves, who keep taking the oldest, and the spawner does the
// rest itself (as a work-first scheduler runs a spawned child at once).
// A spawning loop on a full deque thus costs, per job, the check that the
// deque is still full (a load of `top` that stays in this cache until a
// thief takes a job) and the call: no deque push or pop, so no seq_cst
// fence of the pop nor the notify of a push, no write of `bottom` that a
// thief's next look pulls away, no touch of word_. When a thief takes
// jobs, the next run() finds room and queues again, notifying as any push
// does. Before, run() popped the newest job, ran it and queued the new
// one in its place (taking over its count and memory): two fences and two
// writes of `bottom` per job for the same order of work.
//
// word_ holds (pending jobs << 1) | kWaiterBit, counting the queued jobs
// only (a job run inside run() has finished before run() returns, so any
// wait() that run() happens before sees its effects without a count).
// Counting and the waiter's flag share one word so that the last job's
// decrement both finds out whether to wake and is its last touch of the
// group: once the count is zero, a waiter may return and free the group.
// The wake itself may touch the freed word, which is harmless (see
// JobLatch::set). A queued job is counted in before it is queued and out
// by its own run (finish_one, acq_rel: its effects reach the waiter's
// acquire), so the count never reaches zero early. A job run inside run()
// by a job of the group is covered by the outer job's count: it finishes
// before the outer job counts itself out.
#pragma once

#include <atomic>
#include <cassert>
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
    using T = Task<std::decay_t<F>>;
    Pool::Worker* w = Pool::current();
    if (w == nullptr || &w->pool != &pool_) {
      word_.fetch_add(2, std::memory_order_relaxed);
      pool_.submit(new (JobCache::allocate(sizeof(T))) T(*this, std::forward<F>(f)));
      return;
    }
    if (Pool::local_full(*w)) {
      // Enough is queued for the thieves: run it here ("A full deque"),
      // on a copy of f as a queued job would own one.
      std::decay_t<F> fn(std::forward<F>(f));
      call(fn);
      return;
    }
    word_.fetch_add(2, std::memory_order_relaxed);
    Job* job = new (JobCache::allocate(sizeof(T))) T(*this, std::forward<F>(f));
    // Only this thread pushes onto its deque, and it is not full.
    [[maybe_unused]] bool queued = Pool::push_local(*w, job);
    assert(queued);
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

  template <class Fn>
  struct Task final : Job {
    template <class F>
    Task(TaskGroup& g, F&& f) : Job(&run), group(g), fn(std::forward<F>(f)) {}
    static void run(Job* self) {
      auto* t = static_cast<Task*>(self);
      TaskGroup& g = t->group;
      g.call(t->fn);
      t->~Task();
      JobCache::release(t, sizeof(Task));
      g.finish_one();
    }
    TaskGroup& group;
    Fn fn;
  };

  // A job's function, unless the group is cancelled; its exception is kept.
  template <class Fn>
  void call(Fn& fn) {
    if (cancelled()) return;
    try {
      fn();
    } catch (...) {
      fail(std::current_exception());
    }
  }
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
