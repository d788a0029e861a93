// Pacing major collections (major_pacing.hpp): the old generation's
// growth before the next major collection follows the share of time major
// pauses take, between the option's growth and kMaxGrowth.
#include "memory/major_pacing.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace runa::heap {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

TEST(MajorPacing, StartsAtTheOptionAndLearnsNothingFromTheFirstMajor) {
  MajorPacing p(100);
  EXPECT_EQ(p.growth(), 100U);
  p.after_major(50 * kMs, 0);  // no previous major: no cycle to compare with
  EXPECT_EQ(p.growth(), 100U);
}

// The pause workload's shape: 22 ms majors every 100 ms (22% of the time).
TEST(MajorPacing, CostlyMajorsDoubleTheGrowthUpToTheLimit) {
  MajorPacing p(100);
  p.after_major(22 * kMs, 100 * kMs);
  EXPECT_EQ(p.growth(), 200U);
  p.after_major(22 * kMs, 100 * kMs);
  EXPECT_EQ(p.growth(), 400U);
  p.after_major(22 * kMs, 100 * kMs);
  EXPECT_EQ(p.growth(), MajorPacing::kMaxGrowth);
  p.after_major(22 * kMs, 100 * kMs);
  EXPECT_EQ(p.growth(), MajorPacing::kMaxGrowth);
}

TEST(MajorPacing, CheapMajorsHalveItBackToTheOptionNeverBelow) {
  MajorPacing p(100);
  for (int i = 0; i < 3; ++i) p.after_major(22 * kMs, 100 * kMs);
  ASSERT_EQ(p.growth(), MajorPacing::kMaxGrowth);
  p.after_major(1 * kMs, 1000 * kMs);  // 0.1%
  EXPECT_EQ(p.growth(), 400U);
  p.after_major(1 * kMs, 1000 * kMs);
  p.after_major(1 * kMs, 1000 * kMs);
  p.after_major(1 * kMs, 1000 * kMs);
  EXPECT_EQ(p.growth(), 100U);
}

TEST(MajorPacing, BetweenHalfTheGoalAndTheGoalTheGrowthStays) {
  MajorPacing p(100);
  p.after_major(20 * kMs, 100 * kMs);
  ASSERT_EQ(p.growth(), 200U);
  p.after_major(4 * kMs, 100 * kMs);  // 4%: under the goal, over half of it
  EXPECT_EQ(p.growth(), 200U);
}

TEST(MajorPacing, AnOptionAboveTheLimitIsKeptAndZeroStaysOff) {
  MajorPacing high(2000);
  high.after_major(50 * kMs, 100 * kMs);
  EXPECT_EQ(high.growth(), 2000U);
  MajorPacing off(0);
  off.after_major(50 * kMs, 100 * kMs);
  EXPECT_EQ(off.growth(), 0U);
}

}  // namespace
}  // namespace runa::heap
