// MinorGC: the parallel copy of the nursery (the phases are described in
// minor_gc.hpp).
//
// Concurrency. The world is stopped, so only the collector's workers touch
// the heap. From-space headers are read and claimed atomically
// (forwarding.hpp). Everything else a worker writes is its own: the copies
// it made (published to thieves by the deque's release/acquire), the slots
// of the objects it scans (each object is scanned by exactly one worker),
// the root slots (worker 0 alone), and its buffers and cursor.
#include "memory/minor_gc.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "memory/cards.hpp"
#include "memory/claims.hpp"
#include "memory/forwarding.hpp"
#include "memory/pause_marker.hpp"
#include "memory/prefetching_drain.hpp"
#include "memory/roots.hpp"
#include "memory/weak_refs.hpp"

namespace runa::heap {
namespace {

constexpr std::size_t kSurvivorBuffer = std::size_t{32} << 10;
constexpr std::size_t kLoggedChunk = 64;  // remembered objects per claim

[[noreturn]] void fatal(const char* what, const Object* o, std::uint64_t word) {
  std::fprintf(stderr, "runatime: minor collection: %s (object %p, header 0x%016llx)\n", what,
               static_cast<const void*>(o), static_cast<unsigned long long>(word));
  std::abort();
}

// Objects whose slots WeakRefs decides after the scan: an old one is
// relogged only once they are final.
bool special(const Layout& l) {
  return l.kind == LayoutKind::kWeakRef || l.kind == LayoutKind::kEphemeron || l.weak_count != 0;
}

// Most young objects are a few words: a loop of word moves costs less than
// the call into memcpy, which larger ones take. n is a multiple of 8.
constexpr std::size_t kInlineCopy = 64;
void copy_words(std::uint8_t* to, const Value* from, std::size_t n) {
  if (n > kInlineCopy) {
    std::memcpy(to, from, n);
    return;
  }
  auto* words = reinterpret_cast<Value*>(to);
  for (std::size_t i = 0; i < n / sizeof(Value); ++i) words[i] = from[i];
}

}  // namespace

// Final and never deleted through a base pointer.
class MinorGC::Worker final  // NOLINT(cppcoreguidelines-virtual-class-destructor)
    : public RootVisitor,
      public Tracer {
 public:
  Worker(MinorGC& gc, unsigned id)
      : gc_(gc),
        h_(gc.h_),
        id_(id),
        weak_(gc.h_.layouts, gc.h_.pause_reserve),
        spilled_(gc.h_.pause_reserve),
        carried_(gc.h_.pause_reserve),
        special_old_(gc.h_.pause_reserve) {}

  void visit(Value* slot) override {
    Value v = *slot;
    if (young_from(v)) *slot = evacuate(v);
  }
  std::optional<Value> reached(Value v) override;
  void trace(Value* slot) override { visit(slot); }
  void drain() override;

  // Scans an old object found in the remembered set: all its reference
  // slots, or a carded array's dirty cards (cards.hpp).
  void scan_logged(Object* o);
  // Retires the survivor buffer and the cursor; decides the old weak
  // references and ephemerons held back; hands over the counts and starts
  // the next collection's afresh. `carried` has room (HeapImpl::pause_needs).
  void finish(CollectionRecord& rec, std::vector<Object*>& carried);

  // What this worker recorded while scanning (merged into worker 0's).
  WeakRefs& weak() { return weak_; }

 private:
  Value evacuate(Value v);
  std::uint8_t* to_survivors(std::size_t n);
  void retire_buffer();
  void scan(Object* o);
  void prefetch_referents(Object* o) const;
  void push(Object* copy);
  void relog(Object* o);

 public:
  // Bytes this worker copied in this collection so far.
  [[nodiscard]] std::uint64_t copied() const { return promoted_bytes_ + survived_bytes_; }
  // Bytes this worker left in place (promotion failed) in this collection.
  [[nodiscard]] std::uint64_t kept() const { return kept_bytes_; }

 private:
  [[nodiscard]] bool young_from(Value v) const {
    return is_ref(v) && h_.nursery.in_from(as_object(v));
  }

  MinorGC& gc_;
  HeapImpl& h_;
  unsigned id_;
  WeakRefs weak_;
  BlockCursor cursor_;
  std::uint8_t* buffer_ = nullptr;  // survivor buffer [buffer_, buffer_end_)
  std::uint8_t* buffer_end_ = nullptr;
  PauseList<Object*> spilled_;      // grey copies that found this worker's deque full
  PauseList<Object*> carried_;      // old objects that still point into the nursery
  PauseList<Object*> special_old_;  // old weak references and ephemerons scanned
  std::uint64_t promoted_bytes_ = 0;
  std::uint64_t survived_bytes_ = 0;
  std::uint64_t resurvived_bytes_ = 0;
  std::uint64_t kept_bytes_ = 0;        // left in place: promotion failed
  std::uint64_t remembered_slots_ = 0;  // slots read by scan_logged
  AgeTable ages_;                       // bytes copied, by the age reached
};

Value MinorGC::Worker::evacuate(Value v) {
  Object* o = as_object(v);
  std::uint64_t h = forwarding::load(o);
  const Layout* l = nullptr;
  for (;;) {
    h = forwarding::settle(o, h);
    if (forwarding::forwarded(h)) return forwarding::forwardee(o, h);
    // A reference to something that is not an object: a stale raw pointer
    // kept across an allocation, or a slot written without the barrier.
    l = h_.layouts.find(hdr::type_of(h));
    if (l == nullptr) fatal("reference to a word with no registered type", o, h);
    // Alone, a worker needs no claim: nobody else reads the header.
    if (!gc_.parallel_ || forwarding::claim(o, h)) break;
  }
  std::size_t n = size_of(*l, o);
  std::uint64_t age = (h & hdr::kAgeMask) >> hdr::kAgeShift;
  bool aged = age != 0;  // it survived a collection before (sizing.hpp reads how many do)
  if (age < 15) ++age;
  std::uint8_t* to = age < h_.tenure_age ? to_survivors(n) : nullptr;
  bool promoted = to == nullptr;
  if (promoted) to = h_.blocks.promote(cursor_, n);
  // No old block left: an object old enough to promote may still fit the half.
  if (to == nullptr && age >= h_.tenure_age) {
    to = to_survivors(n);
    promoted = false;
  }
  if (to == nullptr) {
    // Promotion failed: o stays where it is, forwarded to itself, and is
    // scanned like a copy so that everything it reaches is evacuated and
    // its slots updated (minor_gc.hpp, "Promotion failure").
    forwarding::publish_self(o, h);
    kept_bytes_ += n;
    push(o);
    return v;
  }
  if (aged) resurvived_bytes_ += n;
  ages_.add(static_cast<unsigned>(age), n);
  copy_words(to + sizeof(Object), o->slots(), n - sizeof(Object));
  auto* copy = reinterpret_cast<Object*>(to);
  // Promoted objects stay logged (kUnlogged clear) until scan() decides.
  // A copy with no reference slot has nothing to scan: what scan() would
  // decide for it (an old one is not logged) is decided here, and it takes
  // no turn on the grey stack (the pause workload's byte arrays, half the
  // objects its minor collections copy).
  const bool slotless = !may_hold_refs(*l) && !special(*l);
  const std::uint64_t unlogged = promoted && slotless ? hdr::kUnlogged : 0;
  copy->header = (h & ~(hdr::kAgeMask | hdr::kUnlogged | hdr::kMark)) | (age << hdr::kAgeShift) |
                 h_.mark_bit() | unlogged;
  forwarding::publish(o, copy);
  (promoted ? promoted_bytes_ : survived_bytes_) += n;
  if (!slotless) push(copy);
  return ref_value(copy);
}

std::uint8_t* MinorGC::Worker::to_survivors(std::size_t n) {
  if (static_cast<std::size_t>(buffer_end_ - buffer_) < n) {
    retire_buffer();
    std::size_t got = 0;
    // A buffer is at most a share of the half, so that in a small half one
    // worker's buffer cannot leave the others nothing and force them to
    // promote what would have fitted. Rounded down to words: every chunk,
    // and so every copy, must start 8-aligned.
    std::size_t share = h_.nursery.half_capacity() / (4 * h_.workers.size()) & ~std::size_t{7};
    std::size_t want = std::max(n, std::min(kSurvivorBuffer, share));
    buffer_ = h_.nursery.to_chunk(n, want, got);
    if (buffer_ == nullptr) return nullptr;  // the half is full: promote
    buffer_end_ = buffer_ + got;
  }
  std::uint8_t* p = buffer_;
  buffer_ += n;
  return p;
}

void MinorGC::Worker::retire_buffer() {
  if (buffer_ != nullptr) std::memset(buffer_, 0, static_cast<std::size_t>(buffer_end_ - buffer_));
  buffer_ = buffer_end_ = nullptr;
}

void MinorGC::Worker::push(Object* copy) {
  if (!gc_.grey_.push(id_, copy)) spilled_.push(copy);
}

std::optional<Value> MinorGC::Worker::reached(Value v) {
  if (!young_from(v)) return v;  // old, a survivor already copied, or not a reference
  std::uint64_t h = forwarding::settle(as_object(v), forwarding::load(as_object(v)));
  if (forwarding::forwarded(h)) return forwarding::forwardee(as_object(v), h);
  return std::nullopt;
}

// o is a copy, or a young object left in place (its header then a
// self-forwarding word, which keeps the type).
void MinorGC::Worker::scan(Object* o) {
  const Layout& l = h_.layouts.at(hdr::type_of(o->header));
  RefRange r = slots_of(l, o);
  if (special(l)) weak_.scan(l, o, r, *this);
  bool young = false;
  for (Value* s = r.begin; s < r.end; ++s) {
    visit(s);
    young = young || (is_ref(*s) && h_.nursery.contains(as_object(*s)));
  }
  if (h_.nursery.contains(o)) return;
  // An old object (promoted, or logged): its slots are final now.
  if (special(l)) {
    special_old_.push(o);
  } else if (young) {
    carried_.push(o);
  } else {
    o->header |= hdr::kUnlogged;
  }
}

void MinorGC::Worker::scan_logged(Object* o) {
  if ((o->load_header() & hdr::kCarded) == 0) {
    RefRange r = ref_slots(h_.layouts.at(hdr::type_of(o->header)), o);
    remembered_slots_ += static_cast<std::uint64_t>(r.end - r.begin);
    scan(o);
    return;
  }
  auto young = [&](const Value* s) { return is_ref(*s) && h_.nursery.contains(as_object(*s)); };
  auto visit = [&](Value* s) { this->visit(s); };
  if (cards::scan_dirty(o, visit, young, remembered_slots_)) carried_.push(o);
}

void MinorGC::Worker::drain() {
  prefetching_drain(
      gc_.grey_, id_, spilled_, gc_.parallel_, [&](Object* o) { prefetch_referents(o); },
      [&](Object* o) { scan(o); });
}

void MinorGC::Worker::prefetch_referents(Object* o) const {
  RefRange r = slots_of(h_.layouts.at(hdr::type_of(o->header)), o);
  for (Value* s = r.begin; s < r.end; ++s) {
    if (young_from(*s)) __builtin_prefetch(as_object(*s));
  }
}

void MinorGC::Worker::relog(Object* o) {
  RefRange r = ref_slots(h_.layouts.at(hdr::type_of(o->header)), o);
  for (Value* s = r.begin; s < r.end; ++s) {
    if (is_ref(*s) && h_.nursery.contains(as_object(*s))) {
      carried_.push(o);  // still points at a survivor: stays logged
      return;
    }
  }
  o->header |= hdr::kUnlogged;
}

void MinorGC::Worker::finish(CollectionRecord& rec, std::vector<Object*>& carried) {
  retire_buffer();
  h_.blocks.close(cursor_);
  special_old_.for_each([&](Object* o) { relog(o); });
  carried_.for_each([&](Object* o) { carried.push_back(o); });
  carried_.clear();
  special_old_.clear();
  spilled_.clear();  // empty, but its spare segment goes with the reserve
  rec.promoted += promoted_bytes_;
  rec.survived += survived_bytes_;
  rec.resurvived += resurvived_bytes_;
  rec.remembered_slots += remembered_slots_;
  h_.copied_ages.merge(ages_);
  ages_ = AgeTable{};
  promoted_bytes_ = survived_bytes_ = resurvived_bytes_ = kept_bytes_ = remembered_slots_ = 0;
}

MinorGC::MinorGC(HeapImpl& h) : h_(h), grey_(h.workers.size(), kGreyCapacity) {
  for (unsigned i = 0; i < h.workers.size(); ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i));
  }
}

MinorGC::~MinorGC() = default;

// After a promotion failure, with every worker done: in each from-space
// part, an object forwarded to a copy becomes zero words (its copy's size),
// an object left in place gets its header back, and one never reached
// (dead) becomes zero words too, so that the part is walkable, holds no
// forwarding word, and nothing in it refers to the copied space. Zero, not
// the poison pattern, even under Options::poison: walks skip only zero words.
void MinorGC::restore_in_place() {
  h_.zero_chunk_rests();  // the rests of the threads' chunks hold old bytes (nursery.hpp)
  h_.nursery.for_each_part([&](std::uint8_t* p, const std::uint8_t* end) {
    while (p < end) {
      auto* o = reinterpret_cast<Object*>(p);
      std::uint64_t w = o->header;
      if (w == 0) {
        p += 8;
        continue;
      }
      if (forwarding::self_forwarded(w)) {
        o->header = forwarding::original(w);
        p += object_size(h_.layouts.at(hdr::type_of(w)), o);
        continue;
      }
      Object* sized = forwarding::forwarded(w) ? as_object(forwarding::forwardee(o, w)) : o;
      std::size_t n = object_size(h_.layouts.at(hdr::type_of(sized->header)), sized);
      std::memset(p, 0, n);
      p += n;
    }
  });
}

bool MinorGC::run(CollectionRecord& rec) {
  // The remembered set, taken out of the buffers: the carried objects and
  // every mutator's log. Each object is in exactly one of them.
  h_.pause_reserve.reset();
  grey_.reset();
  std::span<Object*> logged;
  {
    std::lock_guard lock(h_.carried_mu);
    logged = take_remembered(h_);
  }
  Claims claims(logged.size(), kLoggedChunk);
  auto copy = [&](unsigned id) {
    PauseScope pause;  // on the gang's threads too
    TraceSpan span(h_.trace, "copy", id);
    Worker& w = *workers_[id];
    if (id == 0) visit_roots(h_, w);
    claims.for_each([&](std::size_t i) { w.scan_logged(logged[i]); });
    w.drain();
    span.arg("bytes", w.copied());
  };
  parallel_ = h_.workers.size() > 1 && h_.last_copied >= h_.parallel_copy_threshold;
  if (parallel_) {
    h_.workers.run(copy);
  } else {
    copy(0);
  }
  parallel_ = false;

  Worker& first = *workers_[0];
  {
    TraceSpan span(h_.trace, "weak references and finalizers", 0);
    for (std::size_t i = 1; i < workers_.size(); ++i) first.weak().merge(workers_[i]->weak());
    settle_unreachable(h_.finalizers, first.weak(), first, false);
    h_.settle_watched(first, false);
  }

  std::uint64_t kept = 0;
  for (auto& w : workers_) kept += w->kept();
  {
    std::lock_guard lock(h_.carried_mu);
    for (auto& w : workers_) w->finish(rec, h_.carried);
  }
  if (kept == 0) return true;
  TraceSpan span(h_.trace, "promotion failed: restore in place", 0);
  restore_in_place();
  return false;
}

}  // namespace runa::heap
