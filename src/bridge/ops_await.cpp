// AWAIT (docs/bytecode.md §2.5.8): what each awaitable does when awaited,
// and the scheduler's entry for running a coroutine to its end. The
// scheduler (scheduler.hpp) explains the polling model.
#include <string>
#include <utility>
#include <vector>

#include "bridge/pool_tasks.hpp"
#include "bridge/runtime_impl.hpp"
#include "bridge/scheduler.hpp"
#include "concurrency/channel/select.hpp"

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
  } else if (r->cancelled.exchange(false)) {
    raise(t, "Cancelled", "task " + std::to_string(r->number) + " was cancelled (task_cancel)");
    return nullptr;
  }
  return r;
}

// A finished task's outcome: its result, or its exception rethrown.
Awaited outcome(Thread& t, Value task, Value* out) {
  if (Tasks::status(task) == Tasks::Status::kReturned) {
    *out = Tasks::result(task);
    return Awaited::kReady;
  }
  t.exception = Tasks::result(task);
  t.trace = Tasks::trace(task);
  return Awaited::kThrew;
}

Awaited await_task(Thread& t, Value* a, Value* out) {
  if (Tasks::status(*a) != Tasks::Status::kPending) return outcome(t, *a, out);
  TaskRecord* me = waiting_task(t);
  if (me == nullptr) return Awaited::kThrew;
  if (Tasks::pooled(*a)) {
    switch (impl_of(t).pool_tasks().join(*a, me)) {
      case bridge::PoolTasks::Join::kWaiting:
        return Awaited::kWaiting;
      case bridge::PoolTasks::Join::kFinished:
        return outcome(t, *a, out);
      case bridge::PoolTasks::Join::kSelf:
        break;
    }
    raise(t, "ValueError", "a task cannot AWAIT itself");
    return Awaited::kThrew;
  }
  // A pool task never reads a local task's record: its thread may end it.
  auto* awaited = me->owner != nullptr ? static_cast<TaskRecord*>(Tasks::record(*a)) : nullptr;
  if (awaited == nullptr || awaited->owner != me->owner) {
    raise(t, "ValueError",
          "AWAIT of a Task of another thread (task_spawn_pool makes tasks any thread may await)");
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
    Scheduler::ready_again(me);  // behind every task already ready
  } else {
    Scheduler::wake_at(me, Tasks::deadline(*a));
  }
  return Awaited::kWaiting;
}

// The message of a closed outcome: `index` a send, or kEveryCase.
std::string closed_message(bool select, bool send, std::uint64_t index) {
  if (select) {
    return send
               ? "channel_select_async: the channel of case " + std::to_string(index) + " is closed"
               : "channel_select_async: every channel is closed and empty";
  }
  return send ? "channel_send_async: the channel is closed"
              : "channel_receive_async: the channel is closed and empty";
}

// A ChannelOp or a ChannelSelect (channels.hpp; a ChannelOp is the select
// of its one case): the first case that can proceed is performed at once;
// when none can, the task waits in every case's list (scheduler.hpp). The
// interleavings this guards against:
//   - the value (or room) arrives after the first attempt and before the
//     registration: its sender, seeing no waiter, notifies no one; the
//     retry after registering sees it;
//   - two cases becoming ready at once (two senders on two threads): each
//     notifier claims the Waiter by CAS, only one wins and posts the task;
//     the other passes over it to its list's next waiter, so its value
//     stays in its channel for someone else. The task performs one case:
//     each attempt either completes a case whole or leaves its channel
//     untouched (a send's slot is given back), and the pass stops at the
//     first that completes;
//   - cancellation while a sender completes: the poll first leaves every
//     list, then attempts; a value that came is received (the task ends
//     with it, as the single receive does), otherwise Cancelled is thrown
//     and nothing was taken or left behind.
// The result of a select is [position, value] (nothing for a send), its
// List made before the attempt: once a case took effect nothing may fail.
Awaited await_channel(Thread& t, Value* a, Value* out) {
  bridge::Channels& channels = impl_of(t).channels();
  const Scheduler& s = Scheduler::of(t);
  const bool select = channels.is_select(*a);
  heap::HandleScope scope(*t.m);
  heap::Handle awaitable(*t.m, *a);  // *out may be *a's slot, which the result overwrites
  heap::Handle pair(*t.m, types::kNothing);
  if (select) {
    pair.set(impl_of(t).types().lists().make(*t.m, 2));
    if (pair.value() == types::kNothing) {
      out_of_memory(t);
      return Awaited::kThrew;
    }
  }
  heap::Handle value(*t.m, types::kNothing);
  const std::uint64_t n = channels.case_count(awaitable.value());
  TaskRecord* me = s.current();
  // This attempt acts on the claim that woke the task, if one did, even
  // when it finds nothing (another took the value first): passing that
  // claim on would wake the other waiters in turn, forever. It starts at
  // the claimed case, so that it tries what the claim announced.
  std::uint64_t first = n == 1 ? 0 : concurrency::random_start(n);
  if (me != nullptr && me->channel.unused_claim != nullptr) first = me->channel.claimed;
  if (me != nullptr) me->channel.unused_claim = nullptr;
  std::uint64_t index = 0;
  std::vector<concurrency::WaitList*> lists;
  bridge::Channels::Status got =
      channels.attempt_cases(awaitable.value(), first, &index, value.slot(), &lists);
  if (got == bridge::Channels::Status::kBusy) {
    me = waiting_task(t);
    if (me == nullptr) return Awaited::kThrew;
    Scheduler::wait_on(me, std::move(lists));
    got = channels.attempt_cases(awaitable.value(), first, &index, value.slot(), &lists);
    if (got == bridge::Channels::Status::kBusy) return Awaited::kWaiting;
    Scheduler::leave(me);  // a claim that came meanwhile is passed on when the poll ends
  }
  const bool every = index == bridge::Channels::kEveryCase;
  const bool send = !every && bridge::Channels::op_kind(channels.case_at(
                                  awaitable.value(), index)) == bridge::Channels::Op::kSend;
  if (got == bridge::Channels::Status::kClosed) {
    raise(t, "ValueError", closed_message(select, send, index));
    return Awaited::kThrew;
  }
  if (send) value.set(types::kNothing);
  if (!select) {
    *out = value.value();
    return Awaited::kReady;
  }
  // Room for two was made: these appends never allocate.
  const types::Lists& lists_of = impl_of(t).types().lists();
  heap::Handle position(*t.m, types::make_small_int(static_cast<std::int64_t>(index)));
  (void)lists_of.append(*t.m, pair, position);
  (void)lists_of.append(*t.m, pair, value);
  *out = pair.value();
  return Awaited::kReady;
}

// An Ask (actor_ask_async) or an ActorSend (actor_send_async;
// actor_asks.cpp says what they guard against): answered at once when the
// reply is in; else the task waits in the list poll_ask names — the
// Core's `room` while the message waits for room, then the ask's — and
// with a deadline also for it (a timer: the poll it causes times the ask
// out).
Awaited await_ask(Thread& t, Value* a, Value* out) {
  const Scheduler& s = Scheduler::of(t);
  heap::HandleScope scope(*t.m);
  heap::Handle ask(*t.m, *a);  // *out may be *a's slot
  heap::Handle reply(*t.m, types::kNothing);
  // The first look acts on a claim that woke the task: a look that found
  // the mailbox full again used it up (another sender took the room);
  // otherwise it is passed on, so the room it announced still wakes
  // someone (a claim on an ask's list is the answer for every waiter:
  // passing it on is harmless).
  TaskRecord* me = s.current();
  concurrency::WaitList* claim = me != nullptr ? me->channel.unused_claim : nullptr;
  if (me != nullptr) me->channel.unused_claim = nullptr;
  concurrency::WaitList* list = nullptr;
  std::int64_t deadline = 0;
  using Poll = bridge::Actors::AskPoll;
  Poll got = bridge::Actors::poll_ask(t, ask.value(), reply.slot(), &list, &deadline);
  if (claim != nullptr && got != Poll::kNoRoom) claim->notify_one();
  if (got == Poll::kPending || got == Poll::kNoRoom) {
    me = waiting_task(t);
    if (me == nullptr) return Awaited::kThrew;
    if (deadline != 0) Scheduler::wake_at(me, deadline);
    for (;;) {
      const Poll waited = got;
      Scheduler::wait_on(me, {list});
      me->wait = got == Poll::kNoRoom ? TaskRecord::Wait::kRoom : TaskRecord::Wait::kAsk;
      got = bridge::Actors::poll_ask(t, ask.value(), reply.slot(), &list, &deadline);
      if (got == waited) return Awaited::kWaiting;  // still waiting, in the same list
      Scheduler::leave(me);
      // A claim that came meanwhile is passed on now, while the list is
      // surely alive (the Ask in the handle holds its Core and cell).
      if (me->channel.unused_claim != nullptr) me->channel.unused_claim->notify_one();
      me->channel.unused_claim = nullptr;
      // kNoRoom -> kPending: the retry delivered the message; now the reply.
      if (got != Poll::kPending) break;
    }
  }
  if (got == Poll::kThrew) return Awaited::kThrew;
  *out = reply.value();
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
  const bridge::Channels& channels = impl_of(t).channels();
  if (channels.is_op(*a) || channels.is_select(*a)) return await_channel(t, a, out);
  if (impl_of(t).actors().is_ask(*a)) return await_ask(t, a, out);
  raise(t, "TypeError",
        "AWAIT needs a Coroutine, a Task, a Timer (task_sleep, task_yield), a ChannelOp "
        "(channel_receive_async, channel_send_async), a ChannelSelect "
        "(channel_select_async), an Ask (actor_ask_async) or an ActorSend (actor_send_async), "
        "not " +
            ts.describe(*a));
  return Awaited::kThrew;
}

bool run_coroutine(Thread& t, Value* coroutine, Value* out) {
  return Scheduler::of(t).run(coroutine, out);
}

// NOLINTEND(readability-non-const-parameter)

}  // namespace runa::rt::ops
