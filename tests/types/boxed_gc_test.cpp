// Boxed Integers and Floats are ordinary movable objects: they survive
// minor and major collections in arrays and handles with their values, and
// arithmetic that boxes its results in a loop keeps working while
// collections move its operands (most effective under the types-stress
// label, RUNA_GC=stress_every=5,verify,poison).
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "runatime/values.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using testing::TypesHeap;

TEST(BoxedValues, SurviveCollectionsInArraysAndHandles) {
  TypesHeap t;
  heap::HandleScope scope(*t.m);
  constexpr std::size_t kN = 600;
  heap::Handle arr(*t.m, t.new_ref_array(kN));
  ASSERT_NE(arr.get(), nullptr);
  std::vector<std::int64_t> ints;
  std::vector<double> floats;
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < kN; i += 2) {
    std::int64_t x = kSmallIntMax + 1 + static_cast<std::int64_t>(rng() % 1000000);
    if (i % 4 == 0) x = -x;
    double d = 0x1p300 * static_cast<double>(i + 1);
    ints.push_back(x);
    floats.push_back(d);
    Value vi = make_int(*t.cx, *t.m, x);
    ASSERT_TRUE(is_boxed_int(*t.cx, vi));
    heap::set_slot(*t.m, arr, 1 + i, vi);  // slot 0 is the length word
    Value vf = make_float(*t.cx, *t.m, d);
    ASSERT_TRUE(is_boxed_float(*t.cx, vf));
    heap::set_slot(*t.m, arr, 2 + i, vf);
  }
  heap::Handle lone(*t.m, make_float(*t.cx, *t.m, -0x1p-500));
  for (bool major : {false, false, true, false}) {
    ASSERT_TRUE(t.heap->collect(*t.m, major));
    for (std::size_t i = 0; i < kN; i += 2) {
      Value vi = heap::array_slots(arr.get())[i];
      Value vf = heap::array_slots(arr.get())[i + 1];
      ASSERT_TRUE(is_boxed_int(*t.cx, vi));
      ASSERT_EQ(as_int(vi), ints[i / 2]);
      ASSERT_TRUE(is_boxed_float(*t.cx, vf));
      ASSERT_EQ(as_double(vf), floats[i / 2]);
    }
    EXPECT_EQ(as_double(lone.value()), -0x1p-500);
  }
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// A sum of boxed Integers and a product of boxed Floats, each step's result
// kept only in a handle: every step allocates, and collections move the
// running values between steps.
TEST(BoxedValues, ArithmeticChainsAcrossCollections) {
  TypesHeap t;
  heap::HandleScope scope(*t.m);
  heap::Handle sum(*t.m, make_int(*t.cx, *t.m, kSmallIntMax));
  heap::Handle prod(*t.m, make_float(*t.cx, *t.m, 0x1p300));
  std::int64_t want_sum = kSmallIntMax;
  double want_prod = 0x1p300;
  for (int i = 1; i <= 2000; ++i) {
    Outcome s = add(*t.cx, *t.m, sum.value(), make_small_int(i));
    ASSERT_EQ(s.fault, Fault::kNone);
    sum.set(s.value);
    want_sum += i;
    double factor = (i % 2 == 0) ? 1.0000001 : 0.9999999;
    Outcome p = mul(*t.cx, *t.m, prod.value(), make_immediate_float(factor));
    ASSERT_EQ(p.fault, Fault::kNone);
    prod.set(p.value);
    want_prod *= factor;
    if (i % 500 == 0) {
      ASSERT_TRUE(t.heap->collect(*t.m, i % 1000 == 0));
    }
  }
  EXPECT_TRUE(is_boxed_int(*t.cx, sum.value()));
  EXPECT_EQ(as_int(sum.value()), want_sum);
  EXPECT_TRUE(is_boxed_float(*t.cx, prod.value()));
  EXPECT_EQ(std::bit_cast<std::uint64_t>(as_double(prod.value())),
            std::bit_cast<std::uint64_t>(want_prod));
}

// Boxing reports an exhausted heap as a fault, never a crash, and the heap
// stays usable. The boxes are kept in one array of max_heap / 16 slots: half
// the heap, more slots than the other half has room for boxes, so boxing
// fails before the array is full. (Under RUNA_GC a smaller heap: the
// verifier walks every box at every fifth allocation.)
TEST(BoxedValues, OutOfMemoryIsAFault) {
  heap::Options o = testing::small_options();
  o.max_heap = testing::under_test_modes() ? (512 << 10) : (1 << 20);
  o.nursery = 128 << 10;
  TypesHeap t(o);
  heap::HandleScope scope(*t.m);
  const std::size_t slots = o.max_heap / 16;
  heap::Handle keep(*t.m, t.new_ref_array(slots));
  ASSERT_NE(keep.get(), nullptr);
  Fault last = Fault::kNone;
  std::size_t boxed = 0;
  for (; boxed < slots; ++boxed) {
    Outcome r = add(*t.cx, *t.m, make_small_int(kSmallIntMax), make_small_int(1));
    if (r.fault != Fault::kNone) {
      last = r.fault;
      break;
    }
    heap::set_slot(*t.m, keep, 1 + boxed, r.value);
  }
  EXPECT_EQ(last, Fault::kOutOfMemory);
  EXPECT_GT(boxed, 0U);
  keep.set(kNothing);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  Outcome again = add(*t.cx, *t.m, make_small_int(kSmallIntMax), make_small_int(1));
  EXPECT_EQ(again.fault, Fault::kNone);
  EXPECT_EQ(as_int(again.value), kSmallIntMax + 1);
}

}  // namespace
}  // namespace runa::types
