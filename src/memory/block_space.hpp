// BlockSpace: the old generation's address range cut into Immix blocks of
// 32 KiB, each of 128 lines of 256 bytes, and the block allocator the old
// generation and the large-object space share.
//
// Blocks are handed out from the free lists of released blocks first
// (retained ones, then returned ones), then from the frontier (the first
// block never used). A run of several blocks (a large object) comes from the
// frontier, or, once the frontier is used up, from the first run of free
// blocks that is long enough. The count of blocks in use never exceeds
// max_heap / 32 KiB.
//
// Committing and returning memory (docs/memory.md has the reasoning).
//  - Committed prefix. The blocks below `committed_` are mapped read/write;
//    the rest of the reservation stays PROT_NONE. The frontier commits the
//    next run when it reaches `committed_`, growing it by a quarter (at
//    least 2 MiB): the old generation is one read/write mapping plus one
//    PROT_NONE mapping, and no block is ever protected again, whatever the
//    pattern of live blocks.
//  - Lazily committed side table. The BlockInfo array has its own
//    reservation (`side_`), committed in step with `committed_`: metadata
//    costs memory only for blocks the heap has reached, never for max_heap.
//    A zero page is a BlockInfo{} (a clean free block), so nothing is
//    initialised.
//  - Retention. release() makes no system call: the block becomes free and
//    *dirty* (its pages are still resident, holding old bytes). The dirty
//    free blocks beyond a budget, retain_budget_locked(): a quarter of the
//    blocks in use, at least retain_floor() (32 MiB by default) and at least
//    the regrowth the heap expects (set_regrowth(): what the old generation
//    will take again before its next major collection, up to the peak the
//    last cycle reached, so that promotion does not fault back in what was
//    just given back), are given
//    back by return_excess(), which the heap calls after it resumes the
//    world: it sorts them, coalesces address runs, returns the longest runs
//    first with one madvise each, at most kMaxReturnRuns per call, so a
//    collection costs O(1) madvise calls whatever the pattern (a
//    pathological one is returned over several collections). A returned
//    block is *clean*: it reads as zero at no cost.
//  - A taken block reads as zero, for every user. Large objects and pinned
//    objects promise zero memory to the program; promotion and evacuation
//    need the bytes between objects to be filler (a block is walked from its
//    start). So take() zeroes a dirty block with memset (one pass over
//    resident memory, cheaper than the page faults a returned block costs
//    when it is touched again); a clean one is already zero.
//  - Lazy zeroing. A cursor's fresh block is the exception: the cursor
//    bump-allocates it from its start, so every byte below its bump pointer
//    is written by a copy, and zeroing them first was a second pass over
//    the block (the pause workload promotes ~1 GB/s: a tenth of its time in
//    that memset). So a cursor takes a fresh block without zeroing it and
//    zeroes what lies past its bump pointer when it lets the block go
//    (next_hole moving on, overflow() replacing it, close()). While the
//    cursor owns it nobody else allocates in it, and walks stop at its
//    `top`, below which everything is written, so the dirty rest is never
//    read.
//
// Lines and holes. Each object block has a line map: a line is in use when
// an object (live at the last major collection, or promoted since) covers
// any of its bytes. The major collector rebuilds the map exactly from the
// live objects (no Immix-style conservative skipping is needed, since the
// sweep walks every object) and sorts blocks: no line in use -> released;
// some lines free -> *recyclable*; all in use -> full. A free line holds
// only filler words (see is_filler), so every block stays walkable from its
// start to `top`, object by object, skipping filler.
//
// Promotion (Immix line allocation). Objects are bump-allocated into the
// current *hole* (a run of free lines): first the holes of blocks a cursor
// gave back with free lines left, then those of the recyclable blocks, in
// order, then fresh blocks (a fresh block is one hole). An object of more
// than one line that does not fit the current hole goes to a separate
// overflow block of its own (a fresh block, bump-allocated), so that a
// medium object never makes the allocator skip the small holes (Immix's
// overflow allocation). Objects reaching here are at most one block:
// Options::tlab is capped at a block and larger allocations go to the
// large-object space.
//
// Cursors. Every worker of a collection promotes (or evacuates) through a
// BlockCursor of its own. A cursor owns the blocks it allocates in, from
// taking them until close(): it alone writes their line maps, walk limits
// and byte counts, so bump allocation takes no lock; only taking a block
// (fresh, recyclable or partial) locks `mu_`. close() publishes the bytes
// allocated and gives a block with free lines left back as *partial*.
//
// Worst case. Only fresh blocks need free blocks. In each fresh-block bump
// allocator (every cursor has two: holes, overflow) a block is given up
// only for an object that does not fit its rest, so two consecutive blocks
// of one allocator hold more than a block's worth of bytes: promoting
// `bytes` through c cursors takes at most 2 * bytes / kBlock + 2c fresh
// blocks beyond the partly filled ones. HeapImpl::pause_needs sizes the
// lists by it; eden's sizing leaves room for the young generation once,
// not for this case (sizing.hpp), and nothing is reserved for it:
// promote() returning nullptr is a promotion failure, which the minor
// collector handles (minor_gc.hpp).
//
// Pinned objects (allocate_pinned) are allocated by mutators at any time
// through one shared cursor under its own lock. They are ordinary old
// objects that evacuation skips (hdr::kPinned). A pinned object is zeroed
// where it is placed: its hole may be in a recyclable block, whose free
// lines hold the sweep's filler (the poison pattern under Options::poison).
//
// Lists. The free lists, the partial and the recyclable list hold each
// committed block at most once, so they never need more than committed
// entries. Their room is made outside pauses (commit_locked from a mutator,
// reserve_lists before a collection): a pause never allocates
// (docs/memory.md), so inside one commit_locked commits no block the lists
// could not hold, and the caller sees the space exhausted.
//
// Locking: take(), release() and every cursor's block changes lock `mu_`;
// the sweep calls run only in a stopped world (they lock too).
// return_excess() runs with the world running, called by a running mutator
// (so no stopped-world reader of info() can overlap it). It takes the blocks
// it returns off the free lists and marks them kReturning under `mu_`, then
// calls madvise without the lock: the interleaving it must exclude is a
// large allocation on another thread taking a block between the choice and
// the madvise (the madvise would wipe a live object's header); marked and
// unlisted, the block can be taken by neither the free lists nor the run
// search until the second locked step lists it clean again.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "memory/region.hpp"
#include "runatime/heap.hpp"

namespace runa::heap {

inline constexpr std::size_t kBlock = std::size_t{32} << 10;
inline constexpr std::size_t kLine = 256;
inline constexpr std::size_t kLinesPerBlock = kBlock / kLine;

// The words dead old objects are overwritten with (poison_words' pattern
// under Options::poison, else 0). Neither can be a header: type 0 is never
// registered, and a live header has bit 0 clear.
inline constexpr std::uint64_t kPoisonWord = 0xdeadbeefdeadbeefULL;
inline constexpr bool is_filler(std::uint64_t word) {
  return word == 0 || word == kPoisonWord;
}

enum class BlockKind : std::uint8_t { kFree, kObjects, kLargeHead, kLargeTail };
// Of a kFree block (see "Retention" above): reads as zero, holds old bytes,
// or is being returned by return_excess() (not takeable).
enum class FreeState : std::uint8_t { kClean, kDirty, kReturning };

using LineMap = std::array<std::uint8_t, kLinesPerBlock>;

// All-zero bytes are BlockInfo{}: the side table's fresh pages need no
// initialisation.
struct BlockInfo {
  BlockKind kind = BlockKind::kFree;
  FreeState free = FreeState::kClean;  // kFree only
  // Set (note_reached) when a major collection's marking scans an object in
  // the block; cleared by the sweep. 0 after marking: nothing in the block
  // is marked in place, so the sweep releases it without walking it.
  std::uint8_t reached = 0;
  std::uint32_t top = 0;    // kObjects: objects lie below this offset (walk limit)
  std::uint32_t bytes = 0;  // kObjects: bytes of objects in the block
  std::uint32_t run = 0;    // kLargeHead: blocks in the run
  LineMap lines{};          // kObjects: 1 = holds object bytes
};

// One allocator of old-generation space (see "Cursors" above).
struct BlockCursor {
  std::optional<std::size_t> hole_block;  // the block of the current hole
  std::uint32_t hole_cursor = 0;          // the hole: [hole_cursor, hole_limit), in bytes
  std::uint32_t hole_limit = 0;
  std::optional<std::size_t> overflow;  // the overflow block, bump-allocated from its top
  std::uint64_t bytes = 0;              // allocated, not yet added to object_bytes()
  // The hole block or the overflow block was taken dirty and not zeroed:
  // what the cursor leaves unwritten is zeroed when it lets the block go
  // (see "Lazy zeroing").
  bool hole_dirty = false;
  bool overflow_dirty = false;
};

class BlockSpace {
 public:
  // [base, base + blocks * kBlock) is reserved in `region`, block-aligned.
  // Reserves the side table; false with `error` set when it cannot.
  bool init(Region& region, std::uint8_t* base, std::size_t blocks, std::string& error);

  // n contiguous committed zero blocks marked `kind` (a run: kLargeHead then
  // kLargeTail); the index of the first, or nullopt when max_heap is used up
  // (or the OS refuses to commit more).
  std::optional<std::size_t> take(std::size_t n, BlockKind kind);
  // Returns the block or run starting at `index` to the free list, dirty.
  void release(std::size_t index);

  // Gives the dirty free blocks beyond the retention budget back to the OS,
  // in coalesced runs (see "Retention"); world running.
  void return_excess();
  static constexpr std::size_t kMaxReturnRuns = 64;
  // Bytes of dirty free blocks always kept (tests lower it).
  void set_retain_floor(std::size_t bytes);
  // Bytes of free blocks the old generation is expected to take again soon
  // (the heap: up to its next major collection's threshold, or up to the
  // peak the last cycle reached if growth started that collection); retained too.
  void set_regrowth(std::size_t bytes);
  struct ReturnCounts {
    std::uint64_t returned_bytes = 0;  // in total
    std::uint64_t calls = 0;           // madvise calls, in total
    std::uint64_t retained_bytes = 0;  // now: dirty free blocks
  };
  [[nodiscard]] ReturnCounts return_counts() const;
  // Blocks below this are committed (and have committed side-table entries).
  [[nodiscard]] std::size_t committed_blocks() const;
  // World running: room in every block list for `blocks` blocks (at most
  // all of them), so that a pause committing up to that many never
  // allocates; false when memory is refused. A pause commits no further
  // than the lists hold (see "Lists" above).
  bool reserve_lists(std::size_t blocks);
  [[nodiscard]] std::size_t list_capacity() const;
  [[nodiscard]] bool lists_hold(std::size_t blocks) const {
    return list_capacity() >= std::min(blocks, blocks_);
  }

  // Room for `bytes` of promoted objects through `c`, or nullptr when no
  // block is left.
  std::uint8_t* promote(BlockCursor& c, std::size_t bytes);
  // Major collector (defragmentation): room for a copy of `bytes` through
  // `c`, only ever in fresh blocks (never in a block being evacuated), or
  // nullptr when no block is left (the object then stays where it is).
  std::uint8_t* evacuate(BlockCursor& c, std::size_t bytes);
  // Publishes c's bytes and gives back its blocks; `c` may be used again.
  void close(BlockCursor& c);
  [[nodiscard]] std::size_t free_blocks() const;

  // A mutator: room for a pinned object of `bytes` (at most a block), or nullptr.
  std::uint8_t* allocate_pinned(std::size_t bytes);

  // Major collector, world stopped, every cursor closed. begin_sweep()
  // forgets the allocation state (holes are about to change);
  // sweep_block() installs the block's new line map, object bytes and walk
  // limit, and releases the block or lists it as recyclable; end_sweep()
  // puts the recyclable blocks in address order, whatever order parallel
  // sweepers listed them in.
  void begin_sweep();
  void sweep_block(std::size_t i, const LineMap& lines, std::uint32_t bytes, std::uint32_t top);
  void end_sweep();

  [[nodiscard]] bool contains(const void* p) const {
    return reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base_) <
           blocks_ * kBlock;
  }
  [[nodiscard]] std::size_t index_of(const void* p) const {
    return (reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base_)) / kBlock;
  }
  [[nodiscard]] std::uint8_t* block(std::size_t i) const { return base_ + i * kBlock; }
  // Major collector's markers, in parallel: an object in block i is marked
  // (a relaxed store: every marker writes the same 1, and the sweep reads
  // it after the markers have joined).
  void note_reached(std::size_t i) {
    std::atomic_ref<std::uint8_t>(info_[i].reached).store(1, std::memory_order_relaxed);
  }
  // Metadata; stable while the world is stopped or the caller owns the block.
  [[nodiscard]] const BlockInfo& info(std::size_t i) const { return info_[i]; }
  [[nodiscard]] std::size_t frontier() const;
  [[nodiscard]] std::size_t capacity() const { return blocks_; }
  [[nodiscard]] std::size_t blocks_in_use() const;
  [[nodiscard]] std::size_t object_bytes() const;  // sum of `bytes` over object blocks
  // Blocks with free lines that no cursor owns (partial or recyclable).
  [[nodiscard]] std::size_t recyclable_blocks() const;

 private:
  // `dirty` (n == 1 only): the block is not zeroed, *dirty says whether
  // it holds old bytes (see "Lazy zeroing").
  std::optional<std::size_t> take_locked(std::size_t n, BlockKind kind, bool* dirty = nullptr);
  // Zeroes [from, kBlock) of `block` if `dirty`, and clears `dirty`.
  void zero_rest(const std::optional<std::size_t>& block, std::uint32_t from, bool& dirty) const;
  std::optional<std::size_t> take_run_locked(std::size_t n);
  bool commit_locked(std::size_t blocks);
  bool reserve_lists_locked(std::size_t blocks);
  [[nodiscard]] std::size_t list_capacity_locked() const;
  [[nodiscard]] std::size_t retain_budget_locked() const;
  void release_locked(std::size_t index);
  bool next_hole(BlockCursor& c);
  std::uint8_t* overflow(BlockCursor& c, std::size_t bytes);
  std::uint8_t* bump(BlockCursor& c, std::size_t i, std::uint32_t offset, std::size_t bytes);
  void give_back_locked(std::optional<std::size_t>& block);

  Region* region_ = nullptr;
  std::uint8_t* base_ = nullptr;
  std::size_t blocks_ = 0;
  mutable std::mutex mu_;
  Region side_;  // the side table's reservation
  BlockInfo* info_ = nullptr;
  std::size_t committed_ = 0;  // blocks (and side-table entries) committed
  // Free blocks below the frontier: released and still resident (dirty),
  // and given back to the OS (clean). Taken last-in first-out.
  std::vector<std::size_t> free_dirty_;
  std::vector<std::size_t> free_clean_;
  std::size_t retain_floor_ = std::size_t{32} << 20;
  std::size_t regrowth_ = 0;
  std::uint64_t returned_bytes_ = 0;
  std::uint64_t return_calls_ = 0;
  std::size_t frontier_ = 0;
  std::size_t in_use_ = 0;
  std::size_t object_bytes_ = 0;
  // Blocks with free lines that no cursor owns: given back by cursors
  // (partial), listed by the last sweep and not reached yet (recyclable).
  std::vector<std::size_t> partial_;
  std::vector<std::size_t> recyclable_;
  std::size_t recyclable_next_ = 0;
  std::mutex pinned_mu_;  // serializes allocate_pinned (mutators)
  BlockCursor pinned_;
};

}  // namespace runa::heap
