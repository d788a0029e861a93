// JobCache: where jobs, coroutine frames, task results and mailbox blocks
// get their memory — fixed-size blocks from slabs a thread owns, freed from
// any thread.
//
// Why not operator new: a spawned job is allocated by its spawner and freed
// by whichever worker ran it, usually another thread. malloc's per-thread
// caches then drain on one side and overflow on the other, and every job
// ends up in malloc's locked slow paths (measured: about two thirds of the
// instructions of spawning a million empty jobs).
//
// The executor's coroutine frames and task results come from here too, and
// the blocks of actors' mailboxes (mpsc_queue.hpp): a sender allocates them,
// the actor's worker frees them. With malloc, a producer feeding 60 actors
// from its own thread (Savina's fork-join) spent a third of the run in
// malloc and in page faults, the workers a seventh waiting for the lock of
// the producer's arena as they freed its blocks.
//
// Design (mimalloc's "thread free list"). Each block belongs to the cache
// that carved it (below: how a block finds it). The owner allocates from its private free list
// with no atomics. Freeing on the owner's thread pushes on that private
// list; freeing on another thread pushes on the owner's `remote_` list, a
// lock-free stack (CAS on its head). When the private list runs dry the
// owner takes the whole remote list at once (exchange with nullptr), then
// carves a new slab only if that is empty too. Only the owner ever takes
// from `remote_`, and it takes everything, so there is no ABA problem: a
// block can reappear at the head only after the owner took it out.
//
// No header. A block's owner is found from its address: every slab is
// made of kChunkBytes chunks aligned to their size, and the first block's
// place of each chunk holds the cache that owns it. A block's class comes
// from its size, which release() is told (every caller knows it: the sized
// operator delete of a frame or a task's record, a job's own type). So a
// block of a class holds that many bytes of the job: a spawned task's
// record and an `int` outcome (64 bytes) take a 64-byte block, where a
// 16-byte header pushed them into the 128-byte class, and a program
// holding a million task handles holds half the memory.
//
// Every thread that allocates gets a cache of its own, on first use. When
// the thread exits its cache is abandoned, not freed — blocks of it may
// still be in flight on other threads — and the next thread that needs a
// cache adopts it, slabs, free lists and all (mimalloc's abandoned
// segments). So caches are never freed: there are at most as many as
// threads that ever allocated at the same time, and a block never outlives
// its owner. Jobs larger than a block use operator new (release() sees
// their size).
//
// Under AddressSanitizer a free block is poisoned but for its link, so a
// touch of a freed frame, record or job (a block freed on another worker
// while its maker still uses it) is reported as a use after free, which
// malloc's own poisoning would have caught and a cache hides.
//
// Fast paths. allocate() and release() are inline: spawning a job costs a
// block from the private list, and running one on the spawner's thread
// gives it back there. The thread's cache is reached through `tls_`, a
// plain thread_local pointer (constant-initialised, so an access is one
// load off the thread pointer, with no initialisation guard); it is null
// until the thread's first slow-path allocation makes or adopts a cache,
// and cleared when the thread exits (a block released after that goes to
// its owner's remote list, as from any other thread).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace runa::concurrency {

class JobCache {
 public:
  // Blocks of 64, 128, 256 and 512 bytes (four size classes, each with its
  // own lists): a pool job's closure, a coroutine frame, a task's record, a
  // mailbox block.
  static constexpr std::size_t kClasses = 4;
  static constexpr std::size_t kBlockBytes = std::size_t{64} << (kClasses - 1);

  JobCache() = default;
  ~JobCache();
  JobCache(const JobCache&) = delete;
  JobCache& operator=(const JobCache&) = delete;
  JobCache(JobCache&&) = delete;
  JobCache& operator=(JobCache&&) = delete;

  // From the calling thread's cache, or operator new when the job is too
  // big. Aligned for alignof(std::max_align_t) (blocks: for 64).
  static void* allocate(std::size_t bytes) {
    if (bytes > kBlockBytes) return ::operator new(bytes);
    std::size_t c = class_of(bytes);
    JobCache* cache = tls_;
    if (cache != nullptr && cache->free_[c] != nullptr) {
      Block* b = cache->free_[c];
      cache->free_[c] = b->next;
      unpoison(b, c);
      return b;
    }
    return allocate_slow(c);
  }
  // Any thread; `bytes` as given to allocate().
  static void release(void* p, std::size_t bytes) {
    if (bytes > kBlockBytes) {
      ::operator delete(p);
      return;
    }
    auto* b = static_cast<Block*>(p);
    std::size_t c = class_of(bytes);
    JobCache* owner = owner_of(p);
    if (owner == tls_) {
      b->next = owner->free_[c];
      owner->free_[c] = b;
      poison(b, c);
      return;
    }
    release_slow(b, c, owner);
  }

 private:
  // A free block: the link, in the job's place.
  struct Block {
    Block* next;
  };
  // Slabs are carved in chunks this big and aligned to it (see above).
  static constexpr std::size_t kChunkBytes = std::size_t{64} * 1024;
  // Once a class has carved this much, its slabs are this big, aligned to
  // it, and advised as transparent huge pages: one page fault per slab
  // instead of 512 (a program holding a million task results faults in
  // tens of megabytes here, and faults dominated its spawn cost).
  static constexpr std::size_t kHugeSlabBytes = std::size_t{2} * 1024 * 1024;
  struct SlabFree {
    void operator()(std::byte* p) const;
  };

  static std::size_t class_of(std::size_t bytes) {
    return bytes <= 64 ? 0 : bytes <= 128 ? 1 : bytes <= 256 ? 2 : 3;
  }
  // Sanitizer bookkeeping (see above); nothing in other builds.
  static void poison([[maybe_unused]] Block* b, [[maybe_unused]] std::size_t c) {
#if defined(__SANITIZE_ADDRESS__)
    ASAN_POISON_MEMORY_REGION(b + 1, (std::size_t{64} << c) - sizeof(Block));
#endif
  }
  static void unpoison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t c) {
#if defined(__SANITIZE_ADDRESS__)
    ASAN_UNPOISON_MEMORY_REGION(p, std::size_t{64} << c);
#endif
  }
  static JobCache* owner_of(void* p) {
    // Back to the chunk's start by pointer arithmetic (no integer to
    // pointer cast: the result keeps the block's provenance).
    std::byte* chunk =
        static_cast<std::byte*>(p) - (reinterpret_cast<std::uintptr_t>(p) & (kChunkBytes - 1));
    return *reinterpret_cast<JobCache* const*>(chunk);
  }
  // The calling thread's cache (made or adopted on first use).
  static JobCache& mine();
  // The private list of class c is empty, or the thread has no cache yet.
  static void* allocate_slow(std::size_t c);
  // A block owned by another thread's cache.
  static void release_slow(Block* b, std::size_t c, JobCache* owner);
  void* take(std::size_t c);
  void refill(std::size_t c);

  // Owns the thread's cache and abandons it when the thread exits.
  struct Holder;
  static thread_local Holder holder_;
  static inline constinit thread_local JobCache* tls_ = nullptr;

  Block* free_[kClasses] = {};                 // owner only
  std::atomic<Block*> remote_[kClasses] = {};  // pushed by other threads
  std::size_t carved_[kClasses] = {};          // owner only: bytes of slabs per class
  std::vector<std::unique_ptr<std::byte, SlabFree>> slabs_;
};

}  // namespace runa::concurrency
