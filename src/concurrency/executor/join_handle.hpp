// JoinHandle<T>: the spawner's side of a spawned task — await or block for
// its result, or cancel it.
//
// TaskShared is what the task and its handle share, counted by both (the
// last one to let go frees it): the task's record while it runs (cleared
// when it finishes), its outcome, at most one joiner (a waiting coroutine's
// record, or a blocked thread's Parker), and the cancellation flag.
// Everything but the flag is guarded by `mu`.
//
// Cancellation: cancel() sets the flag and wakes the task if it is
// suspended. Every await of the executor checks the flag when it would
// suspend and when it resumes, and throws Cancelled there; so a cancelled
// task unwinds from its next await (its destructors and catch blocks run),
// and its outcome is that exception. Code that never awaits is never
// interrupted: cancellation is cooperative. A task's scopes cancel their
// children when it unwinds (scope.hpp), which is how it propagates.
#pragma once

#include <atomic>
#include <coroutine>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>

#include "concurrency/executor/record.hpp"
#include "concurrency/pool/job_cache.hpp"
#include "concurrency/sync/mutex.hpp"
#include "concurrency/sync/parker.hpp"

namespace runa::concurrency {

// Thrown at an await of a cancelled task.
struct Cancelled : std::exception {
  [[nodiscard]] const char* what() const noexcept override { return "task cancelled"; }
};

struct TaskShared {
  std::atomic<unsigned> refs{2};  // the task and its handle
  std::atomic<bool> cancelled{false};
  Mutex mu;
  TaskRecord* record = nullptr;  // while the task has not finished
  bool done = false;
  std::exception_ptr error;
  TaskRecord* joiner = nullptr;  // an awaiting task
  Parker* blocked = nullptr;     // or a blocked thread

  TaskShared() = default;
  virtual ~TaskShared() = default;
  TaskShared(const TaskShared&) = delete;
  TaskShared& operator=(const TaskShared&) = delete;
  TaskShared(TaskShared&&) = delete;
  TaskShared& operator=(TaskShared&&) = delete;
  static void* operator new(std::size_t bytes) { return JobCache::allocate(bytes); }
  static void operator delete(void* p) { JobCache::release(p); }
  void unref() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  // The task, as it finishes (outcome already stored): wakes the joiner.
  void finish() {
    TaskRecord* j = nullptr;
    Parker* p = nullptr;
    {
      std::lock_guard lock(mu);
      record = nullptr;
      done = true;
      j = std::exchange(joiner, nullptr);
      p = std::exchange(blocked, nullptr);
      // Woken under the lock: the joiner cannot leave its await (its
      // await_resume takes this lock) and free its record meanwhile.
      if (j != nullptr) j->wake();
      if (p != nullptr) p->unpark();
    }
    unref();
  }
  void cancel() {
    cancelled.store(true, std::memory_order_release);
    std::lock_guard lock(mu);
    if (record != nullptr) record->wake();
  }
};

// take() moves the exception out: the joiner's thread then holds its last
// reference, so the exception dies where it was caught (and ThreadSanitizer,
// which cannot see libstdc++'s reference counts, sees no race with the
// task's thread releasing the shared state). A handle is joined once.
template <class T>
struct TaskResult : TaskShared {
  std::optional<T> value;
  T take() {
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
    return std::move(*value);
  }
};
template <>
struct TaskResult<void> : TaskShared {
  void take() {
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
  }
};

template <class T>
class [[nodiscard]] JoinHandle {
 public:
  explicit JoinHandle(TaskResult<T>* s) : s_(s) {}
  JoinHandle(JoinHandle&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& o) noexcept {
    if (this != &o) {
      release();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  // Dropping the handle detaches the task: it runs on, its result is lost.
  ~JoinHandle() { release(); }

  void cancel() { s_->cancel(); }
  [[nodiscard]] bool done() {
    std::lock_guard lock(s_->mu);
    return s_->done;
  }

  // From a thread that is not running a task: sleeps until the task has
  // finished (MAY COLLECT), then returns its result or rethrows.
  T join() {
    Parker parker;
    {
      std::lock_guard lock(s_->mu);
      if (!s_->done) s_->blocked = &parker;
    }
    for (;;) {
      {
        std::lock_guard lock(s_->mu);
        if (s_->done) break;
      }
      parker.park();
    }
    return s_->take();
  }

  // co_await handle: the task's result (or its exception); Cancelled if the
  // awaiting task is cancelled first (the awaited task runs on).
  [[nodiscard]] bool await_ready() {
    std::lock_guard lock(s_->mu);
    return s_->done;
  }
  bool await_suspend(std::coroutine_handle<> h) {
    TaskRecord* self = TaskRecord::current();
    if (self->cancelled()) return false;  // await_resume throws
    {
      std::lock_guard lock(s_->mu);
      if (s_->done) return false;
      s_->joiner = self;
    }
    return self->suspend(h);
  }
  T await_resume() {
    {
      std::lock_guard lock(s_->mu);
      s_->joiner = nullptr;
      if (!s_->done) throw Cancelled();  // woken by our own cancellation
    }
    return s_->take();
  }

 private:
  void release() {
    if (s_ != nullptr) std::exchange(s_, nullptr)->unref();
  }
  TaskResult<T>* s_;
};

}  // namespace runa::concurrency
