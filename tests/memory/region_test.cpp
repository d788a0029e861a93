// Region: reservation alignment, commit and discard.
#include <gtest/gtest.h>

#include <cstdint>

#include "memory/region.hpp"
#include "vm_flags.hpp"

namespace runa::heap {
namespace {

TEST(Region, ReservesAligned) {
  Region r;
  std::string error;
  ASSERT_TRUE(r.reserve(1 << 20, 32 << 10, error)) << error;
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.base()) % (32 << 10), 0u);
  EXPECT_EQ(r.size(), 1u << 20);
  EXPECT_TRUE(r.contains(r.base()));
  EXPECT_TRUE(r.contains(r.base() + r.size() - 1));
  EXPECT_FALSE(r.contains(r.base() + r.size()));
  EXPECT_FALSE(r.contains(r.base() - 1));
}

TEST(Region, DiscardedPagesReadZeroAndStayWritable) {
  Region r;
  std::string error;
  ASSERT_TRUE(r.reserve(64 << 10, kPage, error)) << error;
  std::uint8_t* p = r.base() + kPage;
  ASSERT_TRUE(r.commit(p, 2 * kPage));
  for (std::size_t i = 0; i < 2 * kPage; ++i) ASSERT_EQ(p[i], 0);
  p[0] = 7;
  p[2 * kPage - 1] = 9;
  r.discard(p, 2 * kPage);
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[2 * kPage - 1], 0);
  p[kPage] = 3;  // still committed
  EXPECT_EQ(p[kPage], 3);
}

TEST(Region, HugePagesAreAskedForOnTheRangeOnly) {
  Region r;
  std::string error;
  ASSERT_TRUE(r.reserve(8 * kHugePage, kHugePage, error)) << error;
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.base()) % kHugePage, 0u);
  r.prefer_huge_pages(r.base(), 4 * kHugePage);
  ASSERT_TRUE(r.commit(r.base(), 6 * kHugePage));
  r.base()[0] = 1;  // still plain memory
  EXPECT_NE(vm_flags_at(r.base()).find(" hg"), std::string::npos) << vm_flags_at(r.base());
  EXPECT_EQ(vm_flags_at(r.base() + 5 * kHugePage).find(" hg"), std::string::npos);
  r.prefer_huge_pages(r.base() + 7 * kHugePage, kHugePage * 2);  // past the end: refused
  EXPECT_EQ(vm_flags_at(r.base() + 7 * kHugePage).find(" hg"), std::string::npos);
}

TEST(Region, RejectsBadSizes) {
  Region r;
  std::string error;
  EXPECT_FALSE(r.reserve(0, kPage, error));
  EXPECT_NE(error.find("page"), std::string::npos);
  EXPECT_FALSE(r.reserve(kPage + 1, kPage, error));
  EXPECT_FALSE(r.reserve(kPage, 3 * kPage, error));
}

}  // namespace
}  // namespace runa::heap
