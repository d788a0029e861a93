// Sizing ergonomics: how big eden is, and how much of it each mutator takes
// from the shared eden at a time (docs/memory.md, "Sizing ergonomics").
//
// The young generation's reservation comes out of Options::max_heap (the
// whole heap): a fixed `nursery` reserves exactly that; the adaptive
// default (nursery = 0) reserves max_heap / 3 (HotSpot's NewRatio of 2)
// and moves eden between a floor and that maximum after every minor
// collection. Survivor halves follow eden (eden / survivor_ratio each).
//
// The policy reads what each minor collection saw:
//   - survival, copied / allocated: above kGrowSurvival the young objects
//     had no time to die, and a larger eden gives them that time, so eden
//     grows in proportion: by survival / kGrowSurvival, at least doubling
//     and at most kMaxGrowth times. Survival falls about as eden grows
//     (what dies within a period of allocation dies in a longer one), so
//     the factor aims at the eden where survival meets its target; a
//     program that builds a large structure first (survival near 1) gets
//     eden's largest size after one collection, not after four doublings
//     that each copy (and, the survivor halves being small, promote) what
//     was built so far (binary-trees' stretch tree: docs/memory.md,
//     "Where binary-trees' time went");
//   - persistence, the bytes copied that had survived before over the
//     survivors the previous collection left: when most survivors survive
//     again they are long-lived, a larger eden does not let them die, it
//     only lengthens each pause, so when two collections in a row read
//     that and each pause copied more than kPauseCopyPerThread per
//     collector thread, eden halves instead. One reading is not enough: a
//     program that builds one large long-lived structure (binary-trees'
//     long-lived tree) has it copied once as a survivor and then promoted,
//     and the collections after that copy next to nothing; halving on
//     that one reading doubled its collections for the rest of the run,
//     and eden's tail, discarded later, was faulted in again when eden
//     grew back (docs/memory.md, "Two readings before halving"). While
//     survivors persist, a pause copies in proportion to eden, so eden
//     grows only as far as a copy of kPauseCopyPerThread per thread (the
//     pause workload's minor pauses: docs/memory.md, "A reading that
//     stands"). A collection that found the survivor half empty reads
//     nothing new, and the last reading stands for all of these rules:
//     persistent survivors are promoted on their first survival
//     (tenuring.hpp), so the half stays empty while they persist;
//   - the number of mutators: each gets at least kEdenPerMutator of eden
//     between two collections, so more threads do not mean more collections
//     and handshakes per byte allocated;
//   - the room for promotion: a minor collection may promote the whole
//     young generation, so eden never grows past what the free old blocks
//     can take, and promotion failure (a full collection, minor_gc.hpp)
//     stays rare. (Fragmented promotion may need up to twice the bytes,
//     block_space.hpp, "Worst case"; sizing for that kept eden at two
//     thirds of its largest in a 128 MiB heap, for a case that promotion
//     failure handles.)
//
// Eden starts at kInitialEden (its largest if that is smaller), whatever
// max_heap: HotSpot's young generation starts at a third of its initial
// heap, a 64th of the machine's memory (about 40 MiB on an 8 GiB machine);
// a fixed figure keeps the heap's behaviour the same on every machine.
// Eden is zeroed and faulted in only as it is used (nursery.hpp), so a
// program that allocates less pays nothing for it; one that allocates more
// is not collected again and again while eden doubles from a small start,
// each time copying (and, the survivor halves being small, promoting)
// objects that would have died in a larger eden (GCBench's 16 MiB stretch
// tree: docs/memory.md, "Where GCBench's time went").
//
// Refill chunks (HotSpot's adaptive TLAB sizing): a mutator takes a chunk of
// eden with one compare-and-swap and hands itself TLABs of at most kBlock
// out of it without touching shared state (TLABs stay within one block so
// that every young object fits an old block when promoted). A chunk is the
// mutator's share of eden divided by kRefillsPerEpoch, its share an average
// over past collections of the fraction of eden it took; so the number of
// shared refills between collections stays near kRefillsPerEpoch per
// mutator whatever eden's size, and the chunks left unused when eden runs
// out are about 1 / kRefillsPerEpoch of it.
//
// With Options::nursery set, eden is fixed; with Options::tlab set, chunks
// and TLABs are exactly that size (the policies above are off).
#pragma once

#include <cstddef>
#include <cstdint>

#include "runatime/heap.hpp"

namespace runa::heap {

struct YoungSize {
  std::size_t eden = 0;  // page multiples
  std::size_t half = 0;
  [[nodiscard]] std::size_t total() const { return eden + 2 * half; }
  friend bool operator==(const YoungSize&, const YoungSize&) = default;
};

// What a minor collection saw, for the policy.
struct MinorSample {
  std::uint64_t allocated = 0;       // eden bytes allocated since the last collection
  std::uint64_t copied = 0;          // bytes this collection copied (survived + promoted)
  std::uint64_t resurvived = 0;      // of those, bytes that had survived before
  std::uint64_t last_survivors = 0;  // survivor bytes the previous collection left
  std::size_t mutators = 1;          // attached mutators
  std::uint64_t promotion_room = ~std::uint64_t{0};  // free old-generation bytes
};

class Sizing {
 public:
  static constexpr double kGrowSurvival = 0.05;
  static constexpr double kMaxGrowth = 16.0;
  static constexpr double kLongLived = 0.75;
  static constexpr std::uint64_t kPauseCopyPerThread = std::uint64_t{1} << 20;
  static constexpr std::size_t kEdenPerMutator = std::size_t{1} << 20;
  static constexpr std::size_t kRefillsPerEpoch = 50;
  static constexpr std::size_t kInitialEden = std::size_t{32} << 20;

  // The young reservation and the policy for `o`. When max_heap (adaptive)
  // or nursery (fixed) is too small, reserved().half is under two pages
  // and the heap refuses the options.
  explicit Sizing(const Options& o);

  [[nodiscard]] bool adaptive() const { return adaptive_; }
  [[nodiscard]] YoungSize reserved() const { return max_; }
  [[nodiscard]] YoungSize initial() const;
  // The size for the epoch after a minor collection at `now`; records what
  // the collection read of its survivors' persistence (with a fixed
  // nursery too: tenuring reads it).
  [[nodiscard]] YoungSize after_minor(YoungSize now, const MinorSample& s);
  // Whether the survivors last found in the survivor half mostly
  // (kLongLived) survived again: the last collection that found any
  // decides (tenuring.hpp, "First survivals").
  [[nodiscard]] bool survivors_persist() const { return persist_; }
  // The chunk a mutator takes from eden when its share of the last epochs'
  // allocation is `share` (0..1) and eden is `eden` bytes.
  [[nodiscard]] std::size_t chunk(std::size_t eden, double share) const;
  // The largest TLAB handed out of a chunk.
  [[nodiscard]] std::size_t tlab() const { return tlab_; }

 private:
  [[nodiscard]] YoungSize with_eden(std::size_t eden) const;
  static YoungSize largest(const Options& o);

  bool adaptive_ = true;
  bool fixed_tlab_ = false;
  unsigned ratio_ = 8;
  unsigned gc_threads_ = 1;
  YoungSize max_;
  std::size_t tlab_ = 0;
  std::size_t min_eden_ = 0;
  bool persist_ = false;
  bool long_lived_before_ = false;  // the last collection's reading of the halving rule
};

}  // namespace runa::heap
