// runatime/heap_profile.hpp — what fills the heap, who allocates, what leaks:
// heap snapshots, allocation profiles and leak reports, in formats existing
// tools open (docs/memory.md, "Observing the heap").
#pragma once

#include <cstdint>
#include <string>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"

namespace runa::heap {

// ---- heap snapshots -------------------------------------------------------

struct SnapshotInfo {
  std::uint64_t nodes = 0;  // objects plus the synthetic root and root categories
  std::uint64_t edges = 0;
  std::uint64_t objects = 0;  // reachable objects written
  std::uint64_t bytes = 0;    // their total size
  // Side memory the snapshot used at its peak (bitmap, prefix counts, mark
  // stack, new ids); the file is streamed, never held.
  std::uint64_t extra_bytes = 0;
};

// Writes every object reachable from the roots (weak references followed
// and marked weak) to `path` as a V8 .heapsnapshot that Chrome DevTools'
// Memory tab and memlab open: node names are the layouts' names, sizes are
// the objects', and an object keeps its id in every snapshot of this heap
// although collections move it. Stops the world for the walk (other
// mutators park as for a collection). Never collects.
Result<SnapshotInfo> write_heap_snapshot(Heap& heap, Mutator& m, const std::string& path);

}  // namespace runa::heap
