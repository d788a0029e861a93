// Sizing ergonomics: the young reservation out of max_heap, eden's
// adaptation after minor collections, and refill chunks (sizing.hpp); and
// the same seen through a heap (its statistics).
#include <thread>
#include <vector>

#include "heap_fixture.hpp"
#include "memory/sizing.hpp"

namespace runa::heap::testing {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

Options adaptive(std::size_t max_heap) {
  Options o;
  o.max_heap = max_heap;
  return o;
}

// A collection that copied `copied` of `allocated` bytes, all of its
// survivors having survived before: a long-lived reading.
MinorSample long_lived(std::uint64_t allocated, std::uint64_t copied) {
  MinorSample m;
  m.allocated = allocated;
  m.copied = copied;
  m.last_survivors = copied;
  m.resurvived = copied;
  return m;
}

TEST(Sizing, AdaptiveReservesAThirdOfMaxHeapAndStartsAtTheInitialEden) {
  Sizing s(adaptive(std::size_t{1} << 30));
  ASSERT_TRUE(s.adaptive());
  YoungSize r = s.reserved();
  EXPECT_LE(r.total(), (std::size_t{1} << 30) / 3);
  EXPECT_GT(r.total(), (std::size_t{1} << 30) / 3 - 10 * kPage);
  EXPECT_EQ(r.eden, 8 * r.half);
  YoungSize first = s.initial();
  EXPECT_EQ(first.eden, Sizing::kInitialEden);
  EXPECT_EQ(first.half, first.eden / 8 / kPage * kPage);
  EXPECT_EQ(s.tlab(), kBlock);
  // A heap whose largest eden is smaller starts at its largest: 128 MiB,
  // the JVM's -Xmx of GCBench, gets the young generation -Xms128m gives it.
  Sizing small(adaptive(128 * kMiB));
  EXPECT_LT(small.reserved().eden, 2 * Sizing::kInitialEden);
  EXPECT_EQ(small.initial().eden, std::min(small.reserved().eden, Sizing::kInitialEden));
  Sizing tiny(adaptive(16 * kMiB));
  EXPECT_EQ(tiny.initial(), tiny.reserved());
}

TEST(Sizing, AFixedNurseryNeverMoves) {
  Options o = adaptive(64 * kMiB);
  o.nursery = 10 * kMiB;
  Sizing s(o);
  EXPECT_FALSE(s.adaptive());
  EXPECT_EQ(s.initial(), s.reserved());
  MinorSample m;
  m.allocated = 1000;
  m.copied = 1000;  // everything survived: adaptive would grow
  EXPECT_EQ(s.after_minor(s.initial(), m), s.reserved());
}

// Tenuring reads the last known persistence (tenuring.hpp, "First
// survivals"), with a fixed nursery as with an adaptive one; a collection
// that found no survivors left from the previous one changes nothing.
TEST(Sizing, PersistenceIsRecordedWhateverTheNurseryAndKeptWhenUnknown) {
  Options o = adaptive(64 * kMiB);
  o.nursery = 10 * kMiB;
  for (Sizing s : {Sizing(o), Sizing(adaptive(64 * kMiB))}) {
    EXPECT_FALSE(s.survivors_persist());
    MinorSample m;
    m.allocated = kMiB;
    m.copied = kMiB / 4;
    m.last_survivors = kMiB / 4;
    m.resurvived = kMiB / 4;
    (void)s.after_minor(s.initial(), m);
    EXPECT_TRUE(s.survivors_persist());
    m.last_survivors = 0;  // the half was empty: nothing known
    m.resurvived = 0;
    (void)s.after_minor(s.initial(), m);
    EXPECT_TRUE(s.survivors_persist());
    m.last_survivors = kMiB / 4;  // few survived again
    m.resurvived = kMiB / 16;
    (void)s.after_minor(s.initial(), m);
    EXPECT_FALSE(s.survivors_persist());
  }
}

// Eden grows by survival over its target, at least twofold and at most
// kMaxGrowth-fold: a structure built before the first collection (all of
// eden survives) takes eden to its largest at once.
TEST(Sizing, EdenGrowsInProportionToSurvival) {
  Sizing s(adaptive(std::size_t{1} << 30));
  YoungSize y = s.initial();
  MinorSample m;
  m.allocated = y.eden;
  m.copied = y.eden;  // twenty times kGrowSurvival: capped, here by the reservation
  ASSERT_LT(s.reserved().eden, static_cast<std::size_t>(Sizing::kMaxGrowth) * y.eden);
  EXPECT_EQ(s.after_minor(y, m), s.reserved());
  // In a larger heap the cap is kMaxGrowth times ...
  Sizing big(adaptive(std::size_t{8} << 30));
  ASSERT_EQ(big.initial(), y);
  EXPECT_EQ(big.after_minor(y, m).eden, static_cast<std::size_t>(Sizing::kMaxGrowth) * y.eden);
  // ... and half surviving, ten times the target, grows eden tenfold.
  m.copied = y.eden / 2;
  EXPECT_EQ(big.after_minor(y, m).eden, 10 * y.eden);
}

TEST(Sizing, HighSurvivalOfShortLivedObjectsDoublesEdenUpToTheReservation) {
  Sizing s(adaptive(std::size_t{1} << 30));
  YoungSize y = s.initial();
  MinorSample m;
  m.allocated = y.eden;
  m.copied = y.eden / 10;  // 10% survived ...
  m.last_survivors = y.eden / 10;
  m.resurvived = y.eden / 100;  // ... but few of the last survivors lived on
  YoungSize next = s.after_minor(y, m);
  EXPECT_EQ(next.eden, 2 * y.eden);
  for (int i = 0; i < 10; ++i) next = s.after_minor(next, m);
  EXPECT_EQ(next, s.reserved());
  // Low survival keeps the size.
  m.copied = y.eden / 100;
  EXPECT_EQ(s.after_minor(y, m), y);
}

TEST(Sizing, LongLivedSurvivorsWithLongCopiesHalveEden) {
  Sizing s(adaptive(std::size_t{1} << 30));
  YoungSize y = s.reserved();
  MinorSample m;
  m.allocated = y.eden;
  m.copied = y.eden / 2;  // far more than the pause budget
  m.last_survivors = m.copied;
  m.resurvived = m.copied * 3 / 4;  // exactly at kLongLived
  // The first reading keeps eden (half of it, so that growth would show);
  // the second in a row halves it.
  EXPECT_EQ(s.after_minor(s.initial(), m), s.initial());
  EXPECT_EQ(s.after_minor(y, m).eden, y.eden / 2);
  EXPECT_EQ(s.after_minor(y, m).eden, y.eden / 2);
  // Just under it: short-lived enough, grows (here: stays at the top).
  m.resurvived = m.copied * 3 / 4 - 8;
  EXPECT_EQ(s.after_minor(y, m).eden, y.eden);
  // A long-lived reading after that one is again a first one.
  m.resurvived = m.copied;
  EXPECT_EQ(s.after_minor(y, m), y);
  EXPECT_EQ(s.after_minor(y, m).eden, y.eden / 2);
}

// binary-trees' shape: one large structure is copied once as survivors and
// then promoted, and the collections after it copy next to nothing. The
// single long-lived reading must not halve eden for the rest of the run.
TEST(Sizing, OneLongLivedCopyFollowedByQuietCollectionsKeepsEden) {
  Sizing s(adaptive(std::size_t{1} << 30));
  YoungSize y = s.reserved();
  EXPECT_EQ(s.after_minor(y, long_lived(y.eden, y.eden / 8)), y);
  MinorSample quiet;
  quiet.allocated = y.eden;
  quiet.copied = std::size_t{64} << 10;
  quiet.last_survivors = quiet.copied;
  quiet.resurvived = quiet.copied;  // persistent, but a short copy
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.after_minor(y, quiet), y);
}

TEST(Sizing, LongLivedButShortCopiesGrowEdenUpToThePauseBudget) {
  Sizing s(adaptive(std::size_t{1} << 30));
  const std::uint64_t budget = Sizing::kPauseCopyPerThread * 2;  // 2 collector threads
  MinorSample m;
  // Long-lived, a quarter of the budget copied, a quarter survived (five
  // times the target): survival alone would grow eden fivefold, but the
  // copies grow with eden, so it grows fourfold, to the budget.
  m.copied = budget / 4;
  m.resurvived = m.copied;
  m.allocated = m.copied * 4;
  m.last_survivors = m.copied;
  EXPECT_EQ(s.after_minor(s.initial(), m).eden, 4 * s.initial().eden);
  // At the budget: eden stays.
  m.copied = m.resurvived = m.last_survivors = budget;
  m.allocated = budget * 4;
  EXPECT_EQ(s.after_minor(s.initial(), m), s.initial());
}

// The pause workload's shape: its long-lived survivors are promoted on
// their first survival, so after one reading the survivor half is always
// empty and no collection reads persistence again. The reading stands:
// long copies halve eden, and eden does not grow back past the budget.
// (Before, an empty half read as "not persistent": eden grew by survival's
// factor after every halving, and minor pauses copied tens of megabytes.)
TEST(Sizing, AStandingLongLivedReadingStillHalvesAndCapsEden) {
  Sizing s(adaptive(std::size_t{1} << 30));
  const std::uint64_t budget = Sizing::kPauseCopyPerThread * 2;
  YoungSize y = s.reserved();
  EXPECT_EQ(s.after_minor(y, long_lived(y.eden, y.eden / 2)),
            y);          // a first long reading keeps eden
  MinorSample promoted;  // the half was empty: no new reading
  promoted.allocated = y.eden;
  promoted.copied = y.eden / 2;
  YoungSize now = s.after_minor(y, promoted);
  EXPECT_EQ(now.eden, y.eden / 2);
  EXPECT_TRUE(s.survivors_persist());
  // Halving goes on while the copies are long...
  for (int i = 0; i < 20 && now.eden / 2 > budget; ++i) {
    promoted.allocated = now.eden;
    promoted.copied = now.eden / 2;
    YoungSize next = s.after_minor(now, promoted);
    EXPECT_LE(next.eden, now.eden) << i;
    now = next;
  }
  // ...and eden settles where a pause copies about the budget: half of
  // eden survives, so at most twice the budget.
  for (int i = 0; i < 20; ++i) {
    promoted.allocated = now.eden;
    promoted.copied = now.eden / 2;
    now = s.after_minor(now, promoted);
    EXPECT_LE(now.eden, 2 * budget + kPage) << i;
  }
}

TEST(Sizing, EachMutatorGetsItsShareOfEden) {
  Sizing s(adaptive(std::size_t{1} << 30));
  YoungSize y = s.initial();
  MinorSample m;
  m.allocated = y.eden;
  m.copied = 0;
  for (std::size_t n : {std::size_t{1}, std::size_t{16}, std::size_t{64}}) {
    m.mutators = n;
    std::size_t want = std::max(y.eden, n * Sizing::kEdenPerMutator);
    EXPECT_EQ(s.after_minor(y, m).eden, want) << n;
  }
  // At most the reservation, however many threads.
  m.mutators = 100000;
  EXPECT_EQ(s.after_minor(y, m).eden, s.reserved().eden);
}

TEST(Sizing, EdenNeverGrowsPastTheRoomToPromote) {
  Sizing s(adaptive(std::size_t{1} << 30));
  YoungSize y = s.initial();
  MinorSample m;
  m.allocated = y.eden;
  m.copied = y.eden / 8;  // survival 12.5%: eden grows 2.5 times
  m.promotion_room = 10 * y.total();
  YoungSize next = s.after_minor(y, m);
  EXPECT_EQ(next.eden, 5 * y.eden / 2);
  EXPECT_LE(next.total(), m.promotion_room);
  // Survival 50%, ten times the target: room for 3.5 times the young
  // generation keeps eden under that.
  m.copied = y.eden / 2;
  m.promotion_room = 7 * y.total() / 2;
  next = s.after_minor(y, m);
  EXPECT_LE(next.total(), m.promotion_room);
  EXPECT_GT(next.eden, 3 * y.eden);
  // Exactly room for the young generation as it is, promoted whole: not
  // for twice it, fragmentation's worst case, left to promotion failure.
  m.promotion_room = y.total();
  next = s.after_minor(y, m);
  EXPECT_LE(next.total(), m.promotion_room);
  EXPECT_GE(next.eden, y.eden - 2 * kPage);
  m.promotion_room = y.total() / 2;
  next = s.after_minor(y, m);
  EXPECT_LE(next.total(), m.promotion_room);
  EXPECT_GE(next.eden, y.eden / 2 - 2 * kPage);
  m.promotion_room = 0;  // no room: the smallest eden (the minor collection will not run)
  EXPECT_EQ(s.after_minor(y, m).eden, kMiB);
}

TEST(Sizing, ChunksFollowTheThreadsShareAndFixedTlabsStayFixed) {
  Sizing s(adaptive(std::size_t{1} << 30));
  EXPECT_EQ(s.chunk(100 * kMiB, 1.0), 100 * kMiB / Sizing::kRefillsPerEpoch / 8 * 8);
  EXPECT_EQ(s.chunk(100 * kMiB, 0.25), 100 * kMiB / 4 / Sizing::kRefillsPerEpoch / 8 * 8);
  EXPECT_EQ(s.chunk(100 * kMiB, 0.0), kBlock);  // never below one TLAB
  Options o = adaptive(std::size_t{1} << 30);
  o.tlab = 4096;
  Sizing fixed(o);
  EXPECT_EQ(fixed.chunk(100 * kMiB, 1.0), 4096U);
  EXPECT_EQ(fixed.tlab(), 4096U);
}

TEST(Sizing, TooSmallForAnAdaptiveNurseryIsAnError) {
  Options o = adaptive(64 << 10);
  auto h = Heap::create(o);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("too small for an adaptive nursery"), std::string::npos)
      << h.error().message;
  o.max_heap = std::size_t{3 * 10 * 2} * kPage;  // the least: halves of two pages
  EXPECT_TRUE(Heap::create(o).ok());
  o.max_heap -= kPage;
  EXPECT_FALSE(Heap::create(o).ok());
}

// Lists that live for 8 MiB of allocation, a quarter of the first eden of a
// 256 MiB heap (kInitialEden): more than 5% of eden survives a collection
// that meets a list half built, and the list dies before the next one, so
// the nursery grows; and the counters add up.
TEST(SizingHeap, TheNurseryGrowsForObjectsThatNeedMoreTimeToDie) {
  RUNA_SKIP_UNDER_TEST_MODES("counts collections and sizes");
  Options o;
  o.max_heap = 256 * kMiB;
  TestHeap t(o);
  std::uint64_t first = t.heap->stats().nursery_bytes;
  EXPECT_EQ(first, Sizing(o).initial().total());
  HandleScope scope(*t.m);
  Handle list(*t.m, Value{0});
  constexpr std::size_t kNodes = 8 * kMiB / 24;
  for (int round = 0; round < 40; ++round) {
    list.set(Value{0});
    for (std::size_t i = 0; i < kNodes; ++i) {
      Object* node = t.new_node(1, i);
      ASSERT_NE(node, nullptr);
      set_slot(*t.m, node, 0, list.value());
      list.set(ref_value(node));
    }
  }
  Stats s = t.heap->stats();
  EXPECT_GT(s.nursery_bytes, first);
  EXPECT_LE(s.nursery_bytes, Sizing(o).reserved().total());
  EXPECT_LE(s.committed_bytes, o.max_heap);
  // One handshake per collection, and no other thread to wait for; at most
  // one more, when eden's growth took the pause's `carried` list past what
  // the reserve after the previous pause predicted (HeapImpl::pause_needs
  // bounds its prediction: a huge nursery's worst case is left to the pause
  // that meets it, which stops the world twice).
  EXPECT_GE(s.safepoint_handshakes, s.minor_collections + s.major_collections);
  EXPECT_LE(s.safepoint_handshakes, s.minor_collections + s.major_collections + 1);
  EXPECT_EQ(s.mutator_lock_contended, 0U);
  // The single thread takes chunks of a fiftieth of eden: several TLABs each.
  EXPECT_GT(s.tlab_refills, 2 * s.eden_refills);
  EXPECT_EQ(s.eden_cas_retries, 0U);
}

// Eight mutators attached: after the first collection eden gives each at
// least kEdenPerMutator.
TEST(SizingHeap, EdenGrowsWithTheNumberOfMutators) {
  RUNA_SKIP_UNDER_TEST_MODES("checks sizes");
  Options o;
  o.max_heap = 256 * kMiB;
  TestHeap t(o);
  std::vector<std::thread> threads;
  std::atomic<int> attached{0};
  std::atomic<bool> done{false};
  threads.reserve(7);
  for (int i = 0; i < 7; ++i) {
    threads.emplace_back([&] {
      Mutator& m = t.heap->attach();
      {
        NativeRegion native(m);
        attached.fetch_add(1);
        while (!done.load()) std::this_thread::yield();
      }
      t.heap->detach(m);
    });
  }
  while (attached.load() != 7) std::this_thread::yield();
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_GE(impl_of(*t.heap).nursery.eden_capacity(), 8 * Sizing::kEdenPerMutator);
  done.store(true);
  for (auto& th : threads) th.join();
}

}  // namespace
}  // namespace runa::heap::testing
