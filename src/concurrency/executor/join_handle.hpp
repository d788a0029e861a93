// JoinHandle<T>: the spawner's side of a spawned task — await or block for
// its result, or cancel it.
//
// TaskShared is what the task and its handle share, counted by both (the
// last one to let go frees it): the task's record while it runs (cleared
// when it finishes), its outcome, at most one joiner (a waiting coroutine's
// record, or a blocked thread's Parker), and the cancellation flag.
// Everything but the flag and `done` is guarded by `mu`; `done` is
// written under it and may be read without it (TaskShared::finish).
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

// Layout. A task's result lives until its handle lets go, so a program
// that holds a million handles holds a million of these: the fields are
// packed so that a TaskResult of a word-sized T fits JobCache's 64-byte
// class (48 bytes after its header). Hence no virtual destructor (the last
// reference deletes through TaskResult<T>, which knows T) and one joiner
// slot whose kind is a flag beside it.
struct TaskShared {
  std::atomic<unsigned> refs{2};  // the task and its handle
  Mutex mu;
  TaskRecord* record = nullptr;  // while the task has not finished
  std::exception_ptr error;
  // At most one joiner: an awaiting task's TaskRecord, or, when
  // `joiner_blocked`, a blocked thread's Parker.
  void* joiner = nullptr;
  std::atomic<bool> cancelled{false};
  // Written under mu, as finish()'s last step; read under mu, or without
  // it by a joiner's fast paths (see finish()).
  std::atomic<bool> done{false};
  bool joiner_blocked = false;

  TaskShared(const TaskShared&) = delete;
  TaskShared& operator=(const TaskShared&) = delete;
  TaskShared(TaskShared&&) = delete;
  TaskShared& operator=(TaskShared&&) = delete;
  static void* operator new(std::size_t bytes) { return JobCache::allocate(bytes); }
  static void operator delete(void* p) { JobCache::release(p); }

  // The task, as it finishes (outcome already stored): wakes the joiner.
  // The task then lets go of its reference (TaskResult::unref).
  //
  // A joiner that finds `done` set (acquire) goes on without the lock: it
  // may leave its await, finish, and free its record, or return from
  // join() and free its Parker, at once. So `done` is stored last, after
  // the wake-up, and the wake-up is done under the lock: a joiner woken
  // before `done` is stored sees it clear, takes the lock (await_resume,
  // join), and so waits for this section to end. The interleaving this
  // order prevents: done stored first; the joiner, running on another
  // worker after a cancellation's wake-up, sees it, leaves its await and
  // finishes, its record is freed; then wake() here touches the freed
  // record.
  void finish() {
    std::lock_guard lock(mu);
    record = nullptr;
    void* j = std::exchange(joiner, nullptr);
    if (j != nullptr) {
      if (joiner_blocked) {
        static_cast<Parker*>(j)->unpark();
      } else {
        static_cast<TaskRecord*>(j)->wake();
      }
    }
    done.store(true, std::memory_order_release);  // publishes the outcome
  }
  void cancel() {
    cancelled.store(true, std::memory_order_release);
    std::lock_guard lock(mu);
    if (record != nullptr) record->wake();
  }

 protected:
  TaskShared() = default;
  ~TaskShared() = default;
  // The last reference deletes the whole result: the caller names its
  // type, since there is no virtual destructor (see Layout).
  template <class Result>
  static void drop_ref(Result* r) {
    if (r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete r;
  }
};

// take() moves the exception out: the joiner's thread then holds its last
// reference, so the exception dies where it was caught (and ThreadSanitizer,
// which cannot see libstdc++'s reference counts, sees no race with the
// task's thread releasing the shared state). A handle is joined once.
template <class T>
struct TaskResult : TaskShared {
  std::optional<T> value;
  TaskResult() = default;
  void unref() { drop_ref(this); }
  T take() {
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
    return std::move(*value);
  }
};
template <>
struct TaskResult<void> : TaskShared {
  TaskResult() = default;
  void unref() { drop_ref(this); }
  void take() {
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
  }
};

// The layout's point (see TaskShared): small results in the 64-byte class.
static_assert(sizeof(TaskResult<int>) + JobCache::kHeader <= 64);
static_assert(sizeof(TaskResult<void>) + JobCache::kHeader <= 64);

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
  [[nodiscard]] bool done() const { return s_->done.load(std::memory_order_acquire); }

  // From a thread that is not running a task: sleeps until the task has
  // finished (MAY COLLECT), then returns its result or rethrows.
  T join() {
    Parker parker;
    {
      std::lock_guard lock(s_->mu);
      if (!s_->done.load(std::memory_order_relaxed)) {
        s_->joiner = &parker;
        s_->joiner_blocked = true;
      }
    }
    // Under the lock: a wake-up comes before `done` is stored (finish()),
    // and the lock waits for it to be.
    for (;;) {
      {
        std::lock_guard lock(s_->mu);
        if (s_->done.load(std::memory_order_relaxed)) break;
      }
      parker.park();
    }
    return s_->take();
  }

  // co_await handle: the task's result (or its exception); Cancelled if the
  // awaiting task is cancelled first (the awaited task runs on).
  [[nodiscard]] bool await_ready() const { return s_->done.load(std::memory_order_acquire); }
  bool await_suspend(std::coroutine_handle<> h) {
    TaskRecord* self = TaskRecord::current();
    if (self->cancelled()) return false;  // await_resume throws
    {
      std::lock_guard lock(s_->mu);
      if (s_->done.load(std::memory_order_relaxed)) return false;
      s_->joiner = self;
      s_->joiner_blocked = false;
    }
    return self->suspend(h);
  }
  T await_resume() {
    // Done: finish() took us off the slot (if we were on it) and is done
    // with our record. Otherwise we were woken by our own cancellation, or
    // by finish() before its last step: the lock tells which.
    if (!s_->done.load(std::memory_order_acquire)) {
      std::lock_guard lock(s_->mu);
      s_->joiner = nullptr;
      if (!s_->done.load(std::memory_order_relaxed)) throw Cancelled();
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
