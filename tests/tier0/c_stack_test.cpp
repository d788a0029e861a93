// c_stack (engines/tier0/c_stack.hpp): the main thread's C stack found
// from the auxiliary vector and RLIMIT_STACK must have the bottom glibc
// finds in /proc/self/maps, to the byte (the guard's limit is measured
// from it), and reach at least as high (glibc stops below the arguments
// and environment, this at the mapping's end); other threads' come from
// glibc itself. Each found stack holds the frame that asked.
#include "c_stack.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace runa::tier0 {
namespace {

bool holds_this_frame(const CStack& s) {
  const auto* here = static_cast<const char*>(__builtin_frame_address(0));
  return s.low != nullptr && here >= s.low && here < s.low + s.size;
}

// GoogleTest runs the tests on the process's main thread.
TEST(CStackTest, TheMainThreadsStackIsTheOneGlibcReadsFromProcMaps) {
  const CStack ours = c_stack();
  const CStack glibc = c_stack_from_pthread();
  ASSERT_NE(glibc.low, nullptr);
  EXPECT_EQ(ours.low, glibc.low);
  EXPECT_GE(ours.size, glibc.size);
  EXPECT_TRUE(holds_this_frame(ours));
}

TEST(CStackTest, AnotherThreadsStackComesFromGlibc) {
  CStack ours;
  CStack glibc;
  bool held = false;
  std::thread([&] {
    ours = c_stack();
    glibc = c_stack_from_pthread();
    held = holds_this_frame(ours);
  }).join();
  ASSERT_NE(glibc.low, nullptr);
  EXPECT_EQ(ours.low, glibc.low);
  EXPECT_EQ(ours.size, glibc.size);
  EXPECT_TRUE(held);
}

}  // namespace
}  // namespace runa::tier0
