// StackMemory: tier 0's thread stacks are kept for the next threads, at
// most kSpare of them, trimmed to their first kWarm bytes; threads taking
// and giving them back at once never share a set.
//
// The interleaving the trim-then-publish order rules out: thread A gives a
// set back and is still dropping its pages past kWarm when thread B takes
// the set and writes a deep frame there; A's drop would then zero B's
// frame. A trims before the set is visible to take(), so B's writes come
// after it (StacksTakenAndGivenOnManyThreadsAreNeverShared checks that no
// write is lost).
#include "stack_memory.hpp"

#include <atomic>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "stack.hpp"

namespace runa::tier0 {
namespace {

constexpr std::size_t kWarmValues = StackMemory::kWarm / sizeof(Value);

TEST(StackMemory, AGivenSetIsTakenAgain) {
  StackMemory memory;
  const StackMemory::Set first = memory.take();
  ASSERT_NE(first.values, nullptr);
  ASSERT_NE(first.frames, nullptr);
  EXPECT_EQ(memory.spares(), 0U);
  memory.give(first);
  EXPECT_EQ(memory.spares(), 1U);
  const StackMemory::Set again = memory.take();
  EXPECT_EQ(again.values, first.values);
  EXPECT_EQ(again.frames, first.frames);
  memory.give(again);
}

TEST(StackMemory, KeepsAtMostKSpareSets) {
  StackMemory memory;
  std::vector<StackMemory::Set> sets;
  for (std::size_t i = 0; i < StackMemory::kSpare + 3; ++i) sets.push_back(memory.take());
  for (const StackMemory::Set& s : sets) memory.give(s);
  EXPECT_EQ(memory.spares(), StackMemory::kSpare);
}

TEST(StackMemory, AGivenSetKeepsOnlyItsWarmPages) {
  StackMemory memory;
  StackMemory::Set s = memory.take();
  // The warm part keeps what was written; past it the pages are dropped
  // and read zero (a deep recursion leaves nothing resident behind).
  s.values[0] = 42;
  s.values[kWarmValues - 1] = 43;
  s.values[kWarmValues] = 44;
  s.values[Stack::kValues - 1] = 45;
  memory.give(s);
  s = memory.take();
  EXPECT_EQ(s.values[0], 42U);
  EXPECT_EQ(s.values[kWarmValues - 1], 43U);
  EXPECT_EQ(s.values[kWarmValues], 0U);
  EXPECT_EQ(s.values[Stack::kValues - 1], 0U);
  memory.give(s);
}

// Threads take a set, fill a deep stretch of it with their own marks, check
// the marks, and give the set back, many times over: a set given to two
// threads at once, or trimmed under a thread's writes, shows as a mark
// that changed.
TEST(StackMemory, StacksTakenAndGivenOnManyThreadsAreNeverShared) {
  StackMemory memory;
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  constexpr std::size_t kDeep = 3 * kWarmValues;  // past the warm part
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int id = 1; id <= kThreads; ++id) {
    threads.emplace_back([&, id] {
      for (int round = 0; round < kRounds; ++round) {
        const StackMemory::Set s = memory.take();
        const auto mark = static_cast<Value>(id * 1000000 + round);
        for (std::size_t i = 0; i < kDeep; i += 512) s.values[i] = mark;
        std::this_thread::yield();
        for (std::size_t i = 0; i < kDeep; i += 512) {
          if (s.values[i] != mark) bad.fetch_add(1);
        }
        memory.give(s);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(memory.spares(), StackMemory::kSpare);
}

}  // namespace
}  // namespace runa::tier0
