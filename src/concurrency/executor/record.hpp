// TaskRecord: a spawned task as the executor schedules it — the pool Job
// that resumes its coroutine, and the state word that makes every wake-up
// schedule it exactly once.
//
// A spawned task is a root coroutine (executor.hpp) whose promise is this
// record; the task's own Task<T> chain runs inside it by symmetric transfer.
// `resume_point` is the innermost coroutine that suspended: running the
// record resumes it.
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
// runs on. The worker moves kScheduled -> kRunning before resuming it.
//
// Why wakers never touch a freed record: a record is freed only when its
// coroutine finishes, which happens while it runs; a waker reaches a record
// only through a registration (a timer entry, a join slot, a wait list)
// that the awaiter removes, under that source's lock, before the task goes
// on after the await (await_resume), and the waker's CAS happens under the
// same lock. So a waker that finds a registration finds a live record.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>

#include "concurrency/pool/job.hpp"

namespace runa::concurrency {

class Executor;
struct TaskShared;

struct TaskRecord : Job {
  enum : std::uint32_t { kScheduled, kRunning, kNotified, kSuspended };

  std::atomic<std::uint32_t> state{kScheduled};
  std::coroutine_handle<> resume_point;
  Executor* executor = nullptr;
  TaskShared* shared = nullptr;  // result, joiner, cancellation (join_handle.hpp)

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
  [[nodiscard]] bool cancelled() const;

  // The record running on this thread (nullptr outside a task).
  static TaskRecord* current();
};

}  // namespace runa::concurrency
