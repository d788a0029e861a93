// WorkDeque: a Chase-Lev work-stealing deque (Chase and Lev, "Dynamic
// Circular Work-Stealing Deque", SPAA 2005), with the C11 memory orders of
// Lê, Pop, Cohen and Zappa Nardelli, "Correct and Efficient Work-Stealing for
// Weak Memory Models", PPoPP 2013.
//
// One thread, the owner, pushes and pops at the bottom end (LIFO: the most
// recently found work is the most likely to be in its cache); any thread may
// steal from the top end (FIFO: the oldest items, which in a traversal are
// the roots of the largest unexplored subgraphs, so one steal buys much work).
//
// Representation. Two indexes, `top` and `bottom`, grow without bound (64
// bits do not wrap in practice); the items are those of index top..bottom-1,
// kept at index & mask in a circular array whose capacity is a power of
// two. Only the owner writes `bottom`; `top` is only ever advanced with a
// CAS: by one, by whoever takes the item at index top (a thief, or the
// owner taking the last item), or by k, by the owner taking the k oldest
// items at once (take_oldest). An item is taken at most once: a taker of
// index top moves `top` from t by CAS, which only one can do; the owner
// takes an item above top without a CAS, but only after moving `bottom`
// below it and then seeing `top` still below it, and the fences (below)
// keep every thief off an item in that state.
//
// Invariants.
//  - top never decreases, and only through a CAS from t (to t+1, or to t+k
//    by the owner's take_oldest).
//  - Outside a pop in progress, top <= bottom, and bottom - top is the
//    number of items. During a pop, bottom may be top - 1 for a moment.
//  - The owner writes slot i only in push, with i = bottom and
//    bottom - top < capacity, so it never overwrites an item not yet taken.
//  - A thief reads slot t only after seeing t < bottom, and keeps what it
//    read only if its CAS moves top from t: if the slot was overwritten
//    meanwhile (the owner wrapped around onto it), top has moved past t
//    and the CAS fails.
//
// Capacity. The ring is allocated once, at construction, and never grows:
// push() on a full ring refuses (returns false) and the owner keeps the item
// elsewhere (the collectors spill it to a list of their own, outside the
// deque: see minor_gc.hpp). A deque that grew would allocate where its user
// may not (a collection's pause), and would have to keep every ring it
// retired until no thief could still read it.
//
// Memory orders (why each one is needed):
//  - push: the slot is stored relaxed, then `bottom` with release. A thief
//    reads `bottom` with acquire before it reads the slot, so it sees the
//    item and everything the owner wrote before pushing it (the object a
//    pointer item points to). Every other store of `bottom` (in pop) is a
//    release too: since C++20 a relaxed store no longer continues the
//    release sequence of the owner's earlier release stores, and a thief
//    may read `bottom` as written by a pop. On x86 a release store is a
//    plain mov; on Arm, an stlr.
//  - push (and full()) read `top` with acquire: it pairs with the CAS (a
//    release) of whoever took the item at top-1, so that taker's read of its slot
//    happens before the owner, wrapping around, writes a new item there —
//    otherwise the taker's relaxed load could return the newer item.
//    The owner keeps the last `top` it read (top_seen_) and reads `top`
//    again only when the ring looks full by that value: `top` only grows,
//    so a stale value can only make the ring look fuller, and the slots it
//    lets push overwrite held items taken before the read that produced
//    it — the CASes on `top` form one release sequence, so that acquire
//    read synchronised with all their takers. Thieves CAS `top` all the
//    time; not reading it on every push keeps its cache line from bouncing
//    to the owner on each one.
//  - pop stores bottom-1, then a seq_cst fence, then loads `top`; steal
//    loads `top`, then a seq_cst fence, then loads `bottom`. This is the
//    store-load (Dekker) pattern: without the fences each side could read
//    the other's index from before the other's update, and the owner and a
//    thief could both take the one remaining item. With them, either the
//    thief sees the decremented bottom (and backs off or races by CAS), or
//    the owner sees the thief's top (and knows the item may be gone). Only
//    when exactly one item is left (top == the new bottom) do both sides
//    race, and the CAS on `top` decides; the owner then restores bottom.
//  - steal reads `top` with acquire: it pairs with the CAS of the previous
//    taker, so the load of `bottom` that follows is no
//    older than what that taker saw when index t became the top.
//  - Both CASes on `top` are seq_cst as in the paper: the read-modify-write
//    alone makes one taker win; the release half publishes the taker's slot
//    read to push (above); seq_cst keeps them in the single total order
//    with the fences. A failed CAS needs no ordering.
//  - Slots are accessed relaxed through std::atomic_ref: a thief may read
//    a slot while the owner writes it (wrap-around) and then throw
//    the value away; with plain accesses that would be a data race,
//    undefined even if the value is discarded. Relaxed atomics of a pointer
//    or an integer compile to plain loads and stores.
//  - The ring is left uninitialised (plain T, not std::atomic<T>, whose
//    constructor zeroes): every slot is read only after a push wrote it
//    (a thief reads slot t after seeing t < bottom, the owner pops below
//    bottom), so zeroing it bought nothing and faulted in every page of
//    every ring when the deque was made, also for a program that never
//    collects (the collectors' deques: ~30 page faults at heap creation).
//  - take_oldest (owner only) moves `top` from t to t+k by one CAS, then
//    reads slots t..t+k-1. Reading them after the CAS is safe because only
//    the owner writes slots, and it is busy here; a thief that read slot
//    t meanwhile fails its CAS from t. The owner does not pop meanwhile,
//    and knows `bottom` exactly, so k <= bottom - t keeps it off items
//    that are not there; no fence is needed, as no pop of the same items
//    can race it: a thief CASes top by one, from the same t or a later one,
//    so exactly one of them wins each index. The CAS is seq_cst like the
//    others on `top`, whose release sequence push's reasoning relies on.
//  - empty() and size() read both indexes relaxed: they are hints (the
//    termination protocol uses them to decide whether to try stealing
//    again) and exact only when no other thread is touching the deque.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>

namespace runa::concurrency {

// Keeps data written by different threads on different cache lines.
inline constexpr std::size_t kCacheLine = 64;

// T trivially copyable and std::atomic<T> lock-free (pointers, integers).
template <class T>
class WorkDeque {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(std::atomic_ref<T>::is_always_lock_free);
  static_assert(std::atomic_ref<T>::required_alignment == alignof(T));

 public:
  // `capacity` is rounded up to a power of two.
  explicit WorkDeque(std::size_t capacity = 1024)
      : mask_(std::bit_ceil(std::max<std::size_t>(capacity, 1)) - 1),
        slots_(std::make_unique_for_overwrite<T[]>(mask_ + 1)) {}
  ~WorkDeque() = default;
  WorkDeque(const WorkDeque&) = delete;
  WorkDeque& operator=(const WorkDeque&) = delete;
  WorkDeque(WorkDeque&&) = delete;
  WorkDeque& operator=(WorkDeque&&) = delete;

  // Owner only. False, with nothing changed, when the ring is full.
  [[nodiscard]] bool push(T v) {
    std::int64_t b = bottom_.load(std::memory_order_relaxed);
    if (b - top_seen_ > static_cast<std::int64_t>(mask_)) {
      top_seen_ = top_.load(std::memory_order_acquire);
      if (b - top_seen_ > static_cast<std::int64_t>(mask_)) return false;
    }
    at(b).store(v, std::memory_order_relaxed);
    bottom_.store(b + 1, std::memory_order_release);
    return true;
  }

  // Owner only: whether push() would refuse now (the same check, with the
  // same refresh of top_seen_).
  [[nodiscard]] bool full() {
    std::int64_t b = bottom_.load(std::memory_order_relaxed);
    if (b - top_seen_ <= static_cast<std::int64_t>(mask_)) return false;
    top_seen_ = top_.load(std::memory_order_acquire);
    return b - top_seen_ > static_cast<std::int64_t>(mask_);
  }

  // Owner only: the most recently pushed item not yet taken.
  std::optional<T> pop() {
    std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    bottom_.store(b, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    std::int64_t t = top_.load(std::memory_order_relaxed);
    if (t > b) {  // was empty
      bottom_.store(b + 1, std::memory_order_release);
      return std::nullopt;
    }
    T v = at(b).load(std::memory_order_relaxed);
    if (t < b) return v;  // more than one item: no thief can reach this one
    bool won = top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                            std::memory_order_relaxed);
    bottom_.store(b + 1, std::memory_order_release);
    if (!won) return std::nullopt;
    return v;
  }

  // Any thread: the oldest item. Retries when another taker wins the race
  // for it; nullopt only when it saw the deque empty.
  std::optional<T> steal() {
    for (;;) {
      std::int64_t t = top_.load(std::memory_order_acquire);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      std::int64_t b = bottom_.load(std::memory_order_acquire);
      if (t >= b) return std::nullopt;
      T v = at(t).load(std::memory_order_relaxed);
      if (top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
        return v;
      }
    }
  }

  // Owner only: takes up to `n` of the oldest items at once (one CAS, as
  // many times as thieves win the race for `top`), and calls out(item) for
  // each, oldest first. Returns how many it took (0: empty).
  template <class Out>
  std::size_t take_oldest(std::size_t n, Out out) {
    std::int64_t b = bottom_.load(std::memory_order_relaxed);
    std::int64_t t = top_.load(std::memory_order_acquire);
    std::int64_t k = 0;
    do {
      k = std::min(static_cast<std::int64_t>(n), b - t);
      if (k <= 0) return 0;
    } while (!top_.compare_exchange_weak(t, t + k, std::memory_order_seq_cst,
                                         std::memory_order_acquire));
    top_seen_ = t + k;
    for (std::int64_t i = t; i < t + k; ++i) out(at(i).load(std::memory_order_relaxed));
    return static_cast<std::size_t>(k);
  }

  // Approximate unless no other thread is touching the deque.
  [[nodiscard]] bool empty() const { return size() == 0; }
  [[nodiscard]] std::size_t size() const {
    std::int64_t b = bottom_.load(std::memory_order_relaxed);
    std::int64_t t = top_.load(std::memory_order_relaxed);
    return b > t ? static_cast<std::size_t>(b - t) : 0;
  }

  [[nodiscard]] std::size_t capacity() const { return mask_ + 1; }

  // No other thread may touch the deque. Drops the items.
  void reset() {
    top_.store(0, std::memory_order_relaxed);
    bottom_.store(0, std::memory_order_relaxed);
    top_seen_ = 0;
  }

 private:
  std::atomic_ref<T> at(std::int64_t i) {
    return std::atomic_ref<T>(slots_[static_cast<std::size_t>(i) & mask_]);
  }

  // Thieves CAS top; the owner writes bottom on every push and pop: apart,
  // so that thieves polling an empty deque do not slow its owner down.
  alignas(kCacheLine) std::atomic<std::int64_t> top_{0};
  alignas(kCacheLine) std::atomic<std::int64_t> bottom_{0};
  std::int64_t top_seen_ = 0;  // owner only: a value `top` had (see push)
  std::size_t mask_;
  std::unique_ptr<T[]> slots_;  // uninitialised until pushed (see above)
};

}  // namespace runa::concurrency
