// Channels, bounded and unbounded: FIFO order, exactly-once delivery under
// many producers and consumers, backpressure, close semantics, deadlines,
// and select over several channels (including the pass-on of a wake-up a
// selecting thread did not use).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "../scale.hpp"
#include "concurrency/channel/channel.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;

template <class C>
class Channels : public ::testing::Test {};
using Kinds = ::testing::Types<Bounded<std::uint64_t>, Unbounded<std::uint64_t>>;
TYPED_TEST_SUITE(Channels, Kinds);

TYPED_TEST(Channels, DeliversInOrder) {
  TypeParam ch(16);
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < 10'000; ++i) ASSERT_EQ(ch.send(i), ChannelStatus::kOk);
    ch.close();
  });
  std::uint64_t expect = 0;
  while (auto v = ch.recv()) {
    ASSERT_EQ(*v, expect);
    ++expect;
  }
  producer.join();
  EXPECT_EQ(expect, 10'000U);
}

TYPED_TEST(Channels, ManyProducersManyConsumersExactlyOnce) {
  TypeParam ch(64);
  constexpr unsigned kProducers = 4;
  constexpr unsigned kConsumers = 4;
  const std::uint64_t per = scaled(50'000);
  std::vector<std::atomic<std::uint8_t>> seen(kProducers * per);
  std::vector<std::thread> threads;
  std::atomic<unsigned> producers_left{kProducers};
  for (unsigned p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < per; ++i) {
        std::uint64_t v = p * per + i;
        ASSERT_EQ(ch.send(v), ChannelStatus::kOk);
      }
      if (producers_left.fetch_sub(1) == 1) ch.close();
    });
  }
  for (unsigned c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      while (auto v = ch.recv()) seen[*v].fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << i;
}

TYPED_TEST(Channels, CloseLetsReceiversDrainThenEnds) {
  TypeParam ch(8);
  std::uint64_t a = 1;
  std::uint64_t b = 2;
  ASSERT_EQ(ch.send(a), ChannelStatus::kOk);
  ASSERT_EQ(ch.send(b), ChannelStatus::kOk);
  ch.close();
  ch.close();  // idempotent
  std::uint64_t late = 3;
  EXPECT_EQ(ch.try_send(late), ChannelStatus::kClosed);
  EXPECT_EQ(late, 3U);  // the value stays with the sender
  EXPECT_EQ(ch.recv(), std::optional<std::uint64_t>(1));
  EXPECT_EQ(ch.recv(), std::optional<std::uint64_t>(2));
  EXPECT_EQ(ch.recv(), std::nullopt);
  std::uint64_t out = 0;
  EXPECT_EQ(ch.try_recv(out), ChannelStatus::kClosed);
}

TYPED_TEST(Channels, CloseWakesBlockedReceivers) {
  TypeParam ch(4);
  std::atomic<int> ended{0};
  std::vector<std::thread> receivers;
  for (int i = 0; i < 3; ++i) {
    receivers.emplace_back([&] {
      if (!ch.recv()) ended.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ch.close();
  for (auto& t : receivers) t.join();
  EXPECT_EQ(ended.load(), 3);
}

TYPED_TEST(Channels, ReceiveDeadlinePasses) {
  TypeParam ch(4);
  std::uint64_t out = 0;
  EXPECT_EQ(ch.try_recv(out), ChannelStatus::kEmpty);
  EXPECT_EQ(ch.recv(out, Clock::now() + std::chrono::milliseconds(3)), ChannelStatus::kTimeout);
  std::uint64_t v = 7;
  ASSERT_EQ(ch.send(v), ChannelStatus::kOk);
  EXPECT_EQ(ch.recv(out, Clock::now() + std::chrono::milliseconds(3)), ChannelStatus::kOk);
  EXPECT_EQ(out, 7U);
}

TEST(BoundedChannel, FullChannelBlocksSendersUntilAReceive) {
  Bounded<std::uint64_t> ch(2);
  for (std::uint64_t i = 0; i < 2; ++i) ASSERT_EQ(ch.send(i), ChannelStatus::kOk);
  std::uint64_t extra = 99;
  EXPECT_EQ(ch.try_send(extra), ChannelStatus::kFull);
  EXPECT_EQ(ch.send(extra, Clock::now() + std::chrono::milliseconds(3)), ChannelStatus::kTimeout);
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    std::uint64_t v = 2;
    EXPECT_EQ(ch.send(v), ChannelStatus::kOk);
    sent = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(sent.load());
  EXPECT_EQ(ch.recv(), std::optional<std::uint64_t>(0));
  sender.join();
  EXPECT_TRUE(sent.load());
  EXPECT_EQ(ch.recv(), std::optional<std::uint64_t>(1));
  EXPECT_EQ(ch.recv(), std::optional<std::uint64_t>(2));
}

// A sender that finds the channel full waits, while it spins, for room for
// a batch (channel.hpp, "Waiting"), so that it does not fill each slot the
// moment a receiver frees it; that is a hint about when to look, never the
// outcome: one free slot is enough for a send, blocked or with a deadline.
TEST(BoundedChannel, OneFreedSlotIsEnoughForABlockedSender) {
  Bounded<std::uint64_t> ch(1024);
  for (std::uint64_t i = 0; i < 1024; ++i) ASSERT_EQ(ch.send(i), ChannelStatus::kOk);
  std::thread sender([&] { EXPECT_EQ(ch.send(1024), ChannelStatus::kOk); });
  EXPECT_EQ(ch.recv(), std::optional<std::uint64_t>(0));
  sender.join();
  EXPECT_EQ(ch.recv(), std::optional<std::uint64_t>(1));
  std::uint64_t v = 1025;
  EXPECT_EQ(ch.send(v, Clock::now() + std::chrono::seconds(10)), ChannelStatus::kOk);
  EXPECT_EQ(ch.size(), 1024U);
}

TEST(BoundedChannel, CloseWakesBlockedSenders) {
  Bounded<std::uint64_t> ch(2);
  for (std::uint64_t i = 0; i < 2; ++i) ASSERT_EQ(ch.send(i), ChannelStatus::kOk);
  std::atomic<int> refused{0};
  std::vector<std::thread> senders;
  for (int i = 0; i < 2; ++i) {
    senders.emplace_back([&] {
      std::uint64_t v = 5;
      if (ch.send(v) == ChannelStatus::kClosed) refused.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ch.close();
  for (auto& t : senders) t.join();
  EXPECT_EQ(refused.load(), 2);
  EXPECT_EQ(ch.recv(), std::optional<std::uint64_t>(0));  // sent before the close: kept
}

TEST(UnboundedChannel, GrowsAndHoldsMoveOnlyValues) {
  Unbounded<std::unique_ptr<int>> ch;
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(ch.send(std::make_unique<int>(i)), ChannelStatus::kOk);
  EXPECT_EQ(ch.size(), 1000U);
  for (int i = 0; i < 1000; ++i) {
    auto v = ch.recv();
    ASSERT_TRUE(v && *v);
    EXPECT_EQ(**v, i);
  }
}

TEST(Select, TakesFromWhicheverIsReady) {
  Bounded<std::uint64_t> a(4);
  Unbounded<std::uint64_t> b;
  std::uint64_t from_a = 0;
  std::uint64_t from_b = 0;
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::uint64_t v = 42;
    b.send(v);
  });
  SelectCase cases[] = {a.recv_case(from_a), b.recv_case(from_b)};
  SelectResult r = select(cases);
  later.join();
  EXPECT_EQ(r.index, 1);
  EXPECT_EQ(r.status, QueueStatus::kOk);
  EXPECT_EQ(from_b, 42U);
  EXPECT_EQ(a.size(), 0U);
}

TEST(Select, SendAndReceiveCasesAndTimeout) {
  Bounded<std::uint64_t> full(2);
  Bounded<std::uint64_t> empty(2);
  for (std::uint64_t i = 0; i < 2; ++i) full.send(i);
  std::uint64_t v = 7;
  std::uint64_t out = 0;
  SelectCase cases[] = {full.send_case(v), empty.recv_case(out)};
  SelectResult r = select(cases, Clock::now() + std::chrono::milliseconds(3));
  EXPECT_EQ(r.index, -1);
  // A receive on `full` makes room: the send case proceeds.
  std::thread taker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    full.recv();
  });
  r = select(cases);
  taker.join();
  EXPECT_EQ(r.index, 0);
  EXPECT_EQ(r.status, QueueStatus::kOk);
}

TEST(Select, ClosedChannelIsAnOutcome) {
  Unbounded<std::uint64_t> a;
  Unbounded<std::uint64_t> b;
  std::uint64_t out = 0;
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    a.close();
  });
  SelectCase cases[] = {a.recv_case(out), b.recv_case(out)};
  SelectResult r = select(cases);
  closer.join();
  EXPECT_EQ(r.index, 0);
  EXPECT_EQ(r.status, QueueStatus::kClosed);
}

TEST(Select, IsFairBetweenReadyChannels) {
  Unbounded<std::uint64_t> a;
  Unbounded<std::uint64_t> b;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    a.send(i);
    b.send(i);
  }
  int picks[2] = {0, 0};
  std::uint64_t out = 0;
  SelectCase cases[] = {a.recv_case(out), b.recv_case(out)};
  for (int i = 0; i < 1000; ++i) ++picks[select(cases).index];
  EXPECT_GT(picks[0], 300);
  EXPECT_GT(picks[1], 300);
}

TEST(Select, SelectorsAndPlainReceiversShareChannelsExactlyOnce) {
  // Selecting threads over three channels race with plain receivers of
  // each; a claimed wake-up that a selector does not use must be passed on,
  // or a plain receiver sleeps forever beside an item.
  Bounded<std::uint64_t> ch0(8);
  Bounded<std::uint64_t> ch1(8);
  Unbounded<std::uint64_t> ch2;
  const std::uint64_t per = scaled(20'000);
  std::vector<std::atomic<std::uint8_t>> seen(3 * per);
  std::atomic<std::uint64_t> received{0};
  auto produce = [&](auto& ch, std::uint64_t base) {
    for (std::uint64_t i = 0; i < per; ++i) ch.send(base + i);
    ch.close();
  };
  auto drain = [&](auto& ch) {
    while (auto v = ch.recv()) {
      seen[*v].fetch_add(1);
      received.fetch_add(1);
    }
  };
  auto selector = [&] {
    std::uint64_t outs[3] = {};
    std::vector<SelectCase> cases = {ch0.recv_case(outs[0]), ch1.recv_case(outs[1]),
                                     ch2.recv_case(outs[2])};
    std::vector<int> ids = {0, 1, 2};
    while (!cases.empty()) {
      SelectResult r = select(cases);
      if (r.status == QueueStatus::kClosed) {  // stays ready: leave it out from now on
        cases.erase(cases.begin() + r.index);
        ids.erase(ids.begin() + r.index);
        continue;
      }
      seen[outs[ids[static_cast<std::size_t>(r.index)]]].fetch_add(1);
      received.fetch_add(1);
    }
  };
  std::thread threads[] = {std::thread([&] { produce(ch0, 0); }),
                           std::thread([&] { produce(ch1, per); }),
                           std::thread([&] { produce(ch2, 2 * per); }),
                           std::thread(selector),
                           std::thread(selector),
                           std::thread([&] { drain(ch0); }),
                           std::thread([&] { drain(ch2); })};
  for (auto& t : threads) t.join();
  EXPECT_EQ(received.load(), 3 * per);
  for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << i;
}

}  // namespace
}  // namespace runa::concurrency
