// Large objects: block runs outside the nursery, never moved, born old.
#include "heap_fixture.hpp"

namespace runa::heap::testing {
namespace {

TEST(LargeSpace, LargeArraysLiveInBlockRuns) {
  TestHeap t;
  HandleScope scope(*t.m);
  std::size_t n = 2000;  // 16 KiB of slots
  Handle big(*t.m, t.new_ref_array(n, 5));
  Object* before = big.get();
  ASSERT_NE(before, nullptr);
  EXPECT_TRUE(t.old(before));
  EXPECT_EQ(array_length(before), n);
  EXPECT_NE(before->load_header() & hdr::kUnlogged, 0u);
  auto& blocks = impl_of(*t.heap).blocks;
  const BlockInfo& info = blocks.info(blocks.index_of(before));
  EXPECT_EQ(info.kind, BlockKind::kLargeHead);
  EXPECT_EQ(info.run, 1u);
  for (std::size_t i = 1; i < n; ++i) ASSERT_EQ(array_slots(before)[i], 0u);

  // A young object reachable only from the large array survives, and the
  // array does not move.
  set_slot(*t.m, before, 1 + 1500, ref_value(t.new_node(0, 9)));
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(big.get(), before);
  EXPECT_EQ(TestHeap::node_id(as_object(array_slots(before)[1500]), 0), 9u);
  EXPECT_EQ(from_imm(array_slots(before)[0]), 5u);
  EXPECT_EQ(t.heap->stats().large_bytes, kBlock);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(LargeSpace, RunsSpanBlocks) {
  TestHeap t;
  Object* o = t.new_byte_array(100 << 10, 3);
  ASSERT_NE(o, nullptr);
  auto& blocks = impl_of(*t.heap).blocks;
  EXPECT_EQ(blocks.info(blocks.index_of(o)).run, 4u);  // 100 KiB + 16 in 32 KiB blocks
  EXPECT_EQ(array_bytes(o)[(100 << 10) - 1], static_cast<std::uint8_t>(3 + (100 << 10) - 1));
}

TEST(LargeSpace, ExhaustionReturnsNull) {
  Options o = small_options();
  o.max_heap = 1 << 20;
  TestHeap t(o);
  HandleScope scope(*t.m);
  EXPECT_EQ(t.new_byte_array(2 << 20, 1), nullptr);
  Handle keep(*t.m, t.new_byte_array(512 << 10, 1));
  EXPECT_NE(keep.get(), nullptr);
  // 16 + 17 blocks > 32, even after the major collection the failure starts.
  EXPECT_EQ(t.new_byte_array(512 << 10, 1), nullptr);
  EXPECT_EQ(t.heap->stats().major_collections, 2u);
  keep.set(0);  // now the first one is garbage: its run is reused
  EXPECT_NE(t.new_byte_array(512 << 10, 1), nullptr);
}

}  // namespace
}  // namespace runa::heap::testing
