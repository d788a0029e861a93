// rt::Actor (runatime/concurrency.hpp) with C++ behaviours: state in the
// callable, asks with and without timeouts, behaviours that throw a C++
// exception or leave a Runa one, monitors, backpressure, refusals.
#include <atomic>
#include <stdexcept>
#include <string>

#include "concurrency_api_fixture.hpp"
#include "runatime/ops.hpp"

namespace runa::rt {
namespace {

// A behaviour keeps its state in the callable; messages are handled one at
// a time, so a plain counter needs no lock, and the asks see every send
// of the same thread before them.
TEST_F(ConcurrencyApiTest, ACppBehaviourCountsAndAnswersAsks) {
  HandleScope scope(m());
  const Handle a(m(), kNothing);
  int count = 0;
  ASSERT_TRUE(Actor::spawn(
      t(),
      [&count](Thread& on, Value* message) {
        if (*message == make_small_int(-1)) {
          const Handle reply(*on.m, make_small_int(count));
          EXPECT_TRUE(Actor::reply(on, reply.slot()));
          return;
        }
        ++count;
      },
      a.slot()));
  EXPECT_TRUE(Actor::is(t(), a.value()));
  const Actor actor(a.slot());
  const Handle one(m(), make_small_int(1));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(actor.send(t(), one.slot()));
  const Handle ask(m(), make_small_int(-1));
  const Handle got(m(), kNothing);
  ASSERT_TRUE(actor.ask(t(), ask.slot(), got.slot()));
  EXPECT_EQ(got.value(), make_small_int(100));
  ASSERT_TRUE(actor.stop(t()));
  ASSERT_TRUE(actor.wait(t()));
  EXPECT_EQ(actor.send(t(), one.slot()).status, Status::kClosed);
  EXPECT_EQ(t().exception, kNothing);
}

// The behaviour holds message 1 until the test lets it go: the ask gives
// up after 10 ms (kTimeout, no exception left), and the reply that comes
// later is dropped: the next ask gets its own answer, not that one.
TEST_F(ConcurrencyApiTest, AnAskWithATimeoutGivesUpAndItsLateReplyIsDropped) {
  HandleScope scope(m());
  const Handle a(m(), kNothing);
  std::atomic<bool> go{false};
  ASSERT_TRUE(Actor::spawn(
      t(),
      [&go](Thread& on, Value* message) {
        const bool held = *message == make_small_int(1);
        if (held) wait_for(on, go);
        const Handle reply(*on.m, make_small_int(held ? 10 : 20));
        EXPECT_TRUE(Actor::reply(on, reply.slot()));
      },
      a.slot()));
  const Actor actor(a.slot());
  const Handle first(m(), make_small_int(1));
  const Handle got(m(), kNothing);
  const Outcome late = actor.ask(t(), first.slot(), got.slot(), std::chrono::milliseconds(10));
  EXPECT_EQ(late.status, Status::kTimeout);
  EXPECT_NE(late.message.find("no reply within 10 ms"), std::string::npos) << late.message;
  EXPECT_EQ(got.value(), kNothing);
  EXPECT_EQ(t().exception, kNothing);
  go.store(true, std::memory_order_release);
  const Handle second(m(), make_small_int(2));
  ASSERT_TRUE(actor.ask(t(), second.slot(), got.slot(), std::chrono::seconds(60)));
  EXPECT_EQ(got.value(), make_small_int(20));
  ASSERT_TRUE(actor.stop(t()));
  ASSERT_TRUE(actor.wait(t()));
}

// A C++ exception escaping a behaviour fails its actor with a ValueError
// naming it: the ask on that message gets it (kThrown, in flight), so does
// wait(), the actor refuses what comes after, and a monitor sees the
// reason "failed". The watcher is a C++ behaviour too, passing its notice
// on through a channel.
TEST_F(ConcurrencyApiTest, ACppBehaviourThatThrowsFailsItsActor) {
  HandleScope scope(m());
  heap::Persistent notices(runtime_->heap(), kNothing);
  {
    const Handle ch(m(), kNothing);
    ASSERT_TRUE(Channel::make(t(), 0, ch.slot()));
    notices.set(ch.value());
  }
  const Handle watcher(m(), kNothing);
  ASSERT_TRUE(Actor::spawn(
      t(),
      [&notices](Thread& on, Value* message) {
        EXPECT_TRUE(Channel(notices.slot()).send(on, message));
      },
      watcher.slot()));
  const Handle a(m(), kNothing);
  ASSERT_TRUE(Actor::spawn(
      t(), [](Thread& /*on*/, Value* /*message*/) { throw std::runtime_error("boom"); }, a.slot()));
  const Actor actor(a.slot());
  ASSERT_TRUE(actor.monitor(t(), watcher.slot()));

  const Handle message(m(), make_small_int(1));
  const Handle got(m(), kNothing);
  EXPECT_EQ(actor.ask(t(), message.slot(), got.slot()).status, Status::kThrown);
  const std::string asked = take_exception(t());  // actor_ask's ValueError, naming it
  EXPECT_NE(asked.find("a C++ behaviour threw: boom"), std::string::npos) << asked;
  EXPECT_EQ(actor.wait(t()).status, Status::kThrown);
  EXPECT_EQ(take_exception(t()), "ValueError: a C++ behaviour threw: boom");
  EXPECT_EQ(actor.send(t(), message.slot()).status, Status::kClosed);

  // The notice: ("down", actor, reason, error).
  const Handle notice(m(), kNothing);
  ASSERT_TRUE(Channel(notices.slot()).receive(t(), notice.slot(), std::chrono::seconds(60)));
  const Handle index(m(), make_small_int(2));
  const Handle reason(m(), kNothing);
  ASSERT_TRUE(ops::get_item(t(), notice.slot(), index.slot(), reason.slot()));
  EXPECT_EQ(text(t(), reason.value()), "failed");
  ASSERT_TRUE(Actor(watcher.slot()).stop(t()));
  ASSERT_TRUE(Actor(watcher.slot()).wait(t()));
}

// A behaviour that raises a Runa exception (ops::raise) and returns fails
// with that exception.
TEST_F(ConcurrencyApiTest, ABehaviourLeavingARunaExceptionFailsWithIt) {
  HandleScope scope(m());
  const Handle a(m(), kNothing);
  ASSERT_TRUE(Actor::spawn(
      t(), [](Thread& on, Value* /*message*/) { ops::raise(on, "ValueError", "bad message"); },
      a.slot()));
  const Actor actor(a.slot());
  const Handle message(m(), make_small_int(1));
  ASSERT_TRUE(actor.send(t(), message.slot()));
  EXPECT_EQ(actor.wait(t()).status, Status::kThrown);
  EXPECT_EQ(take_exception(t()), "ValueError: bad message");
}

// A bounded mailbox pushes back: with the behaviour held on its first
// message and one more queued, try_send finds it full.
TEST_F(ConcurrencyApiTest, ABoundedMailboxRefusesATrySendWhenFull) {
  HandleScope scope(m());
  const Handle a(m(), kNothing);
  std::atomic<bool> started{false};
  std::atomic<bool> go{false};
  std::atomic<int> handled{0};
  ASSERT_TRUE(Actor::spawn(
      t(),
      [&](Thread& on, Value* /*message*/) {
        started.store(true, std::memory_order_release);
        wait_for(on, go);
        handled.fetch_add(1);
      },
      a.slot(), 1));
  const Actor actor(a.slot());
  const Handle message(m(), make_small_int(1));
  ASSERT_TRUE(actor.send(t(), message.slot()));
  wait_for(t(), started);  // the first message is taken: the mailbox is empty
  ASSERT_TRUE(actor.try_send(t(), message.slot()));
  const Outcome full = actor.try_send(t(), message.slot());
  EXPECT_EQ(full.status, Status::kWouldBlock);
  go.store(true, std::memory_order_release);
  ASSERT_TRUE(actor.stop(t()));
  ASSERT_TRUE(actor.wait(t()));
  EXPECT_EQ(handled.load(), 2);
}

TEST_F(ConcurrencyApiTest, ActorCallsRefuseWhatTheyCannotDo) {
  HandleScope scope(m());
  const Handle v(m(), make_small_int(1));
  bool asked = true;
  EXPECT_EQ(Actor::reply(t(), v.slot(), &asked).status, Status::kInvalidState);
  EXPECT_EQ(t().exception, kNothing);
  const Outcome wrong = Actor(v.slot()).send(t(), v.slot());
  EXPECT_EQ(wrong.status, Status::kInvalidArgument);
  EXPECT_NE(wrong.message.find("not an Actor"), std::string::npos) << wrong.message;
  const Handle out(m(), kNothing);
  EXPECT_EQ(Actor::spawn_function(t(), v.slot(), v.slot(), out.slot()).status,
            Status::kInvalidArgument);
  EXPECT_EQ(t().exception, kNothing);
  EXPECT_EQ(Actor::spawn(t(), Actor::Behaviour(), out.slot()).status, Status::kInvalidArgument);

  // Inside a behaviour, ask and wait are refused: the worker is the pool's.
  const Handle a(m(), kNothing);
  std::atomic<int> refused{0};
  ASSERT_TRUE(Actor::spawn(
      t(),
      [&refused](Thread& on, Value* message) {
        const Handle got(*on.m, kNothing);
        const Actor self(message);
        if (self.ask(on, message, got.slot()).status == Status::kInvalidState) ++refused;
        if (self.wait(on).status == Status::kInvalidState) ++refused;
      },
      a.slot()));
  ASSERT_TRUE(Actor(a.slot()).send(t(), a.slot()));  // its own Actor as the message
  ASSERT_TRUE(Actor(a.slot()).stop(t()));
  ASSERT_TRUE(Actor(a.slot()).wait(t()));
  EXPECT_EQ(refused.load(), 2);
}

}  // namespace
}  // namespace runa::rt
