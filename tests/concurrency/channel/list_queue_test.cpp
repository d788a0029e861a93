// The unbounded channel's chain of rings (list_queue.hpp): growth keeps
// FIFO and loses nothing, sealed rings are left only when drained, close
// is final, and a close racing with growth and sends leaves every send
// that succeeded received exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "../scale.hpp"
#include "concurrency/channel/list_queue.hpp"
#include "concurrency/spin_wait.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;

TEST(ListQueue, GrowsByRingsAndKeepsOrder) {
  ListQueue<std::uint64_t> q(2);
  for (std::uint64_t k = 0; k < 1000; ++k) ASSERT_EQ(q.try_push(k), QueueStatus::kOk);
  // 2 + 4 + ... + 256 = 510 < 1000 <= 2 + 4 + ... + 512 = 1022: nine rings.
  EXPECT_EQ(q.rings(), 9U);
  EXPECT_EQ(q.size(), 1000U);
  std::uint64_t out = 0;
  for (std::uint64_t k = 0; k < 1000; ++k) {
    ASSERT_EQ(q.try_pop(out), QueueStatus::kOk);
    EXPECT_EQ(out, k);
  }
  EXPECT_EQ(q.try_pop(out), QueueStatus::kEmpty);
  // The last ring (512 slots) is reused as a ring: as many items again fit
  // without growing; one more makes the tenth ring.
  for (std::uint64_t k = 0; k < 512; ++k) ASSERT_EQ(q.try_push(k), QueueStatus::kOk);
  EXPECT_EQ(q.rings(), 9U);
  std::uint64_t more = 512;
  ASSERT_EQ(q.try_push(more), QueueStatus::kOk);
  EXPECT_EQ(q.rings(), 10U);
  for (std::uint64_t k = 0; k <= 512; ++k) {
    ASSERT_EQ(q.try_pop(out), QueueStatus::kOk);
    EXPECT_EQ(out, k);
  }
}

TEST(ListQueue, CloseIsFinalAfterTheItemsSentBeforeIt) {
  ListQueue<std::unique_ptr<int>> q(2);
  for (int k = 0; k < 5; ++k) {
    auto v = std::make_unique<int>(k);
    ASSERT_EQ(q.try_push(v), QueueStatus::kOk);
  }
  EXPECT_TRUE(q.close());
  EXPECT_FALSE(q.close());
  EXPECT_TRUE(q.closed());
  auto late = std::make_unique<int>(99);
  EXPECT_EQ(q.try_push(late), QueueStatus::kClosed);
  ASSERT_NE(late, nullptr);  // not moved from
  std::unique_ptr<int> out;
  for (int k = 0; k < 5; ++k) {
    ASSERT_EQ(q.try_pop(out), QueueStatus::kOk);
    EXPECT_EQ(*out, k);
  }
  EXPECT_EQ(q.try_pop(out), QueueStatus::kClosed);
  EXPECT_EQ(q.try_pop(out), QueueStatus::kClosed);
}

// Senders tag items (sender << 32 | sequence); receivers check each
// sender's order as they see it and count every item.
struct Tally {
  explicit Tally(unsigned senders) : seen(senders) {}
  std::vector<std::atomic<std::uint64_t>> seen;  // items received per sender
  std::atomic<std::uint64_t> total{0};
};

TEST(ListQueue, StressGrowthUnderThreeSendersAndTwoReceivers) {
  // A ring of 2 to start with: the senders seal and append rings while the
  // receivers move from ring to ring. Per sender, one receiver can only see
  // increasing sequences (FIFO: a sender's items are claimed in order).
  const unsigned senders = 3;
  const std::uint64_t per = scaled(100'000);
  ListQueue<std::uint64_t> q(2);
  Tally tally(senders);
  std::atomic<unsigned> done_sending{0};
  std::atomic<bool> order_ok{true};
  std::vector<std::thread> threads;
  for (unsigned s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      for (std::uint64_t k = 0; k < per; ++k) {
        std::uint64_t v = (std::uint64_t{s} << 32) | k;
        while (q.try_push(v) != QueueStatus::kOk) {
        }
      }
      if (done_sending.fetch_add(1) + 1 == senders) q.close();
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      std::vector<std::int64_t> last(senders, -1);
      std::uint64_t v = 0;
      for (;;) {
        QueueStatus st = q.try_pop(v);
        if (st == QueueStatus::kClosed) break;
        if (st == QueueStatus::kEmpty) {
          std::this_thread::yield();
          continue;
        }
        auto s = static_cast<unsigned>(v >> 32);
        auto k = static_cast<std::int64_t>(v & 0xFFFF'FFFFU);
        if (s >= senders || k <= last[s]) order_ok = false;
        if (s < senders) {
          last[s] = k;
          tally.seen[s].fetch_add(1);
        }
        tally.total.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(order_ok.load());
  EXPECT_EQ(tally.total.load(), senders * per);
  for (unsigned s = 0; s < senders; ++s) EXPECT_EQ(tally.seen[s].load(), per);
  EXPECT_GT(q.rings(), 1U);
}

TEST(ListQueue, StressCloseRacingGrowthLosesNoAcceptedItem) {
  // The interleaving: a sender finds the tail ring full and grows the
  // chain while another thread closes the channel; a sender holding the
  // sealed old ring must then see kClosed (not retry forever, not push
  // into a ring the receivers have left). Every kOk send is received
  // exactly once; no kClosed send is.
  for (unsigned round = 0; round < scaled(200); ++round) {
    ListQueue<std::uint64_t> q(2);
    std::atomic<std::uint64_t> accepted{0};
    std::vector<std::thread> threads;
    for (unsigned s = 0; s < 2; ++s) {
      threads.emplace_back([&] {
        for (std::uint64_t k = 0; k < 64; ++k) {
          std::uint64_t v = k;
          if (q.try_push(v) == QueueStatus::kClosed) return;
          accepted.fetch_add(1);
        }
      });
    }
    threads.emplace_back([&, round] {
      for (unsigned spin = 0; spin < (round % 50) * 32; ++spin) cpu_relax();
      q.close();
    });
    for (auto& t : threads) t.join();
    std::uint64_t received = 0;
    std::uint64_t v = 0;
    QueueStatus st = QueueStatus::kOk;
    while ((st = q.try_pop(v)) == QueueStatus::kOk) ++received;
    EXPECT_EQ(st, QueueStatus::kClosed);
    ASSERT_EQ(received, accepted.load()) << "round " << round;
  }
}

}  // namespace
}  // namespace runa::concurrency
