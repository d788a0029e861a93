// Tenuring: the adaptive age at which a minor collection promotes a young
// object instead of copying it to the survivor half (HotSpot's adaptive
// tenuring threshold with its TargetSurvivorRatio of 50).
//
// Options::promotion_age is the most collections an object survives young.
// Each minor collection records, by the age an object reaches in it, the
// bytes it copied (to the survivor half or, when it was full or the object
// old enough, to the old generation). The next collection's threshold is
// the smallest age whose cumulative bytes exceed kTargetSurvivorPercent of
// the survivor half, at most promotion_age: what survives at younger ages
// then fits half the half, and the rest is promoted when it is first met at
// the threshold instead of being copied again and again between the halves.
//
// Why: when the young data that survives is more than the halves hold (the
// pause workload keeps ~45% of each eden alive for hundreds of megabytes of
// allocation), a fixed age copies each such object up to promotion_age
// times before the copy that finally promotes it, and the survivor half
// overflows anyway. When survival falls again, the cumulative bytes fall
// below the target and the threshold returns to promotion_age.
//
// First survivals. A threshold of 1 promotes every object on its first
// survival, straight from eden: right when the young survivors are
// long-lived (the pause workload's ring entries: a copy to the half would
// only delay their promotion), wrong when a large cohort is caught alive
// and dies soon after (GCBench's tree under construction, 2-4 MiB of a
// 4 MiB half: promoted, it filled the old generation with 22.6 MiB of
// garbage in 20 sweeps where HotSpot promoted almost nothing, since its
// threshold of 1 promotes objects that survived once before, never eden's).
// So the threshold is 1 only while `persistent`: the survivors a
// collection found in the half mostly (Sizing::kLongLived) survived it.
// Otherwise it is at least 2, and such a cohort dies in the half. A
// collection that found the half empty (everything was promoted) tells
// nothing: the last reading stands (Sizing::survivors_persist).
//
// Counting happens inside the pause into fixed arrays (no allocation); each
// collector worker keeps its own table, merged after the copy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace runa::heap {

struct AgeTable {
  static constexpr unsigned kAges = 16;  // the header's age field: 0..15
  std::array<std::uint64_t, kAges> bytes{};

  void add(unsigned age, std::uint64_t n) { bytes[age] += n; }
  void merge(const AgeTable& o) {
    for (unsigned a = 0; a < kAges; ++a) bytes[a] += o.bytes[a];
  }
};

inline constexpr unsigned kTargetSurvivorPercent = 50;

// The promotion age for the next minor collection: in 1..max_age, and 1
// only when the young survivors are `persistent` (or max_age is 1).
[[nodiscard]] inline unsigned tenuring_threshold(const AgeTable& copied, std::size_t half_capacity,
                                                 unsigned max_age, bool persistent) {
  const std::uint64_t target = std::uint64_t{half_capacity} * kTargetSurvivorPercent / 100;
  std::uint64_t total = 0;
  for (unsigned age = 1; age < max_age; ++age) {
    total += copied.bytes[age];
    if (total > target) return age == 1 && !persistent ? 2 : age;
  }
  return max_age;
}

}  // namespace runa::heap
