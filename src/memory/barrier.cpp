// The write barrier's slow paths: log an old object on its first store,
// dirty the card of a store into a large reference array (cards.hpp), and
// the range barrier of the array copy and fill (heap.hpp).
//
// Several mutators may store into the same old object at once; each sees
// kUnlogged set in the fast path. fetch_and clears the bit atomically and
// returns the old word, so exactly one of them observes the bit still set
// and appends the object to its modified-object buffer: every logged object
// is in exactly one buffer. Relaxed suffices: the buffers and the slots are
// read only by the collector, after the stop-the-world handshake has
// ordered every mutator's writes before it.
//
// A carded array keeps kUnlogged: log_store re-reads the slot it was given
// and dirties its card only when the slot holds a young reference. Reading
// the slot back rather than the value stored is what makes racing stores
// safe: the thread whose store is last in the slot's modification order
// reads that value (or a later one, whose writer checks it in turn), so
// the final value of a slot is always checked by some thread.
#include "memory/barrier.hpp"

#include <atomic>

#include "memory/cards.hpp"
#include "memory/heap.hpp"

namespace runa::heap {
namespace {

void log_whole(Mutator& m, Object* o) {
  std::uint64_t old = std::atomic_ref<std::uint64_t>(o->header).fetch_and(
      ~hdr::kUnlogged, std::memory_order_relaxed);
  if ((old & hdr::kUnlogged) != 0) record(m).modified.push_back(o);
}

bool young(HeapImpl& h, Value v) {
  return is_ref(v) && h.nursery.contains(as_object(v));
}

Value load(const Value* s) {
  return std::atomic_ref<const Value>(*s).load(std::memory_order_relaxed);
}
// The slot is written through the atomic_ref, which the check does not see.
void store(Value* s, Value v) {  // NOLINT(readability-non-const-parameter)
  std::atomic_ref<Value>(*s).store(v, std::memory_order_relaxed);
}

bool ref_array(HeapImpl& h, Object* o) {
  const Layout* l = o != nullptr ? h.layouts.find(hdr::type_of(o->load_header())) : nullptr;
  return l != nullptr && l->kind == LayoutKind::kRefArray;
}

bool in_bounds(Object* a, std::size_t index, std::size_t n) {
  std::uint64_t length = array_length(a);
  return index <= length && n <= length - index;
}

// The barrier for elements [index, index + n) of `a`, just written.
void remember_range(MutatorRecord& m, Object* a, std::size_t index, std::size_t n) {
  std::uint64_t header = a->load_header();
  if ((header & hdr::kUnlogged) == 0) return;  // young, or logged already
  HeapImpl& h = *m.heap;
  Value* e = array_slots(a);
  if ((header & hdr::kCarded) == 0) {
    for (std::size_t i = index; i < index + n; ++i) {
      if (young(h, load(e + i))) {
        log_whole(m, a);
        return;
      }
    }
    return;
  }
  std::size_t end = index + n;
  for (std::size_t i = index; i < end;) {
    std::size_t card = i >> cards::kCardShift;
    std::size_t card_end = (card + 1) << cards::kCardShift;
    if (card_end > end) card_end = end;
    for (; i < card_end; ++i) {
      if (young(h, load(e + i))) {
        cards::mark(m, a, card);
        i = card_end;
        break;
      }
    }
  }
}

}  // namespace

void log_object(Mutator& m, Object* o) {
  if ((o->load_header() & hdr::kCarded) != 0) {
    cards::mark_all(record(m), o);
  } else {
    log_whole(m, o);
  }
}

void log_store(Mutator& m, Object* o, Value* slot) {
  if ((o->load_header() & hdr::kCarded) == 0) {
    log_whole(m, o);
    return;
  }
  MutatorRecord& r = record(m);
  if (!young(*r.heap, load(slot))) return;
  // Unsigned: a store to the length word (not an element) is out of range too.
  auto i = static_cast<std::size_t>(slot - array_slots(o));
  if (i < array_length(o)) cards::mark(r, o, i >> cards::kCardShift);
}

bool copy_elements(Mutator& m, Object* dst, std::size_t dst_index, Object* src,
                   std::size_t src_index, std::size_t n) {
  MutatorRecord& r = record(m);
  if (!ref_array(*r.heap, dst) || !ref_array(*r.heap, src) || !in_bounds(dst, dst_index, n) ||
      !in_bounds(src, src_index, n)) {
    return false;
  }
  Value* to = array_slots(dst) + dst_index;
  const Value* from = array_slots(src) + src_index;
  // Element by element (other threads may read the elements meanwhile),
  // backwards when the destination overlaps the source's tail.
  if (to > from && to < from + n) {
    for (std::size_t i = n; i-- > 0;) store(to + i, load(from + i));
  } else {
    for (std::size_t i = 0; i < n; ++i) store(to + i, load(from + i));
  }
  remember_range(r, dst, dst_index, n);
  return true;
}

bool fill_elements(Mutator& m, Object* a, std::size_t index, std::size_t n, Value v) {
  MutatorRecord& r = record(m);
  if (!ref_array(*r.heap, a) || !in_bounds(a, index, n)) return false;
  Value* e = array_slots(a) + index;
  for (std::size_t i = 0; i < n; ++i) store(e + i, v);
  if (young(*r.heap, v)) remember_range(r, a, index, n);
  return true;
}

void born_old(MutatorRecord& m, Object* o, std::uint64_t header, bool carded) {
  const Layout* l = m.heap->layouts.find(hdr::type_of(header));
  bool refs = l != nullptr && may_hold_refs(*l);
  if (carded) {
    o->header = header | hdr::kUnlogged | hdr::kCarded;
    cards::init_remembered(m, o);
  } else if (refs) {
    o->header = header;  // logged: kUnlogged clear
    m.modified.push_back(o);
  } else {
    o->header = header | hdr::kUnlogged;  // no reference slot to remember
  }
}

}  // namespace runa::heap
