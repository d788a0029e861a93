// SpinWait: a bounded number of spinning rounds, then yields. (The
// interleaving the yields are for, a claimant pre-empted by its waiters, is
// run by RandomGraph.SixteenCollectorWorkers in the memory tests.)
#include "concurrency/spin_wait.hpp"

#include <gtest/gtest.h>

namespace runa::concurrency {
namespace {

TEST(SpinWait, SpinsABoundedNumberOfRoundsThenYields) {
  SpinWait spin;
  for (unsigned i = 0; i < SpinWait::kSpinRounds; ++i) {
    EXPECT_FALSE(spin.spun_out()) << i;
    spin.wait();
  }
  EXPECT_TRUE(spin.spun_out());
  EXPECT_EQ(spin.yields(), 0u);
  for (unsigned i = 1; i <= 3; ++i) {
    spin.wait();
    EXPECT_EQ(spin.yields(), i);
  }
}

}  // namespace
}  // namespace runa::concurrency
