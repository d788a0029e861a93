// TaskGroup: spawn any number of jobs and wait for all of them (oneTBB's
// task_group, a structured scope of fire-and-forget jobs).
//
// run(f) counts the job in and queues it: on a worker of the group's pool,
// onto that worker's deque, where thieves can take it; from any other
// thread, into the pool's injector. wait() returns once every job run so
// far has finished, and rethrows the first exception any of them threw. As
// with oneTBB's task_group, the jobs of a group must not wait for one
// another (a job may run on the spawning thread, inside run()). cancel()
// (or a job's exception) makes jobs that have not started skip their
// function. A worker that waits runs other jobs meanwhile; any other
// thread sleeps. The destructor waits too, so jobs never outlive the group
// they reference.
//
// A full deque. When the spawning worker's deque is full, run() makes room
// by popping the newest job there and running it right here, then queues
// the new job in its place: every job passes through the deque, a spawning
// loop keeps feeding its thieves the oldest jobs and works itself, and the
// number of queued jobs stays bounded. When the popped job is a job of this
// group with the same function type (a spawning loop's previous job), the
// new job takes over its count and its memory instead of the popped one
// giving them back and the new one taking its own: the count is exact
// either way, and the spawner of a long loop then touches word_ only when
// it finds room, leaving the word's cache line to the thieves' completions.
//
// word_ holds (pending jobs << 1) | kWaiterBit. Counting and the waiter's
// flag share one word so that the last job's decrement both finds out
// whether to wake and is its last touch of the group: once the count is
// zero, a waiter may return and free the group. The wake itself may touch
// the freed word, which is harmless (see JobLatch::set). A job counted in
// is counted out exactly once: by its own run (finish_one), or by handing
// its count to the job run() queues next, which happens before that job is
// queued, so the count never reaches zero early. Memory: a job that handed
// its count over ran before its successor was queued (the deque's release
// push, then the taker's acquire), so the successor's acq_rel decrement
// carries its effects to the waiter's acquire as it carries its own.
// The popped job is recognised by its function pointer: `execute` ==
// &Task<Fn>::run holds for Task<Fn> jobs only (distinct functions have
// distinct addresses; the build folds no identical code, --icf=all would
// break this). A false mismatch, such as a copy of the function in another
// shared object, only takes the general path.
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
    // Memory and count of a job of ours that ran here, for the new job.
    void* handed = nullptr;
    while (Pool::local_full(*w)) {
      Job* newest = Pool::pop_local(*w);
      if (newest == nullptr) break;  // thieves emptied it meanwhile
      if (newest->execute != &T::run || &static_cast<T*>(newest)->group != this) {
        newest->execute(newest);  // another group's or type's job: run it, count ours in
        continue;
      }
      T::invoke(static_cast<T*>(newest));
      // A second one (the first one's function spawned into the group and
      // filled the deque again) is finished as a job run elsewhere would be.
      if (handed != nullptr) {
        JobCache::release(handed, sizeof(T));
        finish_one();
      }
      handed = newest;
    }
    if (handed == nullptr) {
      word_.fetch_add(2, std::memory_order_relaxed);
      handed = JobCache::allocate(sizeof(T));
    }
    Job* job = new (handed) T(*this, std::forward<F>(f));
    // Only this thread pushes onto its deque and the loop left it with room.
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
      invoke(t);
      JobCache::release(t, sizeof(Task));
      g.finish_one();
    }
    // Runs the function (unless cancelled) and destroys the job, leaving
    // its memory and its count to the caller.
    static void invoke(Task* t) {
      TaskGroup& g = t->group;
      if (!g.cancelled()) {
        try {
          t->fn();
        } catch (...) {
          g.fail(std::current_exception());
        }
      }
      t->~Task();
    }
    TaskGroup& group;
    Fn fn;
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
