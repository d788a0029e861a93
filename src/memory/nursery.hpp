// Nursery: eden and the two survivor halves, one contiguous reserved range
// at the start of the heap's reservation.
//
//   [ eden | half 0 | half 1 ]
//
// Each part is reserved at its largest size (sizing.hpp); the current sizes
// are at most that, and only the memory they need is committed. resize()
// moves them between collections, with eden empty: growing commits the new
// parts; shrinking keeps the halves committed (the survivor half may hold
// objects beyond its new size, and they stay until the next collection
// copies them out) and eden's tail too, for kUncommitDelay epochs: only a
// tail that no epoch in that window used is discarded (madvise). The
// sizing policy moves eden by halving and doubling; discarding at once made
// every shrink-then-grow fault the whole tail in again page by page inside
// the mutators' TLAB zeroing (the pause workload: 37 discards in 70 minor
// collections, ~380 MB faulted again). HotSpot likewise uncommits only
// after a delay.
//
// Mutators carve chunks out of eden with a lock-free bump (CAS on eden's
// top) and hand themselves TLABs out of them (HeapImpl::refill). Objects
// are zeroed as they are allocated (heap.cpp, "Zeroing"), so a TLAB holds
// old bytes; only a thread whose TLABs must read zero (one C code holds)
// has zero() clear each TLAB as it takes it. zero() clears only what was
// written before: eden at and above `clean_` reads zero (committed and
// never written since, or discarded with MADV_DONTNEED, which
// Region::discard uses; not MADV_FREE, which may leave the old bytes).
// Only carved memory is written (nothing writes eden above its top), and
// clean_ moves only with the world stopped: up to eden's top when eden is
// emptied (flip) or kept, down to a discarded tail. So zero() clears just
// the part below clean_, and a program's first epoch faults in only the
// pages it allocates into (zeroing them again would fault in every page of
// each chunk at once: a hello world's first chunk was ~90 of its ~300 page
// faults).
//
// Eden is walkable only where no old bytes lie between objects: the rest
// of a TLAB past its cursor and the rest of a chunk not yet handed out as
// TLABs are zeroed (HeapImpl::zero_chunk_rest) when a TLAB or chunk is
// dropped (a refill, a detach), and zero_chunk_rests before a walk of
// eden with chunks outstanding (Heap::verify, a failed promotion's
// restore). A successful minor collection walks no eden and zeroes
// nothing.
//
// One half holds the survivors of the last minor collection; the other is
// empty and becomes the copy target of the next one. Everything here
// except carve() and zero() runs with the world stopped.
//
// Kept. A minor collection whose promotion failed (docs/memory.md,
// "Promotion failure") leaves objects in place in eden and the survivors'
// half, and its copies in the other half: keep() instead of flip(). Then
// eden up to its top and both halves up to their tops hold objects (every
// other word of them zero, which walks skip), all of it is from-space, and
// the other half is no copy target (to_chunk() refuses): the next minor
// collection promotes every survivor, so that once it succeeds the whole
// nursery is empty. Mutators go on carving eden above its top meanwhile.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "memory/region.hpp"
#include "memory/sizing.hpp"

namespace runa::heap {

class Nursery {
 public:
  // [base, base + reserved.total()) is reserved in `region`; commits what
  // `initial` needs (false when that fails).
  bool init(const Region& region, std::uint8_t* base, YoungSize reserved, YoungSize initial);
  // Resizes after which an unused committed tail of eden is discarded.
  static constexpr unsigned kUncommitDelay = 8;

  // Collector, eden empty: the sizes of the next epoch (at most the
  // reserved ones). False when committing failed; the sizes stay.
  bool resize(YoungSize next);

  [[nodiscard]] std::uint8_t* base() const { return base_; }
  // The reservation, which decides what is young.
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] YoungSize current() const { return {eden_now_, half_now_}; }
  [[nodiscard]] std::size_t committed() const { return eden_committed_ + 2 * half_committed_; }
  // Young: anywhere in the nursery (one subtraction, one compare).
  [[nodiscard]] bool contains(const void* p) const { return offset(p) < size_; }
  // The collector's from-space: eden and the survivors' half; all of it when kept.
  [[nodiscard]] bool in_from(const void* p) const {
    std::uintptr_t off = offset(p);
    return off < eden_ || (off - half_start(survivors_) < half_) || (kept_ && off < size_);
  }
  // In a part that holds objects (eden up to its top, the survivors, and
  // when kept the other half up to its top): where a young reference may point.
  [[nodiscard]] bool holds(const void* p) const;
  // Calls fn(begin, end) for each part that holds objects (see holds());
  // with the world stopped, these are the from-space of the next minor
  // collection.
  template <class Fn>
  void for_each_part(Fn&& fn) const {
    fn(base_, eden_top_.load(std::memory_order_relaxed));
    fn(survivors_begin(), survivors_top_);
    if (kept_) fn(to_begin(), to_top());
  }
  [[nodiscard]] bool in_to(const void* p) const {
    return offset(p) - half_start(1 - survivors_) < half_;
  }

  // Takes between `min` and `want` bytes from eden (not zeroed: see zero());
  // nullptr when even `min` is not left. `got` receives the size taken;
  // `retries`, if given, is increased by the compare-and-swaps lost to
  // other threads.
  std::uint8_t* carve(std::size_t min, std::size_t want, std::size_t& got,
                      std::uint64_t* retries = nullptr);
  // Makes [p, p + n), carved memory, read zero: clears the part below
  // clean_ (the rest reads zero already).
  void zero(std::uint8_t* p, std::size_t n);
  [[nodiscard]] std::size_t eden_used() const;
  // Eden bytes carved since the last collection (below them, what a kept
  // nursery left in place).
  [[nodiscard]] std::size_t eden_fresh() const { return eden_used() - eden_kept_; }
  [[nodiscard]] std::size_t eden_capacity() const { return eden_now_; }

  // The survivors of the last collection.
  [[nodiscard]] std::uint8_t* survivors_begin() const { return base_ + half_start(survivors_); }
  [[nodiscard]] std::uint8_t* survivors_end() const { return survivors_top_; }
  // Bytes in the halves: the survivors', and when kept the other one's too.
  [[nodiscard]] std::size_t survivors_used() const {
    std::size_t n = static_cast<std::size_t>(survivors_top_ - survivors_begin());
    return kept_ ? n + static_cast<std::size_t>(to_top() - to_begin()) : n;
  }
  [[nodiscard]] std::size_t half_capacity() const { return half_now_; }

  // Collector: chunks of the empty half for the workers' survivor buffers,
  // between `min` and `want` bytes (`got` receives the size); nullptr when
  // even `min` is not left. A worker fills the unused tail of its chunk with
  // zero words, which walks of the survivors skip. Kept, there is no copy
  // target: always nullptr.
  [[nodiscard]] std::uint8_t* to_begin() const { return base_ + half_start(1 - survivors_); }
  [[nodiscard]] std::uint8_t* to_top() const { return to_top_.load(std::memory_order_relaxed); }
  std::uint8_t* to_chunk(std::size_t min, std::size_t want, std::size_t& got);

  // Collector, after copying: eden and the old survivors' half are garbage.
  // Overwrites them with 0xdeadbeef words when `poison`, empties eden and
  // makes the copied half the survivors' half. Kept, nothing was copied to
  // a half: both halves are garbage too and the whole nursery is emptied.
  void flip(bool poison);
  // Collector, after a minor collection that left objects in place: every
  // part stays as it is (see "Kept" above).
  void keep();
  [[nodiscard]] bool kept() const { return kept_; }

 private:
  [[nodiscard]] std::uintptr_t offset(const void* p) const {
    return reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base_);
  }
  [[nodiscard]] std::uintptr_t half_start(unsigned h) const { return eden_ + h * half_; }

  const Region* region_ = nullptr;
  std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
  std::size_t eden_ = 0;  // reserved
  std::size_t half_ = 0;
  std::size_t eden_now_ = 0;  // current
  std::size_t half_now_ = 0;
  std::size_t eden_committed_ = 0;
  std::size_t half_committed_ = 0;  // in each half
  // Epochs since eden last used all of eden_committed_, and the largest
  // eden among them: what a discard keeps.
  unsigned short_epochs_ = 0;
  std::size_t short_peak_ = 0;
  std::atomic<std::uint8_t*> eden_top_{nullptr};
  // Eden from here up reads zero (see above); zero() clears only below it.
  std::uint8_t* clean_ = nullptr;
  unsigned survivors_ = 0;  // which half holds survivors
  std::uint8_t* survivors_top_ = nullptr;
  std::atomic<std::uint8_t*> to_top_{nullptr};
  bool kept_ = false;
  std::size_t eden_kept_ = 0;  // eden's used bytes when keep() last ran
};

// Fills [p, p + n) (8-byte aligned) with the 0xdeadbeef pattern.
void poison_words(std::uint8_t* p, std::size_t n);

}  // namespace runa::heap
