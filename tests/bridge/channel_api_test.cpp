// rt::Channel (runatime/concurrency.hpp): values that move while they wait
// in a channel, between C++ threads; the statuses; kinds and timeouts.
#include <string>

#include "concurrency_api_fixture.hpp"

namespace runa::rt {
namespace {

// A value waiting in a channel is held in a persistent slot the collector
// updates: received after a collection moved it, it is the same String.
// Without the slot (a raw word in the queue) the receiver reads the old
// copy, which the poisoning stress mode overwrites.
TEST_F(ConcurrencyApiTest, AValueWaitingInAChannelSurvivesACollectionThatMovesIt) {
  HandleScope scope(m());
  const Handle ch(m(), kNothing);
  ASSERT_TRUE(Channel::make(t(), 4, ch.slot()));
  for (int i = 0; i < 3; ++i) {
    const Handle v(m(), str(t(), "waiting " + std::to_string(i)));
    ASSERT_TRUE(Channel(ch.slot()).send(t(), v.slot()));
  }
  runtime_->heap().collect(m(), true);
  for (int i = 0; i < 3; ++i) {
    const Handle got(m(), kNothing);
    ASSERT_TRUE(Channel(ch.slot()).receive(t(), got.slot(), std::chrono::milliseconds(0)));
    EXPECT_EQ(text(t(), got.value()), "waiting " + std::to_string(i));
  }
}

// Two C++ threads share a bounded channel through a Persistent: the
// producer's Strings wait while both collect (the consumer before each
// receive, the producer every few sends), and each arrives once, in order,
// with its text. A channel of capacity 4 keeps the producer waiting for
// room, so values sit in the channel across the consumer's collections.
TEST_F(ConcurrencyApiTest, ChannelCarriesMovingValuesBetweenTwoThreads) {
  constexpr int kValues = 400;
  heap::Persistent ch(runtime_->heap(), kNothing);
  {
    HandleScope scope(m());
    const Handle made(m(), kNothing);
    ASSERT_TRUE(Channel::make(t(), 4, made.slot()));
    ch.set(made.value());
  }
  int received = 0;
  std::string wrong;
  on_threads(
      [&](Thread& on) {
        const Channel c(ch.slot());
        for (int i = 0; i < kValues; ++i) {
          HandleScope scope(*on.m);
          const Handle v(*on.m, str(on, "value " + std::to_string(i)));
          if (i % 16 == 0) runtime_->heap().collect(*on.m);
          if (!c.send(on, v.slot())) return;
        }
        EXPECT_TRUE(c.close(on));
      },
      [&](Thread& on) {
        const Channel c(ch.slot());
        for (;;) {
          HandleScope scope(*on.m);
          const Handle got(*on.m, kNothing);
          runtime_->heap().collect(*on.m, received % 32 == 0);
          const Outcome o = c.receive(on, got.slot());
          if (o.status == Status::kClosed) return;
          ASSERT_TRUE(o) << o.message;
          if (text(on, got.value()) != "value " + std::to_string(received)) {
            wrong = text(on, got.value());
          }
          ++received;
        }
      });
  EXPECT_EQ(received, kValues);
  EXPECT_EQ(wrong, "");
}

TEST_F(ConcurrencyApiTest, TryCallsCloseAndTimeoutsReportTheirStatus) {
  HandleScope scope(m());
  const Handle ch(m(), kNothing);
  ASSERT_TRUE(Channel::make(t(), 2, ch.slot()));
  const Channel c(ch.slot());
  const Handle v(m(), make_small_int(7));
  const Handle got(m(), kNothing);
  EXPECT_EQ(c.try_receive(t(), got.slot()).status, Status::kWouldBlock);
  EXPECT_EQ(c.receive(t(), got.slot(), std::chrono::milliseconds(1)).status, Status::kTimeout);
  ASSERT_TRUE(c.try_send(t(), v.slot()));
  ASSERT_TRUE(c.try_send(t(), v.slot()));
  EXPECT_EQ(c.try_send(t(), v.slot()).status, Status::kWouldBlock);
  EXPECT_EQ(c.send(t(), v.slot(), std::chrono::milliseconds(1)).status, Status::kTimeout);
  ASSERT_TRUE(c.close(t()));
  ASSERT_TRUE(c.close(t()));  // closing twice is harmless
  EXPECT_EQ(c.send(t(), v.slot()).status, Status::kClosed);
  // What was sent before the close is still received, then kClosed.
  ASSERT_TRUE(c.receive(t(), got.slot()));
  EXPECT_EQ(got.value(), make_small_int(7));
  ASSERT_TRUE(c.try_receive(t(), got.slot()));
  EXPECT_EQ(c.receive(t(), got.slot()).status, Status::kClosed);
  EXPECT_EQ(t().exception, kNothing);
}

TEST_F(ConcurrencyApiTest, ChannelCallsRefuseWrongKindsAndTimeouts) {
  HandleScope scope(m());
  const Handle s(m(), str(t(), "not a channel"));
  const Handle got(m(), kNothing);
  const Outcome o = Channel(s.slot()).try_receive(t(), got.slot());
  EXPECT_EQ(o.status, Status::kInvalidArgument);
  EXPECT_NE(o.message.find("not a Channel"), std::string::npos) << o.message;
  EXPECT_FALSE(Channel::is(t(), s.value()));

  const Handle ch(m(), kNothing);
  EXPECT_EQ(Channel::make(t(), Channel::kMaxCapacity + 1, ch.slot()).status,
            Status::kInvalidArgument);
  ASSERT_TRUE(Channel::make(t(), 0, ch.slot()));  // unbounded
  EXPECT_TRUE(Channel::is(t(), ch.value()));
  EXPECT_EQ(Channel(ch.slot()).receive(t(), got.slot(), std::chrono::milliseconds(-5)).status,
            Status::kInvalidArgument);
  EXPECT_EQ(got.value(), kNothing);  // nothing written on a failure
}

}  // namespace
}  // namespace runa::rt
