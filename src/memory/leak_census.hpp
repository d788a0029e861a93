// LeakCensus: what leak detection keeps between major collections
// (leak_check.cpp): per type, the live counts of the last censuses.
//
// A census runs in a collection callback after each major collection
// (while detection is on), walking the reachable heap with the world
// stopped; its counts are folded in under `mu`, which leak_report() takes
// to read them. The callback is registered once, by the first
// start_leak_detection().
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace runa::heap {

struct LeakCensus {
  struct History {
    std::deque<std::uint64_t> counts;  // oldest first, at most kKept
    std::uint64_t bytes = 0;           // at the last census
    std::uint32_t rises = 0;           // consecutive censuses that saw the count rise
  };
  static constexpr std::size_t kKept = 16;

  std::mutex mu;
  bool on = false;
  std::uint64_t censuses = 0;
  std::unordered_map<std::uint32_t, History> types;  // by layout index
};

}  // namespace runa::heap
