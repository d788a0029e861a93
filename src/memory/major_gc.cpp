// MajorGC: parallel mark and sweep of the old generation and the
// large-object space (the phases are described in major_gc.hpp).
//
// Concurrency. The world is stopped, so only the collector's workers touch
// the heap. Headers of old and large objects are read, marked and claimed
// atomically (forwarding.hpp); an object's slots are written only by the
// worker that scans it, which is the one that marked or copied it (thieves
// get it through the deque's release/acquire). The sweep gives each block
// to one worker.
#include "memory/major_gc.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "memory/claims.hpp"
#include "memory/forwarding.hpp"
#include "memory/pause_marker.hpp"
#include "memory/prefetching_drain.hpp"
#include "memory/roots.hpp"
#include "memory/weak_refs.hpp"

namespace runa::heap {
namespace {

[[noreturn]] void fatal(const char* what, const Object* o, std::uint64_t word) {
  std::fprintf(stderr, "runatime: major collection: %s (object %p, header 0x%016llx)\n", what,
               static_cast<const void*>(o), static_cast<unsigned long long>(word));
  std::abort();
}

}  // namespace

// Final and never deleted through a base pointer.
class MajorGC::Worker final  // NOLINT(cppcoreguidelines-virtual-class-destructor)
    : public RootVisitor,
      public Tracer {
 public:
  Worker(MajorGC& gc, unsigned id)
      : gc_(gc),
        h_(gc.h_),
        id_(id),
        weak_(gc.h_.layouts, gc.h_.pause_reserve),
        spilled_(gc.h_.pause_reserve) {}

  void visit(Value* slot) override { mark(slot); }
  std::optional<Value> reached(Value v) override;
  void trace(Value* slot) override { mark(slot); }
  void drain() override;

  void scan(Object* o);
  // Closes the cursor, adds the counts to `rec` and starts the next
  // collection's afresh.
  void finish(CollectionRecord& rec);

  // What this worker recorded while scanning (merged into worker 0's).
  WeakRefs& weak() { return weak_; }

 private:
  // Whether this collection decides on v: a reference into the block
  // space, or into the nursery when young objects are traced.
  [[nodiscard]] bool collected(Value v) const {
    if (!is_ref(v)) return false;
    const Object* o = as_object(v);
    return h_.blocks.contains(o) || (gc_.trace_young_ && h_.nursery.contains(o));
  }
  void mark(Value* slot);
  bool try_evacuate(Value* slot, Object* o, std::uint64_t& h);
  void push(Object* o);

  MajorGC& gc_;
  HeapImpl& h_;
  unsigned id_;
  WeakRefs weak_;
  BlockCursor cursor_;
  PauseList<Object*> spilled_;  // grey objects that found this worker's deque full
  std::uint64_t marked_bytes_ = 0;
  std::uint64_t evacuated_bytes_ = 0;
};

void MajorGC::Worker::mark(Value* slot) {
  Value v = *slot;
  if (!collected(v)) return;
  Object* o = as_object(v);
  const std::uint64_t mark = gc_.mark_;
  std::uint64_t h = forwarding::load(o);
  for (;;) {
    h = forwarding::settle(o, h);
    if (forwarding::forwarded(h)) {
      *slot = forwarding::forwardee(o, h);  // evacuated earlier in this collection
      return;
    }
    if ((h & hdr::kMark) == mark) return;
    // A reference to something that is not an object: a stale raw pointer
    // kept across an allocation, or a slot written without the barrier.
    if (h_.layouts.find(hdr::type_of(h)) == nullptr) {
      fatal("reference to a word that is not a live object header", o, h);
    }
    if ((h & hdr::kPinned) == 0 && gc_.candidate(o)) {
      if (try_evacuate(slot, o, h)) return;
      continue;  // h is the header another worker left
    }
    // Alone, a worker marks with a store: nobody else reads the header.
    if (!gc_.parallel_) {
      forwarding::header(o).store((h & ~hdr::kMark) | mark, std::memory_order_relaxed);
      push(o);
      return;
    }
    if (forwarding::header(o).compare_exchange_weak(
            h, (h & ~hdr::kMark) | mark, std::memory_order_acq_rel, std::memory_order_acquire)) {
      push(o);
      return;
    }
  }
}

// Claims o and copies it; false with `h` reloaded when another worker got
// there first. With no block left for the copy, o is marked in place.
bool MajorGC::Worker::try_evacuate(Value* slot, Object* o, std::uint64_t& h) {
  if (gc_.parallel_ && !forwarding::claim(o, h)) return false;
  std::size_t n = object_size(h_.layouts.at(hdr::type_of(h)), o);
  std::uint64_t marked = (h & ~hdr::kMark) | gc_.mark_;
  // An object a snapshot named by its place takes its id along, if the
  // snapshot ids' table has room for it (place_ids.hpp); else it stays.
  std::size_t block = h_.blocks.index_of(o);
  std::uint64_t id =
      h_.places.id_if_named(block, reinterpret_cast<std::uint8_t*>(o) - h_.blocks.block(block));
  bool stays = id != 0 && !h_.snapshot_ids.claim_move();
  std::uint8_t* to = stays ? nullptr : h_.blocks.evacuate(cursor_, n);
  if (to == nullptr) {
    forwarding::header(o).store(marked, std::memory_order_release);
    push(o);
    return true;
  }
  std::memcpy(to + sizeof(Object), o->slots(), n - sizeof(Object));
  auto* copy = reinterpret_cast<Object*>(to);
  copy->header = marked;
  forwarding::publish(o, copy);
  if (id != 0) h_.snapshot_ids.add_moved(copy, id);
  *slot = ref_value(copy);
  evacuated_bytes_ += n;
  push(copy);
  return true;
}

void MajorGC::Worker::push(Object* o) {
  if (!gc_.grey_.push(id_, o)) spilled_.push(o);
}

std::optional<Value> MajorGC::Worker::reached(Value v) {
  if (!collected(v)) return v;
  Object* o = as_object(v);
  std::uint64_t h = forwarding::settle(o, forwarding::load(o));
  if (forwarding::forwarded(h)) return forwarding::forwardee(o, h);
  if ((h & hdr::kMark) == gc_.mark_) return v;
  return std::nullopt;
}

void MajorGC::Worker::scan(Object* o) {
  const Layout& l = h_.layouts.at(hdr::type_of(o->load_header()));
  RefRange r = ref_slots(l, o);
  weak_.scan(l, o, r, *this);
  // Immediates and 0 are skipped here, without the call: with every field a
  // value word (docs/types.md, "Object layout and field order") most slots
  // hold no reference.
  for (Value* s = r.begin; s < r.end; ++s) {
    if (is_ref(*s)) mark(s);
  }
}

void MajorGC::Worker::drain() {
  auto one = [&](Object* o) {
    if (h_.blocks.contains(o)) {
      marked_bytes_ += object_size(h_.layouts.at(hdr::type_of(o->load_header())), o);
      h_.blocks.note_reached(h_.blocks.index_of(o));
    }
    scan(o);
  };
  auto prefetch = [&](Object* o) {
    RefRange r = ref_slots(h_.layouts.at(hdr::type_of(o->load_header())), o);
    for (Value* s = r.begin; s < r.end; ++s) {
      if (collected(*s)) __builtin_prefetch(as_object(*s));
    }
  };
  prefetching_drain(gc_.grey_, id_, spilled_, gc_.parallel_, prefetch, one);
}

void MajorGC::Worker::finish(CollectionRecord& rec) {
  h_.blocks.close(cursor_);
  rec.marked += marked_bytes_;
  rec.evacuated += evacuated_bytes_;
  marked_bytes_ = evacuated_bytes_ = 0;
  spilled_.clear();  // empty, but its spare segment goes with the reserve
}

MajorGC::MajorGC(HeapImpl& h) : h_(h), grey_(h.workers.size(), kGreyCapacity) {
  for (unsigned i = 0; i < h.workers.size(); ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i));
  }
}

MajorGC::~MajorGC() = default;

void MajorGC::choose_candidates() {
  std::size_t frontier = h_.blocks.frontier();
  candidates_ = frontier;
  candidate_ = static_cast<std::uint8_t*>(h_.pause_reserve.take((frontier + 7) / 8 * 8));
  std::fill_n(candidate_, frontier, 0);
  auto* found = static_cast<Fragmented*>(h_.pause_reserve.take(frontier * sizeof(Fragmented)));
  std::size_t n = 0;
  for (std::size_t i = 0; i < frontier; ++i) {
    const BlockInfo& b = h_.blocks.info(i);
    if (b.kind != BlockKind::kObjects) continue;
    auto free_lines = static_cast<std::size_t>(std::count(b.lines.begin(), b.lines.end(), 0));
    if (free_lines >= kLinesPerBlock / 2) found[n++] = {i, free_lines, b.bytes};
  }
  std::sort(found, found + n,
            [](const Fragmented& a, const Fragmented& b) { return a.free_lines > b.free_lines; });
  // The next minor collection may promote a whole nursery: keep its blocks
  // for it, so that defragmentation does not make its promotion fail.
  std::size_t nursery = h_.nursery.eden_capacity() + h_.nursery.half_capacity();
  std::size_t reserve = 2 * nursery / kBlock + 2;
  std::size_t free_blocks = h_.blocks.free_blocks();
  if (free_blocks <= reserve) return;
  std::uint64_t budget = std::uint64_t{free_blocks - reserve} * kBlock / 2;
  for (const Fragmented& f : std::span(found, n)) {
    if (f.bytes > budget) break;
    budget -= f.bytes;
    candidate_[f.index] = 1;
  }
}

void MajorGC::unmark_young() {
  for_each_young_object(
      h_, [&](Object* o) { o->header = (o->header & ~hdr::kMark) | (mark_ ^ hdr::kMark); });
}

void MajorGC::clear_dead_young() {
  for_each_young_object(h_, [&](Object* o) {
    if (!marked(o))
      std::memset(o, 0, object_size(h_.layouts.at(hdr::type_of(o->load_header())), o));
  });
}

void MajorGC::run(CollectionRecord& rec, bool trace_young) {
  h_.pause_reserve.reset();
  grey_.reset();
  trace_young_ = trace_young;
  choose_candidates();
  h_.snapshot_ids.open_moves();
  h_.flip_mark_bit();
  mark_ = h_.mark_bit();
  if (trace_young_) unmark_young();

  auto mark = [&](unsigned id) {
    PauseScope pause;  // on the gang's threads too
    TraceSpan span(h_.trace, "mark", id);
    Worker& w = *workers_[id];
    if (id == 0) {
      visit_roots(h_, w);
      if (!trace_young_) for_each_young_object(h_, [&](Object* o) { w.scan(o); });
    }
    w.drain();
  };
  parallel_ = h_.workers.size() > 1;
  if (parallel_) {
    h_.workers.run(mark);
  } else {
    mark(0);
  }
  parallel_ = false;

  Worker& first = *workers_[0];
  {
    TraceSpan span(h_.trace, "weak references and finalizers", 0);
    for (std::size_t i = 1; i < workers_.size(); ++i) first.weak().merge(workers_[i]->weak());
    settle_unreachable(h_.finalizers, first.weak(), first, true);  // drains the mark stack first
    h_.settle_watched(first, true);
  }
  for (auto& w : workers_) w->finish(rec);

  update_remembered(h_, [&](Object* o) -> Object* {
    auto now = first.reached(ref_value(o));
    return now ? as_object(*now) : nullptr;
  });
  if (trace_young_) clear_dead_young();

  h_.blocks.begin_sweep();
  Claims blocks(h_.blocks.frontier(), kSweepChunk);
  h_.workers.run([&](unsigned id) {
    PauseScope pause;
    TraceSpan span(h_.trace, "sweep", id);
    std::size_t begin = 0;
    std::size_t end = 0;
    while (blocks.next(begin, end)) sweep_chunk(begin, end);
  });
  h_.blocks.end_sweep();
  h_.large.sweep([&](Object* o) {
    if (marked(o)) return true;
    h_.places.forget(h_.blocks.index_of(o));
    return false;
  });
}

}  // namespace runa::heap
