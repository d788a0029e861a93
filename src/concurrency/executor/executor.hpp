// Executor: runs Task<T> coroutines on the work-stealing pool, with timers
// and an event source served by one driver thread.
//
// Running. spawn(task) makes the task's record (record.hpp), which takes
// over the task's frame, and queues the record in the pool; a worker
// resumes it until it finishes or suspends at an await. Awaits that
// complete at once cost no scheduling at all. A woken task is queued again
// — on the waker's worker deque when the waker is a worker (the task is hot
// in that cache), otherwise in the pool's injector.
//
// Budget. A task that never has to wait (a channel that is always ready, a
// loop of awaits on finished tasks) would keep its worker forever. Each run
// of a record gets kBudget awaits that complete without suspending; when it
// is spent, the next such await suspends anyway and the task is queued at
// the back (the injector, FIFO), behind everything already waiting — Tokio's
// cooperative budgeting.
//
// Time. One driver thread owns the timer wheel (timer_wheel.hpp; 1 ms
// ticks) under timers_mu_, and waits on the Driver (driver.hpp: the event
// loop when I/O is wanted, otherwise a futex) until the next deadline. A
// task that arms a deadline earlier than the one the driver sleeps towards
// wakes it. A timer fires by waking its task (record.hpp) inside
// advance(), under timers_mu_, which is also the lock an await takes to
// disarm its timer when it resumes for another reason (cancellation, a
// join that came first): the two never cross.
//
// Shutdown: the destructor stops the driver thread. Every spawned task must
// have finished before (join them, or use a Scope); the pool outlives the
// executor.
#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "concurrency/driver.hpp"
#include "concurrency/executor/join_handle.hpp"
#include "concurrency/executor/record.hpp"
#include "concurrency/executor/task.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/mutex.hpp"
#include "concurrency/timer_wheel.hpp"

namespace runa::concurrency {

class Executor {
 public:
  // Awaits that complete at once, per run of a task, before it yields.
  static constexpr unsigned kBudget = 128;

  // `driver`: the event source the driver thread waits on (nullptr: a
  // futex of its own, for executors without I/O). Both must outlive it.
  explicit Executor(Pool& pool, Driver* driver = nullptr);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  Executor(Executor&&) = delete;
  Executor& operator=(Executor&&) = delete;

  [[nodiscard]] Pool& pool() const { return pool_; }
  // The event source its driver thread waits on (the futex of its own when
  // none was given).
  [[nodiscard]] Driver* driver() const { return driver_; }

  // One block (the task's record and its outcome, join_handle.hpp) besides
  // the task's own frame, which the record takes over.
  template <class T>
  JoinHandle<T> spawn(Task<T> task) {
    auto* r = new TaskResult<T>();
    r->executor = this;
    r->resume_point = task.release();
    schedule(*r);
    return JoinHandle<T>(r);
  }

  // From a thread that is not running a task: runs `task` and waits for it
  // (MAY COLLECT).
  template <class T>
  T block_on(Task<T> task) {
    return spawn(std::move(task)).join();
  }

  // Queues a record the caller won the right to queue.
  void schedule(TaskRecord& rec);
  // As schedule(), for a record woken (TaskRecord::wake): woken by a task
  // or an actor on a worker, it runs soon there (the pool's next queue: the
  // waker usually suspends soon, and what it sent is in this cache).
  void schedule_woken(TaskRecord& rec);
  // Queues it at the back (a task that spent its budget).
  void schedule_last(TaskRecord& rec);

  // --- timers (sleep.hpp) ------------------------------------------------
  using Clock = std::chrono::steady_clock;
  // A deadline that wakes `rec` (lives in the awaiting coroutine's frame).
  // With `on_fire` set, firing calls it instead: on the driver thread (the
  // Driver's owner, so an event loop's owner thread, which is how an I/O
  // await withdraws its request when its deadline passes: io/fd_request.hpp),
  // under the timer lock, so it must neither block nor arm or disarm timers.
  struct Timer : TimerEntry {
    TaskRecord* rec = nullptr;
    void (*on_fire)(Timer& self) noexcept = nullptr;
  };
  // Arms `t` for `deadline` (rounded up to the next tick: never early).
  void arm(Timer& t, Clock::time_point deadline);
  // Disarms it; false if it had fired already.
  bool disarm(Timer& t);

  // Awaits completed at once left in this run's budget (record.hpp).
  static bool spend_budget();

 private:
  static void run_record(Job* job);
  void drive();
  [[nodiscard]] std::uint64_t tick_of(Clock::time_point t, bool round_up) const;

  Pool& pool_;
  std::unique_ptr<Driver> own_driver_;
  Driver* driver_;
  const Clock::time_point start_;
  Mutex timers_mu_;
  TimerWheel wheel_;
  std::uint64_t sleeping_until_ = UINT64_MAX;  // the tick the driver waits for (timers_mu_)
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace runa::concurrency
