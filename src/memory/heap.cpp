// The heap: option checks, the allocation slow path, starting collections
// (the policy that makes one major), and the public Heap facade over
// HeapImpl.
//
// Allocation slow path. Objects of kLargeObject bytes or more go to the
// large-object space. Others take a fresh TLAB from eden (the old one's
// unused tail is counted as waste); when eden is exhausted the thread
// requests a minor collection and retries. Under Options::stress_every the
// thread never gets a TLAB (cursor == limit), so every allocation comes
// here; every Nth one collects first, then takes exactly its bytes.
//
// Minor or major. Every collection is decided at its start, with the world
// stopped. It is a major collection (major_gc.hpp) when
//   - it was requested so (Heap::collect(m, true)), or
//   - the old generation cannot take the worst case of a minor collection,
//     which may promote every young byte (BlockSpace::can_promote), or
//   - the old generation's committed blocks have passed major_threshold:
//     what the last major collection left, grown by
//     Options::major_growth_percent, and at least max_heap / 16 (so small
//     heaps do not collect fully at every minor collection). Checking at
//     the start of the next collection sees the same old generation as
//     checking right after the previous minor one, as promotion happens
//     only in minor collections; large allocations in between count too.
// A minor collection runs first whenever the old generation can take the
// survivors (so the major collection finds eden empty); when it could not,
// the major collection runs alone and the minor one follows if it made
// room.
//
// Finalizers. A collection that found finalizable objects unreachable
// wakes the finalizer thread after it has resumed the world, never inside
// the pause (finalizers.hpp).
//
// Out of memory. When even after a major collection the old generation
// cannot take the worst case of a minor collection, the nursery is left
// alone and the allocation returns nullptr: the heap stays consistent and
// the caller raises OutOfMemory. A large allocation with no block run left
// tries a major collection once before returning nullptr; so does a pinned
// allocation that finds no block.
//
// Pinned objects are allocated old, into blocks (BlockSpace::allocate_pinned),
// or into the large-object space when large; evacuation never moves them.
#include "memory/heap.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "memory/barrier.hpp"
#include "memory/cards.hpp"
#include "memory/major_gc.hpp"
#include "memory/minor_gc.hpp"

namespace runa::heap {
namespace {

constexpr std::size_t round_up(std::size_t v, std::size_t to) {
  return (v + to - 1) / to * to;
}

Error option_error(const std::string& message) {
  Error e;
  e.section = "heap options";
  e.message = message;
  return e;
}

// The first problem with `o`, if any.
std::optional<Error> check_options(const Options& o) {
  auto n = [](std::size_t v) { return std::to_string(v); };
  if (o.survivor_ratio < 1 || o.survivor_ratio > 64) {
    return option_error("survivor_ratio must be between 1 and 64, not " + n(o.survivor_ratio));
  }
  if (o.nursery > (std::size_t{1} << 40)) {
    return option_error("nursery (" + n(o.nursery) + " bytes) is over 1 TiB");
  }
  std::size_t half = o.nursery / (o.survivor_ratio + 2) / kPage * kPage;
  if (half < 2 * kPage) {
    return option_error("nursery (" + n(o.nursery) + " bytes) is too small: with survivor_ratio " +
                        n(o.survivor_ratio) + " it needs at least " +
                        n(std::size_t{o.survivor_ratio + 2} * 2 * kPage) + " bytes");
  }
  if (o.tlab < 256 || o.tlab > kBlock || o.tlab % 8 != 0) {
    return option_error("tlab must be a multiple of 8 between 256 and " + n(kBlock) +
                        " bytes (a young object must fit one old block), not " + n(o.tlab));
  }
  if (o.tlab > half * o.survivor_ratio) {
    return option_error("tlab (" + n(o.tlab) + " bytes) is larger than eden (" +
                        n(half * o.survivor_ratio) + " bytes)");
  }
  if (o.max_heap < kBlock || o.max_heap > (std::size_t{1} << 44)) {
    return option_error("max_heap must be between " + n(kBlock) + " bytes and 16 TiB, not " +
                        n(o.max_heap));
  }
  if (o.promotion_age < 1 || o.promotion_age > 15) {
    return option_error("promotion_age must be between 1 and 15 (the header's age field), not " +
                        n(o.promotion_age));
  }
  if (o.major_growth_percent > 10000) {
    return option_error("major_growth_percent must be at most 10000, not " +
                        n(o.major_growth_percent));
  }
  if (o.gc_threads < 1 || o.gc_threads > 256) {
    return option_error("gc_threads must be between 1 and 256, not " + n(o.gc_threads));
  }
  return std::nullopt;
}

}  // namespace

bool HeapImpl::init(std::string& error) {
  std::size_t half = opt.nursery / (opt.survivor_ratio + 2) / kPage * kPage;
  std::size_t eden = half * opt.survivor_ratio;
  std::size_t young = round_up(eden + 2 * half, kBlock);
  std::size_t count = round_up(opt.max_heap, kBlock) / kBlock;
  if (!region.reserve(young + count * kBlock, kBlock, error)) return false;
  if (!region.commit(region.base(), eden + 2 * half)) {
    error = "cannot commit the nursery (" + std::to_string(eden + 2 * half) + " bytes)";
    return false;
  }
  nursery.init(region.base(), eden, half);
  blocks.init(region, region.base() + young, count);
  major_threshold = next_major_threshold();
  return true;
}

std::uint64_t HeapImpl::next_major_threshold() const {
  std::uint64_t floor = opt.max_heap / 16;
  std::uint64_t grown = old_committed() * (100 + std::uint64_t{opt.major_growth_percent}) / 100;
  return grown > floor ? grown : floor;
}

std::uint64_t HeapImpl::used_bytes() const {
  return nursery.eden_used() + nursery.survivors_used() + blocks.object_bytes() + large.bytes();
}

Object* HeapImpl::allocate(MutatorRecord& m, std::uint64_t header, std::size_t bytes) {
  if (m.poll.load(std::memory_order_relaxed) != 0) safepoint.park(m);
  if (bytes >= kLargeObject) return allocate_large(m, header, bytes);

  if (opt.stress_every != 0 && ++m.stress_count >= opt.stress_every) {
    m.stress_count = 0;
    // Without room to promote, no collection: the eden attempt below decides.
    collect(m, Cause::kStress, Safepoint::kAnyEpoch);
  }
  for (;;) {
    std::uint64_t seen = safepoint.epoch();
    std::size_t got = 0;
    std::uint8_t* p = nullptr;
    if (opt.stress_every != 0) {
      p = nursery.carve(bytes, bytes, got);
    } else {
      tlab_waste.fetch_add(static_cast<std::uint64_t>(m.limit - m.cursor),
                           std::memory_order_relaxed);
      m.cursor = m.limit = nullptr;
      p = nursery.carve(bytes, bytes > opt.tlab ? bytes : opt.tlab, got);
      if (p != nullptr) {
        m.cursor = p + bytes;
        m.limit = p + got;
      }
    }
    if (p != nullptr) {
      auto* o = reinterpret_cast<Object*>(p);
      o->header = header;
      return o;
    }
    if (collect(m, Cause::kEdenFull, seen) == Outcome::kNoRoom) return nullptr;
  }
}

Object* HeapImpl::allocate_large(MutatorRecord& m, std::uint64_t header, std::size_t bytes) {
  if (m.poll.load(std::memory_order_relaxed) != 0) safepoint.park(m);
  // A reference array gets its card table after its elements (cards.hpp).
  const Layout* l = layouts.find(hdr::type_of(header));
  bool carded = l != nullptr && l->kind == LayoutKind::kRefArray && bytes >= ref_array_bytes(0);
  std::size_t length = carded ? (bytes - ref_array_bytes(0)) / 8 : 0;
  std::size_t run = carded ? ref_array_bytes(length) + cards::table_bytes(length) : bytes;
  std::uint64_t seen = safepoint.epoch();
  std::uint8_t* p = large.allocate(run);
  if (p == nullptr) {
    // A collection by another thread since `seen` also counts as trying.
    collect(m, Cause::kLargeFailure, seen, true);
    p = large.allocate(run);
    if (p == nullptr) return nullptr;
  }
  stats.add_allocated(bytes);
  auto* o = reinterpret_cast<Object*>(p);
  if (carded) o->slots()[0] = length;
  // Born old and remembered (barrier.hpp), with the current mark polarity
  // like every old object (heap.hpp).
  born_old(m, o, header | mark_bit(), carded);
  return o;
}

Object* HeapImpl::allocate_pinned(MutatorRecord& m, std::uint64_t header, std::size_t bytes) {
  if (bytes >= kLargeObject) return allocate_large(m, header, bytes);  // never moves either
  if (m.poll.load(std::memory_order_relaxed) != 0) safepoint.park(m);
  std::uint64_t seen = safepoint.epoch();
  std::uint8_t* p = blocks.allocate_pinned(bytes);
  if (p == nullptr) {
    collect(m, Cause::kLargeFailure, seen, true);
    p = blocks.allocate_pinned(bytes);
    if (p == nullptr) return nullptr;
  }
  stats.add_allocated(bytes);
  auto* o = reinterpret_cast<Object*>(p);
  // Born old and remembered, like a large object (allocate_large), and never evacuated.
  born_old(m, o, header | hdr::kPinned | mark_bit(), false);
  return o;
}

void HeapImpl::minor(CollectionRecord& rec) {
  // Eden is about to be emptied: every TLAB ends here. What was handed out
  // and not used (tails of current and retired TLABs) was not allocated.
  std::uint64_t unused = tlab_waste.exchange(0, std::memory_order_relaxed);
  for (MutatorRecord* r : safepoint.mutators()) {
    unused += static_cast<std::uint64_t>(r->limit - r->cursor);
    r->cursor = r->limit = nullptr;
  }
  rec.allocated = nursery.eden_used() - unused;
  std::uint64_t copied = rec.promoted + rec.survived;
  MinorGC(*this).run(rec);
  last_copied = rec.promoted + rec.survived - copied;
  nursery.flip(opt.poison);
}

HeapImpl::Outcome HeapImpl::collect(MutatorRecord& m, Cause cause, std::uint64_t seen, bool major) {
  if (m.state.load(std::memory_order_relaxed) != kRunning) {
    // In native the thread has promised not to touch the heap.
    std::fputs("runatime: a collection requested from inside a native region\n", stderr);
    std::abort();
  }
  auto start = std::chrono::steady_clock::now();
  if (!safepoint.stop(m, seen)) return Outcome::kRaced;

  auto young = [&] { return nursery.eden_used() + nursery.survivors_used(); };
  bool minor_ok = blocks.can_promote(young(), workers.size());
  if (!major && !minor_ok) {
    major = true;
    cause = Cause::kNoRoom;
  } else if (!major && opt.major_growth_percent != 0 && old_committed() > major_threshold) {
    major = true;
    cause = Cause::kOldGrown;
  }

  CollectionRecord rec;
  rec.major = major;
  rec.cause = cause;
  rec.before = used_bytes();
  if (minor_ok) minor(rec);
  if (major) {
    MajorGC(*this).run(rec);
    if (!minor_ok && blocks.can_promote(young(), workers.size())) {
      minor_ok = true;
      minor(rec);
    }
    major_threshold = next_major_threshold();
  }
  rec.after = used_bytes();
  if (opt.verify) {
    if (auto problem = verify_heap(*this)) {
      std::fprintf(stderr, "runatime: heap verification failed after a %s collection: %s\n",
                   major ? "major" : "minor", problem->c_str());
      std::abort();
    }
  }
  rec.pause_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
  stats.record(rec, nursery.survivors_used());
  if (opt.log) write_log_line(rec);
  safepoint.resume(true);
  finalizers.wake();
  events.notify(m, rec, start);  // outside the pause, on the requesting mutator
  return minor_ok ? Outcome::kCollected : Outcome::kNoRoom;
}

MutatorRecord& HeapImpl::attach(bool finalizer_thread) {
  auto* r = new MutatorRecord(this);
  r->finalizer_thread = finalizer_thread;
  safepoint.add(*r);
  return *r;
}

void HeapImpl::detach(MutatorRecord& r) {
  safepoint.remove(r, [&] {
    // No collection can start meanwhile: the log moves to `carried` intact.
    tlab_waste.fetch_add(static_cast<std::uint64_t>(r.limit - r.cursor), std::memory_order_relaxed);
    std::lock_guard lock(carried_mu);
    carried.insert(carried.end(), r.modified.begin(), r.modified.end());
  });
  delete &r;
}

// ---- the out-of-line halves of heap.hpp's inline paths ----------------------------

Object* allocate_slow(Mutator& m, std::uint64_t header, std::size_t bytes) {
  MutatorRecord& r = record(m);
  return r.heap->allocate(r, header, bytes);
}

Object* allocate_large(Mutator& m, std::uint32_t type, std::size_t bytes) {
  MutatorRecord& r = record(m);
  return r.heap->allocate_large(r, hdr::make(type), bytes);
}

Object* allocate_pinned(Mutator& m, std::uint32_t type, std::size_t bytes) {
  MutatorRecord& r = record(m);
  return r.heap->allocate_pinned(r, hdr::make(type), bytes);
}

void safepoint_slow(Mutator& m) {
  MutatorRecord& r = record(m);
  r.heap->safepoint.park(r);
}

void enter_native(Mutator& m) {
  MutatorRecord& r = record(m);
  r.heap->safepoint.enter_native(r);
}

void leave_native(Mutator& m) {
  MutatorRecord& r = record(m);
  r.heap->safepoint.leave_native(r);
}

// ---- Heap ---------------------------------------------------------------------------

Result<std::unique_ptr<Heap>> Heap::create(const Options& options) {
  if (auto e = check_options(options)) return *e;
  auto impl = std::make_unique<HeapImpl>(options);
  std::string error;
  if (!impl->init(error)) return option_error(error);
  return std::unique_ptr<Heap>(new Heap(std::move(impl)));
}

Heap::Heap(std::unique_ptr<HeapImpl> impl) : impl_(std::move(impl)) {}

MutatorRecord& Heap::own(Mutator& m) {
  MutatorRecord& r = record(m);
  if (r.heap != impl_.get()) {
    std::fputs("runatime: a mutator used with a heap that did not attach it\n", stderr);
    std::abort();
  }
  return r;
}

Heap::~Heap() {
  // Checked first: joining the finalizer thread could wait for ever on a
  // collection that a still attached thread never lets finish.
  if (std::size_t n = impl_->safepoint.count(); n != 0) {
    std::fprintf(stderr, "runatime: heap destroyed with %zu mutators still attached\n", n);
    std::abort();
  }
  impl_->finalizers.stop();
}

const Options& Heap::options() const {
  return impl_->opt;
}

Result<std::uint32_t> Heap::register_layout(const Layout& layout) {
  auto type = impl_->layouts.add(layout);
  if (type.ok() && layout.finalizable) {
    // The type stays registered, unused, if the thread cannot start.
    if (auto why = impl_->finalizers.start()) {
      Error e;
      e.section = "finalizer thread";
      e.message = *why;
      return e;
    }
  }
  return type;
}

const Layout* Heap::layout(std::uint32_t type) const {
  return impl_->layouts.find(type);
}

std::size_t Heap::object_size(Object* o) const {
  return heap::object_size(impl_->layouts.at(hdr::type_of(o->load_header())), o);
}

Mutator& Heap::attach() {
  return impl_->attach();
}

void Heap::detach(Mutator& m) {
  MutatorRecord& r = own(m);
  if (r.finalizer_thread) {
    std::fputs("runatime: detach of the finalizer thread's mutator (it belongs to the heap)\n",
               stderr);
    std::abort();
  }
  impl_->detach(r);
}

bool Heap::collect(Mutator& m, bool major) {
  return impl_->collect(own(m), Cause::kRequested, Safepoint::kAnyEpoch, major) ==
         HeapImpl::Outcome::kCollected;
}

Value* Heap::new_persistent(Value v) {
  return impl_->persistents.take(v);
}
void Heap::free_persistent(Value* slot) {
  impl_->persistents.give(slot);
}

std::uint64_t Heap::add_roots(Value* slots, std::size_t count) {
  return impl_->roots.add(slots, count);
}
void Heap::remove_roots(std::uint64_t id) {
  impl_->roots.remove(id);
}

std::uint64_t Heap::add_frame_enumerator(Mutator& m, FrameEnumerator fn, void* ctx) {
  MutatorRecord& r = own(m);
  r.frames.push_back({r.next_frame_id, fn, ctx});
  return r.next_frame_id++;
}

void Heap::remove_frame_enumerator(Mutator& m, std::uint64_t id) {
  MutatorRecord& r = own(m);
  std::erase_if(r.frames, [&](const FrameRoot& f) { return f.id == id; });
}

void Heap::wait_for_finalizers(Mutator& m) {
  impl_->finalizers.wait(own(m));
}

Stats Heap::stats() const {
  Stats s;
  impl_->stats.fill(s);
  Finalizers::Counts f = impl_->finalizers.counts();
  s.finalizers_run = f.run;
  s.finalizers_pending = f.pending;
  s.old_bytes = impl_->blocks.object_bytes();
  s.large_bytes = impl_->large.bytes();
  s.committed_bytes = impl_->nursery.size() + impl_->old_committed();
  return s;
}

std::optional<std::string> Heap::verify(Mutator& m) {
  MutatorRecord& r = own(m);
  impl_->safepoint.stop(r, Safepoint::kAnyEpoch);
  auto problem = verify_heap(*impl_);
  impl_->safepoint.resume(false);
  return problem;
}

}  // namespace runa::heap
