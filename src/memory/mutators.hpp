// MutatorRecord: everything the heap keeps per attached thread, around the
// public Mutator (whose fast fields inline code uses), and attach/detach.
//
// A record is created by attach() and lives until detach(). It is touched
// by its own thread while that thread runs, and by the collector only while
// the thread is stopped (parked at a safepoint or in native), so its plain
// fields need no locks: the safepoint handshake orders the two.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "concurrency/blocking.hpp"
#include "runatime/heap.hpp"

namespace runa::heap {

class HeapImpl;

// The states of the safepoint protocol (safepoint.hpp).
enum MutatorState : std::uint32_t {
  kRunning = 0,    // may touch the heap; the collector waits for it to poll
  kInNative = 1,   // holds no raw references; a collection proceeds without it
  kParked = 2,     // stopped at a safepoint until the collection ends
  kSuspended = 3,  // was in native when a collection began; may not leave until it ends
};

inline constexpr std::size_t kHandleChunk = 256;  // slots per handle chunk

struct FrameRoot {
  std::uint64_t id;
  FrameEnumerator fn;
  void* ctx;
};

struct MutatorRecord final : Mutator {
  explicit MutatorRecord(HeapImpl* h) : heap(h) {}

  HeapImpl* heap;  // the heap that attached it
  // The thread's safepoint protocol as the concurrency part's waits see it
  // (concurrency/blocking.hpp): installed at attach, and the hooks the
  // thread had before (another heap's) put back at detach.
  concurrency::ThreadHooks hooks;
  const concurrency::ThreadHooks* outer_hooks = nullptr;
  std::atomic<std::uint32_t> state{kRunning};
  std::vector<Object*> modified;  // objects logged by the write barrier
  // Handle slots: chunks in order; the chunk ending at handle_limit is the
  // current one, those after it are free for reuse.
  std::vector<std::unique_ptr<Value[]>> chunks;
  std::vector<FrameRoot> frames;
  std::uint64_t next_frame_id = 1;
  unsigned stress_count = 0;  // slow-path allocations since the last stress collection

  // Refills (sizing.hpp). The chunk of eden this thread took last and
  // hands its TLABs out of; its size for the next shared refill; the
  // fraction of eden it took, averaged over collections; and this epoch's
  // eden bytes taken and TLAB tails left unused. Reset at each minor collection.
  std::uint8_t* chunk_top = nullptr;
  std::uint8_t* chunk_end = nullptr;
  std::size_t chunk_size = 0;
  double eden_share = 0;
  std::uint64_t epoch_taken = 0;
  std::uint64_t epoch_waste = 0;
  // The TLAB's real end: Mutator::limit is lowered below it to the next
  // allocation sample point (sampler.hpp), and equals it otherwise. The
  // TLAB is [cursor, tlab_end), and holds old bytes unless zeroed_tlabs.
  std::uint8_t* tlab_end = nullptr;
  // This thread's TLABs are zeroed when it takes them, as they all were
  // before objects were zeroed one by one (heap.cpp, "Zeroing"): a mutator
  // C code holds may allocate with the inline rt_fast_allocate of ABI 1.x,
  // compiled into the caller, which writes only the header.
  bool zeroed_tlabs = false;
  std::uint8_t* sample_from = nullptr;  // the cursor when limit was last set for sampling
  std::uint64_t sample_left = 0;        // bytes from sample_from to the next sample
  std::uint64_t sample_rng = 0;
  // Counters for Heap::stats(), which reads them from other threads:
  // written only by this thread, relaxed, without read-modify-write.
  struct Counter {
    std::atomic<std::uint64_t> n{0};
    void add(std::uint64_t k = 1) {
      n.store(n.load(std::memory_order_relaxed) + k, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t get() const { return n.load(std::memory_order_relaxed); }
  };
  Counter tlab_refills;       // TLABs handed out of a chunk
  Counter eden_refills;       // chunks taken from the shared eden
  Counter eden_cas_retries;   // failed compare-and-swaps on eden's top
  Counter lock_acquisitions;  // the safepoint lock, taken by this thread
  Counter lock_contended;     // of those, found held by another thread
  // The heap's own finalizer thread (finalizers.hpp), not a user's: left
  // out of Safepoint::count(), and never detached or waited on by users.
  bool finalizer_thread = false;
};

// Every Mutator is the base of a MutatorRecord: Heap::attach creates only those.
inline MutatorRecord& record(Mutator& m) {
  return static_cast<MutatorRecord&>(m);  // NOLINT(cppcoreguidelines-pro-type-static-cast-downcast)
}

// Visits every handle slot in use by `r` (its open scopes) and its frames.
void visit_mutator_roots(MutatorRecord& r, RootVisitor& v);

}  // namespace runa::heap
