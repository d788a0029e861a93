#include "concurrency/executor/executor.hpp"

#include <pthread.h>

#include <limits>
#include <mutex>
#include <vector>

#include "concurrency/blocking.hpp"
#include "concurrency/futex_driver.hpp"

namespace runa::concurrency {
namespace {

thread_local unsigned budget = 0;

}  // namespace

// ---- TaskRecord (record.hpp) ---------------------------------------------------

bool TaskRecord::wake() {
  if (!claim()) return false;
  executor->schedule_woken(*this);
  return true;
}

bool TaskRecord::claim() {
  std::uint32_t s = state.load(std::memory_order_acquire);
  for (;;) {
    if (s == kSuspended) {
      if (state.compare_exchange_weak(s, kScheduled, std::memory_order_acq_rel)) return true;
    } else if (s == kRunning) {
      if (state.compare_exchange_weak(s, kNotified, std::memory_order_acq_rel)) return false;
    } else {
      return false;  // already notified or queued
    }
  }
}

bool TaskRecord::suspend(std::coroutine_handle<> at) {
  resume_point = at;
  std::uint32_t s = kRunning;
  if (state.compare_exchange_strong(s, kSuspended, std::memory_order_acq_rel)) return true;
  state.store(kRunning, std::memory_order_relaxed);  // was kNotified: run on
  return false;
}

// ---- Executor ---------------------------------------------------------------------

Executor::Executor(Pool& pool, Driver* driver)
    : pool_(pool),
      own_driver_(driver == nullptr ? std::make_unique<FutexDriver>() : nullptr),
      driver_(driver == nullptr ? own_driver_.get() : driver),
      start_(Clock::now()),
      wheel_(0) {
  thread_ = std::thread([this] { drive(); });
}

Executor::~Executor() {
  stopping_.store(true, std::memory_order_release);
  driver_->wake();
  thread_.join();
}

void Executor::run_record(Job* job) {
  auto* rec = static_cast<TaskRecord*>(job);  // NOLINT(*-static-cast-downcast): its own job
  rec->state.store(TaskRecord::kRunning, std::memory_order_relaxed);
  TaskRecord* outer = TaskRecord::running_;
  TaskRecord::running_ = rec;
  budget = kBudget;
  // The last touch of rec: it may be suspended and resumed elsewhere, or
  // finish and be freed, before resume() returns here.
  rec->resume_point.resume();
  TaskRecord::running_ = outer;
}

void Executor::schedule(TaskRecord& rec) {
  rec.execute = &run_record;
  pool_.submit(&rec);
}

void Executor::schedule_woken(TaskRecord& rec) {
  rec.execute = &run_record;
  pool_.submit_next(&rec);
}

void Executor::schedule_last(TaskRecord& rec) {
  rec.execute = &run_record;
  pool_.submit_last(&rec);
}

bool Executor::spend_budget() {
  if (budget == 0) return false;
  --budget;
  return true;
}

std::uint64_t Executor::tick_of(Clock::time_point t, bool round_up) const {
  if (t <= start_) return 0;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count();
  auto ticks = static_cast<std::uint64_t>(ns / 1'000'000);
  if (round_up && ns % 1'000'000 != 0) ++ticks;
  return ticks;
}

void Executor::arm(Timer& t, Clock::time_point deadline) {
  std::uint64_t tick = tick_of(deadline, true);
  bool earlier = false;
  {
    std::lock_guard lock(timers_mu_);
    wheel_.arm(&t, tick);
    earlier = tick < sleeping_until_;
  }
  if (earlier) driver_->wake();
}

bool Executor::disarm(Timer& t) {
  std::lock_guard lock(timers_mu_);
  return wheel_.cancel(&t);
}

void Executor::drive() {
  pthread_setname_np(pthread_self(), "runa-driver");
  while (!stopping_.load(std::memory_order_acquire)) {
    std::optional<std::chrono::nanoseconds> timeout;
    {
      std::lock_guard lock(timers_mu_);
      // Fired timers wake their tasks here, under the lock (executor.hpp).
      wheel_.advance(tick_of(Clock::now(), false), [](TimerEntry* e) {
        // NOLINTNEXTLINE(*-static-cast-downcast): every entry is a Timer
        auto* t = static_cast<Timer*>(e);
        if (t->on_fire != nullptr) {
          t->on_fire(*t);
        } else {
          t->rec->wake();
        }
      });
      std::optional<std::uint64_t> next = wheel_.next_deadline();
      sleeping_until_ = next ? *next : std::numeric_limits<std::uint64_t>::max();
      if (next) {
        auto at = start_ + std::chrono::milliseconds(*next);
        timeout = std::max(std::chrono::nanoseconds(0), at - Clock::now());
      }
    }
    driver_->wait(timeout);
  }
}

}  // namespace runa::concurrency
