// Reference arrays and the barrier: one initialising rule for arrays of
// every size, the range barrier of copy_elements and fill_elements, and the
// precision of a large array's remembered set (its cards, cards.hpp).
#include <thread>
#include <vector>

#include "heap_fixture.hpp"
#include "memory/cards.hpp"
#include "memory/mutators.hpp"

namespace runa::heap::testing {
namespace {

constexpr std::size_t kSmall = 100;   // a young array (800 bytes)
constexpr std::size_t kLarge = 2000;  // from kLargeObject on: born old, carded

// Young nodes 1..n in handles of the current scope.
std::vector<Handle> young_nodes(TestHeap& t, std::size_t n) {
  std::vector<Handle> nodes;
  for (std::size_t i = 1; i <= n; ++i) nodes.emplace_back(*t.m, t.new_node(0, i));
  return nodes;
}

// A reference array of n elements that is old: a large one is born old, a
// small one is promoted by two collections (promotion_age 2).
Handle old_array(TestHeap& t, std::size_t n) {
  Handle a(*t.m, t.new_ref_array(n, 0));
  EXPECT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.old(a.get()));
  return a;
}

class ArraySizes : public ::testing::TestWithParam<std::size_t> {};

// One rule for both sizes: an array the thread just allocated is filled
// with plain stores, and the young objects it holds survive the next
// collection. Before arrays of kLargeObject bytes were born remembered,
// the large case failed verification ("holds a young reference but is not
// logged") and then held dangling references after the collection.
TEST_P(ArraySizes, PlainInitialisingStores) {
  TestHeap t;
  HandleScope scope(*t.m);
  std::size_t n = GetParam();
  std::vector<Handle> nodes = young_nodes(t, 8);
  Object* a = t.new_ref_array(n, 0);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(t.old(a), n == kLarge);
  for (std::size_t i = 0; i < n; ++i) array_slots(a)[i] = nodes[i % 8].value();
  Handle array(*t.m, a);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  for (std::size_t i = 0; i < n; ++i) {
    Value v = array_slots(array.get())[i];
    ASSERT_EQ(v, nodes[i % 8].value()) << "element " << i;
    ASSERT_EQ(TestHeap::node_id(as_object(v), 0), i % 8 + 1) << "element " << i;
  }
  // The rule ends at the next call that may collect: stores go through
  // the barrier again, and still keep young objects alive.
  ASSERT_TRUE(t.heap->collect(*t.m));
  Value y = ref_value(t.new_node(0, 99));  // before array.get(): it may collect
  set_slot(*t.m, array.get(), 1 + n - 1, y);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(TestHeap::node_id(as_object(array_slots(array.get())[n - 1]), 0), 99u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

// Young references copied into an old array in one call: the range barrier
// remembers the array (a large one on the cards it wrote), so the copies
// keep the young objects alive. Copying with memmove and no barrier, the
// only way before copy_elements, fails verification the same way.
TEST_P(ArraySizes, CopyYoungReferencesIntoAnOldArray) {
  TestHeap t;
  HandleScope scope(*t.m);
  std::size_t n = GetParam();
  Handle dst = old_array(t, n);
  std::vector<Handle> nodes = young_nodes(t, 8);
  Object* src = t.new_ref_array(n, 0);
  ASSERT_NE(src, nullptr);
  for (std::size_t i = 0; i < n; ++i) array_slots(src)[i] = nodes[i % 8].value();
  std::size_t from = 3;
  std::size_t count = n - 10;
  ASSERT_TRUE(copy_elements(*t.m, dst.get(), 5, src, from, count));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  for (std::size_t i = 0; i < n; ++i) {
    Value v = array_slots(dst.get())[i];
    if (i < 5 || i >= 5 + count) {
      EXPECT_EQ(v, i == 0 ? imm(0) : 0) << "element " << i;  // the fixture's id, or empty
    } else {
      ASSERT_EQ(TestHeap::node_id(as_object(v), 0), (i - 5 + from) % 8 + 1) << "element " << i;
    }
  }
}

// fill_elements with a young reference: every element keeps it alive.
TEST_P(ArraySizes, FillWithAYoungReference) {
  TestHeap t;
  HandleScope scope(*t.m);
  std::size_t n = GetParam();
  Handle a = old_array(t, n);
  Value y = ref_value(t.new_node(0, 7));
  ASSERT_TRUE(fill_elements(*t.m, a.get(), 1, n - 1, y));
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  Value first = array_slots(a.get())[1];
  EXPECT_EQ(TestHeap::node_id(as_object(first), 0), 7u);
  for (std::size_t i = 1; i < n; ++i) ASSERT_EQ(array_slots(a.get())[i], first);
  EXPECT_EQ(array_slots(a.get())[0], imm(0));  // the fixture's id, untouched
}

INSTANTIATE_TEST_SUITE_P(Arrays, ArraySizes, ::testing::Values(kSmall, kLarge),
                         [](const auto& p) { return p.param == kSmall ? "Small" : "Large"; });

// memmove semantics within one array, both directions, at the edges.
TEST(Arrays, CopyWithinOneArrayOverlapping) {
  TestHeap t;
  for (std::size_t n : {kSmall, kLarge}) {
    Object* a = t.new_ref_array(n, 0);
    ASSERT_NE(a, nullptr);
    auto reset = [&] {
      for (std::size_t i = 0; i < n; ++i) array_slots(a)[i] = imm(i);
    };
    reset();
    ASSERT_TRUE(copy_elements(*t.m, a, 1, a, 0, n - 1));  // forward overlap
    EXPECT_EQ(array_slots(a)[0], imm(0));
    for (std::size_t i = 1; i < n; ++i) ASSERT_EQ(array_slots(a)[i], imm(i - 1)) << i;
    reset();
    ASSERT_TRUE(copy_elements(*t.m, a, 0, a, 1, n - 1));  // backward overlap
    for (std::size_t i = 0; i + 1 < n; ++i) ASSERT_EQ(array_slots(a)[i], imm(i + 1)) << i;
    EXPECT_EQ(array_slots(a)[n - 1], imm(n - 1));
    reset();
    ASSERT_TRUE(copy_elements(*t.m, a, n, a, 0, 0));        // empty, at the end: allowed
    ASSERT_TRUE(fill_elements(*t.m, a, n - 1, 1, imm(5)));  // the last element
    EXPECT_EQ(array_slots(a)[n - 1], imm(5));
  }
}

// Bad arguments are refused and change nothing.
TEST(Arrays, RangesOutOfBoundsAndNonArraysAreRefused) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle a(*t.m, t.new_ref_array(10, 1));
  Handle b(*t.m, t.new_ref_array(10, 2));
  Handle bytes(*t.m, t.new_byte_array(80, 3));
  Handle node(*t.m, t.new_node(1, 4));
  constexpr auto kHuge = ~std::size_t{0};
  EXPECT_FALSE(copy_elements(*t.m, a.get(), 0, b.get(), 0, 11));
  EXPECT_FALSE(copy_elements(*t.m, a.get(), 5, b.get(), 0, 6));
  EXPECT_FALSE(copy_elements(*t.m, a.get(), 11, b.get(), 0, 0));
  EXPECT_FALSE(copy_elements(*t.m, a.get(), 1, b.get(), kHuge, 2));  // no wrap-around
  EXPECT_FALSE(copy_elements(*t.m, a.get(), 0, bytes.get(), 0, 1));
  EXPECT_FALSE(copy_elements(*t.m, node.get(), 0, b.get(), 0, 1));
  EXPECT_FALSE(copy_elements(*t.m, nullptr, 0, b.get(), 0, 0));
  EXPECT_FALSE(fill_elements(*t.m, a.get(), 9, 2, imm(1)));
  EXPECT_FALSE(fill_elements(*t.m, a.get(), 2, kHuge, imm(1)));
  EXPECT_FALSE(fill_elements(*t.m, bytes.get(), 0, 1, imm(1)));
  EXPECT_EQ(from_imm(array_slots(a.get())[0]), 1u);
  for (std::size_t i = 1; i < 10; ++i) EXPECT_EQ(array_slots(a.get())[i], 0u);
  EXPECT_EQ(node.get()->slots()[0], 0u);
}

// Slots read in the remembered set by one minor collection.
std::uint64_t remembered_slots_of_collection(TestHeap& t) {
  std::uint64_t before = t.heap->stats().remembered_slots_scanned;
  EXPECT_TRUE(t.heap->collect(*t.m));
  return t.heap->stats().remembered_slots_scanned - before;
}

// One young element in a large array makes a minor collection read one
// card of it, not the whole array. Before the cards, every minor
// collection read all n elements while the young element lived.
void one_young_element(std::size_t n) {
  TestHeap t;
  HandleScope scope(*t.m);
  Handle a(*t.m, t.new_ref_array(n, 0));
  ASSERT_NE(a.get(), nullptr);
  // Born remembered with every card dirty: the first collection reads it
  // all and finds nothing young, which cleans every card.
  EXPECT_EQ(remembered_slots_of_collection(t), n);
  EXPECT_EQ(remembered_slots_of_collection(t), 0u);
  std::size_t at = n / 2 + 3;
  Value y = ref_value(t.new_node(0, 42));
  set_slot(*t.m, a.get(), 1 + at, y);
  EXPECT_EQ(remembered_slots_of_collection(t), cards::kCardSlots);  // copied to a survivor
  EXPECT_EQ(remembered_slots_of_collection(t), cards::kCardSlots);  // promoted now
  EXPECT_EQ(remembered_slots_of_collection(t), 0u);                 // nothing young left
  EXPECT_EQ(TestHeap::node_id(as_object(array_slots(a.get())[at]), 0), 42u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(Arrays, OneYoungElementCostsOneCard) {
  // The counts assume no other collection and no other old object logged.
  RUNA_SKIP_UNDER_TEST_MODES("counts the slots each collection reads");
  one_young_element(std::size_t{1} << 20);  // a million slots, 8 MiB
}

TEST(Arrays, OneYoungElementCostsOneCardUnderStress) {
  // Smaller, and the counts read around one collection each, with no
  // allocation in between: valid in the test modes too.
  one_young_element(4000);
}

// Several threads store young references into different cards of one
// unremembered large array at once: the array is listed once (verified:
// listing it twice would let two workers scan the same cards), every card
// stored into is dirty, and every young object survives.
TEST(Arrays, ConcurrentStoresIntoOneLargeArray) {
  TestHeap t;
  HandleScope scope(*t.m);
  constexpr unsigned kThreads = 4;
  constexpr std::size_t kPerThread = 300;
  std::size_t n = kThreads * kPerThread;
  Handle a(*t.m, t.new_ref_array(n, 0));
  ASSERT_TRUE(t.heap->collect(*t.m));  // cards clean, not remembered
  Object* array = a.get();             // large: never moves
  std::vector<std::thread> threads;
  {
    NativeRegion native(*t.m);
    for (unsigned k = 0; k < kThreads; ++k) {
      threads.emplace_back([&, k] {
        Mutator& m = t.heap->attach();
        // Interleaved: thread k stores into every kThreads-th element, so
        // all threads race on the same cards and on `remembered`.
        for (std::size_t i = k; i < n; i += kThreads) {
          Object* y = allocate(m, t.node[0], 16);
          ASSERT_NE(y, nullptr);
          y->slots()[0] = i;
          set_slot(m, array, 1 + i, ref_value(y));
        }
        t.heap->detach(m);
      });
    }
    for (auto& th : threads) th.join();
  }
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(TestHeap::node_id(as_object(array_slots(a.get())[i]), 0), i) << "element " << i;
  }
}

}  // namespace
}  // namespace runa::heap::testing
