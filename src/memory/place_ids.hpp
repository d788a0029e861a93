// PlaceIds: heap-snapshot ids of old objects derived from where they lie,
// so that a heap whose objects a snapshot named needs no table entry for
// objects that stay where they were named (heap_snapshot.cpp, docs/memory.md
// "Heap snapshots").
//
// A line (256 bytes of a block) that holds an object a snapshot names gets
// a *number*, once, from a counter that never goes back; every object
// starting in the line then has the id
//
//   kBase + 4 * (number * kGranulesPerLine + granule of its start in the line) + 3
//
// (odd, as V8's object ids; 3 modulo 4, where the ids the heap's counter
// gives the objects it keeps in the Watched table are 1 modulo 4, so the
// two never meet; above the synthetic nodes' small ones; and short: a
// heap of N lines named has ids of about 128 N, nine digits for a GiB,
// where an offset in the heap's reservation would take thirteen). The
// number stays while
// the line is in use and is forgotten when the line becomes free: the
// major collector's sweep calls forget_free() with each block's new line
// map (all free when the block is released) and forget() for each large
// object it frees (major_gc.cpp).
//
// Why an id is never given to two objects: while a line keeps its number,
// no granule of it starts two objects. Objects are placed only into holes
// (runs of free lines) and fresh blocks, by bump cursors that only move
// forward, and a line is free only after a sweep found nothing live in it,
// which forgot its number; so an object placed in a numbered line starts
// at a granule no object started at under that number. An object that
// leaves its place (evacuation) takes its id along as a table entry
// (Watched::add_moved), or stays (MajorGC::try_evacuate).
//
// Memory: a 32-bit number per line (1/64 of the old generation's address
// range) and a byte per block, reserved on the first snapshot and
// committed by the kernel only where written (blocks holding objects a
// snapshot named); the sweep skips blocks whose byte is clear.
//
// Concurrency: numbers are given with the world stopped (snapshot
// threads work on disjoint lines; the counter is atomic); forgotten by
// sweepers, each owning its block, with the world stopped.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "memory/block_space.hpp"

namespace runa::heap {

class PlaceIds {
 public:
  static constexpr std::uint64_t kGranulesPerLine = kLine / 8;
  // Where the ids of objects start (HeapImpl::next_snapshot_id is kBase + 1).
  static constexpr std::uint64_t kBase = 100000;
  [[nodiscard]] static bool is_place_id(std::uint64_t id) { return id > kBase && id % 4 == 3; }

  PlaceIds() = default;
  ~PlaceIds();
  PlaceIds(const PlaceIds&) = delete;
  PlaceIds& operator=(const PlaceIds&) = delete;
  PlaceIds(PlaceIds&&) = delete;
  PlaceIds& operator=(PlaceIds&&) = delete;

  // World stopped: reserves the tables for `blocks` blocks (once; later
  // calls do nothing); false when the address space is refused.
  bool activate(std::size_t blocks);
  [[nodiscard]] bool active() const { return numbers_ != nullptr; }

  // Numbers a thread took from the counter, [next, end), to give lines
  // without touching the counter each time: two snapshot workers taking
  // one number at a time made its cache line bounce between their cores
  // for every line (about 4 M for a GiB), doubling the nodes' time. What a
  // batch has left when the snapshot ends is never given (a few thousand
  // of the 2^32 numbers a snapshot).
  struct Batch {
    std::uint64_t next = 0, end = 0;
  };
  static constexpr std::uint64_t kBatch = 1024;

  // World stopped, active: the id of the object starting `offset` bytes
  // into block `block`, numbering its line if it has no number (from
  // `numbers`, refilled from the counter when empty); 0 when the numbers
  // are used up (the caller then gives a table id).
  std::uint64_t id(std::size_t block, std::size_t offset, Batch& numbers);
  // The id the object there has if its line is numbered, else 0.
  [[nodiscard]] std::uint64_t id_if_named(std::size_t block, std::size_t offset) const;

  // Sweep: forgets the numbers of the block's lines `lines` marks free.
  void forget_free(std::size_t block, const LineMap& lines) {
    if (!active() || named_blocks_[block] == 0) return;
    std::uint32_t* n = numbers_ + block * kLinesPerBlock;
    bool any = false;
    for (std::size_t l = 0; l < kLinesPerBlock; ++l) {
      if (lines[l] == 0) n[l] = 0;
      any = any || n[l] != 0;
    }
    if (!any) named_blocks_[block] = 0;
  }
  // A large object freed: forgets its head block's numbers.
  void forget(std::size_t block);

  // Tests: the next number to give (to reach the end of the numbers).
  void set_next_number(std::uint32_t n) { next_.store(n, std::memory_order_relaxed); }

 private:
  static std::uint64_t place_id(std::uint32_t number, std::size_t offset) {
    return kBase + 4 * (std::uint64_t{number} * kGranulesPerLine + (offset % kLine) / 8) + 3;
  }

  std::uint32_t* numbers_ = nullptr;      // by line of the block space; 0: none
  std::uint8_t* named_blocks_ = nullptr;  // by block: 1 when some line has a number
  std::size_t blocks_ = 0;
  std::atomic<std::uint32_t> next_{1};
};

}  // namespace runa::heap
