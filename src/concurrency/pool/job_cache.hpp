// JobCache: where a worker's spawned jobs get their memory — fixed-size
// blocks from slabs the worker owns, freed from any thread.
//
// Why not operator new: a spawned job is allocated by its spawner and freed
// by whichever worker ran it, usually another thread. malloc's per-thread
// caches then drain on one side and overflow on the other, and every job
// ends up in malloc's locked slow paths (measured: about two thirds of the
// instructions of spawning a million empty jobs).
//
// Design (mimalloc's "thread free list"). Each block starts with a pointer
// to the cache that owns it. The owner allocates from its private free list
// with no atomics. Freeing on the owner's thread pushes on that private
// list; freeing on another thread pushes on the owner's `remote_` list, a
// lock-free stack (CAS on its head). When the private list runs dry the
// owner takes the whole remote list at once (exchange with nullptr), then
// carves a new slab only if that is empty too. Only the owner ever takes
// from `remote_`, and it takes everything, so there is no ABA problem: a
// block can reappear at the head only after the owner took it out.
//
// Jobs larger than a block, and jobs spawned from threads that are not
// workers of the pool, use operator new with a null owner (release() sees
// it). A cache lives as long as its pool, which runs every job before it is
// destroyed, so no block outlives its owner.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace runa::concurrency {

class JobCache {
 public:
  // A block is 128 bytes: a 16-byte header (the owner; 16 so that a job
  // is aligned as operator new would align it), then the job's bytes.
  static constexpr std::size_t kHeader = 16;
  static constexpr std::size_t kBlockBytes = 128 - kHeader;

  JobCache() = default;
  ~JobCache();
  JobCache(const JobCache&) = delete;
  JobCache& operator=(const JobCache&) = delete;
  JobCache(JobCache&&) = delete;
  JobCache& operator=(JobCache&&) = delete;

  // The calling thread's cache (a pool worker binds its own at start;
  // nullptr on other threads).
  static void bind(JobCache* cache);
  static JobCache* mine();

  // From the calling thread's cache, or operator new when it has none or
  // the job is too big. Aligned for alignof(std::max_align_t).
  static void* allocate(std::size_t bytes);
  // Any thread.
  static void release(void* p);

 private:
  // A free block: the owner word, then (in the job's place) the link.
  struct Block {
    JobCache* owner;
    std::byte pad[kHeader - sizeof(JobCache*)];
    Block* next;
  };
  static constexpr std::size_t kStride = 128;
  static constexpr std::size_t kSlabBlocks = 512;

  void* take();
  void refill();

  Block* free_ = nullptr;                // owner only
  std::atomic<Block*> remote_{nullptr};  // pushed by other threads
  std::vector<std::unique_ptr<std::byte[]>> slabs_;
};

}  // namespace runa::concurrency
