// Zeroing objects, not TLABs (heap.cpp, "Zeroing"): zero_slots clears an
// object's slots and nothing beyond; eden handed out again
// after a minor collection holds the old objects' bytes, yet every new
// object reads zero, eden stays walkable past a thread's cursor and past
// the TLABs it dropped, and a mutator C code holds (its inline
// rt_fast_allocate writes only the header) still gets zeroed buffers.
#include <gtest/gtest.h>

#include <cstdint>

#include "c_api_fixture.hpp"
#include "heap_fixture.hpp"
#include "memory/mutators.hpp"
#include "runatime.h"

namespace runa::heap {
namespace {

using testing::TestHeap;

constexpr std::uint64_t kDirt = 0x5A5A'5A5A'5A5A'5A5AULL;  // an immediate: the verifier accepts it

// Fills eden with dead nodes whose every word is kDirt but the header, then
// empties eden: the next objects land on those bytes.
void dirty_eden(TestHeap& t) {
  for (int i = 0; i < 4000; ++i) {
    Object* o = t.new_node(4, 0);
    ASSERT_NE(o, nullptr);
    for (int s = 0; s < 5; ++s) o->slots()[s] = kDirt;
  }
  ASSERT_TRUE(t.heap->collect(*t.m));
}

// zero_slots clears every slot of each size its word-store paths and its
// memset path take, and not one byte past the object's end.
TEST(Zeroing, ZeroSlotsClearsTheSlotsAndNothingBeyond) {
  for (std::size_t n = 0; n <= 20; ++n) {
    std::uint64_t words[24];
    for (std::uint64_t& w : words) w = kDirt;
    auto* o = reinterpret_cast<Object*>(words);
    zero_slots(o, sizeof(Object) + n * sizeof(Value));
    EXPECT_EQ(words[0], kDirt) << n << " slots: the header is the caller's";
    for (std::size_t i = 1; i <= n; ++i) EXPECT_EQ(words[i], 0U) << n << " slots, slot " << i - 1;
    for (std::size_t i = n + 1; i < 24; ++i)
      EXPECT_EQ(words[i], kDirt) << n << " slots, word " << i;
  }
}

TEST(Zeroing, ObjectsInADirtyEdenReadZero) {
  TestHeap t;
  ASSERT_NO_FATAL_FAILURE(dirty_eden(t));
  // Every size the fast path and the refills (4 KiB TLABs) hand out.
  for (int i = 0; i < 2000; ++i) {
    const unsigned k = static_cast<unsigned>(i) % 5;
    Object* o = allocate(*t.m, t.node[k], 16 + 8 * k);
    ASSERT_NE(o, nullptr);
    ASSERT_TRUE(t.young(o));
    for (unsigned s = 0; s < k + 1; ++s) ASSERT_EQ(o->slots()[s], 0U) << i << " slot " << s;
  }
  // Arrays too: their elements past the length word.
  Object* a = allocate_array(*t.m, t.ref_array, ref_array_bytes(100), 100);
  ASSERT_NE(a, nullptr);
  for (std::size_t e = 1; e <= 100; ++e) ASSERT_EQ(a->slots()[e], 0U) << e;
}

// A walk of eden (Heap::verify) reads objects up to each thread's cursor:
// the rest of the thread's TLAB and the rests of the TLABs it dropped for
// an object that did not fit must read as gaps, not as the old bytes.
TEST(Zeroing, EdenIsWalkablePastTheCursorAndDroppedTlabs) {
  TestHeap t;
  ASSERT_NO_FATAL_FAILURE(dirty_eden(t));
  // 3,000-byte arrays in 4 KiB TLABs: each one after the first drops the
  // previous TLAB with about 1 KiB of old bytes left in it.
  HandleScope scope(*t.m);
  Handle keep(*t.m, Value{0});
  for (int i = 0; i < 6; ++i) {
    Object* b = t.new_byte_array(3000 - 16, static_cast<std::uint64_t>(i));
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(t.young(b));
    keep.set(ref_value(b));
  }
  Object* last = t.new_node(1, 7);  // and a cursor mid-TLAB
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// A mutator from rt_attach: rt_fast_allocate leaves the slots as the
// buffer has them, so its buffers are zeroed whole.
TEST(Zeroing, AMutatorFromTheCAbiGetsZeroedBuffers) {
  capi_test::CHeap h;
  for (int i = 0; i < 4000; ++i) {
    rt_value v = 0;
    ASSERT_EQ(rt_fast_allocate(h.m, h.node, 24, &v), RT_OK) << rt_last_error();
    rt_object_slots(v)[0] = kDirt;
    rt_object_slots(v)[1] = kDirt;
  }
  ASSERT_EQ(rt_collect(h.heap, h.m, 0), RT_OK) << rt_last_error();
  for (int i = 0; i < 4000; ++i) {
    rt_value v = 0;
    ASSERT_EQ(rt_fast_allocate(h.m, h.node, 24, &v), RT_OK) << rt_last_error();
    ASSERT_EQ(rt_object_slots(v)[0], 0U) << i;
    ASSERT_EQ(rt_object_slots(v)[1], 0U) << i;
  }
}

}  // namespace
}  // namespace runa::heap
