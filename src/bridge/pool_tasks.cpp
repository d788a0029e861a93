// Pool tasks: pool_tasks.hpp states the protocol and its invariants.
#include "bridge/pool_tasks.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "bridge/actors.hpp"
#include "bridge/runtime_impl.hpp"
#include "concurrency/pool/pool.hpp"
#include "runatime/ops.hpp"

namespace runa::bridge {

namespace cc = concurrency;
using types::Tasks;

void Joiner::wake() const {
  if (task != nullptr) {
    PoolTasks::wake(task);
  } else if (inbox != nullptr) {
    inbox->post(number);
  } else {
    parker->unpark();
  }
}

cc::Pool& PoolTasks::pool() {
  cc::Pool* p = pool_.load(std::memory_order_acquire);
  if (p == nullptr) {
    p = &runtime_.impl().actors().pool();
    pool_.store(p, std::memory_order_release);
  }
  return *p;
}

cc::Executor& PoolTasks::timers() {
  cc::Executor* e = made_timers_.load(std::memory_order_acquire);
  if (e != nullptr) return *e;
  std::lock_guard lock(timers_mu_);
  if (timers_ == nullptr) {
    timers_ = std::make_unique<cc::Executor>(pool());
    made_timers_.store(timers_.get(), std::memory_order_release);
  }
  return *timers_;
}

// NOLINTBEGIN(readability-non-const-parameter): operands are root slots

bool PoolTasks::spawn(rt::Thread& t, Value* coroutine, Value* out) {
  const types::TypeSystem& ts = rt::impl_of(t).types();
  if (!ts.suspensions().is_coroutine(*coroutine)) {
    return rt::ops::raise(
        t, "TypeError",
        "task_spawn_pool needs a Coroutine (the call of an ASYNC function), not " +
            ts.describe(*coroutine));
  }
  cc::Pool& workers = pool();  // may start the pool: before the Task is made
  const Value task = ts.tasks().make_task(*t.m, coroutine);
  if (task == types::kNothing) return rt::ops::out_of_memory(t);
  auto* p = new PoolTask;
  p->execute = &run;
  p->tasks = this;
  p->alarm.task = p;
  // Set once: a firing of an earlier arming may read it while the task arms again.
  p->alarm.on_fire = [](cc::Executor::Timer& self) noexcept {
    // NOLINTNEXTLINE(*-static-cast-downcast): its own alarm
    wake(static_cast<PoolTask::Alarm&>(self).task);
  };
  p->number = spawned_.fetch_add(1, std::memory_order_relaxed) + 1;
  p->task = heap::Persistent(rt::impl_of(t).heap(), task);
  Tasks::set_record(task, p, true);
  {
    std::lock_guard lock(mu_);
    live_.emplace(p->number, p);
  }
  workers.submit(p);  // publishes the record to the worker that polls it
  *out = task;
  return true;
}

// NOLINTEND(readability-non-const-parameter)

PoolTasks::Join PoolTasks::join(Value task, TaskRecord* me) {
  std::lock_guard lock(mu_);
  if (Tasks::status(task) != Tasks::Status::kPending) return Join::kFinished;
  auto* p = static_cast<PoolTask*>(Tasks::record(task));
  if (p == me) return Join::kSelf;
  Joiner j;
  if (me->owner == nullptr) {
    PoolTask* q = PoolTask::of(me);
    q->refs.fetch_add(1, std::memory_order_relaxed);
    j.task = q;
  } else {
    j.inbox = me->owner->inbox();
    j.number = me->number;
  }
  p->joiners.push_back(std::move(j));
  me->wait = TaskRecord::Wait::kPoolTask;
  return Join::kWaiting;
}

void PoolTasks::wait(rt::Thread& t, const Value* task) {
  auto parker = std::make_shared<cc::Parker>();
  {
    std::lock_guard lock(mu_);
    if (Tasks::status(*task) != Tasks::Status::kPending) return;
    Joiner j;
    j.parker = parker;
    static_cast<PoolTask*>(Tasks::record(*task))->joiners.push_back(std::move(j));
  }
  // The permit of an unpark before the park is kept: no wake-up is lost.
  while (Tasks::status(*task) == Tasks::Status::kPending) {
    heap::NativeRegion region(*t.m);
    parker->park();
  }
}

bool PoolTasks::cancel(Value task) {
  std::lock_guard lock(mu_);
  if (Tasks::status(task) != Tasks::Status::kPending) return false;
  auto* p = static_cast<PoolTask*>(Tasks::record(task));
  p->cancelled.store(true);
  wake(p);
  return true;
}

void PoolTasks::wake(PoolTask* p) {
  std::uint32_t s = p->state.load(std::memory_order_acquire);
  for (;;) {
    if ((s & PoolTask::kDone) != 0 || (s & PoolTask::kScheduled) != 0) return;
    if ((s & PoolTask::kRunning) != 0) {
      if ((s & PoolTask::kNotified) != 0) return;
      if (p->state.compare_exchange_weak(s, s | PoolTask::kNotified, std::memory_order_acq_rel)) {
        return;
      }
      continue;
    }
    if (p->state.compare_exchange_weak(s, PoolTask::kScheduled, std::memory_order_acq_rel)) break;
  }
  // Once closing, no job is queued: the pool may be ending (pool_tasks.hpp).
  if (p->tasks->closing_.load(std::memory_order_seq_cst)) return;
  p->refs.fetch_add(1, std::memory_order_relaxed);
  p->tasks->pool().submit_next(p);  // woken by the running job: next on its worker
}

void PoolTasks::post(void* record) {
  wake(PoolTask::of(static_cast<TaskRecord*>(record)));
}

void PoolTasks::wake_at(PoolTask* p, std::int64_t deadline) {
  p->tasks->timers().arm(p->alarm,
                         cc::Executor::Clock::time_point(std::chrono::nanoseconds(deadline)));
}

void PoolTasks::run(cc::Job* job) {
  auto* p = static_cast<PoolTask*>(job);  // NOLINT(*-static-cast-downcast): its own job
  PoolTasks& self = *p->tasks;
  if (self.closing_.load(std::memory_order_seq_cst)) {
    unref(p);
    return;
  }
  self.poll(*Actors::worker_thread(), p);
}

void PoolTasks::poll(rt::Thread& t, PoolTask* p) {
  p->state.store(PoolTask::kRunning, std::memory_order_release);
  const Scheduler::Step s = Scheduler::step(t, p);
  if (s.done) {
    finish(t, p, s.threw, s.value, s.trace);
  } else {
    end_poll(p);
  }
}

void PoolTasks::end_poll(PoolTask* p) {
  std::uint32_t s = PoolTask::kRunning;
  if (!p->state.compare_exchange_strong(s, PoolTask::kIdle, std::memory_order_acq_rel)) {
    // kRunning|kNotified: only this poll changes it now.
    p->state.store(PoolTask::kScheduled, std::memory_order_release);
    if (!closing_.load(std::memory_order_seq_cst)) {
      pool().submit_last(p);  // the job's reference goes with it
      return;
    }
  }
  unref(p);
}

void PoolTasks::finish(rt::Thread& t, PoolTask* p, bool threw, Value result, Value trace) {
  if (cc::Executor* e = made_timers_.load(std::memory_order_acquire)) e->disarm(p->alarm);
  p->state.store(PoolTask::kDone, std::memory_order_release);
  std::vector<Joiner> joiners;
  {
    std::lock_guard lock(mu_);
    Tasks::finish(*t.m, p->task.value(), threw ? Tasks::Status::kThrew : Tasks::Status::kReturned,
                  result, trace);
    joiners.swap(p->joiners);
    live_.erase(p->number);
  }
  p->task.reset();
  for (const Joiner& j : joiners) {
    j.wake();
    if (j.task != nullptr) unref(j.task);
  }
  unref(p);  // the registry's
  unref(p);  // the job's
}

void PoolTasks::unref(PoolTask* p) {
  if (p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete p;
}

void PoolTasks::describe(std::string& out) {
  std::vector<const PoolTask*> pending;
  {
    std::lock_guard lock(mu_);
    pending.reserve(live_.size());
    for (const auto& [number, p] : live_) pending.push_back(p);
    std::sort(pending.begin(), pending.end(),
              [](const PoolTask* a, const PoolTask* b) { return a->number < b->number; });
    if (pending.empty()) return;
    out += "pool tasks:\n";
    const rt::ops::Shapes& sh = runtime_.impl().shapes();
    for (const PoolTask* p : pending) {
      const bool running = (p->state.load(std::memory_order_acquire) & PoolTask::kRunning) != 0;
      Scheduler::describe(sh, *p, running, out);
    }
  }
}

void PoolTasks::close() {
  closing_.store(true, std::memory_order_seq_cst);
  // A firing in progress holds the timer lock: once it is taken here, every
  // later firing sees closing_ (disarming a timer never armed takes it).
  if (cc::Executor* e = made_timers_.load(std::memory_order_acquire)) {
    PoolTask::Alarm never_armed;
    e->disarm(never_armed);
  }
}

void PoolTasks::release() {
  close();
  std::unordered_map<std::uint64_t, PoolTask*> left;
  {
    std::lock_guard lock(mu_);
    left.swap(live_);
  }
  timers_.reset();  // disarms what is armed
  made_timers_.store(nullptr, std::memory_order_release);
  // Joiners first: a finished task they count goes; the pending keep the
  // registry's reference until the second pass.
  for (auto& [number, p] : left) {
    Scheduler::leave(p);
    for (const Joiner& j : p->joiners) {
      if (j.task != nullptr) unref(j.task);
    }
    p->joiners.clear();
  }
  for (auto& [number, p] : left) unref(p);
}

}  // namespace runa::bridge
