// runatime/heap.hpp — the garbage-collected heap as execution tiers and
// native code see it: object headers, value words, the per-thread mutator,
// and the inline fast paths (allocation, write barrier, safepoint poll,
// handles). docs/memory.md explains the design; this header is its contract.
//
// Invariants every user must keep (the stress modes check them):
//   - A reference to a heap object is held across anything that can collect
//     (an allocation, a safepoint poll, a call) only in a handle, a root set
//     or a slot reported by a frame enumerator: objects move.
//   - Every store of a value into a reference slot of a heap object goes
//     through write() (or set_slot(), copy_elements(), fill_elements()),
//     which keeps the remembered set exact. One exception, the same for
//     every object whatever its size or space ("Initialising stores"
//     below): stores into an object the thread allocated since its last
//     call that may collect may be plain stores.
//   - A mutator is used only by the thread that attached it.
//
// Every call below says whether it MAY COLLECT (and so move objects: every
// raw Object* and reference Value the caller holds outside a handle, root
// or persistent slot is stale afterwards) or NEVER COLLECTS. C++ evaluates
// a call's arguments in no fixed order: `set_slot(m, as_object(*h), 0,
// ref_value(allocate(...)))` may read *h before the allocation moves the
// object, and store into its old copy. Pass the destination as a Handle
// instead (set_slot and allocate_into below read it after the value exists).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "runatime/result.hpp"

namespace runa::heap {

// ---- value words and objects -------------------------------------------

// A reference slot holds a value word: 0 (empty), a heap reference (low three
// bits 0), or an immediate (low bits not 0, encoded by the types layer).
using Value = std::uint64_t;

inline constexpr bool is_ref(Value v) {
  return v != 0 && (v & 7) == 0;
}

// The header word (docs/memory.md, "Objects").
namespace hdr {
inline constexpr std::uint64_t kForwarded = 1ULL << 0;  // word is (new address | 1)
inline constexpr std::uint64_t kMark = 1ULL << 1;
inline constexpr std::uint64_t kUnlogged = 1ULL << 2;
inline constexpr std::uint64_t kPinned = 1ULL << 3;
// A reference array in the large-object space, remembered per card of its
// elements (src/memory/cards.hpp); kUnlogged stays set on it.
inline constexpr std::uint64_t kCarded = 1ULL << 4;
inline constexpr unsigned kAgeShift = 8;
inline constexpr std::uint64_t kAgeMask = 0xFULL << kAgeShift;
inline constexpr unsigned kHashShift = 12;
inline constexpr std::uint64_t kHashMask = 0xFFFFFULL << kHashShift;
inline constexpr unsigned kTypeShift = 32;

inline constexpr std::uint64_t make(std::uint32_t type) {
  return std::uint64_t{type} << kTypeShift;
}
inline constexpr std::uint32_t type_of(std::uint64_t word) {
  return static_cast<std::uint32_t>(word >> kTypeShift);
}
}  // namespace hdr

// Every heap object starts with this word; its reference slots follow (after
// a length word for arrays), then its raw data.
struct Object {
  std::uint64_t header;

  // Relaxed atomic access: the collector's workers and other mutators may
  // update GC bits of the same word (marking, logging) concurrently.
  [[nodiscard]] std::uint64_t load_header() const {
    return std::atomic_ref<const std::uint64_t>(header).load(std::memory_order_relaxed);
  }
  [[nodiscard]] Value* slots() { return reinterpret_cast<Value*>(this + 1); }
};

inline Value ref_value(const Object* o) {
  return reinterpret_cast<Value>(o);
}
inline Object* as_object(Value v) {
  return reinterpret_cast<Object*>(v);
}

// The identity hash of o: non-zero, 20 bits, drawn on the first request and
// kept in o's header, so the same for o's whole life although o moves. Other
// objects may share it. Never collects; any thread holding o (running).
std::uint32_t identity_hash(Object* o);

// What the collector needs to know about a type (the types issue's
// descriptors carry more). Registered once; the header's type index names it.
enum class LayoutKind : std::uint8_t {
  kPlain,      // fixed size: `refs` reference slots after the header, then raw bytes
  kRefArray,   // header, length word, `length` reference slots
  kByteArray,  // header, length word, `length` bytes (strings, raw buffers)
  kWeakRef,    // plain object whose first slot is a weak referent
  kEphemeron,  // plain object whose slots 0 and 1 are a key and its value
  // Fixed fields plus a variable tail (a String: length, hash, bytes; a
  // closure: its fields, then n cells). Header, length word (the tail's
  // element count, set at allocation as an array's), `refs` reference
  // fields, the rest of `size` as raw words, then the tail. A ref tail
  // continues the reference fields, so its fixed part holds no raw word
  // (size == 16 + 8 * refs): the reference slots stay one range.
  kRefTail,   // tail of `length` reference slots
  kByteTail,  // tail of `length` bytes
};

struct Mutator;

// A type's finalizer (docs/memory.md, "Finalizers"). It runs on the heap's
// finalizer thread, an attached mutator, after a collection found `*object`
// unreachable, with the object in a handle slot: it may allocate, store the
// object anywhere (resurrection) and call anything a mutator may. It runs
// at most once per object, in no particular order with the finalizers of
// objects that died with it, and it must not throw (an exception that
// escapes it terminates the process).
using Finalizer = void (*)(Mutator& m, Value* object);

struct Layout {
  LayoutKind kind = LayoutKind::kPlain;
  // Bytes including the header: the whole object for kPlain, kWeakRef and
  // kEphemeron; the fixed part (header and length word included) for the
  // tailed kinds. Arrays ignore it.
  std::uint32_t size = 8;
  std::uint32_t refs = 0;  // reference slots of the fixed part (arrays: ignored)
  // Objects of a finalizable type are allocated with allocate_finalizable()
  // and get `finalizer` called once after they become unreachable; the
  // finalizer is required with the flag and refused without it.
  bool finalizable = false;
  Finalizer finalizer = nullptr;
  const char* name = "";  // for logs, heap verification and snapshots
  // Weak fields (the module format's WEAK flag): indices among the `refs`
  // reference fields, strictly increasing, `weak_count` of them (copied at
  // registration). The collector does not keep their referents alive and
  // clears them when the referent dies, as a kWeakRef's referent. Plain and
  // tailed kinds only.
  const std::uint32_t* weak_fields = nullptr;
  std::uint32_t weak_count = 0;
  // The types part's descriptor of this type, opaque to the heap;
  // Heap::descriptor_of reads it from an object in O(1).
  const void* descriptor = nullptr;
  // Names of the `refs` fixed reference fields, for heap snapshots and
  // reports (nullptr: they are named by index); copied at registration.
  const char* const* field_names = nullptr;
};

// ---- options --------------------------------------------------------------

struct Options {
  // The whole heap, like the JVM's -Xmx: the nursery's reservation, the old
  // generation and large objects together never exceed it.
  std::size_t max_heap = std::size_t{1} << 30;
  // Eden plus both survivor halves, out of max_heap. 0 (the default):
  // adaptive, up to max_heap / 3, sized after every minor collection from
  // survival, the number of mutators and the room to promote
  // (docs/memory.md, "Sizing ergonomics"); otherwise this fixed size.
  std::size_t nursery = 0;
  unsigned survivor_ratio = 8;  // eden is this many survivor halves
  unsigned promotion_age = 3;   // minor collections survived
  unsigned gc_threads = 2;      // collector workers (the requesting thread is one)
  // Bytes per thread allocation buffer. 0 (the default): adaptive, each
  // thread takes its share of eden in chunks it hands itself 32 KiB buffers
  // from; otherwise every buffer and chunk is this size.
  std::size_t tlab = 0;
  bool log = false;           // one line per collection on stderr
  bool verify = false;        // verify the heap after each collection
  bool poison = false;        // overwrite evacuated memory
  unsigned stress_every = 0;  // collect every N allocations (0: off)
  // A collection is a major one when the old generation's committed blocks
  // (object blocks and large runs) have grown by this percentage since the
  // last major collection left them (at least max_heap / 16 either way);
  // 0: only on request or when the old generation is out of room.
  unsigned major_growth_percent = 100;
  // Allocation profiling: one sample every this many allocated bytes on
  // average (exponentially distributed; runatime/heap_profile.hpp); 0: off.
  std::size_t sample_bytes = 0;
  // Ask the kernel for transparent huge pages (madvise) for the nursery and
  // the old generation past its first 8 MiB. Off by default, as in HotSpot
  // and Go: whether a 2 MiB first touch is cheaper than 512 small ones
  // depends on the machine (docs/memory.md, "Huge pages").
  bool huge_pages = false;

  friend bool operator==(const Options&, const Options&) = default;
};

// ---- mutators ---------------------------------------------------------------

// The part of a thread's mutator state that inline code touches. The heap
// owns the rest. Fields are in the order the fast paths use them.
struct Mutator {
  std::uint8_t* cursor = nullptr;      // TLAB: next free byte (pre-zeroed memory)
  std::uint8_t* limit = nullptr;       // TLAB: end
  std::atomic<std::uint32_t> poll{0};  // non-zero: a safepoint is requested
  Value* handle_top = nullptr;         // next free handle slot in the current chunk
  Value* handle_limit = nullptr;       // end of the current chunk
};

// Out-of-line slow paths (src/memory/): allocate_slow and safepoint_slow
// MAY COLLECT; the others never collect.
Object* allocate_slow(Mutator& m, std::uint64_t header, std::size_t bytes);
void log_object(Mutator& m, Object* o);
void log_store(Mutator& m, Object* o, Value* slot);
void safepoint_slow(Mutator& m);
Value* handle_chunk_slow(Mutator& m);

// ---- fast paths -------------------------------------------------------------

// Zeroes the slots of a new object of `bytes` (8-byte multiple, header
// included), never a byte past its end. Most objects have one to eight
// slots: those take overlapping word stores and no call, memset's own trick
// for small sizes (a memset call per node cost tier-0 binary-trees 3% of
// its instructions); the rest call memset.
inline void zero_slots(Object* o, std::size_t bytes) {
  Value* s = o->slots();
  std::size_t n = (bytes - sizeof(Object)) / sizeof(Value);
  if (n == 0) return;
  if (n <= 4) {
    s[0] = s[n - 1] = 0;
    if (n > 2) s[1] = s[n - 2] = 0;
  } else if (n <= 8) {
    s[0] = s[1] = s[2] = s[3] = 0;
    s[n - 4] = s[n - 3] = s[n - 2] = s[n - 1] = 0;
  } else {
    std::memset(s, 0, n * sizeof(Value));
  }
}

// A new object of `bytes` (8-byte multiple, header included) with all slots
// zero, or nullptr when the heap is exhausted even after collecting (the
// caller raises OutOfMemory). May collect: see the invariants above.
//
// The object is zeroed here, not its TLAB when the thread took it
// (HotSpot's choice too): the zeroing stores meet lines the object's own
// initialising stores are about to write, in the first-level cache, and a
// caller that writes every slot at once lets the compiler drop them
// (binary-trees spent 11% of its time in a TLAB-wide memset: docs/
// memory.md, "Zeroing objects, not TLABs").
//
// Each allocation prefetches the line kAllocPrefetch bytes ahead of the
// cursor, as HotSpot's compiled allocations do (AllocatePrefetchDistance):
// a thread allocating fast writes fresh lines faster than the memory
// behind them can deliver them, and the line it will write a hundred
// small objects from now is then already on its way (docs/memory.md,
// "Prefetching ahead of the allocation cursor"). A prefetch never faults,
// so one past the TLAB's end is harmless.
inline constexpr std::size_t kAllocPrefetch = 2048;

inline Object* allocate(Mutator& m, std::uint32_t type, std::size_t bytes) {
  std::uint8_t* p = m.cursor;
  __builtin_prefetch(p + kAllocPrefetch, 1, 3);
  if (static_cast<std::size_t>(m.limit - p) < bytes) [[unlikely]] {
    return allocate_slow(m, hdr::make(type), bytes);
  }
  m.cursor = p + bytes;
  auto* o = reinterpret_cast<Object*>(p);
  o->header = hdr::make(type);
  zero_slots(o, bytes);
  return o;
}

// Stores v into slot `i` of o, remembering o if it is an old object that
// may now point into the nursery (a large reference array: the slot's card).
// Never collects.
inline void write(Mutator& m, Object* o, Value* slot, Value v) {
  std::atomic_ref<Value>(*slot).store(v, std::memory_order_relaxed);
  if ((o->load_header() & hdr::kUnlogged) != 0) [[unlikely]]
    log_store(m, o, slot);
}
// Never collects; `o` must not come from a slot read in the same
// expression that computes `v` by allocating (see the top of this file).
inline void set_slot(Mutator& m, Object* o, std::size_t i, Value v) {
  write(m, o, o->slots() + i, v);
}

// The safepoint poll. MAY COLLECT (it parks while another thread collects).
inline void poll(Mutator& m) {
  if (m.poll.load(std::memory_order_relaxed) != 0) [[unlikely]]
    safepoint_slow(m);
}

// ---- object geometry ----------------------------------------------------------

// Objects of at least this many bytes allocated through the slow path (and
// always through allocate_large/allocate_array) live in the large-object
// space and never move. allocate() above does not check the size: a bigger
// object that happens to fit the TLAB is an ordinary young object.
inline constexpr std::size_t kLargeObject = std::size_t{8} << 10;

inline constexpr std::size_t ref_array_bytes(std::size_t length) {
  return 16 + 8 * length;
}
inline constexpr std::size_t byte_array_bytes(std::size_t length) {
  return 16 + ((length + 7) & ~std::size_t{7});
}
// Arrays: the length word follows the header, the elements follow it.
inline std::uint64_t array_length(Object* o) {
  return o->slots()[0];
}
inline Value* array_slots(Object* o) {
  return o->slots() + 1;
}
inline std::uint8_t* array_bytes(Object* o) {
  return reinterpret_cast<std::uint8_t*>(o->slots() + 1);
}
// Tailed objects (LayoutKind::kRefTail, kByteTail) of a layout whose fixed
// part is `size` bytes: their length word is array_length(); their fields
// start after it; allocate them with allocate_array().
inline constexpr std::size_t ref_tail_bytes(std::size_t size, std::size_t length) {
  return size + 8 * length;
}
inline constexpr std::size_t byte_tail_bytes(std::size_t size, std::size_t length) {
  return size + ((length + 7) & ~std::size_t{7});
}
inline Value* tail_fields(Object* o) {
  return o->slots() + 1;
}
inline std::uint8_t* tail_start(Object* o, std::size_t size) {
  return reinterpret_cast<std::uint8_t*>(o) + size;
}

// An object in the large-object space (any size; nullptr when exhausted).
// MAY COLLECT (the new object itself never moves).
Object* allocate_large(Mutator& m, std::uint32_t type, std::size_t bytes);

// An object that never moves, for memory whose address native code keeps
// (nullptr when exhausted). It is allocated old: it lives until a major
// collection finds it unreachable. MAY COLLECT (others move; it does not).
Object* allocate_pinned(Mutator& m, std::uint32_t type, std::size_t bytes);

// An array of `bytes` (ref_array_bytes / byte_array_bytes of `length`), or
// a tailed object (ref_tail_bytes / byte_tail_bytes), with its length word
// set; large ones go to the large-object space. MAY COLLECT.
inline Object* allocate_array(Mutator& m, std::uint32_t type, std::size_t bytes,
                              std::uint64_t length) {
  Object* o = bytes >= kLargeObject ? allocate_large(m, type, bytes) : allocate(m, type, bytes);
  if (o != nullptr) o->slots()[0] = length;
  return o;
}

// Initialising stores. A thread may fill an object it allocated with plain
// stores (no write()) until its next call that may collect (an allocation,
// poll(), a native region, Heap::collect): a young object needs no barrier
// until a collection promotes it, and an object allocated old (from
// kLargeObject bytes on, allocate_large, allocate_pinned) is born in the
// remembered set, so the next collection scans it (a large reference array:
// all its cards start dirty) whatever was stored into it. After that call,
// every store goes through the barrier again, for objects of every size.

// Copies elements [src_index, src_index + n) of reference array `src` to
// [dst_index, dst_index + n) of `dst`, as memmove does (dst and src may be
// the same array, the ranges overlapping), with the barrier applied once
// for the range: an old destination is remembered only if a copied element
// is young, and a large one only on the cards holding one. False, copying
// nothing, when either object is not a reference array or a range is out
// of its bounds. Never collects.
bool copy_elements(Mutator& m, Object* dst, std::size_t dst_index, Object* src,
                   std::size_t src_index, std::size_t n);
// Stores v into elements [index, index + n) of reference array `a`, with
// the barrier applied once for the range; false (nothing stored) as for
// copy_elements. Never collects.
bool fill_elements(Mutator& m, Object* a, std::size_t index, std::size_t n, Value v);

// An object of a finalizable type, allocated as allocate() does (or as
// allocate_large() does from kLargeObject bytes on) and registered for
// finalization; nullptr when the heap is exhausted. Arrays get their length
// word from the caller, as after allocate(). An object of a finalizable
// type allocated any other way is never finalized. `type` must be
// finalizable (aborts otherwise). May collect.
Object* allocate_finalizable(Mutator& m, std::uint32_t type, std::size_t bytes);

// ---- native regions ------------------------------------------------------------

// Around anything that blocks: the thread holds no raw references inside,
// and a collection proceeds without it. leave_native() waits while a
// collection is in progress. A native region MAY COLLECT (objects move
// while the thread is inside).
void enter_native(Mutator& m);
void leave_native(Mutator& m);

class NativeRegion {
 public:
  explicit NativeRegion(Mutator& m) : m_(m) { enter_native(m_); }
  ~NativeRegion() { leave_native(m_); }
  NativeRegion(const NativeRegion&) = delete;
  NativeRegion& operator=(const NativeRegion&) = delete;
  NativeRegion(NativeRegion&&) = delete;
  NativeRegion& operator=(NativeRegion&&) = delete;

 private:
  Mutator& m_;
};

// ---- handles ----------------------------------------------------------------------

// A fresh slot in the current handle scope (valid until the scope closes),
// holding `v` (0 by default): a slot is reused after its scope closed, and
// what it held then may have died, yet the collector scans it as soon as
// it is handed out. Writing `v` here rather than 0 and then `v` saves a
// store per handle (the compiler did not drop the first: the two meet
// after the slow path's branch). Never collects.
inline Value* new_handle(Mutator& m, Value v = 0) {
  Value* s = m.handle_top;
  if (s == m.handle_limit) [[unlikely]] {
    s = handle_chunk_slow(m);
  } else {
    m.handle_top = s + 1;
  }
  *s = v;
  return s;
}

// Handles created while a scope is open die with it (scopes nest like
// blocks). Opening and closing never collect.
//
// Closing restores the limit only when the scope moved to another chunk
// (rare: a chunk holds kHandleChunk slots). Restoring both fields
// unconditionally let GCC merge the two stores into one 16-byte vector
// store, whose operand, live in no callee-saved register, it rebuilt and
// spilled to the stack before every call inside the scope (each call has
// an exception landing pad that closes the scope): four instructions per
// call, 11% of GCBench's instructions (docs/memory.md, "GCBench's
// mutator").
class HandleScope {
 public:
  explicit HandleScope(Mutator& m) : m_(m), top_(m.handle_top), limit_(m.handle_limit) {}
  ~HandleScope() {
    m_.handle_top = top_;
    if (m_.handle_limit != limit_) [[unlikely]]
      m_.handle_limit = limit_;
  }
  HandleScope(const HandleScope&) = delete;
  HandleScope& operator=(const HandleScope&) = delete;
  HandleScope(HandleScope&&) = delete;
  HandleScope& operator=(HandleScope&&) = delete;

 private:
  Mutator& m_;
  Value* top_;
  Value* limit_;
};

// A slot the collector updates when the object moves. Cheap to copy: copies
// name the same slot. Nothing here collects; the slot stays valid across
// collections (the value in it changes).
class Handle {
 public:
  Handle(Mutator& m, Value v) : slot_(new_handle(m, v)) {}
  Handle(Mutator& m, Object* o) : Handle(m, ref_value(o)) {}
  // A handle over a slot that is already a root (a slot a tier's frame
  // enumerator reports, a persistent): it names that slot, makes none.
  explicit Handle(Value* root) : slot_(root) {}
  [[nodiscard]] Value value() const { return *slot_; }
  [[nodiscard]] Object* get() const { return as_object(*slot_); }
  Object* operator->() const { return get(); }
  void set(Value v) const { *slot_ = v; }
  [[nodiscard]] Value* slot() const { return slot_; }

 private:
  Value* slot_;
};

// Stores v into slot `i` of the object in `o`, with the barrier. The object
// is read from its handle inside the call, after every argument (an
// allocation computing `v` included) has been evaluated, so
// `set_slot(m, h, 0, ref_value(allocate(...)))` is right whatever moved.
// Never collects.
inline void set_slot(Mutator& m, const Handle& o, std::size_t i, Value v) {
  set_slot(m, o.get(), i, v);
}

// A new object of `bytes` (as allocate()) stored into slot `i` of the object
// in `o`, which is re-read after the allocation. Returns the new object
// (valid until the next call that may collect), or nullptr with nothing
// stored when the heap is exhausted. MAY COLLECT.
inline Object* allocate_into(Mutator& m, const Handle& o, std::size_t i, std::uint32_t type,
                             std::size_t bytes) {
  Object* n = allocate(m, type, bytes);
  if (n != nullptr) set_slot(m, o.get(), i, ref_value(n));
  return n;
}

// ---- roots ------------------------------------------------------------------------

// What the collector hands to frame enumerators: visit every reference slot
// (slots holding immediates or 0 may be visited too; they are skipped).
class RootVisitor {
 public:
  virtual void visit(Value* slot) = 0;
  void visit_range(Value* begin, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) visit(begin + i);
  }

 protected:
  RootVisitor() = default;
  RootVisitor(const RootVisitor&) = default;
  RootVisitor& operator=(const RootVisitor&) = default;
  RootVisitor(RootVisitor&&) = default;
  RootVisitor& operator=(RootVisitor&&) = default;
  ~RootVisitor() = default;
};

// A tier's callback that reports the reference slots of its frames on the
// thread it was registered for.
using FrameEnumerator = void (*)(void* ctx, RootVisitor& v);

// ---- the heap ---------------------------------------------------------------------

struct Stats {
  std::uint64_t minor_collections = 0;  // pauses that collected only the nursery
  std::uint64_t major_collections = 0;  // pauses that collected the whole heap
  std::uint64_t total_pause_ns = 0;
  std::uint64_t max_pause_ns = 0;
  std::uint64_t p50_pause_ns = 0;  // from a log-linear histogram: within 1/16
  std::uint64_t p99_pause_ns = 0;
  std::uint64_t allocated_bytes = 0;  // young bytes counted at each collection, plus large ones
  std::uint64_t promoted_bytes = 0;   // copied into the old generation
  std::uint64_t surviving_bytes = 0;  // copied into a survivor half
  std::uint64_t survivor_bytes = 0;   // now: in the current survivor half
  std::uint64_t old_bytes = 0;        // now: in old-generation blocks
  std::uint64_t large_bytes = 0;      // now: blocks held by large objects
  std::uint64_t committed_bytes = 0;  // now: the nursery plus every block in use
  std::uint64_t finalizers_run = 0;   // finalizers that have returned
  // Now: objects found unreachable whose finalizer has not returned yet.
  std::uint64_t finalizers_pending = 0;
  // Reference slots minor collections read in remembered old objects (for
  // a large reference array, only the elements on its dirty cards).
  std::uint64_t remembered_slots_scanned = 0;
  // Old-generation memory given back to the OS after collections
  // (madvise(MADV_DONTNEED), in coalesced address runs): bytes and calls,
  // in total.
  std::uint64_t returned_bytes = 0;
  std::uint64_t return_calls = 0;
  // Now: free old-generation blocks kept resident for reuse (within the
  // retention budget, docs/memory.md).
  std::uint64_t retained_free_bytes = 0;
  std::uint64_t nursery_bytes = 0;  // now: eden plus both survivor halves, as sized now
  // Stop-the-world handshakes (collections, verification), and the time
  // from arming the polls to the last mutator stopped: total and longest.
  std::uint64_t safepoint_handshakes = 0;
  std::uint64_t time_to_safepoint_ns = 0;
  std::uint64_t max_time_to_safepoint_ns = 0;
  // Refills: TLABs a thread hands itself from its chunk (no shared state),
  // chunks taken from the shared eden (one compare-and-swap each), and the
  // compare-and-swaps on eden that failed.
  std::uint64_t tlab_refills = 0;
  std::uint64_t eden_refills = 0;
  std::uint64_t eden_cas_retries = 0;
  // The one lock mutators take on these paths, the safepoint lock (parking
  // at a requested safepoint, stopping the world): acquisitions, and those
  // that found it held by another thread.
  std::uint64_t mutator_lock_acquisitions = 0;
  std::uint64_t mutator_lock_contended = 0;
};

// ---- collection events -------------------------------------------------------

// Why a collection happened.
enum class CollectionCause : std::uint8_t {
  kEdenFull,      // an allocation found the nursery full
  kStress,        // Options::stress_every
  kRequested,     // Heap::collect
  kOldGrown,      // major: the old generation passed Options::major_growth_percent
  kNoRoom,        // major: promotion failed (the old generation could not take the survivors)
  kLargeFailure,  // major: a large or pinned allocation found no room
};

// One collection, as a callback hears of it.
struct CollectionEvent {
  bool major = false;  // the whole heap (possibly after a minor one, in the same pause)
  CollectionCause cause = CollectionCause::kRequested;
  std::uint64_t start_ns = 0;      // std::chrono::steady_clock, since its epoch
  std::uint64_t pause_ns = 0;      // the world was stopped this long
  std::uint64_t before_bytes = 0;  // heap bytes in use before and after
  std::uint64_t after_bytes = 0;
  std::uint64_t promoted_bytes = 0;  // copied into the old generation
};

// Called after every collection on the thread that requested it, once the
// world has resumed and with that thread's mutator running: it may do what
// any mutator may (allocate, take handles, collect; the collections it
// causes are not reported, so that it never recurses). It must not throw
// and must not remove a callback other than itself. It is given no object
// of its caller's: the caller was allocating or collecting.
using CollectionCallback = void (*)(void* ctx, Mutator& m, const CollectionEvent& event);

class HeapImpl;
struct MutatorRecord;

class Heap {
 public:
  // Checks the options (clear errors name the option) and reserves memory.
  static Result<std::unique_ptr<Heap>> create(const Options& options = {});
  // Every mutator must be detached. Stops the finalizer thread (a finalizer
  // running finishes first); finalizers still pending are not run.
  ~Heap();
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;
  Heap(Heap&&) = delete;
  Heap& operator=(Heap&&) = delete;

  [[nodiscard]] const Options& options() const;

  // Type indices start at 1; 0 is never a valid type (zeroed memory). The
  // first finalizable layout starts the finalizer thread. The calls up to
  // attach() never collect.
  Result<std::uint32_t> register_layout(const Layout& layout);
  [[nodiscard]] const Layout* layout(std::uint32_t type) const;
  [[nodiscard]] std::size_t object_size(Object* o) const;
  // The descriptor o's layout was registered with (Layout::descriptor).
  // Never collects; o must be a live object.
  [[nodiscard]] const void* descriptor_of(Object* o) const;

  // The calling thread becomes a mutator (waits while a collection runs;
  // it holds no object yet, so nothing of its own moves).
  Mutator& attach();
  // Closes out `m` (its handle scopes must be closed); the thread that
  // attached it calls this. Never collects (m's references are gone after).
  void detach(Mutator& m);

  // A minor collection now, or with `major` a collection of the whole
  // heap. False when the old generation could not take the nursery's
  // survivors even after a major collection (the nursery was not collected).
  // COLLECTS.
  bool collect(Mutator& m, bool major = false);

  // Persistent slots (any attached thread); see Persistent below. The root
  // and frame-enumerator calls below never collect either.
  Value* new_persistent(Value v);
  void free_persistent(Value* slot);

  // Ranges of slots the collector reads and updates until removed.
  std::uint64_t add_roots(Value* slots, std::size_t count);
  void remove_roots(std::uint64_t id);
  // Called during every collection until removed; only m's own thread adds
  // and removes them.
  std::uint64_t add_frame_enumerator(Mutator& m, FrameEnumerator fn, void* ctx);
  void remove_frame_enumerator(Mutator& m, std::uint64_t id);

  // Blocks, in a native region (collections proceed), until the finalizer
  // of every object found unreachable so far has returned: for tests and
  // orderly shutdown. Not from a finalizer (aborts: it would wait for itself).
  void wait_for_finalizers(Mutator& m);

  // Registers a callback for every collection from now on (any thread;
  // never collects). Ids are unique for the heap's life.
  std::uint64_t add_collection_callback(CollectionCallback fn, void* ctx);
  // False if `id` is not registered. Once it returns no call of the callback
  // is in progress on another thread (it waits for them in a native region:
  // may collect), so its ctx may be freed. From the callback itself, it
  // returns at once (the call in progress finishes).
  bool remove_collection_callback(Mutator& m, std::uint64_t id);

  [[nodiscard]] Stats stats() const;  // never collects
  // Stops the world and checks every root and object; the first problem
  // found. Moves nothing, but parks other threads as a collection does.
  std::optional<std::string> verify(Mutator& m);
  // Stops the world (every other mutator parked at a safepoint or in a
  // native region, as for a collection) and calls fn(ctx) on this thread;
  // moves nothing. fn must not allocate, collect or wait for another
  // mutator: for observers that read every thread's state (a thread dump).
  void stopped(Mutator& m, void (*fn)(void* ctx), void* ctx);

 private:
  // RunaTime's own parts and tests reach the internals through impl_of(),
  // defined with HeapImpl in src/memory/heap.hpp: not part of this API.
  friend HeapImpl& impl_of(Heap& heap);
  explicit Heap(std::unique_ptr<HeapImpl> impl);
  MutatorRecord& own(Mutator& m);  // m's record; aborts if another heap attached it
  std::unique_ptr<HeapImpl> impl_;
};

// A slot outside every scope, freed by the destructor. Never collects.
class Persistent {
 public:
  Persistent() = default;
  Persistent(Heap& heap, Value v) : heap_(&heap), slot_(heap.new_persistent(v)) {}
  Persistent(Persistent&& o) noexcept : heap_(o.heap_), slot_(o.slot_) { o.slot_ = nullptr; }
  Persistent& operator=(Persistent&& o) noexcept {
    if (this != &o) {
      reset();
      heap_ = o.heap_;
      slot_ = o.slot_;
      o.slot_ = nullptr;
    }
    return *this;
  }
  Persistent(const Persistent&) = delete;
  Persistent& operator=(const Persistent&) = delete;
  ~Persistent() { reset(); }

  [[nodiscard]] Value value() const { return *slot_; }
  [[nodiscard]] Object* get() const { return as_object(*slot_); }
  void set(Value v) const { *slot_ = v; }
  [[nodiscard]] Value* slot() const { return slot_; }
  void reset() {
    if (slot_ != nullptr) heap_->free_persistent(slot_);
    slot_ = nullptr;
  }

 private:
  Heap* heap_ = nullptr;
  Value* slot_ = nullptr;
};

}  // namespace runa::heap
