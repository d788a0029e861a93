// Asks that suspend a task (actor_ask_async, actor_ask_timeout_async) and
// sends that do (actor_send_async): the message is sent at the call when
// the mailbox has room, and the Ask (or ActorSend) the call returns is
// awaited (ops_await.cpp) as a channel is: while no answer has come, the
// task waits in the AskCell's WaitList (actor_core.hpp) and the other
// tasks of its thread run on.
//
// Waiting for room. When the bounded mailbox is full at the call, the
// message stays in the box (AskBox::pending) and each AWAIT first tries to
// deliver it; while the mailbox stays full the task waits in the Core's
// `room` list, and the turn that takes a message wakes one such task
// (space_made(false)), a stop every one (space_made(true): the retry then
// finds the actor stopping and raises). The thread is never blocked. The
// lost wake-up this rules out (a task registering just as the actor frees
// the last slot) is worked through at ActorCore::space_made. With a
// timeout, the deadline covers the wait for room too: past it, a message
// still waiting is withdrawn (never delivered) and the AWAIT raises
// Timeout saying so. A cancelled task stops waiting (its poll leaves the
// list); its message stays in the box, delivered if the Ask is awaited
// again, else dropped with it. Messages waiting for room may be overtaken
// by later sends of the same sender (each waits on its own), as a message
// queued behind a channel_send_async that waits is.
//
// The interleavings to rule out, and how:
//   - the reply arriving between the task's look and its registration:
//     the register-then-retry rule (actor_core.hpp, AskCell);
//   - room made between the task's look and its registration: the same
//     rule, on the Core's `room` list (ActorCore::space_made);
//   - two threads awaiting one Ask whose message waits for room: the
//     delivery is made under the box's lock, once;
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
#include <mutex>
#include <string>

#include "bridge/actor_core.hpp"
#include "bridge/actors.hpp"
#include "bridge/scheduler.hpp"
#include "runatime/ops.hpp"

namespace runa::bridge {

namespace {

const char* native_of(const AskBox& box) {
  if (box.cell == nullptr) return "actor_send_async";
  return box.deadline != 0 ? "actor_ask_timeout_async" : "actor_ask_async";
}

// One attempt to deliver the box's message while it waits for room, under
// the box's lock: past the deadline (`late`) a message still waiting is
// withdrawn. What the message came to.
AskBox::Post post_pending(AskBox& box, bool late) {
  std::lock_guard lock(box.post_mu);
  if (box.post != AskBox::Post::kWaiting) return box.post;
  switch (deliver(*box.core, *box.pending)) {
    case Sent::kFull:
      if (!late) return box.post;
      // Never delivered: nothing can settle the cell, so give_up() wins.
      if (box.cell != nullptr) (void)box.cell->give_up();
      box.post = AskBox::Post::kWithdrawn;
      break;
    case Sent::kRefused:
      box.post = AskBox::Post::kRefused;
      break;
    case Sent::kStranded:
      // The header of actors.cpp, "Stranded messages".
      if (box.cell != nullptr) box.cell->settle(AskCell::kStopped);
      box.post = AskBox::Post::kSent;
      break;
    case Sent::kOk:
      box.post = AskBox::Post::kSent;
      break;
  }
  box.pending.reset();  // delivered (moved out), or dropped (its ask settled "stopped")
  return box.post;
}

}  // namespace

bool Actors::post_async(rt::Thread& t, const char* native, ForeignObjects<AskBox>& layout,
                        const Value* actor, const Value* message, std::shared_ptr<AskCell> cell,
                        std::optional<std::int64_t> millis, Value* out) {
  auto box = std::make_unique<AskBox>();
  box->core = core_of(*actor).shared_from_this();
  if (millis) {
    box->millis = *millis;
    // Never 0: that is "no deadline".
    box->deadline =
        std::max<std::int64_t>(1, Scheduler::now() + std::min(*millis, kLongestAsk) * 1000000);
  }
  AskBox* made = box.get();
  // The box first: once the message is sent, nothing may fail.
  auto object = layout.make(*t.m, std::move(box), out);
  if (!object)
    return rt::ops::raise(t, "ValueError", std::string(native) + ": " + object.error().message);
  if (!*object) return rt::ops::out_of_memory(t);
  // From here nothing collects: *message is read before the box may move.
  made->pending = std::make_unique<Envelope>(
      runtime_.heap(), runtime_.heap().new_persistent(*message), cell, Envelope::Kind::kMessage);
  made->cell = std::move(cell);
  made->post = AskBox::Post::kWaiting;
  if (post_pending(*made, false) != AskBox::Post::kRefused) return true;
  return refuse_stopped(t, native, *made->core, "; the message was not delivered");
}

bool Actors::ask_async(rt::Thread& t, const Value* actor, const Value* message, Value* out,
                       std::optional<std::int64_t> millis) {
  const char* native = millis ? "actor_ask_timeout_async" : "actor_ask_async";
  if (in_behaviour()) return refuse_in_behaviour(t, native);
  return post_async(t, native, asks_, actor, message, std::make_shared<AskCell>(runtime_.heap()),
                    millis, out);
}

bool Actors::send_async(rt::Thread& t, const Value* actor, const Value* message, Value* out) {
  return post_async(t, "actor_send_async", sends_, actor, message, nullptr, std::nullopt, out);
}

bool Actors::is_ask(Value v) const {
  return asks_.is(v) || sends_.is(v);
}

Actors::AskPoll Actors::poll_ask(rt::Thread& t, Value ask, Value* out, concurrency::WaitList** list,
                                 std::int64_t* deadline) {
  AskBox& box = *ForeignObjects<AskBox>::of(ask);  // alive: the caller's root slot
  const bool late = box.deadline != 0 && Scheduler::now() >= box.deadline;
  switch (post_pending(box, late)) {
    case AskBox::Post::kWaiting:
      *list = &box.core->room;
      *deadline = box.deadline;
      return AskPoll::kNoRoom;
    case AskBox::Post::kRefused:
      refuse_stopped(t, native_of(box), *box.core, "; the message was not delivered");
      return AskPoll::kThrew;
    case AskBox::Post::kWithdrawn:
      rt::ops::raise(t, "Timeout",
                     std::string(native_of(box)) + ": no room in the actor's full mailbox within " +
                         std::to_string(box.millis) + " ms; the message was not delivered");
      return AskPoll::kThrew;
    case AskBox::Post::kSent:
      break;
  }
  if (box.cell == nullptr) {
    *out = types::kNothing;
    return AskPoll::kAnswered;
  }
  AskCell& cell = *box.cell;
  if (cell.done.try_wait()) {
    return answer(t, native_of(box), *box.core, cell, out) ? AskPoll::kAnswered : AskPoll::kThrew;
  }
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
