// Channels awaited by tasks: a waiting task frees its worker, every item is
// received once, close ends receivers, cancellation ends a waiting task.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "../scale.hpp"
#include "concurrency/channel/channel.hpp"
#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/join_handle.hpp"
#include "concurrency/pool/pool.hpp"

namespace runa::concurrency {
namespace {

using namespace std::chrono_literals;
using testing::scaled;

TEST(AsyncChannel, ProducersAndConsumersOnOneWorker) {
  // One worker: a consumer waiting on an empty channel must suspend, not
  // block, or the producer never runs.
  Pool pool({.workers = 1});
  Executor ex(pool);
  Bounded<std::uint64_t> ch(4);
  const std::uint64_t n = scaled(20'000);
  auto producer = [&]() -> Task<void> {
    for (std::uint64_t i = 1; i <= n; ++i) co_await ch.send_async(i);
    ch.close();
  };
  auto consumer = [&]() -> Task<std::uint64_t> {
    std::uint64_t sum = 0;
    std::uint64_t v = 0;
    while (co_await ch.recv_async(v) == ChannelStatus::kOk) sum += v;
    co_return sum;
  };
  JoinHandle<std::uint64_t> c = ex.spawn(consumer());
  JoinHandle<void> p = ex.spawn(producer());
  p.join();
  EXPECT_EQ(c.join(), n * (n + 1) / 2);
}

TEST(AsyncChannel, TasksAndThreadsShareAChannel) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  Unbounded<std::uint64_t> ch;
  const std::uint64_t per = scaled(20'000);
  std::vector<std::atomic<std::uint8_t>> seen(2 * per);
  auto task_consumer = [&]() -> Task<void> {
    std::uint64_t v = 0;
    while (co_await ch.recv_async(v) == ChannelStatus::kOk) seen[v].fetch_add(1);
  };
  std::vector<JoinHandle<void>> consumers;
  for (int i = 0; i < 3; ++i) consumers.push_back(ex.spawn(task_consumer()));
  std::thread thread_consumer([&] {
    while (auto v = ch.recv()) seen[*v].fetch_add(1);
  });
  std::thread p0([&] {
    for (std::uint64_t i = 0; i < per; ++i) ch.send(i);
  });
  auto task_producer = [&]() -> Task<void> {
    for (std::uint64_t i = per; i < 2 * per; ++i) co_await ch.send_async(i);
  };
  ex.spawn(task_producer()).join();
  p0.join();
  ch.close();
  for (auto& c : consumers) c.join();
  thread_consumer.join();
  for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << i;
}

TEST(AsyncChannel, CancelEndsAWaitingReceiver) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  Bounded<int> ch(2);
  auto receiver = [&]() -> Task<void> {
    int v = 0;
    co_await ch.recv_async(v);
  };
  JoinHandle<void> h = ex.spawn(receiver());
  std::this_thread::sleep_for(5ms);
  h.cancel();
  EXPECT_THROW(h.join(), Cancelled);
  // The channel still works, and no stale waiter is left in it.
  int v = 7;
  EXPECT_EQ(ch.try_send(v), ChannelStatus::kOk);
  int out = 0;
  EXPECT_EQ(ch.try_recv(out), ChannelStatus::kOk);
  EXPECT_EQ(out, 7);
}

}  // namespace
}  // namespace runa::concurrency
