// MinorGC: one minor collection of the nursery: parallel copying on the
// heap's GC workers (HeapImpl::workers, Options::gc_threads of them).
//
// From-space is eden plus the survivors' half; to-space is the empty half,
// plus the old generation for promoted objects. With the world stopped:
//
// A nursery with little to copy is collected by worker 0 alone
// (HeapImpl::parallel_copy_threshold); the phases are the same.
//
//  1. Roots, in parallel: worker 0 evacuates every root slot (handles,
//     frames, persistents, root sets); the other workers, and worker 0
//     once done, claim chunks of the remembered set (every logged old
//     object: the mutators' modified-object buffers and `carried`) and
//     scan them. Evacuating a slot copies its from-space object (or takes
//     its forwarding address) and updates the slot.
//  2. Closure, in parallel: every copy is pushed on its worker's deque and
//     scanned once, by that worker or by one that steals it
//     (StealingQueues), except a copy with no reference slot (a byte
//     array), which has nothing to scan: the copy itself does what its
//     scan would (an old one is left unlogged). The phase ends when every worker is idle and every
//     deque empty. The deques have a fixed capacity; a copy that finds its
//     worker's deque full goes to the worker's spill list (a PauseList,
//     pause_reserve.hpp), which only that worker takes from, after its
//     deque and before stealing. Who copies an object is decided on its header
//     (forwarding.hpp): exactly one worker claims it, the others wait for
//     and take its forwarding word.
//  3. Serially, on worker 0: the weak references and ephemerons every worker
//     recorded are merged; ephemerons whose key was young and not copied
//     are resolved to a fixpoint (key and value cleared when the key died),
//     then weak references whose young referent was not copied are cleared
//     (weak_refs.hpp). Anything these reach is copied and scanned by worker
//     0 alone.
//  4. The remembered set after the collection. Every old object scanned
//     (promoted, or logged) is decided as soon as its slots are final,
//     which is when it has been scanned (each slot is visited once): if one
//     of them points into the nursery (a survivor), it stays logged and
//     goes to `carried`, so the next minor collection scans it again;
//     otherwise it gets kUnlogged back. Old weak references and ephemerons
//     are decided after step 3, which may still change their slots.
//
// Space for copies. Each worker copies survivors into a buffer of its own
// carved from the empty half (Nursery::to_chunk; the unused tail is zeroed
// when the buffer is retired, so the half stays walkable), and promotes
// through a BlockCursor of its own (block_space.hpp), so copying takes no
// lock but for taking space. An object is promoted when its new age
// reaches the tenuring threshold (at most promotion_age, tenuring.hpp) or it
// does not fit the empty half. A promoted
// object gets the heap's current mark polarity (major_gc.hpp), like every
// object in the old generation.
//
// Promotion failure (HotSpot's and MMTk's scheme). The collection starts
// whenever it is due, with no room reserved for the worst case. An object
// that finds no old block and no room in the empty half either is
// forwarded to itself (forwarding.hpp, publish_self; the interleaving of
// two workers racing for it is written there) and pushed like a copy: it
// is scanned once, so everything it reaches is evacuated (or kept too) and
// its slots are updated, and every slot that reaches it keeps its address.
// Step 4 needs nothing more: an object left in place is young, so an old
// object referring to it stays logged and goes to `carried` like one
// referring to a survivor, and cards stay dirty likewise. Then
// (restore_in_place) the from-space is made consistent: objects left in
// place get their headers back, evacuated and dead ones become zero words.
// run() returns false; the caller keeps the nursery as it is
// (Nursery::keep) and runs a major collection in the same pause, which
// traces the young objects in place, and a minor collection after it, which
// empties the whole nursery if the major one made room (heap.cpp).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "concurrency/stealing_queues.hpp"
#include "memory/heap.hpp"

namespace runa::heap {

class MinorGC {
 public:
  // Items each worker's deque holds; more spill to the worker's own list.
  static constexpr std::size_t kGreyCapacity = 4096;

  // Built with the heap (it allocates: never in a pause), used by every
  // minor collection.
  explicit MinorGC(HeapImpl& h);
  ~MinorGC();
  MinorGC(const MinorGC&) = delete;
  MinorGC& operator=(const MinorGC&) = delete;
  MinorGC(MinorGC&&) = delete;
  MinorGC& operator=(MinorGC&&) = delete;

  // Collects; the world must be stopped. Fills the copy counts of `rec`.
  // False when promotion failed and objects were left in place.
  bool run(CollectionRecord& rec);

 private:
  class Worker;  // NOLINT(cppcoreguidelines-virtual-class-destructor): final, destroyed as itself

  void restore_in_place();

  HeapImpl& h_;
  concurrency::StealingQueues<Object*> grey_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool parallel_ = false;  // steps 1-2 on several workers: they share grey_
};

}  // namespace runa::heap
