// BlockSpace: block and run allocation, the free list, promotion.
#include <gtest/gtest.h>

#include <cstring>

#include "memory/block_space.hpp"

namespace runa::heap {
namespace {

struct BlockSpaceTest : ::testing::Test {
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(region.reserve(8 * kBlock, kBlock, error)) << error;
    s.init(region, region.base(), 8);
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

TEST_F(BlockSpaceTest, CanPromoteAssumesHalfFullBlocks) {
  EXPECT_TRUE(s.can_promote(3 * kBlock, 1));   // needs 8 of 8
  EXPECT_FALSE(s.can_promote(3 * kBlock, 2));  // needs 10
  EXPECT_FALSE(s.can_promote(4 * kBlock, 1));  // needs 10
  ASSERT_TRUE(s.take(2, BlockKind::kLargeHead));
  EXPECT_TRUE(s.can_promote(2 * kBlock + 100, 1));  // needs 6 of 6
  EXPECT_FALSE(s.can_promote(3 * kBlock, 1));
}

}  // namespace
}  // namespace runa::heap
