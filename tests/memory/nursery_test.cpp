// Nursery: TLAB carving, to-space allocation and the flip.
#include <gtest/gtest.h>

#include <cstring>

#include "memory/nursery.hpp"
#include "memory/region.hpp"

namespace runa::heap {
namespace {

struct NurseryTest : ::testing::Test {
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(region.reserve(10 * kPage, kPage, error)) << error;
    ASSERT_TRUE(region.commit(region.base(), 10 * kPage));
    n.init(region.base(), 6 * kPage, 2 * kPage);  // eden 6 pages, halves 2 each
  }
  Region region;
  Nursery n;
};

TEST_F(NurseryTest, CarvesZeroedMemoryUntilEdenIsFull) {
  std::memset(region.base(), 0xab, 6 * kPage);  // dirty eden
  std::size_t got = 0;
  std::uint8_t* a = n.carve(64, 4096, got);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(got, 4096u);
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

}  // namespace
}  // namespace runa::heap
