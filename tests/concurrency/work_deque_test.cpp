// WorkDeque: the ends' orders and the fixed capacity on one thread, then an
// owner and thieves racing, where every item must be taken exactly once.
#include "concurrency/work_deque.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "scale.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;

TEST(WorkDeque, PopIsLifoAndStealIsFifo) {
  WorkDeque<std::uint64_t> d(8);
  EXPECT_TRUE(d.empty());
  for (std::uint64_t i = 1; i <= 6; ++i) ASSERT_TRUE(d.push(i));
  EXPECT_EQ(d.size(), 6u);
  EXPECT_EQ(d.pop(), 6u);
  EXPECT_EQ(d.steal(), 1u);
  EXPECT_EQ(d.pop(), 5u);
  EXPECT_EQ(d.steal(), 2u);
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.pop(), 4u);
  EXPECT_EQ(d.pop(), 3u);
  EXPECT_EQ(d.pop(), std::nullopt);
  EXPECT_EQ(d.steal(), std::nullopt);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.size(), 0u);
}

TEST(WorkDeque, LastItemGoesToOneSideOnly) {
  WorkDeque<std::uint64_t> d;
  ASSERT_TRUE(d.push(7));
  EXPECT_EQ(d.steal(), 7u);
  EXPECT_EQ(d.pop(), std::nullopt);
  ASSERT_TRUE(d.push(8));
  EXPECT_EQ(d.pop(), 8u);
  EXPECT_EQ(d.steal(), std::nullopt);
  EXPECT_TRUE(d.empty());
}

TEST(WorkDeque, HoldsPointers) {
  std::vector<int> values{10, 20, 30};
  WorkDeque<int*> d(3);
  for (int& v : values) ASSERT_TRUE(d.push(&v));
  EXPECT_EQ(d.steal(), values.data());
  EXPECT_EQ(d.pop(), &values[2]);
  EXPECT_EQ(d.pop(), &values[1]);
  EXPECT_EQ(d.pop(), std::nullopt);
}

// At the limit: a full deque refuses a push and is left as it was; a
// steal or a pop makes room for exactly one more.
TEST(WorkDeque, RefusesAPushWhenFullAndStaysIntact) {
  WorkDeque<std::uint64_t> d(3);  // rounded up to 4
  ASSERT_EQ(d.capacity(), 4u);
  for (std::uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(d.push(i));
  EXPECT_FALSE(d.push(99));
  EXPECT_EQ(d.size(), 4u);
  EXPECT_EQ(d.steal(), 0u);
  EXPECT_TRUE(d.push(4));  // wraps around onto the stolen slot
  EXPECT_FALSE(d.push(99));
  EXPECT_EQ(d.pop(), 4u);
  EXPECT_TRUE(d.push(5));
  EXPECT_EQ(d.steal(), 1u);
  EXPECT_EQ(d.steal(), 2u);
  EXPECT_EQ(d.pop(), 5u);
  EXPECT_EQ(d.pop(), 3u);
  EXPECT_EQ(d.pop(), std::nullopt);
}

// Many items through a small ring: the indexes wrap around it again and
// again, and the order holds at both ends.
TEST(WorkDeque, WrapsAroundManyTimesAndKeepsTheOrder) {
  constexpr std::uint64_t kItems = 100000;
  WorkDeque<std::uint64_t> d(8);
  std::uint64_t stolen = 0;
  for (std::uint64_t i = 0; i < kItems; ++i) {
    if (d.size() == d.capacity()) {
      ASSERT_EQ(d.steal(), stolen);
      ++stolen;
    }
    ASSERT_TRUE(d.push(i));
  }
  EXPECT_EQ(d.size(), d.capacity());
  for (std::uint64_t i = kItems; i-- > kItems - 4;) ASSERT_EQ(d.pop(), i);
  for (std::uint64_t i = stolen; i < kItems - 4; ++i) ASSERT_EQ(d.steal(), i);
  EXPECT_TRUE(d.empty());
}

TEST(WorkDeque, ResetEmptiesAndTheDequeWorksOn) {
  WorkDeque<std::uint64_t> d(4);
  for (std::uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(d.push(i));
  EXPECT_EQ(d.steal(), 0u);
  d.reset();
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.pop(), std::nullopt);
  EXPECT_EQ(d.steal(), std::nullopt);
  for (std::uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(d.push(i));
  EXPECT_EQ(d.size(), 4u);
  EXPECT_EQ(d.steal(), 0u);
  EXPECT_EQ(d.pop(), 3u);
}

TEST(WorkDeque, TakeOldestTakesTheOldestInOrder) {
  WorkDeque<std::uint64_t> d(8);
  std::vector<std::uint64_t> taken;
  auto into = [&](std::uint64_t v) { taken.push_back(v); };
  EXPECT_EQ(d.take_oldest(4, into), 0U);
  for (std::uint64_t i = 0; i < 6; ++i) ASSERT_TRUE(d.push(i));
  EXPECT_EQ(d.take_oldest(4, into), 4U);
  EXPECT_EQ(taken, (std::vector<std::uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(d.size(), 2U);
  EXPECT_EQ(d.pop(), 5U);
  EXPECT_EQ(d.take_oldest(4, into), 1U);  // fewer than asked: all there is
  EXPECT_EQ(taken.back(), 4U);
  EXPECT_TRUE(d.empty());
  // The room it made is usable: eight pushes fit again.
  for (std::uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(d.push(i));
  EXPECT_FALSE(d.push(8));
}

// Counts how often each of the items 1..n was taken.
class Takes {
 public:
  explicit Takes(std::size_t n) : counts_(n + 1) {}
  void take(std::uint64_t v) { counts_.at(v).fetch_add(1, std::memory_order_relaxed); }
  // The items not taken exactly once (0 is not an item).
  [[nodiscard]] std::size_t wrong() const {
    std::size_t n = counts_[0].load() != 0 ? 1 : 0;
    for (std::size_t i = 1; i < counts_.size(); ++i) n += counts_[i].load() != 1 ? 1 : 0;
    return n;
  }

 private:
  std::vector<std::atomic<std::uint32_t>> counts_;
};

// Thieves steal until the owner says it is done; the owner empties the
// deque before it says so, so a thief's last failed steal ends it.
void steal_until_done(WorkDeque<std::uint64_t>& d, const std::atomic<bool>& done, Takes& takes) {
  for (;;) {
    bool finished = done.load(std::memory_order_acquire);
    if (std::optional<std::uint64_t> v = d.steal()) {
      takes.take(*v);
    } else if (finished) {
      return;
    }
  }
}

// One round on `d`: `thieves` threads steal until the owner, which pushes
// 1..items and pops some back in `owner(takes)`, has drained the deque;
// every item must have been taken exactly once.
template <class Owner>
void round_with_thieves(WorkDeque<std::uint64_t>& d, unsigned thieves, std::uint64_t items,
                        unsigned round, Owner owner) {
  Takes takes(items);
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < thieves; ++i) {
    threads.emplace_back(steal_until_done, std::ref(d), std::cref(done), std::ref(takes));
  }
  owner(takes);
  while (std::optional<std::uint64_t> v = d.pop()) takes.take(*v);
  done.store(true, std::memory_order_release);
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(takes.wrong(), 0u) << "round " << round;
  EXPECT_TRUE(d.empty());
}

// The owner pushes batches and pops part of each back while three thieves
// steal; the deque is tiny, so the owner often finds it full and takes the
// item itself (as a collector worker spills it), and the indexes wrap
// around under the thieves' feet.
TEST(WorkDeque, OwnerAndThievesTakeEveryItemOnce) {
  const std::uint64_t items = 20000;
  for (unsigned round = 0; round < scaled(150); ++round) {
    WorkDeque<std::uint64_t> d(2);
    round_with_thieves(d, 3, items, round, [&](Takes& takes) {
      std::uint64_t next = 1;
      while (next <= items) {
        std::uint64_t batch = 1 + (next * 7 + round) % 64;
        for (std::uint64_t i = 0; i < batch && next <= items; ++i, ++next) {
          if (!d.push(next)) takes.take(next);
        }
        for (std::uint64_t i = 0; i < batch / 2; ++i) {
          if (std::optional<std::uint64_t> v = d.pop()) takes.take(*v);
        }
      }
    });
  }
}

// The owner pushes one item and pops it at once, so nearly every pop races
// the thieves for the last item.
TEST(WorkDeque, OwnerAndThievesRaceForTheLastItem) {
  const std::uint64_t items = 20000;
  for (unsigned round = 0; round < scaled(100); ++round) {
    WorkDeque<std::uint64_t> d(4);
    round_with_thieves(d, 2, items, round, [&](Takes& takes) {
      for (std::uint64_t i = 1; i <= items; ++i) {
        ASSERT_TRUE(d.push(i));
        if (std::optional<std::uint64_t> v = d.pop()) takes.take(*v);
      }
    });
  }
}

// The owner, finding its small deque full, takes half of it from the top
// at once (as the pool moves half of a full deque to its injector) while
// three thieves steal from the same end: the owner's CAS of `top` by k
// and the thieves' CASes by one must give each item to one taker only.
TEST(WorkDeque, OwnerTakingTheOldestAndThievesTakeEveryItemOnce) {
  const std::uint64_t items = 20000;
  for (unsigned round = 0; round < scaled(150); ++round) {
    WorkDeque<std::uint64_t> d(8);
    round_with_thieves(d, 3, items, round, [&](Takes& takes) {
      auto take = [&](std::uint64_t v) { takes.take(v); };
      for (std::uint64_t next = 1; next <= items; ++next) {
        while (!d.push(next)) d.take_oldest(d.capacity() / 2, take);
        if (next % 5 == 0) {
          if (std::optional<std::uint64_t> v = d.pop()) takes.take(*v);
        }
      }
    });
  }
}

// Reset between rounds; the items of every round are still taken exactly
// once.
TEST(WorkDeque, RoundsAfterReset) {
  const std::uint64_t items = 10000;
  WorkDeque<std::uint64_t> d(2);
  for (unsigned round = 0; round < scaled(100); ++round) {
    round_with_thieves(d, 2, items, round, [&](Takes& takes) {
      for (std::uint64_t i = 1; i <= items; ++i) {
        if (!d.push(i)) takes.take(i);
        if (i % 4 == 0) {
          if (std::optional<std::uint64_t> v = d.pop()) takes.take(*v);
        }
      }
    });
    d.reset();
  }
}

}  // namespace
}  // namespace runa::concurrency
