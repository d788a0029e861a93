#include "bridge/scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "bridge/pool_tasks.hpp"
#include "bridge/runtime_impl.hpp"

namespace runa::bridge {

namespace {

using types::Tasks;

const types::TypeSystem& types_of(rt::Thread& t) {
  return rt::impl_of(t).types();
}

}  // namespace

Scheduler& Scheduler::of(rt::Thread& t) {
  if (t.scheduler == nullptr) t.scheduler = new Scheduler(t);
  return *static_cast<Scheduler*>(t.scheduler);
}

Scheduler::~Scheduler() {
  for (auto& [number, r] : records_) {
    leave(r.get());
    pass_on(r.get());
  }
  std::lock_guard lock(inbox_->mu);
  inbox_->closed = true;
}

void Inbox::post(std::uint64_t number) {
  {
    std::lock_guard lock(mu);
    if (closed) return;
    numbers.push_back(number);
    posted.store(true, std::memory_order_release);
  }
  parker.unpark();
}

void Scheduler::release(rt::Thread& t) {
  delete static_cast<Scheduler*>(t.scheduler);
  t.scheduler = nullptr;
}

std::int64_t Scheduler::now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

TaskRecord* Scheduler::add(Value task) {
  auto made = std::make_unique<TaskRecord>();
  TaskRecord* r = made.get();
  r->owner = this;
  r->number = ++spawned_;
  r->task = heap::Persistent(rt::impl_of(t_).heap(), task);
  Tasks::set_record(task, r, false);
  records_.emplace(r->number, std::move(made));
  return r;
}

TaskRecord* Scheduler::find(std::uint64_t number) const {
  auto it = records_.find(number);
  return it == records_.end() ? nullptr : it->second.get();
}

// NOLINTBEGIN(readability-non-const-parameter): operands are root slots

bool Scheduler::spawn(Value* coroutine, Value* out) {
  const types::TypeSystem& ts = types_of(t_);
  if (!ts.suspensions().is_coroutine(*coroutine)) {
    return rt::ops::raise(t_, "TypeError",
                          "task_spawn needs a Coroutine (the call of an ASYNC function), not " +
                              ts.describe(*coroutine));
  }
  // A pool task's spawns go to the pool too: it has no thread of its own.
  if (current_ != nullptr && current_->owner == nullptr) {
    return rt::impl_of(t_).pool_tasks().spawn(t_, coroutine, out);
  }
  const Value task = ts.tasks().make_task(*t_.m, coroutine);
  if (task == types::kNothing) return rt::ops::out_of_memory(t_);
  wake(add(task));
  *out = task;
  return true;
}

bool Scheduler::run(Value* coroutine, Value* out) {
  if (current_ != nullptr) {
    return rt::ops::raise(t_, "ValueError",
                          "task_run inside a task would stop the others: AWAIT the coroutine");
  }
  heap::HandleScope scope(*t_.m);
  heap::Handle root(*t_.m, types::kNothing);
  if (!spawn(coroutine, root.slot())) return false;
  while (Tasks::status(root.value()) == Tasks::Status::kPending) {
    fire_timers();
    take_posted();
    if (ready_.empty()) {
      // A task waiting on a channel may be woken by another thread: that
      // is not a deadlock the scheduler can see (no more than a thread
      // blocked in channel_receive).
      if (timers_.empty() && channel_waits_ == 0 && !waits_on_pool()) {
        return rt::ops::raise(t_, "ValueError",
                              "task_run: every task waits on another task, none can finish "
                              "(a deadlock)");
      }
      idle();
      continue;
    }
    TaskRecord* r = find(ready_.front());
    ready_.pop_front();
    if (r != nullptr) poll(r);
  }
  if (Tasks::status(root.value()) == Tasks::Status::kReturned) {
    *out = Tasks::result(root.value());
    return true;
  }
  t_.exception = Tasks::result(root.value());
  t_.trace = Tasks::trace(root.value());
  return false;
}

// NOLINTEND(readability-non-const-parameter)

void Scheduler::poll(TaskRecord* r) {
  r->queued = false;
  const Step s = step(t_, r);
  if (s.done) finish(r, s.threw, s.value, s.trace);
}

Scheduler::Step Scheduler::step(rt::Thread& t, TaskRecord* r) {
  leave(r);
  heap::HandleScope scope(*t.m);
  heap::Handle coroutine(*t.m, Tasks::coroutine(r->task.value()));
  heap::Handle sent(*t.m, types::kNothing);
  heap::Handle result(*t.m, types::kNothing);
  Scheduler& s = of(t);
  TaskRecord* outer = std::exchange(s.current_, r);
  const rt::ops::Resumed how = rt::ops::resume(t, coroutine.slot(), sent.slot(), result.slot());
  s.current_ = outer;
  pass_on(r);
  Step out;
  if (how == rt::ops::Resumed::kSuspended) return out;
  out.done = true;
  if (how == rt::ops::Resumed::kReturned) {
    out.value = result.value();
    out.trace = types::kNothing;
    return out;
  }
  out.threw = true;
  out.value = t.exception;
  out.trace = t.trace;
  t.exception = types::kNothing;
  t.trace = types::kNothing;
  return out;
}

void Scheduler::finish(TaskRecord* r, bool threw, Value result, Value trace) {
  Tasks::finish(*t_.m, r->task.value(), threw ? Tasks::Status::kThrew : Tasks::Status::kReturned,
                result, trace);
  for (const std::uint64_t number : r->waiters) {
    if (TaskRecord* w = find(number)) wake(w);
  }
  records_.erase(r->number);
}

bool Scheduler::waits_on_pool() const {
  return std::any_of(records_.begin(), records_.end(),
                     [](const auto& e) { return e.second->wait == TaskRecord::Wait::kPoolTask; });
}

void Scheduler::wait_for(TaskRecord* awaited, TaskRecord* waiter) {
  waiter->wait = TaskRecord::Wait::kTask;
  awaited->waiters.push_back(waiter->number);
}

void Scheduler::wait_on(TaskRecord* r, std::vector<concurrency::WaitList*> lists) {
  ChannelWait& c = r->channel;
  r->wait = TaskRecord::Wait::kChannel;
  c.waiter.selected.store(concurrency::Waiter::kNone, std::memory_order_relaxed);
  c.waiter.wake_remote = r->owner != nullptr ? &post : &PoolTasks::post;
  c.waiter.wake_arg = r;
  c.lists = std::move(lists);
  // Each add publishes the waiter (the list's lock). A claim through an
  // early list may come before the later adds: it posts the task, whose
  // next poll leaves every list (a later list's claim then cannot pass
  // the Waiter's CAS, so the one claim is all the task gets).
  for (std::size_t i = 0; i < c.lists.size(); ++i) {
    if (c.lists[i] != nullptr) c.lists[i]->add(&c.waiter, static_cast<int>(i));
  }
  if (r->owner != nullptr) ++r->owner->channel_waits_;
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

void Scheduler::leave(TaskRecord* r) {
  ChannelWait& c = r->channel;
  if (c.lists.empty()) return;
  // After every remove no claim can come (waiter.hpp).
  for (concurrency::WaitList* list : c.lists) {
    if (list != nullptr) list->remove(&c.waiter);
  }
  const int tag = c.waiter.selected.load(std::memory_order_acquire);
  if (tag != concurrency::Waiter::kNone) {
    c.claimed = static_cast<std::uint64_t>(tag);
    c.unused_claim = c.lists[c.claimed];
  }
  c.lists.clear();
  if (r->owner != nullptr) --r->owner->channel_waits_;
}

void Scheduler::pass_on(TaskRecord* r) {
  // The channel is alive: the task's frame holds the ChannelOp (or the
  // ChannelSelect holding it).
  if (r->channel.unused_claim != nullptr) r->channel.unused_claim->notify_one();
  r->channel.unused_claim = nullptr;
}

void Scheduler::post(void* record) {
  // owner and number never change after add(); the list's lock published them.
  auto* r = static_cast<TaskRecord*>(record);
  r->owner->inbox_->post(r->number);
}

void Scheduler::take_posted() {
  Inbox& in = *inbox_;
  if (!in.posted.load(std::memory_order_acquire)) return;
  std::vector<std::uint64_t> numbers;
  {
    std::lock_guard lock(in.mu);
    numbers.swap(in.numbers);
    in.posted.store(false, std::memory_order_relaxed);
  }
  // A number whose task finished, or that waits on something else now (a
  // claim that raced with its leaving), is at worst a spurious poll.
  for (const std::uint64_t number : numbers) {
    if (TaskRecord* r = find(number)) wake(r);
  }
}

void Scheduler::idle() {
  std::optional<concurrency::Clock::time_point> until;
  if (!timers_.empty()) {
    until = concurrency::Clock::time_point(std::chrono::nanoseconds(timers_.top().deadline));
  }
  heap::NativeRegion region(*t_.m);  // a sleeping thread never delays a collection
  // A post between the load and the park leaves its permit: park returns.
  if (!inbox_->posted.load(std::memory_order_acquire)) inbox_->parker.park(until);
}

void Scheduler::wake_at(TaskRecord* r, std::int64_t deadline) {
  r->wait = TaskRecord::Wait::kTimer;
  r->deadline = deadline;
  Scheduler* s = r->owner;
  if (s == nullptr) {
    PoolTasks::wake_at(PoolTask::of(r), deadline);
    return;
  }
  s->timers_.push(Timer{deadline, s->seq_++, r->number});
}

void Scheduler::ready_again(TaskRecord* r) {
  if (r->owner == nullptr) {
    r->wait = TaskRecord::Wait::kReady;
    PoolTasks::wake(PoolTask::of(r));
    return;
  }
  r->owner->wake(r);
}

void Scheduler::wake(TaskRecord* r) {
  r->wait = TaskRecord::Wait::kReady;
  if (r->queued) return;
  r->queued = true;
  ready_.push_back(r->number);
}

Scheduler::Cancel Scheduler::cancel(Value task) {
  if (Tasks::status(task) != Tasks::Status::kPending) return Cancel::kFinished;
  if (Tasks::pooled(task)) return Cancel::kOtherThread;
  auto* r = static_cast<TaskRecord*>(Tasks::record(task));
  if (r->owner != this) return Cancel::kOtherThread;
  r->cancelled = true;
  if (r != current_) wake(r);
  return Cancel::kCancelled;
}

void Scheduler::describe(std::string& out) const {
  std::vector<const TaskRecord*> pending;
  pending.reserve(records_.size());
  for (const auto& [number, r] : records_) pending.push_back(r.get());
  std::sort(pending.begin(), pending.end(),
            [](const TaskRecord* a, const TaskRecord* b) { return a->number < b->number; });
  const rt::ops::Shapes& sh = rt::impl_of(t_).shapes();
  for (const TaskRecord* r : pending) describe(sh, *r, current_ == r, out);
}

void Scheduler::describe(const rt::ops::Shapes& sh, const TaskRecord& r, bool running,
                         std::string& out) {
  const Value coroutine = Tasks::coroutine(r.task.value());
  const Value callee = types::Suspensions::callee(coroutine);
  const rt::FunctionInfo& f = *rt::ops::function_info(
      rt::ops::has_type(callee, sh.closure) ? rt::ops::closure_function(callee) : callee);
  out += "    task " + std::to_string(r.number) + ": " + std::string(f.name());
  if (types::Suspensions::started(coroutine) && f.module != nullptr) {
    auto [file, line] = f.module->where(f, types::Suspensions::offset(coroutine));
    if (line > 0) out += " (" + std::string(file) + ":" + std::to_string(line) + ")";
  }
  if (running) {
    out += ", running";
  } else if (r.wait == TaskRecord::Wait::kTask || r.wait == TaskRecord::Wait::kPoolTask) {
    out += ", waiting for a task";
  } else if (r.wait == TaskRecord::Wait::kChannel) {
    out += r.channel.lists.size() > 1 ? ", waiting in a select" : ", waiting on a channel";
  } else if (r.wait == TaskRecord::Wait::kAsk) {
    out += ", waiting for an actor's reply";
  } else if (r.wait == TaskRecord::Wait::kRoom) {
    out += ", waiting for room in an actor's mailbox";
  } else if (r.wait == TaskRecord::Wait::kTimer) {
    const std::int64_t at = now();
    const std::int64_t ms = r.deadline > at ? (r.deadline - at) / 1000000 : 0;
    out += ", sleeping (" + std::to_string(ms) + " ms to go)";
  } else {
    out += types::Suspensions::started(coroutine) ? ", ready" : ", not started";
  }
  out += "\n";
}

void Scheduler::fire_timers() {
  if (timers_.empty()) return;
  const std::int64_t t = now();
  while (!timers_.empty() && timers_.top().deadline <= t) {
    if (TaskRecord* r = find(timers_.top().task)) wake(r);
    timers_.pop();
  }
}

}  // namespace runa::bridge
