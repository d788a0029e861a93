// MajorGC: serial mark and sweep of the old generation and the large-object
// space (the phases are described in major_gc.hpp).
//
// Everything here runs with the world stopped, so headers and slots are
// read and written with plain accesses: the safepoint handshake orders them
// with every mutator's accesses before and after.
#include "memory/major_gc.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "memory/roots.hpp"

namespace runa::heap {
namespace {

[[noreturn]] void fatal(const char* what, const Object* o, std::uint64_t word) {
  std::fprintf(stderr, "runatime: major collection: %s (object %p, header 0x%016llx)\n", what,
               static_cast<const void*>(o), static_cast<unsigned long long>(word));
  std::abort();
}

}  // namespace

void MajorGC::choose_candidates() {
  std::size_t frontier = h_.blocks.frontier();
  candidate_.assign(frontier, 0);
  struct Fragmented {
    std::size_t index;
    std::size_t free_lines;
    std::uint32_t bytes;
  };
  std::vector<Fragmented> found;
  for (std::size_t i = 0; i < frontier; ++i) {
    const BlockInfo& b = h_.blocks.info(i);
    if (b.kind != BlockKind::kObjects) continue;
    auto free_lines = static_cast<std::size_t>(std::count(b.lines.begin(), b.lines.end(), 0));
    if (free_lines >= kLinesPerBlock / 2) found.push_back({i, free_lines, b.bytes});
  }
  std::sort(found.begin(), found.end(),
            [](const Fragmented& a, const Fragmented& b) { return a.free_lines > b.free_lines; });
  // The next minor collection may promote a whole nursery: keep its blocks.
  std::size_t nursery = h_.nursery.eden_capacity() + h_.nursery.half_capacity();
  std::size_t reserve = 2 * nursery / kBlock + 2;
  std::size_t free_blocks = h_.blocks.free_blocks();
  if (free_blocks <= reserve) return;
  std::uint64_t budget = std::uint64_t{free_blocks - reserve} * kBlock / 2;
  for (const Fragmented& f : found) {
    if (f.bytes > budget) break;
    budget -= f.bytes;
    candidate_[f.index] = 1;
  }
}

void MajorGC::mark(Value* slot) {
  Value v = *slot;
  if (!collected(v)) return;
  Object* o = as_object(v);
  std::uint64_t h = o->header;
  if ((h & hdr::kForwarded) != 0) {
    *slot = h & ~hdr::kForwarded;  // evacuated earlier in this collection
    return;
  }
  if ((h & hdr::kMark) == mark_) return;
  // A reference to something that is not an object: a stale raw pointer
  // kept across an allocation, or a slot written without the barrier.
  const Layout* l = h_.layouts.find(hdr::type_of(h));
  if (l == nullptr) fatal("reference to a word that is not a live object header", o, h);
  if ((h & hdr::kPinned) == 0 && candidate(o)) {
    std::size_t n = object_size(*l, o);
    if (std::uint8_t* to = h_.blocks.evacuate(n)) {
      std::memcpy(to, o, n);
      auto* copy = reinterpret_cast<Object*>(to);
      copy->header = (h & ~hdr::kMark) | mark_;
      o->header = ref_value(copy) | hdr::kForwarded;
      *slot = ref_value(copy);
      evacuated_bytes_ += n;
      stack_.push_back(copy);
      return;
    }
    // No block left for the copy: the object is marked where it is.
  }
  o->header = (h & ~hdr::kMark) | mark_;
  stack_.push_back(o);
}

std::optional<Value> MajorGC::reached(Value v) {
  if (!collected(v)) return v;
  std::uint64_t h = as_object(v)->header;
  if ((h & hdr::kForwarded) != 0) return h & ~hdr::kForwarded;
  if ((h & hdr::kMark) == mark_) return v;
  return std::nullopt;
}

void MajorGC::scan(Object* o) {
  const Layout& l = h_.layouts.at(hdr::type_of(o->header));
  RefRange r = ref_slots(l, o);
  weak_.scan(l, o, r, *this);
  for (Value* s = r.begin; s < r.end; ++s) mark(s);
}

void MajorGC::drain() {
  while (!stack_.empty()) {
    Object* o = stack_.back();
    stack_.pop_back();
    if (h_.blocks.contains(o)) {
      marked_bytes_ += object_size(h_.layouts.at(hdr::type_of(o->header)), o);
    }
    scan(o);
  }
}

void MajorGC::sweep_block(std::size_t i) {
  const BlockInfo& b = h_.blocks.info(i);
  std::uint8_t* start = h_.blocks.block(i);
  LineMap lines{};
  std::uint32_t bytes = 0;
  std::uint32_t top = 0;
  for (std::uint32_t off = 0; off < b.top;) {
    auto* o = reinterpret_cast<Object*>(start + off);
    std::uint64_t h = o->header;
    if (is_filler(h)) {
      off += 8;
      continue;
    }
    // An evacuated object's size is its copy's (its header is a forwarding word).
    Object* self = (h & hdr::kForwarded) != 0 ? as_object(h & ~hdr::kForwarded) : o;
    auto n =
        static_cast<std::uint32_t>(object_size(h_.layouts.at(hdr::type_of(self->header)), self));
    if (self == o && marked(o)) {
      for (std::size_t l = off / kLine; l <= (off + n - 1) / kLine; ++l) lines[l] = 1;
      bytes += n;
      top = off + n;
    } else if (h_.opt.poison) {
      poison_words(start + off, n);
    } else {
      std::memset(start + off, 0, n);
    }
    off += n;
  }
  h_.blocks.sweep_block(i, lines, bytes, top);
}

void MajorGC::run(CollectionRecord& rec) {
  h_.blocks.begin_evacuation();
  choose_candidates();
  h_.flip_mark_bit();
  mark_ = h_.mark_bit();

  visit_roots(h_, *this);
  for_each_young_object(h_, [&](Object* o) { scan(o); });
  weak_.resolve_ephemerons(*this);  // drains the mark stack first
  weak_.clear_weak_refs(*this);
  if (h_.finalizers.resurrect(*this, true)) {
    weak_.resolve_ephemerons(*this);
    weak_.clear_weak_refs(*this);
  }

  update_remembered(h_, [&](Object* o) -> Object* {
    auto now = reached(ref_value(o));
    return now ? as_object(*now) : nullptr;
  });

  h_.blocks.begin_sweep();
  for (std::size_t i = 0, n = h_.blocks.frontier(); i < n; ++i) {
    if (h_.blocks.info(i).kind == BlockKind::kObjects) sweep_block(i);
  }
  h_.large.sweep([&](Object* o) { return marked(o); });
  rec.marked = marked_bytes_;
  rec.evacuated = evacuated_bytes_;
}

}  // namespace runa::heap
