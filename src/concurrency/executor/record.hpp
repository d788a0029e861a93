// TaskRecord: a spawned task as the executor schedules it and as its
// JoinHandle sees it — the pool Job that resumes its coroutine, the state
// word that makes every wake-up schedule it exactly once, and the join word
// that hands its outcome to the joiner.
//
// One block per spawned task. Executor::spawn allocates a TaskResult<T>
// (join_handle.hpp: this record and the outcome's storage) from JobCache,
// and the record takes the task's own coroutine frame as its first
// `resume_point`; the task's Task<T> chain runs inside it by symmetric
// transfer. `resume_point` is the innermost coroutine that suspended:
// running the record resumes it. When the outermost Task finishes with no
// awaiter to return to, its final suspension hands the outcome to the
// record (TaskResult::complete) and destroys the frame. The block is
// counted by the task and by its handle (join_handle.hpp) and freed by the
// last one to let go.
//
// States and who moves them:
//   kScheduled  queued in the pool (or being started); nobody may queue it
//   kRunning    a worker is running it
//   kNotified   running, and woken meanwhile: it must not sleep
//   kSuspended  parked at an await; the first waker queues it
// A waker (timer, join, channel, cancel) calls wake(): kSuspended ->
// kScheduled by CAS, then submits the record — only the CAS winner
// submits, so a record is never in two queues; kRunning -> kNotified, so
// that a wake-up racing with the suspension is not lost. The task, inside
// its awaiter's await_suspend, moves kRunning -> kSuspended by CAS; if it
// finds kNotified, it does not suspend (await_suspend returns false) and
// runs on. The worker moves kScheduled -> kRunning before resuming it. A
// finished task stays kRunning or kNotified, so a late wake-up (a cancel
// racing the end) never queues it again.
//
// Why wakers never touch a freed record: a record is freed only after its
// coroutine has finished and its handle let go; a waker reaches a record
// only through a registration (a timer entry, a join slot, a wait list)
// that the awaiter removes, under that source's lock or by the join word's
// protocol, before the task goes on after the await (await_resume), or
// through a handle (cancel), which holds a reference.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>

#include "concurrency/pool/job.hpp"
#include "concurrency/pool/job_cache.hpp"

namespace runa::concurrency {

class Executor;

struct TaskRecord : Job {
  enum : std::uint32_t { kScheduled, kRunning, kNotified, kSuspended };

  // The join word (protocol: join_handle.hpp): flags, then the count of
  // references (the task and its handle) in units of kRef.
  static constexpr std::uint32_t kDone = 1;       // outcome published
  static constexpr std::uint32_t kCancelled = 2;  // cancel() was called
  static constexpr std::uint32_t kWaiting = 4;    // a task waits in `joiner`
  static constexpr std::uint32_t kBlocked = 8;    // a thread sleeps on the word
  static constexpr std::uint32_t kRef = 16;

  std::atomic<std::uint32_t> state{kScheduled};
  std::atomic<std::uint32_t> join{2 * kRef};
  std::coroutine_handle<> resume_point;
  Executor* executor = nullptr;
  TaskRecord* joiner = nullptr;  // while kWaiting
  std::exception_ptr error;      // the outcome, when the task threw

  TaskRecord() = default;
  TaskRecord(const TaskRecord&) = delete;
  TaskRecord& operator=(const TaskRecord&) = delete;
  TaskRecord(TaskRecord&&) = delete;
  TaskRecord& operator=(TaskRecord&&) = delete;
  static void* operator new(std::size_t bytes) { return JobCache::allocate(bytes); }
  static void operator delete(void* p, std::size_t bytes) { JobCache::release(p, bytes); }

  // Any thread holding a registration (see above). True if this call
  // queued the task.
  bool wake();
  // wake() in two steps, for a waker that must write to its registration
  // after the wake-up is decided but before the task can run and free it
  // (io/fd_request.hpp): claim() makes the state change of wake(); when it
  // returns true the task cannot run until the caller queues it with
  // executor->schedule_woken(*this), which it must do.
  bool claim();
  // The running task, inside await_suspend, after registering: true if it
  // may suspend, false if it was woken meanwhile and must run on.
  bool suspend(std::coroutine_handle<> at);
  [[nodiscard]] bool cancelled() const {
    return (join.load(std::memory_order_acquire) & kCancelled) != 0;
  }

  // The record running on this thread (nullptr outside a task).
  static TaskRecord* current() { return running_; }

 protected:
  ~TaskRecord() = default;

 private:
  friend class Executor;
  // A plain thread_local (constant-initialised: one load, no guard): the
  // final suspension of every spawned task reads it.
  static inline constinit thread_local TaskRecord* running_ = nullptr;
};

}  // namespace runa::concurrency
