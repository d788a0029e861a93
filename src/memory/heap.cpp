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
// Zeroing. An object is zeroed when it is allocated (the inline
// allocate(), and here for the objects the slow path hands out), not its
// TLAB when a thread takes it: a TLAB holds old bytes (eden's previous
// epoch, or poison in the poison mode) until objects are bumped out of it.
// Eden stays walkable all the same: a walk reads objects up to each
// thread's cursor, and what lies past it, the TLAB's and the chunk's rests,
// is zeroed whenever a TLAB or chunk is dropped and before any walk
// (zero_chunk_rest). A mutator with zeroed_tlabs (one C code holds: its
// inline rt_fast_allocate writes only the header) gets its TLABs zeroed as
// it takes them, as every thread did before, and zeroes nothing at a drop.
//
// Minor or major. Every collection starts with a minor one, whatever room
// the old generation has left (nothing is reserved for its worst case). It
// goes on with a major collection (major_gc.hpp) when
//   - it was requested so (Heap::collect(m, true)), or
//   - the old generation's committed blocks have passed major_threshold:
//     what the last major collection left, grown by
//     Options::major_growth_percent (or more, while major pauses take more
//     than their share of the time: major_pacing.hpp; at most 90% of the
//     old generation's share), and at least kInitiatingPercent of the
//     old generation's share of max_heap (what the nursery's reservation
//     leaves). That floor is G1's initiating occupancy (45% of the heap):
//     growth alone, from a small start, had a program that builds a large
//     structure first mark all of it, live, once or twice while building
//     (binary-trees' 128 MiB tree at 1 GiB: docs/memory.md, "Where
//     binary-trees' time went"), and small heaps collected fully at every
//     minor collection. Checking at
//     the start of the next collection sees the same old generation as
//     checking right after the previous minor one, as promotion happens
//     only in minor collections; large allocations in between count too; or
//   - promotion failed (minor_gc.hpp, "Promotion failure"): the minor
//     collection left what it could not copy in place, and the nursery is
//     kept (nursery.hpp). The major collection then traces the young
//     objects in place rather than taking them as roots (major_gc.hpp,
//     "The nursery"), and a second minor collection follows in the same
//     pause, which empties the whole nursery when the major one made room.
// A successful minor collection leaves eden empty, so a major one after it
// takes only the survivors as roots.
//
// Finalizers. A collection that found finalizable objects unreachable
// wakes the finalizer thread after it has resumed the world, never inside
// the pause (finalizers.hpp).
//
// Out of memory. When even the minor collection after a major one fails to
// promote, what it could not copy stays in place (the nursery kept), the
// collection reports kNoRoom and the allocation returns nullptr: the live
// data does not fit, the heap stays consistent and the caller raises
// OutOfMemory. Every later collection tries again, so the heap works again
// once the program lets go of what it held. A large allocation with no
// block run left may return nullptr only after a major collection that
// started after its first attempt; so may a pinned allocation that finds
// no block. The safepoint epoch cannot tell: it counts every collection, so another
// thread's minor collection between the attempt and the request would
// pass for a major one. majors_started is read before the attempt and
// major_since() collects until it has moved. Its interleaving: the
// thread reads the epoch, then majors_started (both while running, so no
// collection is under way); a major collection that completes after the
// check moves the epoch, stop() fails, and the loop then sees the count
// moved; a minor one moves only the epoch, and the loop asks again.
//
// A pause never allocates (docs/memory.md). What the collectors keep in
// lists during a pause (grey objects beyond their deques, the remembered
// set taken, weak references, ephemerons, objects still pointing into the
// nursery, defragmentation candidates) lives in the PauseReserve, and the
// lists that outlive a pause (`carried`, the block space's lists, the
// finalizers' lists) have room made for them beforehand. pause_needs()
// bounds it all with the world stopped; when it is not all there,
// collect() resumes the world without collecting (the epoch unchanged),
// reserves it (reserve_for_pause) and stops the world again, or, refused,
// returns kNoRoom: the allocation that wanted the collection gets
// out-of-memory. After each pause the requesting thread reserves what the
// next one will likely need, so that it rarely stops the world twice.
//
// Pinned objects are allocated old, into blocks (BlockSpace::allocate_pinned),
// or into the large-object space when large; evacuation never moves them.
#include "memory/heap.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

#include "memory/barrier.hpp"
#include "memory/cards.hpp"
#include "memory/major_gc.hpp"
#include "memory/minor_gc.hpp"
#include "memory/pause_marker.hpp"
#include "runatime/heap_profile.hpp"

namespace runa::heap {
namespace {

std::uint64_t nanos(std::chrono::steady_clock::duration d) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

// PauseLists per collector worker: grey spill, carried, special old, weak, pending (minor).
constexpr unsigned kListsPerWorker = 5;
// Remembered objects a prediction allows for the mutators' logs.
constexpr std::size_t kPredictedLogs = 4096;
// At most this many promoted objects a prediction makes room for in `carried`.
constexpr std::size_t kPredictedCarried = std::size_t{1} << 22;

// The old generation's first bytes stay in 4 KiB pages: a hello world's
// few old objects should not cost a 2 MiB page to zero (docs/memory.md,
// "Huge pages").
constexpr std::size_t kSmallOld = std::size_t{8} << 20;

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
  if (o.sample_bytes > kMaxSampleBytes) {
    return option_error("sample_bytes must be at most 1 TiB, not " + n(o.sample_bytes));
  }
  if (o.max_heap < kBlock || o.max_heap > (std::size_t{1} << 44)) {
    return option_error("max_heap must be between " + n(kBlock) + " bytes and 16 TiB, not " +
                        n(o.max_heap));
  }
  // max_heap includes the nursery: at least half of it is left for the old
  // generation and large objects.
  if (o.nursery != 0 && o.nursery > o.max_heap / 2) {
    return option_error("nursery (" + n(o.nursery) + " bytes) is more than half of max_heap (" +
                        n(o.max_heap) + " bytes), which includes it");
  }
  if (o.nursery > (std::size_t{1} << 40)) {
    return option_error("nursery (" + n(o.nursery) + " bytes) is over 1 TiB");
  }
  YoungSize young = Sizing(o).reserved();
  std::size_t least = std::size_t{o.survivor_ratio + 2} * 2 * kPage;
  if (young.half < 2 * kPage) {
    if (o.nursery == 0) {
      return option_error("max_heap (" + n(o.max_heap) +
                          " bytes) is too small for an adaptive nursery: with survivor_ratio " +
                          n(o.survivor_ratio) + " it needs at least " + n(3 * least) + " bytes");
    }
    return option_error("nursery (" + n(o.nursery) + " bytes) is too small: with survivor_ratio " +
                        n(o.survivor_ratio) + " it needs at least " + n(least) + " bytes");
  }
  if (o.tlab != 0 && (o.tlab < 256 || o.tlab > kBlock || o.tlab % 8 != 0)) {
    return option_error("tlab must be 0 (adaptive) or a multiple of 8 between 256 and " +
                        n(kBlock) + " bytes (a young object must fit one old block), not " +
                        n(o.tlab));
  }
  if (o.tlab > young.eden) {
    return option_error("tlab (" + n(o.tlab) + " bytes) is larger than eden (" + n(young.eden) +
                        " bytes)");
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
  YoungSize reserved = sizing.reserved();
  std::size_t young = round_up(reserved.total(), kBlock);
  // max_heap is the whole heap: the old generation gets what the nursery's
  // reservation leaves (check_options keeps that at least half).
  std::size_t count = (opt.max_heap - young) / kBlock;
  // Aligned to a huge page, and with `huge_pages` in huge pages where the
  // kernel has them (docs/memory.md, "Huge pages"): the nursery, and the
  // old generation past its first kSmallOld bytes, which the runtime's own
  // objects and a short program's promotions fill 4 KiB at a time.
  if (!region.reserve(young + count * kBlock, kHugePage, error)) return false;
  if (opt.huge_pages) {
    region.prefer_huge_pages(region.base(), young);
    const std::size_t small =
        std::min(count * kBlock, round_up(young + kSmallOld, kHugePage) - young);
    region.prefer_huge_pages(region.base() + young + small, count * kBlock - small);
  }
  YoungSize first = sizing.initial();
  if (!nursery.init(region, region.base(), reserved, first)) {
    error = "cannot commit the nursery (" + std::to_string(first.total()) + " bytes)";
    return false;
  }
  default_chunk.store(sizing.chunk(first.eden, 1.0), std::memory_order_relaxed);
  young_now.store(first.total(), std::memory_order_relaxed);
  young_committed.store(nursery.committed(), std::memory_order_relaxed);
  if (!blocks.init(region, region.base() + young, count, error)) return false;
  // The largest pause_needs() of a full heap (see there), and the slack of every list.
  std::size_t slack = std::size_t{kListsPerWorker} * (PauseList<Object*>::kSlackSegments + 1) *
                      sizeof(PauseList<Object*>::Segment) * workers.size();
  std::size_t most = 2 * opt.max_heap + count * (1 + sizeof(MajorGC::Fragmented)) + 2 * slack;
  if (!pause_reserve.init(most, error)) return false;
  minor_gc = std::make_unique<MinorGC>(*this);
  major_gc = std::make_unique<MajorGC>(*this);
  // Nothing is reserved for a pause yet: the first collection does it, as
  // it starts the workers (collect()). A program that never collects never
  // commits the reserve nor allocates `carried` (an 18 MB vector at the
  // default nursery: a mapping and its first touch, 40-60 us of a hello
  // world's start-up).
  major_threshold = next_major_threshold();
  return true;
}

HeapImpl::HeapImpl(const Options& o)
    : opt(o),
      sizing(o),
      large(blocks),
      workers(o.gc_threads, "runa-gc"),
      pacing(o.major_growth_percent) {}

HeapImpl::~HeapImpl() = default;

HeapImpl::PauseNeeds HeapImpl::pause_needs(bool predict) {
  std::size_t remembered = 0;
  {
    std::lock_guard lock(carried_mu);
    remembered = carried.size();
  }
  std::size_t young = nursery.eden_used() + nursery.survivors_used();
  std::size_t used = used_bytes();
  if (predict) {
    // After a pause, for the next one: the nursery full, the remembered
    // set (now `carried`, the mutators' logs being empty) grown. Running
    // mutators' logs are not read: they are theirs until the world stops.
    young = nursery.eden_capacity() + nursery.half_capacity();
    used += young;
    remembered = 2 * remembered + kPredictedLogs;
  } else {
    for (MutatorRecord* r : safepoint.mutators()) remembered += r->modified.size();
  }
  PauseNeeds n;
  // Blocks that can be in use by the end of the pause: promotion takes at
  // most its worst case (block_space.hpp, "Worst case").
  n.blocks = blocks.committed_blocks() + 2 * young / kBlock + 2 * std::size_t{workers.size()} + 1;
  // A minor collection: a grey entry per young object (8 bytes at least);
  // for each young object with a slot (16 bytes at least) an entry in
  // `carried_` or `special_old_` and one in a weak list; for each
  // remembered object, its place in the taken array and the same two.
  std::size_t minor = 2 * young + 3 * sizeof(std::uintptr_t) * remembered;  // a word per entry
  // A major collection: a grey entry per object, a weak-list entry per
  // object with a slot, and two arrays by block (choose_candidates).
  std::size_t by_block = std::max(n.blocks, blocks.list_capacity());  // the frontier's bound
  std::size_t major = used + used / 2 + by_block * (1 + sizeof(MajorGC::Fragmented)) + 8;
  std::size_t slack = std::size_t{kListsPerWorker} * (PauseList<Object*>::kSlackSegments + 1) *
                      sizeof(PauseList<Object*>::Segment) * workers.size();
  n.reserve_bytes = std::max(minor, major) + slack;
  // The minor collection's new `carried`: remembered objects and promoted
  // ones with a slot.
  n.carried = remembered + young / 16 + 1;
  // A prediction keeps `carried`, a real allocation, within reason: a huge
  // nursery's worst case is left to the pause that meets it.
  if (predict) n.carried = remembered + std::min(young / 16, kPredictedCarried);
  return n;
}

bool HeapImpl::pause_ready(const PauseNeeds& n) {
  std::lock_guard lock(carried_mu);
  return pause_reserve.committed() >= n.reserve_bytes && carried.capacity() >= n.carried &&
         blocks.lists_hold(n.blocks);
}

bool HeapImpl::reserve_for_pause(const PauseNeeds& n) {
  if (!pause_reserve.ensure(n.reserve_bytes) || !blocks.reserve_lists(n.blocks)) return false;
  std::lock_guard lock(carried_mu);
  try {
    // Doubling, so that a heap that grows reallocates rarely.
    if (carried.capacity() < n.carried)
      carried.reserve(std::max(n.carried, 2 * carried.capacity()));
  } catch (const std::bad_alloc&) {
    return false;
  }
  return true;
}

std::uint64_t HeapImpl::next_major_threshold() const {
  const std::uint64_t old_share = opt.max_heap - sizing.reserved().total();
  const std::uint64_t floor = old_share / 100 * kInitiatingPercent;
  const std::uint64_t old = old_committed();
  const std::uint64_t least = old * (100 + std::uint64_t{opt.major_growth_percent}) / 100;
  // Pacing grows the threshold into room max_heap grants, not past it: up
  // to 90% of the old generation's share, the rest left for the promotion
  // that crosses it.
  const std::uint64_t paced =
      std::min(old * (100 + std::uint64_t{pacing.growth()}) / 100, old_share / 10 * 9);
  return std::max({least, paced, floor});
}

std::uint64_t HeapImpl::used_bytes() const {
  return nursery.eden_used() + nursery.survivors_used() + blocks.object_bytes() + large.bytes();
}

Object* HeapImpl::allocate(MutatorRecord& m, std::uint64_t header, std::size_t bytes) {
  if (m.poll.load(std::memory_order_relaxed) != 0) safepoint.park(m);
  if (bytes >= kLargeObject) return allocate_large(m, header, bytes);
  // The TLAB's limit was lowered to a sample point and this object fits
  // before its real end (sampler.hpp).
  if (m.limit != m.tlab_end && static_cast<std::size_t>(m.tlab_end - m.cursor) >= bytes) {
    Object* o = sampler.take(m, header, bytes);
    zero_slots(o, bytes);
    return o;
  }

  if (opt.stress_every != 0 && ++m.stress_count >= opt.stress_every) {
    m.stress_count = 0;
    // Whether or not it emptied the nursery, the eden attempt below decides.
    collect(m, Cause::kStress, Safepoint::kAnyEpoch);
  }
  for (;;) {
    std::uint64_t seen = safepoint.epoch();
    std::uint8_t* p = nullptr;
    if (opt.stress_every != 0) {
      std::size_t got = 0;
      p = nursery.carve(bytes, bytes, got);
      if (p != nullptr) nursery.zero(p, got);
      if (p != nullptr && opt.verify) verify_fresh(p, got, "eden");
    } else {
      p = refill(m, bytes);
    }
    if (p != nullptr) {
      auto* o = reinterpret_cast<Object*>(p);
      o->header = header;
      zero_slots(o, bytes);
      if (sampler.on()) {
        sampler.count(m, o, bytes);
        sampler.arm(m, m.tlab_end);
      }
      return o;
    }
    if (collect(m, Cause::kEdenFull, seen) == Outcome::kNoRoom) return nullptr;
  }
}

std::uint8_t* HeapImpl::refill(MutatorRecord& m, std::size_t bytes) {
  Sampler::retire(m);  // m.limit: the TLAB's real end again
  m.epoch_waste += static_cast<std::uint64_t>(m.limit - m.cursor);
  zero_tlab_rest(m);
  m.cursor = m.limit = m.tlab_end = nullptr;
  if (static_cast<std::size_t>(m.chunk_end - m.chunk_top) < bytes) {
    m.epoch_waste += static_cast<std::uint64_t>(m.chunk_end - m.chunk_top);
    zero_chunk_rest(m);
    m.chunk_top = m.chunk_end = nullptr;
    if (m.chunk_size == 0) m.chunk_size = default_chunk.load(std::memory_order_relaxed);
    std::size_t got = 0;
    std::uint64_t retries = 0;
    std::uint8_t* c =
        nursery.carve(bytes, bytes > m.chunk_size ? bytes : m.chunk_size, got, &retries);
    if (retries != 0) m.eden_cas_retries.add(retries);
    if (c == nullptr) return nullptr;
    m.eden_refills.add();
    m.epoch_taken += got;
    m.chunk_top = c;
    m.chunk_end = c + got;
  }
  auto left = static_cast<std::size_t>(m.chunk_end - m.chunk_top);
  std::size_t tlab = bytes > sizing.tlab() ? bytes : sizing.tlab();
  std::uint8_t* p = m.chunk_top;
  m.chunk_top += tlab < left ? tlab : left;
  m.cursor = p + bytes;
  m.limit = m.tlab_end = m.chunk_top;
  m.tlab_refills.add();
  if (m.zeroed_tlabs) {
    // Zeroed as it is taken, not when the chunk was carved: written while
    // its lines are still in this core's cache (nursery.hpp).
    nursery.zero(p, static_cast<std::size_t>(m.chunk_top - p));
    if (opt.verify) verify_fresh(p, static_cast<std::size_t>(m.limit - p), "TLAB");
  }
  return p;
}

void HeapImpl::zero_tlab_rest(MutatorRecord& m) {
  if (m.cursor != nullptr && !m.zeroed_tlabs)
    nursery.zero(m.cursor, static_cast<std::size_t>(m.tlab_end - m.cursor));
}

void HeapImpl::zero_tlabs(MutatorRecord& m) {
  zero_tlab_rest(m);
  m.zeroed_tlabs = true;
}

void HeapImpl::zero_chunk_rest(MutatorRecord& m) {
  zero_tlab_rest(m);
  if (m.chunk_top != nullptr)
    nursery.zero(m.chunk_top, static_cast<std::size_t>(m.chunk_end - m.chunk_top));
}

void HeapImpl::zero_chunk_rests() {
  for (MutatorRecord* r : safepoint.mutators()) zero_chunk_rest(*r);
}

Object* HeapImpl::allocate_large(MutatorRecord& m, std::uint64_t header, std::size_t bytes) {
  if (m.poll.load(std::memory_order_relaxed) != 0) safepoint.park(m);
  // A reference array gets its card table after its elements (cards.hpp).
  const Layout* l = layouts.find(hdr::type_of(header));
  bool carded = l != nullptr && l->kind == LayoutKind::kRefArray && bytes >= ref_array_bytes(0);
  std::size_t length = carded ? (bytes - ref_array_bytes(0)) / 8 : 0;
  std::size_t run = carded ? ref_array_bytes(length) + cards::table_bytes(length) : bytes;
  std::uint64_t majors = majors_started.load(std::memory_order_acquire);
  std::uint8_t* p = large.allocate(run);
  if (p == nullptr) {
    major_since(m, majors);
    p = large.allocate(run);
    if (p == nullptr) return nullptr;
  }
  if (opt.verify) verify_fresh(p, bytes, "large object");
  stats.add_allocated(bytes);
  auto* o = reinterpret_cast<Object*>(p);
  if (carded) o->slots()[0] = length;
  // Born old and remembered (barrier.hpp), with the current mark polarity
  // like every old object (heap.hpp).
  born_old(m, o, header | mark_bit(), carded);
  if (sampler.on()) sampler.count(m, o, bytes);
  return o;
}

Object* HeapImpl::allocate_pinned(MutatorRecord& m, std::uint64_t header, std::size_t bytes) {
  if (bytes >= kLargeObject) return allocate_large(m, header, bytes);  // never moves either
  if (m.poll.load(std::memory_order_relaxed) != 0) safepoint.park(m);
  std::uint64_t majors = majors_started.load(std::memory_order_acquire);
  std::uint8_t* p = blocks.allocate_pinned(bytes);
  if (p == nullptr) {
    major_since(m, majors);
    p = blocks.allocate_pinned(bytes);
    if (p == nullptr) return nullptr;
  }
  if (opt.verify) verify_fresh(p, bytes, "pinned object");
  stats.add_allocated(bytes);
  auto* o = reinterpret_cast<Object*>(p);
  // Born old and remembered, like a large object (allocate_large), and never evacuated.
  born_old(m, o, header | hdr::kPinned | mark_bit(), false);
  if (sampler.on()) sampler.count(m, o, bytes);
  return o;
}

void HeapImpl::major_since(MutatorRecord& m, std::uint64_t majors) {
  for (;;) {
    std::uint64_t seen = safepoint.epoch();
    if (majors_started.load(std::memory_order_acquire) != majors) return;
    if (collect(m, Cause::kLargeFailure, seen, true) != Outcome::kRaced) return;
  }
}

bool HeapImpl::minor(CollectionRecord& rec) {
  // Eden is about to be emptied: every TLAB and chunk ends here. What was
  // handed out and not used (their tails, and what threads retired) was
  // not allocated.
  std::uint64_t unused = tlab_waste.exchange(0, std::memory_order_relaxed);
  for (MutatorRecord* r : safepoint.mutators()) {
    Sampler::retire(*r);
    unused += static_cast<std::uint64_t>(r->limit - r->cursor) +
              static_cast<std::uint64_t>(r->chunk_end - r->chunk_top) + r->epoch_waste;
    r->epoch_waste = 0;
  }
  rec.allocated += nursery.eden_fresh() - unused;
  std::uint64_t copied = rec.promoted + rec.survived;
  std::uint64_t resurvived = rec.resurvived;
  std::uint64_t last_survivors = nursery.survivors_used();
  copied_ages = AgeTable{};
  // The chunks end after the copy: a failed promotion walks eden, and zeroes
  // their rests first (zero_chunk_rests), which a successful one never needs.
  bool emptied = minor_gc->run(rec);
  for (MutatorRecord* r : safepoint.mutators()) {
    r->cursor = r->limit = r->tlab_end = nullptr;
    r->chunk_top = r->chunk_end = nullptr;
  }
  last_copied = rec.promoted + rec.survived - copied;
  if (!emptied) {
    // Objects stay in eden: no resizing, and each thread keeps its chunk size.
    nursery.keep();
    return false;
  }
  std::uint64_t taken = nursery.eden_used();
  nursery.flip(opt.poison);

  MinorSample sample;
  sample.allocated = rec.allocated;
  sample.copied = last_copied;
  sample.resurvived = rec.resurvived - resurvived;
  sample.last_survivors = last_survivors;
  sample.mutators = safepoint.mutators().size();
  // What the worst case of the next minor collection would leave for its
  // workers' partly filled blocks (block_space.hpp, "Worst case").
  std::size_t spare = 2 * std::size_t{workers.size()};
  std::size_t free = blocks.free_blocks();
  sample.promotion_room = free > spare ? (free - spare) * kBlock : 0;
  // A failed commit keeps the current size, which is committed.
  nursery.resize(sizing.after_minor(nursery.current(), sample));
  young_now.store(nursery.current().total(), std::memory_order_relaxed);
  young_committed.store(nursery.committed(), std::memory_order_relaxed);
  tenure_age = tenuring_threshold(copied_ages, nursery.half_capacity(), opt.promotion_age,
                                  sizing.survivors_persist());

  // Each thread's next chunk follows its share of this epoch's eden,
  // averaged with the past (weight 0.35 for the newest, as HotSpot does).
  std::size_t eden = nursery.eden_capacity();
  for (MutatorRecord* r : safepoint.mutators()) {
    double share =
        taken == 0 ? 0.0 : static_cast<double>(r->epoch_taken) / static_cast<double>(taken);
    r->eden_share = r->chunk_size == 0 ? share : 0.65 * r->eden_share + 0.35 * share;
    r->chunk_size = sizing.chunk(eden, r->eden_share);
    r->epoch_taken = 0;
  }
  std::size_t n = sample.mutators == 0 ? 1 : sample.mutators;
  default_chunk.store(sizing.chunk(eden, 1.0 / static_cast<double>(n)), std::memory_order_relaxed);
  return true;
}

HeapImpl::Outcome HeapImpl::collect(MutatorRecord& m, Cause cause, std::uint64_t seen, bool major) {
  if (m.state.load(std::memory_order_relaxed) != kRunning) {
    // In native the thread has promised not to touch the heap.
    std::fputs("runatime: a collection requested from inside a native region\n", stderr);
    std::abort();
  }
  auto start = std::chrono::steady_clock::now();
  // The workers start at the first collection (WorkerGang), here, while the
  // world runs: inside the pause a failure could not be reported. A thread
  // that cannot be started is memory that cannot be had; the next
  // collection tries again.
  try {
    workers.start();
  } catch (const std::exception&) {  // system_error, or bad_alloc
    return Outcome::kNoRoom;
  }
  // The first collection's reserve, predicted as after a pause (init makes
  // none), before the world stops, so that it stops once. Two threads may
  // both find it empty: reserve_for_pause is safe on any threads at once.
  if (pause_reserve.committed() == 0) reserve_for_pause(pause_needs(true));
  // What the pause needs is known only with the world stopped; when it is
  // not there, the world resumes (the epoch unchanged: no collection
  // happened), this thread reserves it and stops the world again.
  for (;;) {
    if (!safepoint.stop(m, seen)) return Outcome::kRaced;
    PauseNeeds needs = pause_needs(false);
    if (pause_ready(needs)) break;
    safepoint.resume(false);
    if (!reserve_for_pause(needs)) return Outcome::kNoRoom;
  }
  std::optional<PauseScope> pause(std::in_place);

  if (!major && opt.major_growth_percent != 0 && old_committed() > major_threshold) {
    major = true;
    cause = Cause::kOldGrown;
  }

  CollectionRecord rec;
  rec.before = used_bytes();
  bool emptied = minor(rec);
  if (!emptied && !major) {
    major = true;
    cause = Cause::kNoRoom;
  }
  if (!emptied && opt.verify) verify_or_abort("minor collection that failed to promote");
  rec.major = major;
  rec.cause = cause;
  if (major) {
    // Counted before it starts: a large or pinned allocation that failed
    // before this point may fail again only after it (major_since).
    majors_started.fetch_add(1, std::memory_order_release);
    const std::uint64_t old_peak = old_committed();
    major_gc->run(rec, !emptied);
    if (!emptied) emptied = minor(rec);
    const auto end = std::chrono::steady_clock::now();
    pacing.after_major(nanos(end - start), last_major_end ? nanos(end - *last_major_end) : 0);
    last_major_end = end;
    major_threshold = next_major_threshold();
    // Promotion refills the old generation up to the threshold before the
    // next major collection, and past it by what the minor collection that
    // crosses it promotes: when growth started this one, up to the peak it
    // reached. The blocks below stay resident (the pause workload faulted
    // ~300 MB back in per cycle when none were kept, ~100 MB when the
    // overshoot was not).
    const std::uint64_t old_now = old_committed();
    const std::uint64_t regrow_to =
        cause == Cause::kOldGrown ? std::max(major_threshold, old_peak) : major_threshold;
    blocks.set_regrowth(opt.major_growth_percent != 0 && regrow_to > old_now
                            ? static_cast<std::size_t>(regrow_to - old_now)
                            : 0);
  }
  rec.after = used_bytes();
  if (opt.verify) verify_or_abort(major ? "major collection" : "minor collection");
  rec.pause_ns = nanos(std::chrono::steady_clock::now() - start);
  stats.record(rec, nursery.survivors_used());
  if (trace.on()) {
    trace.add({major ? "major collection" : "minor collection", nanos(start.time_since_epoch()),
               rec.pause_ns, 0, "heap_bytes_after", rec.after});
  }
  pause.reset();
  safepoint.resume(true);
  if (opt.log) write_log_line(rec);  // formats strings: after the pause
  finalizers.wake();
  // Outside the pause: this thread is running again, so no other pause can
  // start before the excess is returned (BlockSpace's locking note).
  blocks.return_excess();
  // What the next pause needs, reserved now, so that it rarely has to
  // stop the world twice; a refusal is reported by the next collection.
  reserve_for_pause(pause_needs(true));
  // Room for the next major collection to move objects snapshots named.
  if (major && places.active()) snapshot_ids.make_room();
  events.notify(m, rec, start);  // outside the pause, on the requesting mutator
  return emptied ? Outcome::kCollected : Outcome::kNoRoom;
}

void HeapImpl::verify_or_abort(const char* after) {
  if (auto problem = verify_heap(*this)) {
    std::fprintf(stderr, "runatime: heap verification failed after a %s: %s\n", after,
                 problem->c_str());
    std::abort();
  }
}

// The hooks through which the concurrency part's waits (locks, channels,
// parked pool workers) let collections proceed: a wait is a native region
// unless the thread is in one already.
namespace {
bool enter_blocking(void* ctx) {
  auto* r = static_cast<MutatorRecord*>(ctx);
  if (r->state.load(std::memory_order_relaxed) != kRunning) return false;
  r->heap->safepoint.enter_native(*r);
  return true;
}
void leave_blocking(void* ctx) {
  auto* r = static_cast<MutatorRecord*>(ctx);
  r->heap->safepoint.leave_native(*r);
}
void poll_hook(void* ctx) {
  poll(*static_cast<MutatorRecord*>(ctx));
}
}  // namespace

MutatorRecord& HeapImpl::attach(bool finalizer_thread) {
  auto* r = new MutatorRecord(this);
  r->finalizer_thread = finalizer_thread;
  r->hooks = {enter_blocking, leave_blocking, poll_hook, r};
  r->outer_hooks = concurrency::thread_hooks();
  concurrency::set_thread_hooks(&r->hooks);
  if (sampler.on()) sampler.start(*r);
  safepoint.add(*r);
  return *r;
}

void HeapImpl::detach(MutatorRecord& r) {
  if (concurrency::thread_hooks() == &r.hooks) concurrency::set_thread_hooks(r.outer_hooks);
  safepoint.remove(r, [&] {
    // No collection can start meanwhile: the log moves to `carried` intact.
    Sampler::retire(r);
    tlab_waste.fetch_add(static_cast<std::uint64_t>(r.limit - r.cursor) +
                             static_cast<std::uint64_t>(r.chunk_end - r.chunk_top) + r.epoch_waste,
                         std::memory_order_relaxed);
    zero_chunk_rest(r);  // stays in eden until the next collection empties it
    detached_counts.tlab_refills += r.tlab_refills.get();
    detached_counts.eden_refills += r.eden_refills.get();
    detached_counts.eden_cas_retries += r.eden_cas_retries.get();
    detached_counts.mutator_lock_acquisitions += r.lock_acquisitions.get();
    detached_counts.mutator_lock_contended += r.lock_contended.get();
    std::lock_guard lock(carried_mu);
    carried.insert(carried.end(), r.modified.begin(), r.modified.end());
  });
  delete &r;
}

void HeapImpl::add_mutator_counters(Stats& s) const {
  safepoint.locked([&](const std::vector<MutatorRecord*>& mutators) {
    s.tlab_refills = detached_counts.tlab_refills;
    s.eden_refills = detached_counts.eden_refills;
    s.eden_cas_retries = detached_counts.eden_cas_retries;
    s.mutator_lock_acquisitions = detached_counts.mutator_lock_acquisitions;
    s.mutator_lock_contended = detached_counts.mutator_lock_contended;
    for (const MutatorRecord* r : mutators) {
      s.tlab_refills += r->tlab_refills.get();
      s.eden_refills += r->eden_refills.get();
      s.eden_cas_retries += r->eden_cas_retries.get();
      s.mutator_lock_acquisitions += r->lock_acquisitions.get();
      s.mutator_lock_contended += r->lock_contended.get();
    }
  });
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
  // Whatever the options, an error, never an exception: the parts allocate
  // (and the worker gang starts threads) as they are built.
  try {
    auto impl = std::make_unique<HeapImpl>(options);
    std::string error;
    if (!impl->init(error)) return option_error(error);
    return std::unique_ptr<Heap>(new Heap(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return option_error("out of memory creating the heap");
  } catch (const std::system_error& e) {
    return option_error(std::string("cannot start the collector's threads: ") + e.what());
  }
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
  for (const RootSites* s : {&impl_->persistent_sites, &impl_->root_set_sites}) {
    for (const std::string& line : s->describe()) {
      std::fprintf(stderr, "runatime: heap destroyed with a %s\n", line.c_str());
    }
  }
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

const void* Heap::descriptor_of(Object* o) const {
  return impl_->layouts.at(hdr::type_of(o->load_header())).descriptor;
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

// In the debug mode (verify) each root made here records where it was
// made (root_sites.hpp), for the leak report and the destructor.
Value* Heap::new_persistent(Value v) {
  Value* slot = impl_->persistents.take(v);
  if (impl_->opt.verify) impl_->persistent_sites.add(reinterpret_cast<std::uintptr_t>(slot));
  return slot;
}
void Heap::free_persistent(Value* slot) {
  if (impl_->opt.verify) impl_->persistent_sites.remove(reinterpret_cast<std::uintptr_t>(slot));
  impl_->persistents.give(slot);
}

std::uint64_t Heap::add_roots(Value* slots, std::size_t count) {
  std::uint64_t id = impl_->roots.add(slots, count);
  if (impl_->opt.verify) impl_->root_set_sites.add(id);
  return id;
}
void Heap::remove_roots(std::uint64_t id) {
  if (impl_->opt.verify) impl_->root_set_sites.remove(id);
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
  s.committed_bytes =
      impl_->young_committed.load(std::memory_order_relaxed) + impl_->old_committed();
  BlockSpace::ReturnCounts r = impl_->blocks.return_counts();
  s.returned_bytes = r.returned_bytes;
  s.return_calls = r.calls;
  s.retained_free_bytes = r.retained_bytes;
  s.nursery_bytes = impl_->young_now.load(std::memory_order_relaxed);
  Safepoint::Handshakes hs = impl_->safepoint.handshakes();
  s.safepoint_handshakes = hs.count;
  s.time_to_safepoint_ns = hs.total_ns;
  s.max_time_to_safepoint_ns = hs.max_ns;
  impl_->add_mutator_counters(s);
  return s;
}

std::optional<std::string> Heap::verify(Mutator& m) {
  MutatorRecord& r = own(m);
  impl_->safepoint.stop(r, Safepoint::kAnyEpoch);
  // The walk of eden needs the chunks' rests zero; each thread keeps its chunk.
  impl_->zero_chunk_rests();
  auto problem = verify_heap(*impl_);
  impl_->safepoint.resume(false);
  return problem;
}

void Heap::stopped(Mutator& m, void (*fn)(void* ctx), void* ctx) {
  MutatorRecord& r = own(m);
  impl_->safepoint.stop(r, Safepoint::kAnyEpoch);
  fn(ctx);
  impl_->safepoint.resume(false);
}

}  // namespace runa::heap
