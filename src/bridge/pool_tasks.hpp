// Tasks of programs on the runtime's pool (docs/bytecode.md §2.5.8, "Tasks
// on the pool"): task_spawn_pool's tasks run on the work-stealing pool the
// actors run on, each poll on whichever worker takes it, as Tokio's
// multi-threaded runtime runs its tasks. Any task, local or pooled, may
// AWAIT them, task_wait blocks a thread until one ends, task_cancel works
// from any thread.
//
// A PoolTask is a TaskRecord (scheduler.hpp: what AWAIT registers is the
// same for both kinds; the static functions of Scheduler send a pool
// task's registrations here) and the pool Job that polls it. A poll
// resumes the task's coroutine on the worker's attached thread, with the
// record as that thread's current task.
//
// State (the word `state`), Tokio's protocol:
//   kIdle       suspended at an AWAIT (or not started and not queued)
//   kScheduled  its job is queued (or being started): nobody queues it again
//   kRunning    a worker is polling it; kNotified beside it: woken meanwhile,
//               so it is queued again when the poll ends instead of idling
//   kDone       finished: wake-ups are ignored
// wake() (any thread): kIdle -> kScheduled by CAS, and only the winner
// queues the job; kRunning -> kRunning|kNotified. The poll moves
// kScheduled -> kRunning before it resumes, and at its end kRunning ->
// kIdle by CAS, or, finding kNotified, -> kScheduled and queues the job
// behind the others (a task that yields lets the rest run). The
// interleaving this rules out: a wake-up between the task's registration
// (a timer armed, a channel joined) and the end of its poll would find the
// task running and be lost if it did nothing; it leaves kNotified, which
// the poll's final CAS sees. The release of each state change and the
// pool's queues make a poll's writes (the saved frames) visible to the
// next poll, on whatever worker.
//
// Lifetime. A record is counted (`refs`): by the registry `live_` until the
// task finishes, by its queued or running job, and by each registration of
// it as the joiner of another pool task. A waker reaches a record only
// through such a reference or a registration removed before the record can
// go: its channel lists (left at the start of each poll, and no finished
// task is in one), its timer (disarmed when it finishes, under the timer
// lock its firing holds), a cancel (under `mu_`, which finds it in the
// registry).
//
// Joining. `mu_` orders a task's end against the registrations of its
// awaiters: finish() writes the outcome into the Task and takes the
// joiners under it; join() and wait() read the status under it, so an
// awaiter either finds the task finished or is woken by its end. The
// interleaving this rules out: an awaiter reads "pending", the task
// finishes and wakes its joiners, then the awaiter registers and waits for
// ever. A joiner is a pool task (a counted reference), a local task (its
// scheduler's Inbox, shared, and its number: a post after the scheduler
// went is dropped), or a thread in task_wait (a Parker).
//
// Shutdown (the runtime's finish, after the program's threads): close()
// stops every poll not yet started (its job only lets go of the record)
// and waits for a timer firing in progress, after which no timer queues a
// job; the actors' pool then drains and ends; release() frees what is
// left, pending tasks abandoned as Go abandons goroutines when main
// returns. A poll running at close() ends its step normally.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/scheduler.hpp"
#include "concurrency/executor/executor.hpp"
#include "concurrency/pool/job.hpp"
#include "concurrency/sync/parker.hpp"

namespace runa::concurrency {
class Pool;
}

namespace runa::bridge {

class PoolTasks;
struct PoolTask;

// Who is woken by a pool task's end: one of the three below.
struct Joiner {
  PoolTask* task = nullptr;  // a counted reference
  std::shared_ptr<Inbox> inbox;
  std::uint64_t number = 0;  // the local task, in `inbox`'s scheduler
  std::shared_ptr<concurrency::Parker> parker;
  void wake() const;
};

struct PoolTask : TaskRecord, concurrency::Job {
  enum : std::uint32_t { kIdle = 0, kScheduled = 1, kRunning = 2, kNotified = 4, kDone = 8 };
  struct Alarm : concurrency::Executor::Timer {
    PoolTask* task = nullptr;
  };
  std::atomic<std::uint32_t> state{kScheduled};
  std::atomic<std::uint32_t> refs{2};  // the registry and the first job
  PoolTasks* tasks = nullptr;
  Alarm alarm;                  // a sleep, an ask's deadline
  std::vector<Joiner> joiners;  // PoolTasks::mu_

  // The pool task a record with no owner is.
  static PoolTask* of(TaskRecord* r) {
    return static_cast<PoolTask*>(r);  // NOLINT(*-static-cast-downcast): owner null
  }
};

class PoolTasks {
 public:
  explicit PoolTasks(rt::Runtime& runtime) : runtime_(runtime) {}
  PoolTasks(const PoolTasks&) = delete;
  PoolTasks& operator=(const PoolTasks&) = delete;
  PoolTasks(PoolTasks&&) = delete;
  PoolTasks& operator=(PoolTasks&&) = delete;
  ~PoolTasks() { release(); }

  // task_spawn_pool: a new Task of the Coroutine in *coroutine, queued on
  // the pool. False after raising. MAY COLLECT.
  bool spawn(rt::Thread& t, Value* coroutine, Value* out);
  // AWAIT of the pending pool `task` by the task being polled, `me`.
  enum class Join : std::uint8_t { kWaiting, kFinished, kSelf };
  Join join(Value task, TaskRecord* me);
  // task_wait: sleeps (a native region: never delays a collection) until
  // the pool task in *task has finished. MAY COLLECT.
  void wait(rt::Thread& t, const Value* task);
  // task_cancel of a pool task: false when it had finished.
  bool cancel(Value task);

  // Any thread holding a registration (above): queues the task's poll.
  static void wake(PoolTask* p);
  // A WaitList's claim (concurrency/channel/waiter.hpp: wake_remote).
  static void post(void* record);
  // The task being polled wakes at `deadline` (monotonic nanoseconds).
  static void wake_at(PoolTask* p, std::int64_t deadline);

  // The dump's lines of the pending pool tasks, with the world stopped.
  // Never collects.
  void describe(std::string& out);

  // The runtime's end (see "Shutdown"): close() before the pool ends,
  // release() after. Each may run more than once.
  void close();
  void release();

 private:
  static void run(concurrency::Job* job);
  void poll(rt::Thread& t, PoolTask* p);
  void end_poll(PoolTask* p);
  void finish(rt::Thread& t, PoolTask* p, bool threw, Value result, Value trace);
  static void unref(PoolTask* p);
  concurrency::Pool& pool();
  concurrency::Executor& timers();

  rt::Runtime& runtime_;
  std::atomic<concurrency::Pool*> pool_{nullptr};
  std::atomic<std::uint64_t> spawned_{0};
  std::atomic<bool> closing_{false};
  std::mutex mu_;
  std::unordered_map<std::uint64_t, PoolTask*> live_;  // pending, by number (mu_)
  std::mutex timers_mu_;                               // making timers_
  std::unique_ptr<concurrency::Executor> timers_;
  std::atomic<concurrency::Executor*> made_timers_{nullptr};
};

}  // namespace runa::bridge
