// Locks for programs (docs/concurrency.md, "Locks for programs"): the
// natives lock_new, lock_acquire, lock_try and lock_release over the
// concurrency runtime's Mutex (src/concurrency/sync/mutex.hpp).
//
//   Lock     a foreign object (foreign.hpp, layout "Lock") standing for a
//            Latch: the Mutex and the thread that holds it. Freed by the
//            finalizer once no thread can reach the Lock, or at the
//            runtime's end.
//
// Invariants:
//   - `owner` is the thread that holds the Mutex, or null: set right after
//     the Mutex is taken and cleared right before it is given back, both by
//     the holder. Another thread reads it only to compare with itself, and
//     can never find itself there, so a relaxed load answers "do I hold
//     it?" exactly.
//   - Not reentrant, and only the holder releases: acquiring a Lock the
//     thread holds, or releasing one it does not, is a ValueError (the
//     first would deadlock, the second would break another thread's
//     critical section), never undefined behaviour.
//   - A thread waiting for a Lock never delays a collection (the Mutex
//     sleeps in a BlockingRegion); the Lock object is in the native's
//     argument slot, so it is not finalized under the waiting thread.
//   - A thread waiting on a Condition (sync.hpp) with a Lock does not hold
//     it: wait() clears `owner` before the CondVar gives the Mutex back and
//     sets it again once the CondVar has taken it again, as acquire() and
//     release() do.
//   - A thread that ends holding a Lock leaves it held (as a POSIX mutex
//     that is not robust): threads waiting for it wait on. The runtime's
//     end frees the Lock whatever its state.
#pragma once

#include <atomic>
#include <cstdint>

#include "bridge/foreign.hpp"
#include "concurrency/sync/condvar.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::bridge {

struct Latch {
  concurrency::Mutex mutex;
  std::atomic<const void*> owner{nullptr};  // the holding thread
};

class Locks {
 public:
  enum class Status : std::uint8_t { kOk, kBusy, kHeld, kNotHeld };

  explicit Locks(heap::Heap& heap) : latches_(heap, "Lock") {}

  [[nodiscard]] bool is_lock(heap::Value v) const { return latches_.is(v); }
  // A new Lock, free, in *out; false when the heap is exhausted. MAY COLLECT.
  Result<bool> make(heap::Mutator& m, heap::Value* out) {
    return latches_.make(m, std::make_unique<Latch>(), out);
  }
  // Takes the Lock for `thread`, waiting while another holds it; kHeld
  // when `thread` holds it already. MAY COLLECT (the wait); *lock a root slot.
  static Status acquire(const heap::Value* lock, const void* thread) {
    Latch* l = ForeignObjects<Latch>::of(*lock);
    if (l->owner.load(std::memory_order_relaxed) == thread) return Status::kHeld;
    l->mutex.lock();
    l->owner.store(thread, std::memory_order_relaxed);
    return Status::kOk;
  }
  // acquire() without the wait: kBusy when another thread holds it.
  static Status try_acquire(heap::Value lock, const void* thread) {
    Latch* l = ForeignObjects<Latch>::of(lock);
    if (l->owner.load(std::memory_order_relaxed) == thread) return Status::kHeld;
    if (!l->mutex.try_lock()) return Status::kBusy;
    l->owner.store(thread, std::memory_order_relaxed);
    return Status::kOk;
  }
  // Gives the Lock back; kNotHeld when `thread` does not hold it.
  static Status release(heap::Value lock, const void* thread) {
    Latch* l = ForeignObjects<Latch>::of(lock);
    if (l->owner.load(std::memory_order_relaxed) != thread) return Status::kNotHeld;
    l->owner.store(nullptr, std::memory_order_relaxed);
    l->mutex.unlock();
    return Status::kOk;
  }
  // Gives the Lock back and waits on `cond` until notified (or woken
  // spuriously), then takes the Lock again; kNotHeld when `thread` does
  // not hold it. MAY COLLECT (the wait); *lock a root slot.
  static Status wait(concurrency::CondVar& cond, const heap::Value* lock, const void* thread) {
    Latch* l = ForeignObjects<Latch>::of(*lock);
    if (l->owner.load(std::memory_order_relaxed) != thread) return Status::kNotHeld;
    l->owner.store(nullptr, std::memory_order_relaxed);
    cond.wait(l->mutex);
    l->owner.store(thread, std::memory_order_relaxed);
    return Status::kOk;
  }

 private:
  ForeignObjects<Latch> latches_;
};

}  // namespace runa::bridge
