// BlockSpace: block and run allocation, the free lists, retention and
// returning memory, promotion.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "memory/block_space.hpp"

namespace runa::heap {
namespace {

struct BlockSpaceTest : ::testing::Test {
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(region.reserve(8 * kBlock, kBlock, error)) << error;
    ASSERT_TRUE(s.init(region, region.base(), 8, error)) << error;
  }
  Region region;
  BlockSpace s;
};

TEST_F(BlockSpaceTest, TakesBlocksAndRunsUpToCapacity) {
  auto a = s.take(1, BlockKind::kObjects);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, 0u);
  auto run = s.take(3, BlockKind::kLargeHead);
  ASSERT_TRUE(run);
  EXPECT_EQ(*run, 1u);
  EXPECT_EQ(s.info(1).kind, BlockKind::kLargeHead);
  EXPECT_EQ(s.info(1).run, 3u);
  EXPECT_EQ(s.info(3).kind, BlockKind::kLargeTail);
  std::memset(s.block(1), 1, 3 * kBlock);  // committed
  EXPECT_EQ(s.blocks_in_use(), 4u);
  EXPECT_FALSE(s.take(5, BlockKind::kLargeHead));
  EXPECT_TRUE(s.take(4, BlockKind::kLargeHead));
  EXPECT_FALSE(s.take(1, BlockKind::kObjects));
}

TEST_F(BlockSpaceTest, ReleasedBlocksAreReusedZeroed) {
  auto run = s.take(2, BlockKind::kLargeHead);
  ASSERT_TRUE(run);
  std::memset(s.block(*run), 0x5a, 2 * kBlock);
  s.release(*run);
  EXPECT_EQ(s.blocks_in_use(), 0u);
  EXPECT_EQ(s.info(*run).kind, BlockKind::kFree);
  auto b = s.take(1, BlockKind::kObjects);
  ASSERT_TRUE(b);
  EXPECT_LT(*b, 2u);  // from the free list, not the frontier
  for (std::size_t i = 0; i < kBlock; ++i) ASSERT_EQ(s.block(*b)[i], 0);
  EXPECT_EQ(s.frontier(), 2u);
}

TEST_F(BlockSpaceTest, PromotionBumpsAndMarksLines) {
  BlockCursor cur;
  std::uint8_t* a = s.promote(cur, 100 * 8);
  ASSERT_NE(a, nullptr);
  std::uint8_t* b = s.promote(cur, 16);
  EXPECT_EQ(b, a + 800);
  const BlockInfo& info = s.info(s.index_of(a));
  EXPECT_EQ(info.kind, BlockKind::kObjects);
  EXPECT_EQ(info.top, 816u);
  EXPECT_EQ(info.lines[0], 1);
  EXPECT_EQ(info.lines[3], 1);  // bytes 768..815
  EXPECT_EQ(info.lines[4], 0);
  // An object that does not fit the rest of the block opens a new one.
  std::uint8_t* c = s.promote(cur, kBlock - 100);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(s.index_of(c), s.index_of(a));
  EXPECT_EQ(s.object_bytes(), 0u);  // published when the cursor closes
  s.close(cur);
  EXPECT_EQ(s.object_bytes(), 816u + kBlock - 100);
  EXPECT_EQ(s.promote(cur, kBlock + 8), nullptr);
}

// A cursor takes a dirty block without zeroing it (its copies write every
// byte below its bump pointer) and zeroes the rest when it lets the block
// go: a hole it moves on from, an overflow block it replaces, both at
// close(). Without that, the rest would hold the old bytes, and the next
// cursor to allocate in those free lines would leave garbage a walk reads.
TEST_F(BlockSpaceTest, ACursorZeroesWhatItLeavesOfADirtyBlock) {
  auto run = s.take(3, BlockKind::kLargeHead);
  ASSERT_TRUE(run);
  std::memset(s.block(*run), 0x5a, 3 * kBlock);
  s.release(*run);  // three dirty free blocks
  auto is_zero = [&](const std::uint8_t* from, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (from[i] != 0) return false;
    }
    return true;
  };
  BlockCursor cur;
  auto copy = [&](std::size_t bytes) {
    std::uint8_t* p = s.promote(cur, bytes);
    if (p != nullptr) std::memset(p, 0x11, bytes);
    return p;
  };
  std::uint8_t* hole = copy(800);                     // the hole: a dirty block
  std::uint8_t* first_overflow = copy(kBlock - 100);  // overflow: another
  ASSERT_NE(hole, nullptr);
  ASSERT_NE(first_overflow, nullptr);
  ASSERT_NE(copy(kBlock - 800 - 16), nullptr);  // the hole has 16 bytes left
  std::uint8_t* second_overflow = copy(1000);   // replaces the first overflow block
  ASSERT_NE(second_overflow, nullptr);
  EXPECT_NE(s.index_of(second_overflow), s.index_of(first_overflow));
  EXPECT_TRUE(is_zero(first_overflow + kBlock - 100, 100));
  ASSERT_NE(copy(32), nullptr);  // moves the hole on
  EXPECT_TRUE(is_zero(hole + kBlock - 16, 16));
  s.close(cur);
  EXPECT_TRUE(is_zero(second_overflow + 1000, kBlock - 1000));
}

TEST_F(BlockSpaceTest, ClosedCursorsGiveBackTheirFreeLines) {
  BlockCursor first;
  std::uint8_t* a = s.promote(first, 3 * kLine);
  ASSERT_NE(a, nullptr);
  s.close(first);
  EXPECT_EQ(s.recyclable_blocks(), 1u);  // lines 3.. are free
  BlockCursor second;
  std::uint8_t* b = s.promote(second, 16);
  EXPECT_EQ(b, a + 3 * kLine);  // the next cursor starts in that hole
  EXPECT_EQ(s.blocks_in_use(), 1u);
  s.close(second);
}

TEST_F(BlockSpaceTest, CursorsOwnSeparateBlocks) {
  BlockCursor one;
  BlockCursor two;
  std::uint8_t* a = s.promote(one, 16);
  std::uint8_t* b = s.promote(two, 16);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(s.index_of(a), s.index_of(b));
  s.close(one);
  s.close(two);
  EXPECT_EQ(s.object_bytes(), 32u);
}

TEST_F(BlockSpaceTest, EvacuationUsesOnlyFreshBlocks) {
  BlockCursor promotion;
  std::uint8_t* a = s.promote(promotion, 16);
  s.close(promotion);  // a block with free lines, given back
  BlockCursor evacuation;
  std::uint8_t* b = s.evacuate(evacuation, 16);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(s.index_of(a), s.index_of(b));
  s.close(evacuation);
}

TEST_F(BlockSpaceTest, PinnedObjectsShareOneCursor) {
  std::uint8_t* a = s.allocate_pinned(24);
  std::uint8_t* b = s.allocate_pinned(24);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(b, a + 24);
  EXPECT_EQ(s.object_bytes(), 48u);  // counted at once
  EXPECT_EQ(s.allocate_pinned(kBlock + 8), nullptr);
}

// Nothing is reserved for promotion: it takes every block there is, and
// then fails (the minor collector handles that, minor_gc.hpp).
TEST_F(BlockSpaceTest, PromotionTakesEveryBlockThenFails) {
  BlockCursor c;
  std::size_t n = 0;
  while (s.promote(c, kBlock / 4) != nullptr) ++n;
  EXPECT_EQ(n, 32u);  // four to a block, eight blocks
  EXPECT_EQ(s.free_blocks(), 0u);
  EXPECT_EQ(s.promote(c, 24), nullptr);
  s.close(c);
  EXPECT_EQ(s.object_bytes(), 32 * kBlock / 4);
}

// Released blocks stay resident (dirty) until return_excess() gives what is
// over the budget back, one madvise per run of neighbouring blocks.
TEST_F(BlockSpaceTest, ExcessFreeBlocksAreReturnedInRuns) {
  s.set_retain_floor(0);  // the budget is then a quarter of the blocks in use
  for (std::size_t i = 0; i < 8; ++i) {
    auto b = s.take(1, BlockKind::kObjects);
    ASSERT_TRUE(b);
    std::memset(s.block(*b), 0x5a, kBlock);
  }
  for (std::size_t i : {0, 1, 2, 4, 5, 7}) s.release(i);
  EXPECT_EQ(s.return_counts().retained_bytes, 6 * kBlock);
  EXPECT_EQ(s.return_counts().calls, 0u);
  s.return_excess();  // 2 in use: a budget of 0
  BlockSpace::ReturnCounts c = s.return_counts();
  EXPECT_EQ(c.calls, 3u);  // [0, 3), [4, 6), [7, 8)
  EXPECT_EQ(c.returned_bytes, 6 * kBlock);
  EXPECT_EQ(c.retained_bytes, 0u);
  for (std::size_t i : {0, 1, 2, 4, 5, 7}) {
    EXPECT_EQ(s.info(i).free, FreeState::kClean);
    EXPECT_EQ(s.block(i)[0], 0) << i;  // given back: reads zero, still mapped
  }
  EXPECT_EQ(s.block(3)[0], 0x5a);  // in use: untouched
  EXPECT_EQ(s.block(6)[kBlock - 1], 0x5a);
  auto again = s.take(3, BlockKind::kLargeHead);  // the first run of three free blocks
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

// Retained blocks within the budget are kept; a dirty one taken again is zeroed.
TEST_F(BlockSpaceTest, RetainedBlocksWithinTheBudgetAreKept) {
  auto run = s.take(4, BlockKind::kLargeHead);
  ASSERT_TRUE(run);
  ASSERT_TRUE(s.take(4, BlockKind::kLargeHead));  // the frontier is used up
  std::memset(s.block(*run), 0x5a, 4 * kBlock);
  s.release(*run);
  s.return_excess();  // 4 blocks are under the 32 MiB floor
  EXPECT_EQ(s.return_counts().calls, 0u);
  EXPECT_EQ(s.return_counts().retained_bytes, 4 * kBlock);
  auto b = s.take(4, BlockKind::kLargeHead);  // the released run again
  ASSERT_TRUE(b);
  for (std::size_t i = 0; i < 4 * kBlock; ++i) ASSERT_EQ(s.block(*b)[i], 0) << i;
  EXPECT_EQ(s.return_counts().retained_bytes, 0u);
}

struct WideBlockSpaceTest : ::testing::Test {
  static constexpr std::size_t kBlocks = 256;
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(region.reserve(kBlocks * kBlock, kBlock, error)) << error;
    ASSERT_TRUE(s.init(region, region.base(), kBlocks, error)) << error;
    s.set_retain_floor(0);
  }
  Region region;
  BlockSpace s;
};

// Every other block free: each is a run of its own, and one call returns at
// most kMaxReturnRuns of them; the rest goes at the next calls.
TEST_F(WideBlockSpaceTest, AlternatingFreeBlocksAreReturnedOverSeveralCalls) {
  for (std::size_t i = 0; i < kBlocks; ++i) ASSERT_TRUE(s.take(1, BlockKind::kObjects));
  for (std::size_t i = 0; i < kBlocks; i += 2) s.release(i);
  s.return_excess();  // 128 in use: budget 32, excess 96
  EXPECT_EQ(s.return_counts().calls, BlockSpace::kMaxReturnRuns);
  EXPECT_EQ(s.return_counts().retained_bytes, (128 - BlockSpace::kMaxReturnRuns) * kBlock);
  s.return_excess();
  EXPECT_EQ(s.return_counts().calls, 96u);
  EXPECT_EQ(s.return_counts().retained_bytes, 32 * kBlock);
  s.return_excess();  // within the budget now
  EXPECT_EQ(s.return_counts().calls, 96u);
}

// The interleaving return_excess() must exclude: another thread takes a
// block between the choice of runs and the madvise, writes an object, and
// the madvise wipes it. A taker fills each block it takes and checks the
// fill while a second thread keeps returning the free blocks.
TEST_F(WideBlockSpaceTest, ReturningRacesWithTakers) {
  std::atomic<bool> done{false};
  std::thread returner([&] {
    while (!done.load()) s.return_excess();
  });
  std::vector<std::size_t> held;
  for (int round = 0; round < 2000; ++round) {
    auto n = static_cast<std::size_t>(1 + round % 3);
    auto b = s.take(n, n == 1 ? BlockKind::kObjects : BlockKind::kLargeHead);
    if (b) {
      std::memset(s.block(*b), static_cast<int>(1 + *b % 200), n * kBlock);
      held.push_back(*b);
    }
    if (held.size() > 40 || (!b && !held.empty())) {
      std::size_t victim = held[static_cast<std::size_t>(round) % held.size()];
      std::size_t len = s.info(victim).kind == BlockKind::kLargeHead ? s.info(victim).run : 1;
      for (std::size_t i = 0; i < len * kBlock; i += kPage) {
        ASSERT_EQ(s.block(victim)[i], static_cast<std::uint8_t>(1 + victim % 200)) << victim;
      }
      std::erase(held, victim);
      s.release(victim);
    }
  }
  done = true;
  returner.join();
  for (std::size_t b : held) EXPECT_EQ(s.block(b)[0], static_cast<std::uint8_t>(1 + b % 200));
}

// The side table is committed with the blocks, never for the whole
// reservation: a space over 1 TiB of address commits a few pages of it.
TEST(BlockSpaceSideTable, IsCommittedAsBlocksAre) {
  Region region;
  std::string error;
  // 64 GiB under ThreadSanitizer, whose memory layout refuses a terabyte.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
  constexpr std::size_t kBlocks = (std::size_t{64} << 30) / kBlock;
#else
  constexpr std::size_t kBlocks = (std::size_t{1} << 40) / kBlock;
#endif
#else
  constexpr std::size_t kBlocks = (std::size_t{1} << 40) / kBlock;
#endif
  ASSERT_TRUE(region.reserve(kBlocks * kBlock, kBlock, error)) << error;
  BlockSpace s;
  ASSERT_TRUE(s.init(region, region.base(), kBlocks, error)) << error;
  EXPECT_EQ(s.committed_blocks(), 0u);
  auto b = s.take(1, BlockKind::kObjects);
  ASSERT_TRUE(b);
  EXPECT_EQ(s.info(*b).kind, BlockKind::kObjects);
  EXPECT_EQ(s.committed_blocks(), 64u);  // the first 2 MiB step
  auto run = s.take(100, BlockKind::kLargeHead);
  ASSERT_TRUE(run);
  EXPECT_EQ(s.info(*run + 99).kind, BlockKind::kLargeTail);
  EXPECT_EQ(s.committed_blocks(), 128u);  // grown by 2 MiB again
  EXPECT_EQ(s.frontier(), 101u);
}

}  // namespace
}  // namespace runa::heap
