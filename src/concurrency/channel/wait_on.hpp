// WaitOn: a task's await on a channel's WaitList — the async twin of one
// select() case (select.hpp), with the same register-then-retry rule.
//
// await_suspend registers the task's Waiter, fences, and attempts the
// operation once more; if that succeeds the task does not suspend. Else it
// suspends (TaskRecord::suspend, which also refuses when a wake-up came
// meanwhile). await_resume removes the Waiter — after which nothing can
// reach the record (waiter.hpp) — and yields the outcome of the retry, or
// nullopt when the caller should attempt again (it was woken because the
// operation may now proceed). A claim that the task does not use (it
// succeeded on its retry, or it was cancelled) is passed on.
#pragma once

#include <atomic>
#include <coroutine>
#include <optional>

#include "concurrency/channel/select.hpp"
#include "concurrency/channel/waiter.hpp"
#include "concurrency/executor/join_handle.hpp"
#include "concurrency/executor/record.hpp"

namespace runa::concurrency {

struct WaitOn {
  WaitList& list;
  QueueStatus (*attempt)(void* channel, void* item);
  void* channel;
  void* item;
  Waiter waiter{};
  QueueStatus got = QueueStatus::kEmpty;
  bool registered = false;

  [[nodiscard]] bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    TaskRecord* self = TaskRecord::current();
    if (self->cancelled()) return false;
    waiter.task = self;
    list.add(&waiter, 0);
    registered = true;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    got = attempt(channel, item);
    if (got == QueueStatus::kOk || got == QueueStatus::kClosed) return false;
    return self->suspend(h);
  }
  std::optional<QueueStatus> await_resume() {
    bool claimed = false;
    if (registered) {
      list.remove(&waiter);
      claimed = waiter.selected.load(std::memory_order_acquire) != Waiter::kNone;
    }
    bool done = got == QueueStatus::kOk || got == QueueStatus::kClosed;
    if (done) {
      if (claimed) list.notify_one();
      return got;
    }
    if (TaskRecord::current()->cancelled()) {
      if (claimed) list.notify_one();
      throw Cancelled();
    }
    return std::nullopt;
  }
};

}  // namespace runa::concurrency
