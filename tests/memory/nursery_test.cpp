// Nursery: TLAB carving, to-space allocation and the flip.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "memory/nursery.hpp"
#include "memory/region.hpp"

namespace runa::heap {
namespace {

struct NurseryTest : ::testing::Test {
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(region.reserve(10 * kPage, kPage, error)) << error;
    // Eden 6 pages, halves 2 each.
    ASSERT_TRUE(n.init(region, region.base(), {6 * kPage, 2 * kPage}, {6 * kPage, 2 * kPage}));
  }
  Region region;
  Nursery n;
};

TEST_F(NurseryTest, CarvesMemoryThatZeroClearsUntilEdenIsFull) {
  // Dirty eden the way mutators do: carve it, write it, empty it.
  std::size_t got = 0;
  std::uint8_t* all = n.carve(6 * kPage, 6 * kPage, got);
  ASSERT_NE(all, nullptr);
  std::memset(all, 0xab, got);
  n.flip(false);
  std::uint8_t* a = n.carve(64, 4096, got);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(got, 4096u);
  // Carving clears nothing (the thread zeroes a TLAB at a time, when it uses it).
  EXPECT_EQ(a[0], 0xab);
  n.zero(a, 1024);
  for (std::size_t i = 0; i < 1024; ++i) ASSERT_EQ(a[i], 0);
  EXPECT_EQ(a[1024], 0xab);
  n.zero(a + 1024, got - 1024);
  for (std::size_t i = 0; i < got; ++i) ASSERT_EQ(a[i], 0);
  EXPECT_EQ(n.eden_used(), 4096u);
  EXPECT_TRUE(n.contains(a) && n.in_from(a) && !n.in_to(a));

  std::uint8_t* b = n.carve(64, 5 * kPage, got);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b, a + 4096);
  EXPECT_EQ(got, 5 * kPage);
  // Less than `want` but at least `min` is still handed out.
  EXPECT_EQ(n.carve(8, 64, got), nullptr);
}

// Eden is fresh from mmap until it is first used: zero() must not clear
// (and so fault in) what already reads zero. mincore() says which pages are
// resident; a page is only resident once touched.
TEST(NurseryFresh, FirstZeroTouchesNoPageAndLaterZeroesClear) {
  constexpr std::size_t kEden = 64 * kPage;
  Region region;
  std::string error;
  ASSERT_TRUE(region.reserve(kEden + 4 * kPage, kPage, error)) << error;
  Nursery n;
  ASSERT_TRUE(n.init(region, region.base(), {kEden, 2 * kPage}, {kEden, 2 * kPage}));
  auto resident = [&](const std::uint8_t* p, std::size_t bytes) {
    std::vector<unsigned char> v(bytes / kPage);
    EXPECT_EQ(mincore(const_cast<std::uint8_t*>(p), bytes, v.data()), 0);
    return static_cast<std::size_t>(
        std::count_if(v.begin(), v.end(), [](unsigned char c) { return (c & 1) != 0; }));
  };
  std::size_t got = 0;
  std::uint8_t* a = n.carve(kEden / 2, kEden / 2, got);
  ASSERT_NE(a, nullptr);
  n.zero(a, got);
  EXPECT_EQ(resident(region.base(), kEden), 0u);
  for (std::size_t i = 0; i < got; i += 512) ASSERT_EQ(a[i], 0);  // reads map the zero page
  std::memset(a, 0xab, got);                                      // what the mutator allocates

  // Emptied and carved again: what was written is zeroed, and only that.
  n.flip(false);
  std::uint8_t* b = n.carve(kEden, kEden, got);
  ASSERT_EQ(b, a);
  ASSERT_EQ(got, kEden);
  n.zero(b, got);
  EXPECT_EQ(resident(region.base() + kEden / 2, kEden / 2), 0u);
  for (std::size_t i = 0; i < got; ++i) ASSERT_EQ(b[i], 0) << i;

  // Written again above the old mark, and eden discarded by a shrink
  // (kUncommitDelay epochs below the committed size): the discarded tail
  // reads zero without zero() clearing it, the rest is zeroed.
  std::memset(b, 0xcd, got);
  n.flip(false);
  for (unsigned i = 0; i < Nursery::kUncommitDelay; ++i) {
    ASSERT_TRUE(n.resize({kEden / 4, 2 * kPage}));
  }
  ASSERT_TRUE(n.resize({kEden, 2 * kPage}));
  std::uint8_t* c = n.carve(kEden, kEden, got);
  ASSERT_EQ(c, a);
  n.zero(c, got);
  EXPECT_EQ(resident(region.base() + kEden / 4, 3 * kEden / 4), 0u);
  for (std::size_t i = 0; i < got; ++i) ASSERT_EQ(c[i], 0) << i;
}

TEST_F(NurseryTest, PartialCarveWhenLessThanWantIsLeft) {
  std::size_t got = 0;
  ASSERT_NE(n.carve(8, 6 * kPage - 100, got), nullptr);
  std::uint8_t* p = n.carve(50, 4096, got);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(got, 100u);
  EXPECT_EQ(n.carve(8, 8, got), nullptr);
}

TEST_F(NurseryTest, FlipSwapsHalvesAndEmptiesEden) {
  std::size_t got = 0;
  std::uint8_t* e = n.carve(64, 64, got);
  std::uint8_t* to = n.to_chunk(48, 48, got);
  ASSERT_NE(to, nullptr);
  EXPECT_EQ(got, 48u);
  EXPECT_TRUE(n.in_to(to));
  EXPECT_FALSE(n.in_from(to));
  std::memset(to, 1, 48);
  EXPECT_EQ(n.to_chunk(2 * kPage, 2 * kPage, got), nullptr);  // beyond the half's size

  n.flip(true);
  EXPECT_EQ(n.eden_used(), 0u);
  EXPECT_EQ(n.survivors_begin(), to);
  EXPECT_EQ(n.survivors_used(), 48u);
  EXPECT_TRUE(n.in_from(to));
  EXPECT_FALSE(n.in_to(to));
  std::uint64_t w = 0;
  std::memcpy(&w, e, 8);
  EXPECT_EQ(w, 0xdeadbeefdeadbeefULL);  // evacuated eden is poisoned
  EXPECT_EQ(to[0], 1);                  // the survivors are not

  n.flip(true);  // survivors (nothing copied this time) become poisoned
  std::memcpy(&w, to, 8);
  EXPECT_EQ(w, 0xdeadbeefdeadbeefULL);
  EXPECT_EQ(n.survivors_used(), 0u);
}

// After a promotion failure (keep()): eden and both halves hold objects,
// all of it from-space, with no copy target; the next flip empties it all.
TEST_F(NurseryTest, AKeptNurseryIsAllFromSpaceUntilTheNextFlip) {
  std::size_t got = 0;
  std::uint8_t* e = n.carve(64, 64, got);
  std::uint8_t* to = n.to_chunk(48, 48, got);
  ASSERT_NE(to, nullptr);
  n.keep();
  EXPECT_TRUE(n.kept());
  EXPECT_TRUE(n.in_from(e) && n.in_from(to));
  EXPECT_TRUE(n.holds(e) && n.holds(to) && !n.holds(to + 48));
  EXPECT_EQ(n.survivors_used(), 48u);
  EXPECT_EQ(n.to_chunk(8, 8, got), nullptr);  // everything surviving is promoted
  EXPECT_EQ(n.eden_fresh(), 0u);
  std::uint8_t* more = n.carve(64, 64, got);  // mutators go on above eden's top
  EXPECT_EQ(more, e + 64);
  EXPECT_EQ(n.eden_fresh(), 64u);
  int parts = 0;
  n.for_each_part([&](std::uint8_t*, std::uint8_t*) { ++parts; });
  EXPECT_EQ(parts, 3);

  n.flip(false);
  EXPECT_FALSE(n.kept());
  EXPECT_EQ(n.eden_used(), 0u);
  EXPECT_EQ(n.survivors_used(), 0u);
  EXPECT_FALSE(n.holds(to));
  EXPECT_NE(n.to_chunk(8, 8, got), nullptr);
}

// Eden and the halves grow and shrink between collections inside their
// reservation: carving stops at the current size, and a shrunk eden carves
// only its new size.
TEST(NurseryResize, CarvesWithinTheCurrentSizeAndGrowsIntoTheReservation) {
  Region region;
  std::string error;
  ASSERT_TRUE(region.reserve(10 * kPage, kPage, error)) << error;
  Nursery n;
  ASSERT_TRUE(n.init(region, region.base(), {6 * kPage, 2 * kPage}, {2 * kPage, kPage}));
  EXPECT_EQ(n.committed(), 4 * kPage);
  EXPECT_EQ(n.size(), 10 * kPage);  // what is young does not change
  std::size_t got = 0;
  ASSERT_NE(n.carve(2 * kPage, 2 * kPage, got), nullptr);
  EXPECT_EQ(n.carve(8, 8, got), nullptr);                     // eden is 2 pages now
  EXPECT_EQ(n.to_chunk(2 * kPage, 2 * kPage, got), nullptr);  // a half is 1 page
  std::uint8_t* to = n.to_chunk(kPage, kPage, got);
  ASSERT_NE(to, nullptr);
  n.flip(false);

  ASSERT_TRUE(n.resize({6 * kPage, 2 * kPage}));
  EXPECT_EQ(n.committed(), 10 * kPage);
  std::uint8_t* e = n.carve(6 * kPage, 6 * kPage, got);
  ASSERT_NE(e, nullptr);
  std::memset(e, 0xab, 6 * kPage);
  EXPECT_NE(n.to_chunk(2 * kPage, 2 * kPage, got), nullptr);
  n.flip(false);

  ASSERT_TRUE(n.resize({2 * kPage, kPage}));
  EXPECT_EQ(n.eden_capacity(), 2 * kPage);
  EXPECT_EQ(n.half_capacity(), kPage);
  EXPECT_NE(n.carve(2 * kPage, 2 * kPage, got), nullptr);
  EXPECT_EQ(n.carve(8, 8, got), nullptr);
}

// A shrunk eden keeps its tail committed for Nursery::kUncommitDelay
// epochs, so that the policy's halving and doubling does not fault the tail
// in again at every other collection; a tail no epoch of that window used
// is then discarded down to the largest eden of the window, and reads as
// zero when committed again. The halves stay committed throughout.
TEST(NurseryResize, DiscardsEdensTailOnlyAfterItStayedUnusedForTheDelay) {
  Region region;
  std::string error;
  ASSERT_TRUE(region.reserve(16 * kPage, kPage, error)) << error;
  Nursery n;
  ASSERT_TRUE(n.init(region, region.base(), {8 * kPage, 4 * kPage}, {8 * kPage, 2 * kPage}));
  constexpr std::size_t kHalves = 4 * kPage;  // two halves of two pages
  std::size_t got = 0;
  std::uint8_t* e = n.carve(8 * kPage, 8 * kPage, got);
  ASSERT_NE(e, nullptr);
  std::memset(e, 0xab, 8 * kPage);
  n.flip(false);

  // Shrinking then growing back within the delay: nothing is discarded.
  ASSERT_TRUE(n.resize({2 * kPage, 2 * kPage}));
  EXPECT_EQ(n.committed(), 8 * kPage + kHalves);
  ASSERT_TRUE(n.resize({8 * kPage, 2 * kPage}));
  EXPECT_EQ(n.committed(), 8 * kPage + kHalves);
  EXPECT_EQ(region.base()[7 * kPage], 0xab);  // not given back: no fault to refill it

  // The window restarted when eden used all of it again: kUncommitDelay - 1
  // short epochs keep everything, the last one discards above their peak.
  for (unsigned k = 1; k < Nursery::kUncommitDelay; ++k) {
    ASSERT_TRUE(n.resize({k == 3 ? 4 * kPage : 2 * kPage, 2 * kPage}));
    EXPECT_EQ(n.committed(), 8 * kPage + kHalves) << k;
  }
  ASSERT_TRUE(n.resize({2 * kPage, 2 * kPage}));
  EXPECT_EQ(n.committed(), 4 * kPage + kHalves);
  EXPECT_EQ(n.eden_capacity(), 2 * kPage);
  EXPECT_EQ(region.base()[3 * kPage], 0xab);  // within the window's peak: kept

  ASSERT_TRUE(n.resize({8 * kPage, 2 * kPage}));
  EXPECT_EQ(n.committed(), 8 * kPage + kHalves);
  for (std::size_t i = 4 * kPage; i < 8 * kPage; ++i) ASSERT_EQ(region.base()[i], 0) << i;
}

}  // namespace
}  // namespace runa::heap
