// JobCache: blocks are distinct, aligned and reused, across the switch to
// huge slabs that a class makes once it has carved kHugeSlabBytes, and
// blocks freed on other threads come back to their owner.
#include "concurrency/pool/job_cache.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace runa::concurrency {
namespace {

// More blocks of one class than its small slabs hold before it switches:
// 2 MiB / 64 bytes, three times over.
constexpr std::size_t kMany = std::size_t{3} * 2 * 1024 * 1024 / 64;

TEST(JobCache, BlocksPastTheHugeSlabSwitchAreDistinctAlignedAndWritable) {
  std::vector<void*> blocks;
  blocks.reserve(kMany);
  for (std::size_t i = 0; i < kMany; ++i) {
    void* p = JobCache::allocate(40);  // the 64-byte class
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t), 0U);
    std::memset(p, static_cast<int>(i & 0xFF), 40);
    blocks.push_back(p);
  }
  std::set<void*> distinct(blocks.begin(), blocks.end());
  EXPECT_EQ(distinct.size(), blocks.size());
  // Every block still holds what was written to it: no two overlap.
  for (std::size_t i = 0; i < kMany; ++i) {
    const auto* bytes = static_cast<const unsigned char*>(blocks[i]);
    ASSERT_EQ(bytes[0], i & 0xFF);
    ASSERT_EQ(bytes[39], i & 0xFF);
  }
  for (void* p : blocks) JobCache::release(p, 40);
  // Freed on their owner's thread, they are the next ones handed out.
  void* again = JobCache::allocate(40);
  EXPECT_EQ(distinct.count(again), 1U);
  JobCache::release(again, 40);
}

TEST(JobCache, BlocksFreedOnAnotherThreadGoBackToTheirOwner) {
  std::vector<void*> blocks;
  blocks.reserve(kMany);
  for (std::size_t i = 0; i < kMany; ++i) blocks.push_back(JobCache::allocate(100));
  std::set<void*> mine(blocks.begin(), blocks.end());
  std::thread other([&] {
    for (void* p : blocks) JobCache::release(p, 100);
  });
  other.join();
  // The owner takes its remote list back before carving a new slab; blocks
  // left on its private list (at most the rest of two huge slabs: its last
  // one and earlier frees) come first.
  const std::size_t slack = 2 * 2 * 1024 * 1024 / 128;
  std::vector<void*> again;
  again.reserve(kMany + slack);
  for (std::size_t i = 0; i < kMany + slack; ++i) again.push_back(JobCache::allocate(100));
  std::size_t reused = 0;
  for (void* p : again) reused += mine.count(p);
  EXPECT_EQ(reused, kMany);
  for (void* p : again) JobCache::release(p, 100);
}

}  // namespace
}  // namespace runa::concurrency
