// Sizing ergonomics: the young generation's reservation, eden's size from
// one minor collection to the next, and refill chunks (see sizing.hpp).
#include "memory/sizing.hpp"

#include <algorithm>

#include "memory/block_space.hpp"
#include "memory/region.hpp"

namespace runa::heap {
namespace {

constexpr std::size_t kMinEden = std::size_t{1} << 20;

constexpr std::size_t page_down(std::size_t v) {
  return v / kPage * kPage;
}

}  // namespace

Sizing::Sizing(const Options& o)
    : adaptive_(o.nursery == 0),
      fixed_tlab_(o.tlab != 0),
      ratio_(o.survivor_ratio),
      gc_threads_(o.gc_threads),
      max_(largest(o)),
      // A TLAB never exceeds eden (the heap refuses a fixed one that would).
      tlab_(fixed_tlab_ ? o.tlab : std::min(kBlock, max_.eden)),
      min_eden_(adaptive_ ? std::min(std::max(kMinEden, tlab_), max_.eden) : max_.eden) {}

YoungSize Sizing::largest(const Options& o) {
  // NewRatio 2: the young generation may take a third of the whole heap.
  std::size_t young = o.nursery == 0 ? o.max_heap / 3 : o.nursery;
  YoungSize y;
  y.half = page_down(young / (o.survivor_ratio + 2));
  y.eden = y.half * o.survivor_ratio;
  return y;
}

YoungSize Sizing::with_eden(std::size_t eden) const {
  eden = page_down(std::clamp(eden, min_eden_, max_.eden));
  YoungSize y;
  y.eden = eden;
  y.half = std::clamp(page_down(eden / ratio_), std::min(2 * kPage, max_.half), max_.half);
  return y;
}

YoungSize Sizing::initial() const {
  return adaptive_ ? with_eden(kInitialEden) : max_;
}

YoungSize Sizing::after_minor(YoungSize now, const MinorSample& s) {
  // No survivors left by the previous collection: nothing is known, and the
  // last reading stands. (Survivors that persist are promoted on their first
  // survival, tenuring.hpp, so the half stays empty while they do: the
  // reading must stand for the rules below too, or the pause workload's
  // eden grew back after every halving.)
  if (s.last_survivors != 0) {
    persist_ =
        static_cast<double>(s.resurvived) >= kLongLived * static_cast<double>(s.last_survivors);
  }
  const std::uint64_t budget = kPauseCopyPerThread * gc_threads_;
  bool long_lived = persist_ && s.copied > budget;
  bool halve = long_lived && long_lived_before_;
  long_lived_before_ = long_lived;
  if (!adaptive_) return now;
  std::size_t eden = now.eden;
  double survival =
      s.allocated == 0 ? 0.0 : static_cast<double>(s.copied) / static_cast<double>(s.allocated);
  if (s.allocated != 0 && survival > kGrowSurvival) {
    double growth = std::clamp(survival / kGrowSurvival, 2.0, kMaxGrowth);
    // Long-lived survivors are copied whatever eden's size, so a pause
    // copies in proportion to eden: growth stops where the copy would reach
    // the budget (and a first long-lived reading, over it, keeps eden).
    // Capped before the conversion back: no product can overflow.
    if (persist_ && s.copied != 0) {
      growth = std::min(growth, static_cast<double>(budget) / static_cast<double>(s.copied));
    }
    if (halve) {
      eden /= 2;
    } else if (!long_lived && growth > 1.0) {
      eden = static_cast<std::size_t>(
          std::min(static_cast<double>(eden) * growth, static_cast<double>(max_.eden)));
    }
  }
  eden = std::max(eden, std::min(max_.eden, s.mutators * kEdenPerMutator));
  // A minor collection may promote the whole young generation: a larger
  // eden would make promotion failure (a full collection) likely. Not twice
  // it, the worst case of fragmented promotion (block_space.hpp): that case
  // is handled as a promotion failure, and reserving for it kept eden and
  // the survivor halves at two thirds of their size in a 128 MiB heap, whose
  // survivors then overflowed into the old generation (docs/memory.md,
  // "Where GCBench's time went").
  auto room_eden = static_cast<std::size_t>(s.promotion_room * ratio_ / (ratio_ + 2));
  eden = std::min(eden, std::max(room_eden, min_eden_));
  return with_eden(eden);
}

std::size_t Sizing::chunk(std::size_t eden, double share) const {
  if (fixed_tlab_) return tlab_;
  auto c = static_cast<std::size_t>(static_cast<double>(eden) * share /
                                    static_cast<double>(kRefillsPerEpoch));
  return std::max(c / 8 * 8, tlab_);
}

}  // namespace runa::heap
