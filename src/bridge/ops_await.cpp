// AWAIT (docs/bytecode.md §2.5.8): what each awaitable does when awaited,
// and the scheduler's entry for running a coroutine to its end. The
// scheduler (scheduler.hpp) explains the polling model.
#include <string>

#include "bridge/runtime_impl.hpp"
#include "bridge/scheduler.hpp"

namespace runa::rt::ops {

// NOLINTBEGIN(readability-non-const-parameter): operands are root slots

namespace {

using bridge::Scheduler;
using bridge::TaskRecord;
using types::Tasks;

// The task an AWAIT of a leaf registers: the one being polled; nullptr
// after raising, outside a task or when the task was cancelled (Cancelled,
// once: a task that catches it may wait again).
TaskRecord* waiting_task(Thread& t) {
  TaskRecord* r = Scheduler::of(t).current();
  if (r == nullptr) {
    raise(t, "ValueError", "AWAIT outside a task (task_run or an ASYNC main)");
  } else if (r->cancelled) {
    r->cancelled = false;
    raise(t, "Cancelled", "task " + std::to_string(r->number) + " was cancelled (task_cancel)");
    return nullptr;
  }
  return r;
}

Awaited await_task(Thread& t, Value* a, Value* out) {
  switch (Tasks::status(*a)) {
    case Tasks::Status::kReturned:
      *out = Tasks::result(*a);
      return Awaited::kReady;
    case Tasks::Status::kThrew:
      t.exception = Tasks::result(*a);
      t.trace = Tasks::trace(*a);
      return Awaited::kThrew;
    case Tasks::Status::kPending:
      break;
  }
  TaskRecord* me = waiting_task(t);
  if (me == nullptr) return Awaited::kThrew;
  auto* awaited = static_cast<TaskRecord*>(Tasks::record(*a));
  if (awaited->owner != me->owner) {
    raise(t, "ValueError", "AWAIT of a Task of another thread");
    return Awaited::kThrew;
  }
  if (awaited == me) {
    raise(t, "ValueError", "a task cannot AWAIT itself");
    return Awaited::kThrew;
  }
  Scheduler::wait_for(awaited, me);
  return Awaited::kWaiting;
}

Awaited await_timer(Thread& t, Value* a, Value* out) {
  const bool yield = Tasks::timer_kind(*a) == Tasks::TimerKind::kYield;
  if (yield ? Tasks::fired(*a) : Tasks::deadline(*a) <= Scheduler::now()) {
    *out = types::kNothing;
    return Awaited::kReady;
  }
  TaskRecord* me = waiting_task(t);
  if (me == nullptr) return Awaited::kThrew;
  if (yield) {
    Tasks::set_fired(*a);
    me->owner->wake(me);  // behind every task already ready
  } else {
    me->owner->wake_at(me, Tasks::deadline(*a));
  }
  return Awaited::kWaiting;
}

// A ChannelOp (channels.hpp): performed at once when it can be; else the
// task waits in the channel's list (scheduler.hpp). The interleaving the
// retry guards against: the value (or room) arrives after the first
// attempt and before the registration — its sender, seeing no waiter,
// notifies no one; the retry after registering sees it.
Awaited await_channel(Thread& t, Value* a, Value* out) {
  bridge::Channels& channels = impl_of(t).channels();
  Scheduler& s = Scheduler::of(t);
  // Read first: *out may be *a's slot, which a receive overwrites.
  const bool send = bridge::Channels::op_kind(*a) == bridge::Channels::Op::kSend;
  concurrency::WaitList* list = nullptr;
  bridge::Channels::Status got = channels.attempt(*a, out, &list);
  // This attempt acts on the claim that woke the task, if one did, even
  // when it finds nothing (another took the value first): passing that
  // claim on would wake the other waiters in turn, forever.
  if (TaskRecord* me = s.current()) me->channel.unused_claim = nullptr;
  if (got == bridge::Channels::Status::kBusy) {
    TaskRecord* me = waiting_task(t);
    if (me == nullptr) return Awaited::kThrew;
    s.wait_on(me, list);
    got = channels.attempt(*a, out, &list);
    if (got == bridge::Channels::Status::kBusy) return Awaited::kWaiting;
    s.leave(me);  // a claim that came meanwhile is passed on when the poll ends
  }
  if (got == bridge::Channels::Status::kClosed) {
    raise(t, "ValueError",
          send ? "channel_send_async: the channel is closed"
               : "channel_receive_async: the channel is closed and empty");
    return Awaited::kThrew;
  }
  if (send) *out = types::kNothing;
  return Awaited::kReady;
}

}  // namespace

Awaited await(Thread& t, Value* a, Value* out) {
  const types::TypeSystem& ts = impl_of(t).types();
  if (ts.suspensions().is_coroutine(*a)) {
    heap::HandleScope scope(*t.m);
    heap::Handle sent(*t.m, types::kNothing);
    heap::Handle result(*t.m, types::kNothing);
    switch (resume(t, a, sent.slot(), result.slot())) {
      case Resumed::kReturned:
        *out = result.value();
        return Awaited::kReady;
      case Resumed::kSuspended:
        return Awaited::kWaiting;
      case Resumed::kThrew:
        return Awaited::kThrew;
    }
  }
  if (ts.tasks().is_task(*a)) return await_task(t, a, out);
  if (ts.tasks().is_timer(*a)) return await_timer(t, a, out);
  if (impl_of(t).channels().is_op(*a)) return await_channel(t, a, out);
  raise(t, "TypeError",
        "AWAIT needs a Coroutine, a Task, a Timer (task_sleep, task_yield) or a ChannelOp "
        "(channel_receive_async, channel_send_async), not " +
            ts.describe(*a));
  return Awaited::kThrew;
}

bool run_coroutine(Thread& t, Value* coroutine, Value* out) {
  return Scheduler::of(t).run(coroutine, out);
}

// NOLINTEND(readability-non-const-parameter)

}  // namespace runa::rt::ops
