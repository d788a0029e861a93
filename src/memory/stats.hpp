// Collection records, the statistics they add up to, and the gc log line.
//
// Pause percentiles come from a log-linear histogram (16 linear buckets per
// power of two of nanoseconds), so memory stays fixed however many
// collections run and a percentile is exact to within 1/16.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

#include "runatime/heap.hpp"

namespace runa::heap {

enum class Cause : std::uint8_t {
  kEdenFull,
  kStress,
  kRequested,
  kOldGrown,      // major: the old generation passed Options::major_growth_percent
  kNoRoom,        // major: promotion failed (the old generation could not take the survivors)
  kLargeFailure,  // major: a large or pinned allocation found no room
};
const char* cause_name(Cause c);

struct CollectionRecord {
  bool major = false;  // a major collection (possibly after a minor one, in the same pause)
  Cause cause = Cause::kRequested;
  std::uint64_t before = 0;  // heap bytes in use
  std::uint64_t after = 0;
  std::uint64_t pause_ns = 0;
  std::uint64_t allocated = 0;  // young bytes allocated since the last collection
  std::uint64_t promoted = 0;
  std::uint64_t survived = 0;          // copied into the survivor half
  std::uint64_t resurvived = 0;        // of promoted + survived: objects that had survived before
  std::uint64_t marked = 0;            // major: old and large bytes found live
  std::uint64_t evacuated = 0;         // major: bytes moved out of fragmented blocks
  std::uint64_t remembered_slots = 0;  // slots read in remembered old objects
};

class StatsRecorder {
 public:
  // `survivors`: bytes in the survivor half after the collection.
  void record(const CollectionRecord& c, std::uint64_t survivors);
  void add_allocated(std::uint64_t bytes);  // large objects, as they are allocated
  // Fills `s` but for old_bytes and large_bytes, which the caller reads live.
  void fill(Stats& s) const;

 private:
  static constexpr unsigned kSub = 16;
  static std::size_t bucket(std::uint64_t ns);
  static std::uint64_t bucket_top(std::size_t b);
  [[nodiscard]] std::uint64_t percentile_locked(double p) const;

  mutable std::mutex mu_;
  Stats totals_;
  std::array<std::uint64_t, std::size_t{64} * kSub> histogram_{};
};

// "[gc] minor (eden full) 12.1M->3.4M 0.812ms promoted 1.2M"
// "[gc] major (old generation grown) 40.0M->12.5M 9.120ms promoted 1.2M marked 11.0M
// evacuated 2.0M"
std::string log_line(const CollectionRecord& c);
void write_log_line(const CollectionRecord& c);

}  // namespace runa::heap
