// The mailbox queue (mpsc_queue.hpp): FIFO per sender, every item exactly
// once across block boundaries, kRetry for a claimed but unwritten index,
// empty() as the actor's idle check needs it, items left at destruction
// destroyed, and blocks freed only when no sender can touch them (the
// stress tests run under ASan and TSan: a block freed too early is a
// use-after-free there).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../scale.hpp"
#include "concurrency/actor/mpsc_queue.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;
using Queue = MpscQueue<std::uint64_t>;

TEST(MpscQueue, OneThreadAcrossManyBlocksInOrder) {
  Queue q;
  std::uint64_t out = 0;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.pop(out), Queue::Pop::kEmpty);
  const std::uint64_t n = 10 * Queue::kSlots + 3;
  for (std::uint64_t round = 0; round < 3; ++round) {
    for (std::uint64_t k = 0; k < n; ++k) q.push(k);
    EXPECT_FALSE(q.empty());
    for (std::uint64_t k = 0; k < n; ++k) {
      ASSERT_EQ(q.pop(out), Queue::Pop::kItem);
      EXPECT_EQ(out, k);
    }
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.pop(out), Queue::Pop::kEmpty);
  }
}

TEST(MpscQueue, InterleavedPushAndPopAtEveryOffsetOfABlock) {
  // The consumer catches up with the sender at every slot, the last one
  // of a block included (where it must wait for the next block).
  Queue q;
  std::uint64_t next = 0;
  std::uint64_t expect = 0;
  std::uint64_t out = 0;
  for (std::uint64_t burst = 1; burst <= 2 * Queue::kSlots + 1; ++burst) {
    for (std::uint64_t k = 0; k < burst; ++k) q.push(next++);
    while (q.pop(out) == Queue::Pop::kItem) EXPECT_EQ(out, expect++);
    EXPECT_TRUE(q.empty());
  }
  EXPECT_EQ(expect, next);
}

TEST(MpscQueue, ItemsLeftAtDestructionAreDestroyed) {
  auto probe = std::make_shared<int>(7);
  {
    MpscQueue<std::shared_ptr<int>> q;
    for (std::uint64_t k = 0; k < 3 * MpscQueue<std::shared_ptr<int>>::kSlots; ++k) q.push(probe);
    std::shared_ptr<int> out;
    ASSERT_EQ(q.pop(out), MpscQueue<std::shared_ptr<int>>::Pop::kItem);
    EXPECT_EQ(*out, 7);
  }
  EXPECT_EQ(probe.use_count(), 1);
}

TEST(MpscQueue, LargeItemsUseSmallerBlocks) {
  // A block fills a 512-byte block of JobCache (a slot is an item and its
  // written flag), with at least 4 slots: larger ones come from operator new.
  struct Big {
    char bytes[200];
  };
  EXPECT_EQ(MpscQueue<Big>::kSlots, 4U);
  EXPECT_EQ(MpscQueue<std::uint64_t>::kSlots, 31U);  // (512 - 8) / 16
  MpscQueue<std::string> q;
  for (int k = 0; k < 50; ++k) q.push(std::string(40, static_cast<char>('a' + k % 26)));
  std::string out;
  for (int k = 0; k < 50; ++k) {
    ASSERT_EQ(q.pop(out), MpscQueue<std::string>::Pop::kItem);
    EXPECT_EQ(out, std::string(40, static_cast<char>('a' + k % 26)));
  }
}

// Senders tag items with (sender << 32 | sequence).
void stress(unsigned senders, std::uint64_t per_sender) {
  Queue q;
  std::atomic<unsigned> started{0};
  std::vector<std::thread> threads;
  for (unsigned s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      started.fetch_add(1);
      while (started.load() < senders) std::this_thread::yield();
      for (std::uint64_t k = 0; k < per_sender; ++k) q.push((std::uint64_t{s} << 32) | k);
    });
  }
  std::vector<std::uint64_t> next(senders, 0);
  std::uint64_t received = 0;
  std::uint64_t retries = 0;
  std::uint64_t out = 0;
  while (received < senders * per_sender) {
    switch (q.pop(out)) {
      case Queue::Pop::kItem: {
        auto s = static_cast<unsigned>(out >> 32);
        ASSERT_LT(s, senders);
        ASSERT_EQ(out & 0xFFFF'FFFFU, next[s]) << "sender " << s << " out of order or repeated";
        ++next[s];
        ++received;
        break;
      }
      case Queue::Pop::kRetry:
        ++retries;  // a sender between its claim and its write
        break;
      case Queue::Pop::kEmpty:
        std::this_thread::yield();
        break;
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(q.pop(out), Queue::Pop::kEmpty);
  EXPECT_TRUE(q.empty());
  for (unsigned s = 0; s < senders; ++s) EXPECT_EQ(next[s], per_sender);
}

TEST(MpscQueue, StressOneSenderExactlyOnceInOrder) {
  stress(1, scaled(200'000));
}

TEST(MpscQueue, StressFourSendersExactlyOnceInOrderPerSender) {
  // The interleavings the blocks must survive: a sender reads tail_block_
  // = B, is preempted, the others fill B and later blocks, the consumer
  // reads past B and recycles it (it may already be linked again as a
  // later block); the sender's claim then fails, and it must not have
  // touched B. And the sender of a block's last slot preempted before it
  // has linked the next block: the others wait at the gap, the consumer
  // sees nothing claimed after it. With four senders on two cores such
  // preemptions happen in every run.
  stress(4, scaled(100'000));
}

}  // namespace
}  // namespace runa::concurrency
