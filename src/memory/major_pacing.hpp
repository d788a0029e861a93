// MajorPacing: how far the old generation may grow past what a major
// collection left before the next one starts (docs/memory.md, "Pacing
// major collections").
//
// Options::major_growth_percent is the least growth (100: the old
// generation doubles, Go's GOGC). A major collection marks everything
// live, so its cost follows the live data, not the garbage: a program
// with much live data and a high promotion rate pays that cost at every
// doubling, however much room max_heap leaves. So the growth adapts to the
// share of wall time major pauses take, as HotSpot's Parallel collector
// sizes its generations for a GC time ratio:
//   - after each major collection, the share is its pause over the time
//     since the previous one ended, pause included;
//   - above kOverheadGoal, the growth doubles (at most kMaxGrowth);
//   - under half of it, the growth halves, never below the option.
// The heap caps the threshold this gives at the old generation's share of
// max_heap (HeapImpl::next_major_threshold), so a larger growth uses room
// max_heap grants and never more: peak memory rises only for programs
// whose major collections are costly, and up to the limit the user set.
//
// Why not always collect when the old generation is full (Serial's and
// Parallel's rule): a program with little live data would then fill its
// whole max_heap before its first major collection.
//
// Not thread-safe: the heap calls it inside a pause.
#pragma once

#include <algorithm>
#include <cstdint>

namespace runa::heap {

class MajorPacing {
 public:
  static constexpr double kOverheadGoal = 0.05;
  static constexpr unsigned kMaxGrowth = 800;  // percent: at most nine times

  // `least`: Options::major_growth_percent (at most 10000, so doubling
  // cannot overflow); 0 turns growth-started major collections off, and
  // pacing with them. Invariant: least_ <= growth_ <= max(kMaxGrowth, least_).
  explicit MajorPacing(unsigned least) : least_(least), growth_(least) {}

  [[nodiscard]] unsigned growth() const { return growth_; }

  // A major collection's pause, and the time from the end of the previous
  // major collection to the end of this one (0 for the first: nothing is
  // known).
  void after_major(std::uint64_t pause_ns, std::uint64_t cycle_ns) {
    if (least_ == 0 || cycle_ns == 0) return;
    const double share = static_cast<double>(pause_ns) / static_cast<double>(cycle_ns);
    if (share > kOverheadGoal) {
      growth_ = std::min(growth_ * 2, std::max(kMaxGrowth, least_));
    } else if (share < kOverheadGoal / 2) {
      growth_ = std::max(growth_ / 2, least_);
    }
  }

 private:
  unsigned least_;
  unsigned growth_;
};

}  // namespace runa::heap
