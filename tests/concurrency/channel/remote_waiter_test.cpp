// A Waiter woken through wake_remote (waiter.hpp): what a program's task
// registers in a channel's WaitList (bridge/scheduler.hpp). A claim calls
// wake_remote once, under the list's lock, and never unparks; close wakes
// it as it wakes threads; and the register-then-retry rule loses no value
// when a sender races with the registration (the interleaving: the value
// lands between the failed attempt and add(); the sender sees no waiter;
// the retry after the fence must see the value).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "../scale.hpp"
#include "concurrency/channel/channel.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;

// Stands for a scheduler's inbox: counts the posts and wakes the owner.
struct Inbox {
  std::atomic<int> posts{0};
  Parker parker;
  static void post(void* self) {
    auto* in = static_cast<Inbox*>(self);
    in->posts.fetch_add(1, std::memory_order_relaxed);
    in->parker.unpark();
  }
};

TEST(RemoteWaiter, AClaimPostsOnceAndIsNotRepeated) {
  Unbounded<std::uint64_t> ch;
  Inbox in;
  Waiter w;
  w.wake_remote = &Inbox::post;
  w.wake_arg = &in;
  std::uint64_t out = 0;
  const SelectCase c = ch.recv_case(out);
  c.list->add(&w, 0);
  ASSERT_EQ(ch.send(7), ChannelStatus::kOk);  // claims and posts
  EXPECT_EQ(in.posts.load(), 1);
  EXPECT_EQ(w.selected.load(), 0);
  ASSERT_EQ(ch.send(8), ChannelStatus::kOk);  // the claimed waiter left the list
  EXPECT_EQ(in.posts.load(), 1);
  c.list->remove(&w);
  EXPECT_EQ(c.attempt(c.channel, c.item), QueueStatus::kOk);
  EXPECT_EQ(out, 7U);
}

TEST(RemoteWaiter, CloseWakesIt) {
  Bounded<std::uint64_t> ch(1);
  Inbox in;
  Waiter w;
  w.wake_remote = &Inbox::post;
  w.wake_arg = &in;
  std::uint64_t out = 0;
  ch.recv_case(out).list->add(&w, 0);
  ch.close();
  EXPECT_EQ(in.posts.load(), 1);
  EXPECT_EQ(ch.try_recv(out), ChannelStatus::kClosed);
}

// One consumer in the bridge's manner (attempt; register; fence; retry;
// sleep until posted; leave) against two senders: every value arrives.
TEST(RemoteWaiter, RegisterThenRetryLosesNothing) {
  const std::uint64_t per_sender = scaled(20'000);
  Bounded<std::uint64_t> ch(2);
  Inbox in;
  Waiter w;
  w.wake_remote = &Inbox::post;
  w.wake_arg = &in;
  auto send_all = [&] {
    for (std::uint64_t i = 1; i <= per_sender; ++i) ASSERT_EQ(ch.send(i), ChannelStatus::kOk);
  };
  std::thread a(send_all);
  std::thread b(send_all);
  std::uint64_t sum = 0;
  std::uint64_t got = 0;
  std::uint64_t out = 0;
  while (got < 2 * per_sender) {
    const SelectCase c = ch.recv_case(out);
    QueueStatus s = c.attempt(c.channel, c.item);
    if (s != QueueStatus::kOk) {
      w.selected.store(Waiter::kNone, std::memory_order_relaxed);
      c.list->add(&w, 0);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      s = c.attempt(c.channel, c.item);
      if (s != QueueStatus::kOk) in.parker.park();
      c.list->remove(&w);
      if (s != QueueStatus::kOk) continue;
    }
    sum += out;
    ++got;
  }
  a.join();
  b.join();
  EXPECT_EQ(sum, per_sender * (per_sender + 1));
}

}  // namespace
}  // namespace runa::concurrency
