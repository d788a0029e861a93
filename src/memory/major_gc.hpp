// MajorGC: one stop-the-world collection of the whole heap: the old
// generation's Immix blocks and the large-object space are marked and
// swept, and the most fragmented blocks are evacuated while marking
// (opportunistic defragmentation). Marking, evacuation and the sweep of
// the blocks run in parallel on the heap's GC workers.
//
// The nursery. The caller (HeapImpl::collect) runs a minor collection
// first. When it succeeded, eden is empty and the survivor half holds only
// objects that were just found reachable. Those are then treated as roots
// and as already marked: their reference slots are scanned (and updated),
// they are not themselves marked, moved or freed.
// When its promotion failed (minor_gc.hpp, "Promotion failure"), the
// nursery is kept (nursery.hpp): eden and both halves hold objects, the
// ones left in place and the copies, and whatever old data they refer to
// may be dead but for them. Treating them as roots would keep that alive
// although the program may have let go of all of it: a list filled until
// out of memory and then dropped would never be freed, and the heap would
// stay out of memory for ever (issue 11, defect 7). Then (`trace_young`)
// young objects are traced like old ones: marked in place (never moved),
// from the roots and the finalizer queue only. Their mark bits mean
// nothing before (a survivor's copy carries the polarity of its minor
// collection, an eden object 0), so every young object is first set
// unmarked; after marking, every young object left unmarked is
// overwritten with zero words, which the nursery's walkers skip
// (roots.hpp): what it referenced may be freed by this collection, and no
// later walk (the verifier, the next minor or major collection) may follow
// its slots. The minor collection that follows in the same pause promotes
// the marked ones if the sweep made room.
//
// With the world stopped:
//
//  1. Choose candidates: object blocks with at least half their lines free
//     (line maps of the last sweep), most free lines first, while their
//     object bytes fit in half the free blocks (copies are bump-allocated
//     into fresh blocks, which in the worst case end half full) after
//     keeping what the next minor collection may need for promotion.
//  2. Flip the heap's mark polarity (HeapImpl::mark_bit). Every old object
//     carries the previous polarity, so now none is marked, without a pass
//     clearing marks.
//  3. Mark, in parallel, from the roots (roots.hpp: handles, frames,
//     persistents, root sets, and every young object unless young objects
//     are traced: worker 0 visits them while the others wait to steal) with a work-stealing deque
//     per worker (StealingQueues; a fixed capacity, beyond which a worker spills to a list of its
//     own, as in minor_gc.hpp). Tracing a slot: an unmarked old or large object is marked (a CAS
//     sets its header's kMark to the current polarity) and pushed; popping it scans its slots. If
//     it lies in a candidate block and is not pinned, it is instead claimed, copied to a fresh
//     block through the worker's BlockCursor (BlockSpace::evacuate), the copy marked and pushed,
//     the old header replaced by a forwarding word (new address | 1), and the slot updated
//     (forwarding.hpp). A slot reaching a forwarding word takes the new address. If no block is
//     left, the object is marked in place. Fixing up slots: every slot of a live object is traced
//     exactly once (its object is scanned once, by the worker that marked or copied it), and
//     tracing it updates it, whichever worker copied the referent and when; so every traced slot
//     ends up updated and no second pass is needed. The slots that are not traced are handled
//     explicitly: weak referents and ephemeron keys (Tracer::reached returns the new address) and
//     the remembered set (step 5). The remembered set plays no part in marking.
//  4. Weak references and ephemerons, serially on worker 0: the rules of
//     weak_refs.hpp, with "reached" meaning marked or evacuated (young
//     objects count as reached, unless they are traced).
//  5. The remembered set: dead objects are dropped, moved ones renamed.
//  6. Sweep the object blocks, in parallel (workers claim chunks of
//     blocks, and walk a chunk's blocks interleaved: major_sweep.cpp). A
//     block none of whose objects marking scanned (draining notes each
//     scanned object's block: BlockInfo::reached) is released at once:
//     nothing in it is marked in place, and a free block is zeroed when
//     taken again, so its dead objects need no filler (Options::poison
//     still walks it, to poison them). Otherwise: walk the block's objects
//     from its start to its top (skipping filler words). A marked object
//     marks every line it covers in a fresh line map (exactly, since the
//     walk sees every object: no conservative line marking); an unmarked
//     or evacuated one is overwritten with filler (zero, or the poison
//     pattern under Options::poison), so the block stays walkable and a
//     stale reference to it reads as garbage. BlockSpace::sweep_block then
//     releases (retains, see block_space.hpp) a block with no live line
//     and lists one with free lines as recyclable, where promotion
//     allocates next (block_space.hpp); the recyclable list is then sorted
//     into address order.
//  7. Sweep the large-object space: unmarked objects give their runs back.
//     Large objects never move.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "concurrency/stealing_queues.hpp"
#include "memory/heap.hpp"

namespace runa::heap {

class MajorGC {
 public:
  // Blocks a sweeping worker claims at a time, and walks interleaved.
  static constexpr std::size_t kSweepChunk = 16;
  // Items each worker's deque holds; more spill to the worker's own list.
  static constexpr std::size_t kGreyCapacity = 4096;
  // choose_candidates' record of a block; HeapImpl::pause_needs reserves one per block.
  struct Fragmented {
    std::size_t index;
    std::size_t free_lines;
    std::uint32_t bytes;
  };

  // Built with the heap (it allocates: never in a pause), used by every
  // major collection.
  explicit MajorGC(HeapImpl& h);
  ~MajorGC();
  MajorGC(const MajorGC&) = delete;
  MajorGC& operator=(const MajorGC&) = delete;
  MajorGC(MajorGC&&) = delete;
  MajorGC& operator=(MajorGC&&) = delete;

  // Collects; the world must be stopped. Fills `rec.marked` and
  // `rec.evacuated`. `trace_young`: the nursery is kept (see above).
  void run(CollectionRecord& rec, bool trace_young);

 private:
  class Worker;  // NOLINT(cppcoreguidelines-virtual-class-destructor): final, destroyed as itself

  [[nodiscard]] bool marked(const Object* o) const { return (o->header & hdr::kMark) == mark_; }
  [[nodiscard]] bool candidate(const Object* o) const {
    if (!h_.blocks.contains(o)) return false;  // young and traced: never moved
    std::size_t i = h_.blocks.index_of(o);
    return i < candidates_ && candidate_[i] != 0;
  }
  void choose_candidates();
  // trace_young: sets every young object unmarked (before marking), or
  // clears the unmarked ones (after).
  void unmark_young();
  void clear_dead_young();
  // Sweeps the object blocks among [begin, end), at most kSweepChunk of
  // them, their walks interleaved (major_sweep.cpp).
  void sweep_chunk(std::size_t begin, std::size_t end);
  // One block's walk in the sweep (major_sweep.cpp), and one step of it:
  // an object, or a run of filler words.
  struct BlockWalk;
  void step(BlockWalk& w) const;

  HeapImpl& h_;
  std::uint64_t mark_ = 0;  // the polarity that means "marked" in this collection
  // By block index, candidates_ of them (taken from the pause reserve): 1 = evacuate its objects.
  std::uint8_t* candidate_ = nullptr;
  std::size_t candidates_ = 0;
  concurrency::StealingQueues<Object*> grey_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool parallel_ = false;     // while marking: workers share grey_
  bool trace_young_ = false;  // young objects are marked, not roots
};

}  // namespace runa::heap
