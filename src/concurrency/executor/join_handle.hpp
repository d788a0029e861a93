// JoinHandle<T>: the spawner's side of a spawned task — await or block for
// its result, or cancel it — and TaskResult<T>, the block the task and its
// handle share.
//
// TaskResult<T> is the task's record (record.hpp) plus its outcome: one
// allocation per spawned task. Both the task and its handle count it in
// the record's join word; the last one to let go frees it.
//
// The join word, with no lock. Bits kDone, kCancelled, kWaiting (a task
// joiner registered in `joiner`), kBlocked (a thread sleeps on the word),
// and the references above them. At most one joiner (a handle is joined
// once).
//  - A task joiner writes `joiner`, then sets kWaiting by CAS unless kDone
//    is set (then it does not suspend), then suspends.
//  - The finishing task (complete(), after storing the outcome and
//    destroying its frame): if kWaiting is set, it clears it by CAS — the
//    registration is now its own — and wakes the joiner; then it sets
//    kDone and drops its reference in one CAS (release: publishes the
//    outcome); if kBlocked was set it wakes the futex on the word.
//  - A joiner that resumes and finds kDone takes the outcome: the finisher
//    cleared kWaiting and woke it before setting kDone, so it is done with
//    the joiner's record. Otherwise it was woken by its own cancellation
//    (or by the finisher, between its two steps): it withdraws by clearing
//    kWaiting by CAS and throws Cancelled; if the finisher cleared it
//    first, the finisher is waking it right now, and the joiner waits for
//    kDone before it goes on. The interleaving this prevents: the joiner,
//    woken by its cancellation, sees the task unfinished and leaves; it
//    finishes and its record is freed; the finisher then wakes the freed
//    record. Normally the finisher's wake-up queues the joiner in the
//    finisher's worker's next queue (Executor::schedule_woken), so it runs
//    after the finisher's job and finds kDone at once.
//  - A blocked thread sets kBlocked by CAS and futex-waits on the word
//    until kDone. The finisher's futex wake comes after its last CAS, so it
//    may reach a block already freed and reused: a futex wake on a stale
//    address at worst wakes a stranger spuriously, which every futex wait
//    here tolerates (JobLatch::set).
//  - Releasing the handle drops its reference; the reference count reaching
//    zero frees the block (the RMWs are acq_rel, so the last one sees every
//    write of the other side).
//
// Cancellation: cancel() sets kCancelled and wakes the task if it is
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
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

#include "concurrency/blocking.hpp"
#include "concurrency/executor/record.hpp"
#include "concurrency/sync/futex.hpp"

namespace runa::concurrency {

// Thrown at an await of a cancelled task.
struct Cancelled : std::exception {
  [[nodiscard]] const char* what() const noexcept override { return "task cancelled"; }
};

// No virtual destructor: the last reference deletes through TaskResult<T>,
// which knows T (the finisher from Task<T>'s final suspension, the handle
// from its own type).
template <class T>
struct TaskResult : TaskRecord {
  using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  std::optional<Stored> value;

  // The outermost Task<T> of a spawned task, at its final suspension with
  // no awaiter (task.hpp): moves its outcome here, destroys its frame, and
  // publishes the outcome (see above). The frame goes first, so that
  // nothing of it (an exception_ptr's count) is released after the joiner
  // may have gone on.
  template <class Promise>
  static void complete(std::coroutine_handle<Promise> h) noexcept {
    // NOLINTNEXTLINE(*-static-cast-downcast): spawn() made a TaskResult<T> for a Task<T>
    auto* r = static_cast<TaskResult*>(TaskRecord::current());
    Promise& p = h.promise();
    if (p.error) {
      r->error = std::move(p.error);
    } else {
      try {
        if constexpr (std::is_void_v<T>) {
          r->value.emplace();
        } else {
          r->value.emplace(std::move(std::get<1>(p.value)));
        }
      } catch (...) {
        r->error = std::current_exception();
      }
    }
    h.destroy();
    r->finish();
  }

  void unref() {
    if (join.fetch_sub(kRef, std::memory_order_acq_rel) < 2 * kRef) delete this;
  }
  // A handle is joined once: the outcome moves out. take() moves the
  // exception out too: the joiner's thread then holds its last reference,
  // so the exception dies where it was caught (and ThreadSanitizer, which
  // cannot see libstdc++'s reference counts, sees no race with the task's
  // thread releasing the block).
  T take() {
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
    if constexpr (!std::is_void_v<T>) return std::move(*value);
  }

 private:
  void finish() {
    std::uint32_t w = join.load(std::memory_order_relaxed);
    for (;;) {
      if ((w & kWaiting) != 0) {
        // Acquire: the joiner's write of `joiner` (it set kWaiting after).
        if (!join.compare_exchange_weak(w, w & ~kWaiting, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
          continue;
        }
        joiner->wake();
        w &= ~kWaiting;
        continue;
      }
      if (join.compare_exchange_weak(w, (w | kDone) - kRef, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
        break;
      }
    }
    // w: the word before the final CAS. Our reference was the last one: the
    // handle was dropped (the task was detached).
    if (w < 2 * kRef) {
      delete this;
    } else if ((w & kBlocked) != 0) {
      futex_wake_all(join);  // may reach a freed block (see above)
    }
  }
};

// A program holding a million handles holds a million of these: an `int`
// or `void` task's block fits JobCache's 64-byte class.
static_assert(sizeof(TaskResult<int>) <= 64);
static_assert(sizeof(TaskResult<void>) <= 64);

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

  void cancel() {
    std::uint32_t w = s_->join.fetch_or(TaskRecord::kCancelled, std::memory_order_acq_rel);
    // Our reference keeps the record: a finished one stays kRunning or
    // kNotified, so the wake-up of a task finishing meanwhile does nothing.
    if ((w & TaskRecord::kDone) == 0) s_->wake();
  }
  [[nodiscard]] bool done() const {
    return (s_->join.load(std::memory_order_acquire) & TaskRecord::kDone) != 0;
  }

  // From a thread that is not running a task: sleeps until the task has
  // finished (MAY COLLECT), then returns its result or rethrows.
  T join() {
    std::uint32_t w = s_->join.load(std::memory_order_acquire);
    if ((w & TaskRecord::kDone) == 0) {
      BlockingRegion blocking;
      while ((w & TaskRecord::kDone) == 0) {
        if ((w & TaskRecord::kBlocked) == 0) {
          s_->join.compare_exchange_weak(w, w | TaskRecord::kBlocked, std::memory_order_acquire);
          continue;
        }
        futex_wait(s_->join, w);
        w = s_->join.load(std::memory_order_acquire);
      }
    }
    return s_->take();
  }

  // co_await handle: the task's result (or its exception); Cancelled if the
  // awaiting task is cancelled first (the awaited task runs on).
  class Awaiter {
   public:
    explicit Awaiter(TaskResult<T>* s) : s_(s) {}
    [[nodiscard]] bool await_ready() const {
      return (s_->join.load(std::memory_order_acquire) & TaskRecord::kDone) != 0;
    }
    bool await_suspend(std::coroutine_handle<> h) {
      TaskRecord* self = TaskRecord::current();
      if (self->cancelled()) return false;  // await_resume throws
      s_->joiner = self;
      // Release: the finisher reads `joiner` after seeing kWaiting.
      std::uint32_t w = s_->join.load(std::memory_order_relaxed);
      do {
        if ((w & TaskRecord::kDone) != 0) return false;
      } while (!s_->join.compare_exchange_weak(
          w, w | TaskRecord::kWaiting, std::memory_order_release, std::memory_order_acquire));
      registered_ = true;
      return self->suspend(h);
    }
    T await_resume() {
      std::uint32_t w = s_->join.load(std::memory_order_acquire);
      while ((w & TaskRecord::kDone) == 0) {
        if (!registered_) throw Cancelled();  // await_suspend saw the cancellation
        if ((w & TaskRecord::kWaiting) != 0) {
          // Withdraw, unless the finisher takes the registration first.
          if (s_->join.compare_exchange_weak(w, w & ~TaskRecord::kWaiting,
                                             std::memory_order_acquire)) {
            throw Cancelled();
          }
          continue;
        }
        // The finisher took the registration and is waking us: kDone
        // follows as its next step.
        std::this_thread::yield();
        w = s_->join.load(std::memory_order_acquire);
      }
      return s_->take();
    }

   private:
    TaskResult<T>* s_;
    bool registered_ = false;
  };
  Awaiter operator co_await() { return Awaiter(s_); }

 private:
  void release() {
    if (s_ != nullptr) std::exchange(s_, nullptr)->unref();
  }
  TaskResult<T>* s_;
};

}  // namespace runa::concurrency
