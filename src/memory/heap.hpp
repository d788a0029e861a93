// HeapImpl: the heap's parts, owned together (the public Heap is a facade).
//
// Layout of the one reservation (Region):
//
//   [ nursery: eden | half 0 | half 1 ][ old generation: blocks ]
//
// The two together are max_heap (Options): the old generation gets the
// blocks the nursery's reservation leaves.
//
// The nursery is committed whole at creation; blocks are committed as the
// old generation and the large-object space take them.
//
// The remembered set between collections is the union of every mutator's
// modified-object buffer and `carried`: objects logged by threads that have
// since detached, and old objects that still hold young references after a
// collection (they stay logged, see minor_gc.hpp).
//
// Mark polarity: every object in the old generation and the large-object
// space carries hdr::kMark equal to mark_bit() between collections (live
// ones from the last major collection's marking, newer ones from
// promotion or allocation). A major collection flips mark_bit() first, so
// no object is marked, and no pass ever clears marks (major_gc.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "concurrency/worker_gang.hpp"
#include "memory/block_space.hpp"
#include "memory/collection_events.hpp"
#include "memory/finalizers.hpp"
#include "memory/gc_trace.hpp"
#include "memory/handles.hpp"
#include "memory/large_space.hpp"
#include "memory/layouts.hpp"
#include "memory/leak_census.hpp"
#include "memory/major_pacing.hpp"
#include "memory/nursery.hpp"
#include "memory/pause_reserve.hpp"
#include "memory/place_ids.hpp"
#include "memory/region.hpp"
#include "memory/root_sites.hpp"
#include "memory/safepoint.hpp"
#include "memory/sampler.hpp"
#include "memory/sizing.hpp"
#include "memory/stats.hpp"
#include "memory/tenuring.hpp"
#include "memory/watched.hpp"

namespace runa::heap {

class MinorGC;
class MajorGC;

class HeapImpl {
 public:
  enum class Outcome { kCollected, kRaced, kNoRoom };
  // The old generation's occupancy, in percent of its share of max_heap,
  // under which growth alone never starts a major collection (heap.cpp).
  static constexpr std::uint64_t kInitiatingPercent = 45;

  explicit HeapImpl(const Options& o);
  ~HeapImpl();
  HeapImpl(const HeapImpl&) = delete;
  HeapImpl& operator=(const HeapImpl&) = delete;
  HeapImpl(HeapImpl&&) = delete;
  HeapImpl& operator=(HeapImpl&&) = delete;

  // Reserves and commits; false with `error` set on failure.
  bool init(std::string& error);

  // A new mutator for the calling thread (waits while a collection runs).
  MutatorRecord& attach(bool finalizer_thread = false);
  // Closes out and deletes `r`, the calling thread's running mutator.
  void detach(MutatorRecord& r);

  // The slow path of allocation (see heap.cpp).
  Object* allocate(MutatorRecord& m, std::uint64_t header, std::size_t bytes);
  Object* allocate_large(MutatorRecord& m, std::uint64_t header, std::size_t bytes);
  Object* allocate_pinned(MutatorRecord& m, std::uint64_t header, std::size_t bytes);
  // A TLAB of at least `bytes` for `m`, from its chunk or a new chunk of
  // eden (sizing.hpp); its start, or nullptr when eden is exhausted.
  std::uint8_t* refill(MutatorRecord& m, std::size_t bytes);
  // Zeroes what lies past m's cursor in its TLAB (nothing when its TLABs
  // are zeroed whole: heap.cpp, "Zeroing").
  void zero_tlab_rest(MutatorRecord& m);
  // From now on m's TLABs are zeroed as it takes them; its current one's
  // rest is zeroed now. On m's own thread.
  void zero_tlabs(MutatorRecord& m);
  // Zeroes the rest of m's TLAB and the part of its chunk not yet handed out
  // as TLABs (nursery.hpp: eden is walkable only without such rests): when
  // the chunk is dropped.
  void zero_chunk_rest(MutatorRecord& m);
  // The same for every mutator, with the world stopped, before a walk of
  // eden (Heap::verify, a failed promotion's restore); they keep their chunks.
  void zero_chunk_rests();
  // Collector, after a minor collection: the next epoch's eden and chunks.
  void resize_young(const CollectionRecord& rec, std::uint64_t last_survivors);
  // Heap::stats()'s counters of every mutator, attached or detached.
  void add_mutator_counters(Stats& s) const;
  // A collection requested by `m` (see heap.cpp for when it is a major
  // one); see Safepoint::stop for `seen`. kNoRoom: the nursery could not be
  // emptied, even after a major collection (promotion failed twice).
  Outcome collect(MutatorRecord& m, Cause cause, std::uint64_t seen, bool major = false);
  // Runs a major collection unless one has started since majors_started
  // read `majors` (see heap.cpp, "Out of memory").
  void major_since(MutatorRecord& m, std::uint64_t majors);

  // The threshold of old_committed() for the next policy-driven major collection.
  [[nodiscard]] std::uint64_t next_major_threshold() const;
  // The minor part of a collection (world stopped). False when promotion
  // failed: objects were left in place and the nursery is kept (nursery.hpp).
  bool minor(CollectionRecord& rec);
  // Verify mode, world stopped: aborts with the verifier's finding, if any.
  void verify_or_abort(const char* after);
  // What a pause may need besides the heap itself (heap.cpp, "A pause
  // never allocates"): exactly, from the heap's state with the world
  // stopped, or, `predict`, an estimate for the next pause with the world
  // running.
  struct PauseNeeds {
    std::size_t reserve_bytes = 0;  // pause_reserve
    std::size_t carried = 0;        // capacity of `carried`
    std::size_t blocks = 0;         // capacity of the block space's lists
  };
  [[nodiscard]] PauseNeeds pause_needs(bool predict);
  [[nodiscard]] bool pause_ready(const PauseNeeds& n);
  // World running: makes room for `n`; false when memory is refused.
  bool reserve_for_pause(const PauseNeeds& n);
  // Bytes in use now (world stopped or approximate).
  [[nodiscard]] std::uint64_t used_bytes() const;
  // Bytes of committed old-generation blocks (object blocks and large runs).
  [[nodiscard]] std::uint64_t old_committed() const { return blocks.blocks_in_use() * kBlock; }
  [[nodiscard]] std::uint64_t mark_bit() const {
    return mark_polarity.load(std::memory_order_relaxed);
  }
  // Both collectors, once Tracer::reached() is final: renames and drops
  // the entries of every Watched table (watched.hpp).
  void settle_watched(Tracer& t, bool major) {
    snapshot_ids.settle(t, major);
    sampler.live().settle(t, major);
  }
  // Major collector, world stopped.
  void flip_mark_bit() { mark_polarity.store(mark_bit() ^ hdr::kMark, std::memory_order_relaxed); }

  Options opt;
  Sizing sizing;
  Region region;
  Nursery nursery;
  BlockSpace blocks;
  LargeSpace large;
  Layouts layouts;
  Safepoint safepoint;
  PersistentArena persistents;
  RootSets roots;
  StatsRecorder stats;
  // The collector's threads: the thread that stops the world is worker 0.
  concurrency::WorkerGang workers;
  // Waking the gang costs tens of microseconds, more than copying a small
  // nursery takes: a minor collection runs on worker 0 alone when the last
  // one copied fewer bytes than this (tests set 0 to force parallelism).
  std::uint64_t parallel_copy_threshold = std::uint64_t{1} << 20;
  std::uint64_t last_copied = 0;  // bytes the last minor collection copied
  // The promotion age of the next minor collection (tenuring.hpp), and the
  // bytes the last one copied by age, from which it is chosen.
  unsigned tenure_age = opt.promotion_age;
  AgeTable copied_ages;
  Finalizers finalizers{*this};
  CollectionEvents events;
  // The collectors' lists in a pause (pause_reserve.hpp), and the
  // collectors themselves, built once with the heap.
  PauseReserve pause_reserve;
  std::unique_ptr<MinorGC> minor_gc;
  std::unique_ptr<MajorGC> major_gc;
  // Snapshot ids (heap_snapshot.cpp): of old objects by their place, and of
  // the objects that moved after being named (named young, or evacuated)
  // in a table; and the next id the table's objects get (1 modulo 4,
  // place_ids.hpp says why).
  PlaceIds places;
  Watched snapshot_ids{&nursery};
  Sampler sampler{opt.sample_bytes, nursery};
  LeakCensus leaks;
  // Where the persistent handles and root sets still held were made
  // (recorded in the debug mode, Options::verify).
  RootSites persistent_sites{"persistent handle"};
  RootSites root_set_sites{"root set"};
  GcTrace trace;
  std::uint64_t next_snapshot_id = PlaceIds::kBase + 1;
  // The C ABI's rt_heap over this heap, if any (c_api.cpp): its finalizer
  // callbacks are found through it.
  void* c_api = nullptr;

  std::mutex carried_mu;
  std::vector<Object*> carried;
  // Unused TLAB and chunk tails of threads detached since the last collection.
  std::atomic<std::uint64_t> tlab_waste{0};
  // The chunk size a newly attached mutator starts with (sizing.hpp).
  std::atomic<std::size_t> default_chunk{0};
  // The nursery's size now and its committed bytes, for Heap::stats() on
  // any thread (the nursery's own fields change in pauses).
  std::atomic<std::uint64_t> young_now{0};
  std::atomic<std::uint64_t> young_committed{0};
  // The counters of detached mutators (Stats), guarded by the safepoint lock.
  Stats detached_counts;
  // Major collections started: written with the world stopped, read by
  // mutators before an allocation attempt that may fail (major_since).
  std::atomic<std::uint64_t> majors_started{0};
  // old_committed() above which the next collection is a major one.
  std::uint64_t major_threshold = 0;
  // The growth next_major_threshold() allows (major_pacing.hpp), and when
  // the last major collection ended. Both written only with the world
  // stopped.
  MajorPacing pacing;
  std::optional<std::chrono::steady_clock::time_point> last_major_end;
  // mark_bit(): read by mutators allocating large objects, written only
  // with the world stopped, so relaxed is enough (the safepoint handshake
  // orders the two).
  std::atomic<std::uint64_t> mark_polarity{0};
};

// The internals behind the public facade, for RunaTime's own parts and
// tests (the public header declares it only as Heap's friend).
inline HeapImpl& impl_of(Heap& heap) {
  return *heap.impl_;
}

// Checks every root and every object of the survivor half, the old
// generation and the large-object space (world stopped); the first problem.
std::optional<std::string> verify_heap(HeapImpl& h);
// Verify mode: aborts, naming `what` (a TLAB, a large object, a pinned
// object), unless [p, p + n) is all zero.
void verify_fresh(const std::uint8_t* p, std::size_t n, const char* what);

}  // namespace runa::heap
