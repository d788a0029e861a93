// The ring's cell placement (array_queue.hpp, "Layout"): position p lives in
// the cell that the permutation gives it, so that consecutive positions sit
// on different cache lines. The permutation must be a bijection on every
// capacity and item size, else two positions share a cell: a push would
// overwrite an item not yet received (or wait on a cell that another
// position holds, and report full early). Each test fills whole laps of
// rings of several capacities and item sizes, and checks that every item
// comes back, in order, exactly when the indices say it should.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "concurrency/channel/array_queue.hpp"

namespace runa::concurrency {
namespace {

// An item of N bytes whose first word is its number.
template <std::size_t N>
struct Item {
  std::uint64_t n = 0;
  std::array<unsigned char, N - sizeof(std::uint64_t)> pad{};
};

template <class T>
void fill_and_drain_laps(std::size_t capacity) {
  ArrayQueue<T> q(capacity);
  ASSERT_EQ(q.capacity(), capacity);
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  for (int lap = 0; lap < 3; ++lap) {
    // Half a ring first, so that later laps start part way round.
    for (std::size_t i = 0; i < capacity / 2 + 1; ++i) {
      T v{};
      v.n = sent++;
      ASSERT_EQ(q.try_push(v), QueueStatus::kOk) << "capacity " << capacity;
    }
    T out{};
    ASSERT_EQ(q.try_pop(out), QueueStatus::kOk);
    ASSERT_EQ(out.n, received++);
    while (q.size() < capacity) {
      T v{};
      v.n = sent++;
      ASSERT_EQ(q.try_push(v), QueueStatus::kOk) << "capacity " << capacity;
    }
    T extra{};
    ASSERT_EQ(q.try_push(extra), QueueStatus::kFull) << "capacity " << capacity;
    while (q.try_pop(out) == QueueStatus::kOk)
      ASSERT_EQ(out.n, received++) << "capacity " << capacity;
    ASSERT_EQ(received, sent);
  }
}

template <class T>
void every_capacity() {
  for (std::size_t capacity : {2, 4, 8, 16, 32, 64, 1024, 4096}) fill_and_drain_laps<T>(capacity);
}

TEST(ArrayQueueLayout, EveryPositionHasItsOwnCellForSmallItems) {
  every_capacity<Item<8>>();
}

TEST(ArrayQueueLayout, EveryPositionHasItsOwnCellForMidSizedItems) {
  every_capacity<Item<24>>();
  every_capacity<Item<40>>();
}

TEST(ArrayQueueLayout, EveryPositionHasItsOwnCellForItemsOfALine) {
  every_capacity<Item<64>>();
}

// 2 MiB of cells and more come from huge-page-aligned memory.
TEST(ArrayQueueLayout, BigRingsHoldEveryItem) {
  fill_and_drain_laps<Item<8>>(std::size_t{1} << 18);
}

}  // namespace
}  // namespace runa::concurrency
