// Cards: the remembered set of a large reference array, kept per range of
// its elements (docs/memory.md, "Large arrays").
//
// Every reference array in the large-object space carries hdr::kCarded and
// a card table placed right after its last element, in the same block run:
//
//   [ header | length | elements ... ][ remembered | count | cards, padded to 8 ]
//
// One card byte covers kCardSlots consecutive elements: 0 clean, 1 dirty.
// Invariants between collections:
//   - kUnlogged stays set on a carded array, so every store into it takes
//     the barrier's slow path (log_store), which dirties the card of a slot
//     that now holds a young reference. An element holding a young
//     reference is on a dirty card.
//   - `remembered` is non-zero exactly when the array is in the remembered
//     set (a mutator's buffer or `carried`), and then it is there once. Any
//     dirty card implies `remembered`.
// A minor collection scans only the dirty cards' elements (scan_dirty);
// a card whose elements no longer point into the nursery is cleaned, and
// the array stays remembered (carried) while any card stays dirty.
//
// Concurrency. Mutators dirty cards and set `remembered` with relaxed
// atomics: the card byte is only ever set by mutators and cleared by the
// collector with the world stopped, and whichever thread moves `remembered`
// from 0 to 1 (exchange) is the one that appends the array to its buffer,
// so it is listed once. The stop-the-world handshake orders every
// mutator's stores before the collector reads them. The interleaving that
// would break a looser protocol: two threads storing young references into
// different cards of an unremembered array both see `remembered` == 0 with
// a plain load and both append the array; two workers would then scan the
// same cards at once. The exchange rules it out (Cards.ConcurrentMarks).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "memory/mutators.hpp"

namespace runa::heap::cards {

// 64 elements (512 bytes) per card: chosen by measurement (docs/memory.md).
inline constexpr unsigned kCardShift = 6;
inline constexpr std::size_t kCardSlots = std::size_t{1} << kCardShift;
// How far ahead of the element it visits scan_dirty prefetches a referent.
inline constexpr std::ptrdiff_t kPrefetchAhead = 8;

struct Table {
  std::uint64_t remembered;  // atomic_ref access
  std::uint64_t count;       // cards
  [[nodiscard]] std::uint8_t* cards() { return reinterpret_cast<std::uint8_t*>(this + 1); }
};

inline constexpr std::size_t card_count(std::size_t length) {
  return (length + kCardSlots - 1) >> kCardShift;
}
// The bytes a carded array of `length` elements needs after its elements.
inline constexpr std::size_t table_bytes(std::size_t length) {
  return sizeof(Table) + ((card_count(length) + 7) & ~std::size_t{7});
}
inline Table& table(Object* array) {
  return *reinterpret_cast<Table*>(reinterpret_cast<std::uint8_t*>(array) +
                                   ref_array_bytes(array_length(array)));
}

// A new array in zeroed memory with room for its table: every card dirty
// and the array in m's buffer, so that its creator may initialise it with
// plain stores (heap.hpp, "Initialising stores").
void init_remembered(MutatorRecord& m, Object* array);
// Mutator: lists the array in m's buffer unless it is remembered already.
void remember(MutatorRecord& m, Object* array);
// Mutator: `card` now holds a young reference. Inline, as the barrier's
// slow path for every store of a young reference into a large array: a
// dirty card needs nothing more (a dirty card implies `remembered`; the
// thread that dirtied it sets `remembered` before it can reach a
// safepoint, so no collection sees the card without it).
inline void mark(MutatorRecord& m, Object* array, std::size_t card) {
  std::atomic_ref<std::uint8_t> c(table(array).cards()[card]);
  if (c.load(std::memory_order_relaxed) != 0) return;
  c.store(1, std::memory_order_relaxed);
  remember(m, array);
}
// Mutator: every card (a caller that does not say which slot it stored to).
void mark_all(MutatorRecord& m, Object* array);

// Collector, world stopped: calls `visit(slot)` for each element on a
// dirty card, then `young(slot)` decides whether the card stays dirty.
// Adds the elements scanned to `scanned`. True when some card is still
// dirty (the array stays remembered); otherwise `remembered` is cleared.
template <class Visit, class Young>
bool scan_dirty(Object* array, Visit&& visit, Young&& young, std::uint64_t& scanned) {
  Table& t = table(array);
  std::uint8_t* c = t.cards();
  Value* elements = array_slots(array);
  std::size_t length = array_length(array);
  bool dirty = false;
  // Eight cards per word read: a clean stretch costs a load and a compare.
  for (std::size_t w = 0; w < t.count; w += 8) {
    std::uint64_t word = 0;
    __builtin_memcpy(&word, c + w, 8);
    if (word == 0) continue;
    for (std::size_t k = w; k < w + 8 && k < t.count; ++k) {
      if (c[k] == 0) continue;
      Value* b = elements + (k << kCardShift);
      Value* e = elements + ((k + 1) << kCardShift < length ? (k + 1) << kCardShift : length);
      bool keep = false;
      for (Value* s = b; s < e; ++s) {
        // The referents of a card's elements are cold eden lines: asking
        // for one kPrefetchAhead elements early hides most of the wait.
        if (e - s > kPrefetchAhead && young(s + kPrefetchAhead)) {
          __builtin_prefetch(as_object(s[kPrefetchAhead]));
        }
        visit(s);
        keep = keep || young(s);
      }
      scanned += static_cast<std::uint64_t>(e - b);
      c[k] = keep ? 1 : 0;
      dirty = dirty || keep;
    }
  }
  if (!dirty) std::atomic_ref<std::uint64_t>(t.remembered).store(0, std::memory_order_relaxed);
  return dirty;
}

}  // namespace runa::heap::cards
