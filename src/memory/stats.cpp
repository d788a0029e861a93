// StatsRecorder: totals and the pause histogram (see stats.hpp).
#include <bit>

#include "memory/stats.hpp"

namespace runa::heap {

std::size_t StatsRecorder::bucket(std::uint64_t ns) {
  if (ns < kSub) return static_cast<std::size_t>(ns);
  // The power of two selects a row, the next four bits a column.
  unsigned log = 63 - static_cast<unsigned>(std::countl_zero(ns));
  std::uint64_t sub = (ns >> (log - 4)) & (kSub - 1);
  return std::size_t{log - 3} * kSub + sub;
}

std::uint64_t StatsRecorder::bucket_top(std::size_t b) {
  if (b < kSub) return b;
  unsigned log = static_cast<unsigned>(b / kSub) + 3;
  std::uint64_t sub = b % kSub;
  return ((kSub + sub + 1) << (log - 4)) - 1;
}

void StatsRecorder::record(const CollectionRecord& c, std::uint64_t survivors) {
  std::lock_guard lock(mu_);
  totals_.survivor_bytes = survivors;
  if (c.major) {
    totals_.major_collections++;
  } else {
    totals_.minor_collections++;
  }
  totals_.total_pause_ns += c.pause_ns;
  if (c.pause_ns > totals_.max_pause_ns) totals_.max_pause_ns = c.pause_ns;
  totals_.allocated_bytes += c.allocated;
  totals_.promoted_bytes += c.promoted;
  totals_.surviving_bytes += c.survived;
  totals_.remembered_slots_scanned += c.remembered_slots;
  histogram_[bucket(c.pause_ns)]++;
}

void StatsRecorder::add_allocated(std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  totals_.allocated_bytes += bytes;
}

std::uint64_t StatsRecorder::percentile_locked(double p) const {
  std::uint64_t n = totals_.minor_collections + totals_.major_collections;
  if (n == 0) return 0;
  // The smallest bucket holding at least p of all pauses.
  auto want = static_cast<std::uint64_t>(p * static_cast<double>(n) + 0.999999);
  if (want == 0) want = 1;
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < histogram_.size(); ++b) {
    seen += histogram_[b];
    if (seen >= want) {
      std::uint64_t top = bucket_top(b);
      return top < totals_.max_pause_ns ? top : totals_.max_pause_ns;
    }
  }
  return totals_.max_pause_ns;
}

void StatsRecorder::fill(Stats& s) const {
  std::lock_guard lock(mu_);
  s.minor_collections = totals_.minor_collections;
  s.major_collections = totals_.major_collections;
  s.total_pause_ns = totals_.total_pause_ns;
  s.max_pause_ns = totals_.max_pause_ns;
  s.allocated_bytes = totals_.allocated_bytes;
  s.promoted_bytes = totals_.promoted_bytes;
  s.surviving_bytes = totals_.surviving_bytes;
  s.survivor_bytes = totals_.survivor_bytes;
  s.p50_pause_ns = percentile_locked(0.50);
  s.p99_pause_ns = percentile_locked(0.99);
  s.remembered_slots_scanned = totals_.remembered_slots_scanned;
}

}  // namespace runa::heap
