// runatime/heap_profile.hpp — what fills the heap, who allocates, what leaks:
// heap snapshots, allocation profiles and leak reports, in formats existing
// tools open (docs/memory.md, "Observing the heap").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"

namespace runa::heap {

// ---- allocation profiles ----------------------------------------------------

// With Options::sample_bytes = N, or after set_allocation_sampling(), the
// heap samples one allocation every N bytes on average (runa run
// --heap-profile uses 512 KiB), at no cost on the allocation fast path
// (docs/memory.md, "Allocation profiles").

// The largest mean: intervals are drawn as doubles and must fit 64 bits.
inline constexpr std::size_t kMaxSampleBytes = std::size_t{1} << 40;

// Starts sampling with `mean_bytes` between samples on average, changes
// the mean, or with 0 stops (the samples taken are kept). Stops the world
// for a moment; never collects. A mean above kMaxSampleBytes is clamped.
void set_allocation_sampling(Heap& heap, Mutator& m, std::size_t mean_bytes);

// One frame of a sampled allocation's stack.
struct StackFrame {
  std::string function;
  std::string file;
  std::int64_t line = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  friend auto operator<=>(const StackFrame&, const StackFrame&) = default;
};

// Fills `out` with m's stack, innermost frame first. Called on m's thread
// inside an allocation: it must not allocate on this heap, collect, block,
// or throw.
using StackDescriber = void (*)(void* ctx, Mutator& m, std::vector<StackFrame>& out);
// Replaces the heap's describer (nullptr: samples have only their type).
void set_stack_describer(Heap& heap, StackDescriber fn, void* ctx);

struct AllocationProfileInfo {
  std::uint64_t samples = 0;       // taken since the heap was created
  std::uint64_t live_samples = 0;  // whose object is still alive
  std::uint64_t alloc_bytes = 0;   // estimated bytes allocated (weighted samples)
  std::uint64_t inuse_bytes = 0;   // estimated bytes of the live ones
};

// Writes the samples as pprof's profile.proto, gzip-compressed, with four
// sample types: alloc_objects, alloc_space, inuse_objects, inuse_space
// (each sample weighted by the inverse of its probability, as Go does), and
// the allocated type as the innermost frame, for `go tool pprof`. "In use"
// is as of the last collection. Stops the world to copy the table; never
// collects. An error when sampling is off and took no sample, or when the
// file cannot be written.
Result<AllocationProfileInfo> write_allocation_profile(Heap& heap, Mutator& m,
                                                       const std::string& path);

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

// ---- retained sizes and paths ------------------------------------------------

// A type's share of the reachable heap: its objects, their bytes, and the
// bytes they retain (dominate), counting an object dominated by another of
// the same type once, through the outer one.
struct TypeRetention {
  std::string type;
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::uint64_t retained_bytes = 0;
};

struct HeapAnalysis {
  std::uint64_t objects = 0;  // reachable
  std::uint64_t bytes = 0;
  std::vector<TypeRetention> types;  // largest retained first

  [[nodiscard]] std::string text() const;
  [[nodiscard]] std::string json() const;
};

// The dominator tree of the whole reachable heap (strong references; semi-
// NCA), summed per type. Stops the world; never collects.
HeapAnalysis analyze_heap(Heap& heap, Mutator& m);

struct ObjectRetention {
  std::uint64_t retained_bytes = 0;  // 0 when the object is not reachable
  // Fewest references from a root to it, named as in LeakSuspect::path;
  // empty when it is not reachable.
  std::vector<std::string> path;
};

// What `object` retains and how a root reaches it. Stops the world; never
// collects.
ObjectRetention retention_of(Heap& heap, Mutator& m, Value object);

// ---- leak reports ------------------------------------------------------------

// A type whose live objects grew at every one of the last censuses.
struct LeakSuspect {
  std::string type;
  std::uint64_t count = 0;        // live objects now
  std::uint64_t bytes = 0;        // their bytes
  std::uint64_t first_count = 0;  // live objects at the first census of the growth
  std::uint32_t censuses = 0;     // how many censuses in a row saw it grow
  // Bytes its objects retain (dominate), counting an object dominated by
  // another of the same type once, through the outer one.
  std::uint64_t retained_bytes = 0;
  // From a root category to an instance under the object that holds most
  // of them (where they accumulate): "(Root sets)",
  // "List", "ListStorage[12]", ..., each step named by the field or
  // element it goes through.
  std::vector<std::string> path;
};

struct LeakReport {
  std::uint64_t censuses = 0;            // major collections counted since detection started
  std::vector<LeakSuspect> suspects;     // largest retained first
  std::uint64_t persistent_handles = 0;  // still allocated
  std::uint64_t root_sets = 0;           // still registered
  // In the debug mode (Options::verify): one line for each of those, with
  // where it was made ("persistent handle created at f <- g <- ...").
  std::vector<std::string> held;

  [[nodiscard]] std::string text() const;
  [[nodiscard]] std::string json() const;
};

// From now on, after every major collection, counts the live objects of
// each type (a census: one more walk of the reachable heap, world stopped;
// only while detection is on). A type is a suspect when its count rose at
// each of the last kLeakCensuses censuses, by at least 10% and 32 objects
// over them. Any thread; never collects.
inline constexpr std::uint32_t kLeakCensuses = 4;
void start_leak_detection(Heap& heap);

// The suspects now, each with its retained bytes (dominators of the whole
// reachable graph) and a path from a root, and the persistent handles and
// root sets still held. Stops the world; never collects.
LeakReport leak_report(Heap& heap, Mutator& m);

// ---- collection traces ----------------------------------------------------------

// Writes every collection from now on to `path` as Chrome trace events
// (Perfetto, chrome://tracing): each pause, its phases (copy, mark, weak
// references and finalizers, sweep) and each collector worker's share, with
// bytes copied. Negligible when off (one relaxed load per phase). An error
// when the file cannot be opened or a trace is being written already. Stops
// the world for a moment; never collects.
std::optional<Error> start_gc_trace(Heap& heap, Mutator& m, const std::string& path);
// Ends the trace (the file is then complete); the number of events written.
// Stops the world for a moment; never collects.
std::uint64_t stop_gc_trace(Heap& heap, Mutator& m);

}  // namespace runa::heap
