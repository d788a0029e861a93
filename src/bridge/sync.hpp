// Read-write locks, semaphores and conditions for programs
// (docs/concurrency.md, "Locks for programs"): the objects behind the
// natives rwlock_*, semaphore_* and condition_* (natives_sync.cpp), over
// the concurrency runtime's RwLock, Semaphore and CondVar
// (src/concurrency/sync/), each a foreign object (foreign.hpp) as a Lock
// is (locks.hpp).
//
//   RwLock     layout "RwLock": a RwLatch, the RwLock with its writer and
//              its readers.
//   Semaphore  layout "Semaphore": the Semaphore itself; no holder (any
//              thread releases a permit).
//   Condition  layout "Condition": the CondVar; waited on with a Lock
//              (Locks::wait).
//
// Invariants:
//   - `writer` is the thread holding the RwLock for writing, or null, and
//     `readers` the threads holding it for reading; each thread adds and
//     removes only itself (writer right after taking the RwLock, cleared
//     right before giving it back), so "do I hold it, and how?" is answered
//     exactly, as for a Lock.
//   - Not reentrant: a thread holding a RwLock in either mode that asks for
//     it again, or releases a mode it does not hold, gets a ValueError; the
//     RwLock prefers writers, so a second read while a writer waits would
//     deadlock, and a read lock cannot become a write lock.
//   - A Semaphore holds at most kMostPermits permits plus one per thread
//     releasing at that moment: release() refuses past kMostPermits, and
//     2^30 plus any number of threads fits the 32-bit count.
//   - Every wait (rwlock_read, rwlock_write, semaphore_acquire,
//     condition_wait) sleeps in a BlockingRegion, so it never delays a
//     collection; the objects are in the native's argument slots, so they
//     are not finalized under the waiting thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "bridge/foreign.hpp"
#include "concurrency/sync/condvar.hpp"
#include "concurrency/sync/rwlock.hpp"
#include "concurrency/sync/semaphore.hpp"

namespace runa::bridge {

struct RwLatch {
  concurrency::RwLock lock;
  std::atomic<const void*> writer{nullptr};
  std::mutex readers_mu;  // held for a lookup or an update only, never a wait
  std::vector<const void*> readers;

  [[nodiscard]] bool reads(const void* thread) {
    std::lock_guard g(readers_mu);
    return std::find(readers.begin(), readers.end(), thread) != readers.end();
  }
};

class Synchronisers {
 public:
  enum class Status : std::uint8_t { kOk, kFull, kReading, kWriting, kNotReading, kNotWriting };
  static constexpr std::int64_t kMostPermits = std::int64_t{1} << 30;

  explicit Synchronisers(heap::Heap& heap)
      : rwlocks_(heap, "RwLock"), semaphores_(heap, "Semaphore"), conditions_(heap, "Condition") {}

  [[nodiscard]] bool is_rwlock(heap::Value v) const { return rwlocks_.is(v); }
  [[nodiscard]] bool is_semaphore(heap::Value v) const { return semaphores_.is(v); }
  [[nodiscard]] bool is_condition(heap::Value v) const { return conditions_.is(v); }

  // New objects in *out; false when the heap is exhausted. MAY COLLECT.
  Result<bool> make_rwlock(heap::Mutator& m, heap::Value* out) {
    return rwlocks_.make(m, std::make_unique<RwLatch>(), out);
  }
  // `permits` in 0 .. kMostPermits.
  Result<bool> make_semaphore(heap::Mutator& m, std::int64_t permits, heap::Value* out) {
    return semaphores_.make(
        m, std::make_unique<concurrency::Semaphore>(static_cast<std::uint32_t>(permits)), out);
  }
  Result<bool> make_condition(heap::Mutator& m, heap::Value* out) {
    return conditions_.make(m, std::make_unique<concurrency::CondVar>(), out);
  }

  // Takes the RwLock for reading (`write` false) or writing, waiting while
  // it cannot; kReading or kWriting when `thread` holds it already in that
  // mode. MAY COLLECT (the wait); *rw a root slot.
  static Status acquire(const heap::Value* rw, const void* thread, bool write) {
    RwLatch* l = ForeignObjects<RwLatch>::of(*rw);
    if (l->writer.load(std::memory_order_relaxed) == thread) return Status::kWriting;
    if (l->reads(thread)) return Status::kReading;
    if (write) {
      l->lock.lock();
      l->writer.store(thread, std::memory_order_relaxed);
    } else {
      l->lock.lock_shared();
      std::lock_guard g(l->readers_mu);
      l->readers.push_back(thread);
    }
    return Status::kOk;
  }
  // Gives back the mode of the RwLock `thread` holds; kNotReading or
  // kNotWriting when it does not hold it in that mode.
  static Status release(heap::Value rw, const void* thread, bool write) {
    RwLatch* l = ForeignObjects<RwLatch>::of(rw);
    if (write) {
      if (l->writer.load(std::memory_order_relaxed) != thread) return Status::kNotWriting;
      l->writer.store(nullptr, std::memory_order_relaxed);
      l->lock.unlock();
      return Status::kOk;
    }
    {
      std::lock_guard g(l->readers_mu);
      auto it = std::find(l->readers.begin(), l->readers.end(), thread);
      if (it == l->readers.end()) return Status::kNotReading;
      l->readers.erase(it);
    }
    l->lock.unlock_shared();
    return Status::kOk;
  }

  static concurrency::Semaphore& semaphore(heap::Value v) {
    return *ForeignObjects<concurrency::Semaphore>::of(v);
  }
  // Adds a permit; kFull when the Semaphore has kMostPermits already.
  static Status release_permit(heap::Value v) {
    concurrency::Semaphore& s = semaphore(v);
    if (s.available() >= kMostPermits) return Status::kFull;
    s.release();
    return Status::kOk;
  }

  static concurrency::CondVar& condition(heap::Value v) {
    return *ForeignObjects<concurrency::CondVar>::of(v);
  }

 private:
  ForeignObjects<RwLatch> rwlocks_;
  ForeignObjects<concurrency::Semaphore> semaphores_;
  ForeignObjects<concurrency::CondVar> conditions_;
};

}  // namespace runa::bridge
