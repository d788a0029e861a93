// Awaits of time and turns: sleep_for / sleep_until (a timer of the
// executor's wheel) and yield_now (give the worker to the tasks queued
// behind this one). Both observe cancellation: a cancelled task throws
// Cancelled from them (join_handle.hpp), and a sleeping task is woken by
// its cancellation at once, not at its deadline.
#pragma once

#include <chrono>
#include <coroutine>

#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/join_handle.hpp"

namespace runa::concurrency {

class SleepUntil {
 public:
  explicit SleepUntil(Executor::Clock::time_point deadline) : deadline_(deadline) {}

  [[nodiscard]] bool await_ready() const {
    return deadline_ <= Executor::Clock::now() && !TaskRecord::current()->cancelled();
  }
  bool await_suspend(std::coroutine_handle<> h) {
    TaskRecord* self = TaskRecord::current();
    if (self->cancelled()) return false;
    timer_.rec = self;
    self->executor->arm(timer_, deadline_);
    armed_ = true;
    return self->suspend(h);
  }
  void await_resume() {
    TaskRecord* self = TaskRecord::current();
    if (armed_) self->executor->disarm(timer_);  // woken early: by cancellation
    if (self->cancelled()) throw Cancelled();
  }

 private:
  Executor::Clock::time_point deadline_;
  Executor::Timer timer_;
  bool armed_ = false;
};

inline SleepUntil sleep_until(Executor::Clock::time_point deadline) {
  return SleepUntil(deadline);
}
template <class Rep, class Period>
SleepUntil sleep_for(std::chrono::duration<Rep, Period> d) {
  return SleepUntil(Executor::Clock::now() +
                    std::chrono::duration_cast<Executor::Clock::duration>(d));
}

// Suspends and queues the task behind every task already waiting to run.
struct YieldNow {
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    TaskRecord* self = TaskRecord::current();
    self->resume_point = h;
    self->state.store(TaskRecord::kScheduled, std::memory_order_relaxed);
    self->executor->schedule_last(*self);
  }
  void await_resume() const {
    if (TaskRecord::current()->cancelled()) throw Cancelled();
  }
};

inline YieldNow yield_now() {
  return {};
}

// For awaits that completed at once (a ready channel, a finished task):
// true while the run's budget lasts; when it is spent the caller should
// co_await yield_now() (executor.hpp, "Budget").
inline bool within_budget() {
  return Executor::spend_budget();
}

}  // namespace runa::concurrency
