// Asks that suspend a task (actor_ask_async, actor_ask_timeout_async): the
// message is sent at the call, as actor_ask sends it, and the Ask the call
// returns is awaited (ops_await.cpp) as a channel is: while no answer has
// come, the task waits in the AskCell's WaitList (actor_core.hpp) and the
// other tasks of its thread run on.
//
// The interleavings to rule out, and how:
//   - the reply arriving between the task's look and its registration:
//     the register-then-retry rule (actor_core.hpp, AskCell);
//   - the reply racing the deadline: give_up() and settle() both CAS the
//     outcome from kPending (actors.cpp, "A reply racing the timeout"). A
//     task whose give_up() lost waits for the latch like any other: the
//     settle that won opens it and then notifies;
//   - the reply arriving while the task is cancelled: the poll that the
//     cancel causes first looks at the cell; an answer that is in is
//     returned (the task ends with it, as a receive that won does),
//     otherwise Cancelled is thrown and a later reply stays in the cell,
//     freed with it once neither the Ask nor the message holds it.
#include <algorithm>
#include <memory>

#include "bridge/actor_core.hpp"
#include "bridge/actors.hpp"
#include "bridge/scheduler.hpp"
#include "runatime/ops.hpp"

namespace runa::bridge {

namespace {

const char* native_of(const AskBox& box) {
  return box.deadline != 0 ? "actor_ask_timeout_async" : "actor_ask_async";
}

}  // namespace

bool Actors::ask_async(rt::Thread& t, const Value* actor, const Value* message, Value* out,
                       std::optional<std::int64_t> millis) {
  const char* native = millis ? "actor_ask_timeout_async" : "actor_ask_async";
  if (in_behaviour()) return refuse_in_behaviour(t, native);
  auto box = std::make_unique<AskBox>();
  box->cell = std::make_shared<AskCell>(runtime_.heap());
  box->core = core_of(*actor).shared_from_this();
  if (millis) {
    box->millis = *millis;
    // Never 0: that is "no deadline".
    box->deadline =
        std::max<std::int64_t>(1, Scheduler::now() + std::min(*millis, kLongestAsk) * 1000000);
  }
  AskBox* made = box.get();
  // The Ask first: once the message is sent, nothing may fail.
  auto object = asks_.make(*t.m, std::move(box), out);
  if (!object)
    return rt::ops::raise(t, "ValueError", std::string(native) + ": " + object.error().message);
  if (!*object) return rt::ops::out_of_memory(t);
  return post_ask(t, native, *made->core, message, made->cell);
}

bool Actors::is_ask(Value v) const {
  return asks_.is(v);
}

Actors::AskPoll Actors::poll_ask(rt::Thread& t, Value ask, Value* out, concurrency::WaitList** list,
                                 std::int64_t* deadline) {
  const AskBox& box = *ForeignObjects<AskBox>::of(ask);  // alive: the caller's root slot
  AskCell& cell = *box.cell;
  if (cell.done.try_wait()) {
    return answer(t, native_of(box), *box.core, cell, out) ? AskPoll::kAnswered : AskPoll::kThrew;
  }
  const bool late = box.deadline != 0 && Scheduler::now() >= box.deadline;
  // A give_up() that won stays: every later AWAIT of the Ask times out too.
  if (cell.outcome.load(std::memory_order_acquire) == AskCell::kTimedOut ||
      (late && cell.give_up())) {
    timed_out(t, native_of(box), box.millis);
    return AskPoll::kThrew;
  }
  *list = &cell.answered;
  *deadline = box.deadline;
  return AskPoll::kPending;
}

}  // namespace runa::bridge
