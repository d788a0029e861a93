// Blocking: how a thread that is about to wait tells the heap it may be
// collected around, without the concurrency part knowing the heap.
//
// The rule (docs/concurrency.md, ARCHITECTURE.md rule 3): a thread blocked
// in a lock, a channel, a pool's park or an I/O wait never delays a
// collection. The heap lies above this part (memory depends on
// concurrency), so it installs its protocol here: when a thread attaches as
// a mutator, the heap sets that thread's ThreadHooks (enter and leave a
// native region, poll a safepoint); detach clears them. Every wait in this
// part runs inside a BlockingRegion, which calls the hooks when there are
// some. A thread that is not a mutator has none and just blocks.
//
// Invariants.
//  - Hooks are per thread (thread_local) and used only by their thread.
//  - enter() returns whether it changed the thread's state; the region
//    calls leave() only then. So a region inside a region, or inside the
//    heap's own NativeRegion, is harmless: the inner enter() sees the thread
//    already blocked and does nothing.
//  - The caller of a blocking call holds no raw object reference across it:
//    leave() may wait for a collection, which may move objects. Every
//    blocking call of this part is documented as MAY COLLECT for a mutator.
#pragma once

namespace runa::concurrency {

struct ThreadHooks {
  bool (*enter_blocking)(void* ctx) = nullptr;  // true: state changed
  void (*leave_blocking)(void* ctx) = nullptr;
  // A point where the thread may stop for a collection (between two jobs of
  // a pool, between two messages of an actor).
  void (*poll)(void* ctx) = nullptr;
  void* ctx = nullptr;
};

// The calling thread's hooks; nullptr clears them. The pointee must outlive
// their use (the heap keeps it in the thread's mutator record).
void set_thread_hooks(const ThreadHooks* hooks);
[[nodiscard]] const ThreadHooks* thread_hooks();

// A safepoint poll through the hooks; nothing for a thread without hooks.
void poll_safepoint();

// The calling thread's block hook: fn(ctx) runs as the thread enters any
// BlockingRegion, before the heap's hooks. A pool worker hands the jobs of
// its next queue to other workers there (pool.hpp, "The next queue"): work
// only this thread would run must not wait while it is blocked. A region
// that fn enters calls fn again, which must then find nothing to do (the
// pool empties the queue before it notifies). nullptr clears it.
void set_block_hook(void (*fn)(void*), void* ctx);

class BlockingRegion {
 public:
  BlockingRegion();
  ~BlockingRegion();
  BlockingRegion(const BlockingRegion&) = delete;
  BlockingRegion& operator=(const BlockingRegion&) = delete;
  BlockingRegion(BlockingRegion&&) = delete;
  BlockingRegion& operator=(BlockingRegion&&) = delete;

 private:
  const ThreadHooks* hooks_;
  bool entered_ = false;
};

}  // namespace runa::concurrency
