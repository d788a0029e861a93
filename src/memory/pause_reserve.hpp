// PauseReserve: the memory a collection's lists live in, committed between
// pauses so that a pause never allocates (docs/memory.md, "A pause never
// allocates"); PauseList: a list of words in segments taken from it.
//
// Why. Inside a pause a failed allocation cannot be reported: the workers
// run noexcept, and the collection cannot stop half way. Everything a
// pause may need is therefore bounded from the heap's state with the world
// stopped, before any work starts (HeapImpl::pause_needs), and committed
// here; when more is needed than is committed, the collection resumes the
// world, commits (where a refusal becomes the caller's out-of-memory) and
// stops it again. The bounds (heap.cpp) count, per collection, one grey
// entry per object (at least 8 bytes) and one entry per object with a
// reference slot (at least 16 bytes) in each list an object can be in.
//
// Memory. One reservation of address space (Region), 2 * max_heap and a
// little, committed from its start in growing steps and never given back:
// committed pages cost nothing until a pause writes them, and the lists of
// the largest pause so far stay resident. The reservation is MAP_NORESERVE
// like the heap's, so with the kernel's default overcommit the commit
// cannot fail and is charged nothing; with strict overcommit it is charged,
// and a refusal is reported before the pause.
//
// In a pause, take() hands out memory from a shared counter (workers take
// segments concurrently; one relaxed fetch_add per segment of 510 words).
// reset() at the start of each collector's run forgets everything taken:
// no list outlives the run that filled it. Taking more than is committed
// means a bound above is wrong: that aborts with a message, it is a bug.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <type_traits>

#include "memory/region.hpp"

namespace runa::heap {

class PauseReserve {
 public:
  // Reserves `max_bytes` of address space (rounded up to pages).
  bool init(std::size_t max_bytes, std::string& error);
  // Between pauses, any running thread (two may at once: one after its
  // pause, one before its own): commits so that `bytes` can be taken in
  // one pause; false when that is more than the reservation or the OS
  // refuses.
  bool ensure(std::size_t bytes);
  [[nodiscard]] std::size_t committed() const { return committed_.load(std::memory_order_acquire); }
  // Tests: ensure() refuses to commit beyond `bytes` (a refused commit).
  void set_limit(std::size_t bytes);

  // In a pause, no worker running: forgets what was taken.
  void reset() { used_.store(0, std::memory_order_relaxed); }
  // In a pause, any worker: `bytes` (a multiple of 8) of committed memory,
  // 8-aligned, holding what the last pause left there.
  void* take(std::size_t bytes);

 private:
  Region region_;
  std::mutex mu_;  // serialises ensure() and set_limit()
  std::atomic<std::size_t> committed_{0};
  std::size_t limit_ = std::numeric_limits<std::size_t>::max();
  std::atomic<std::size_t> used_{0};
};

// A bag of words (pointers, values) in segments of a PauseReserve, used by
// one worker at a time: a stack (push, pop), a set to walk (for_each), to
// filter in place (keep_if) and to append to another (splice). Order is not
// kept but by pop (LIFO). Its memory is the reserve's: clear() it before
// the reserve is reset.
template <class T>
class PauseList {
  static_assert(sizeof(T) == sizeof(std::uint64_t) && std::is_trivially_copyable_v<T>);

 public:
  static constexpr std::size_t kEntries = 510;  // a segment is 4 KiB
  // The segments a list holds beyond its entries: a partly filled one and a spare.
  static constexpr std::size_t kSlackSegments = 2;
  struct Segment {
    Segment* next;
    std::size_t count;
    T items[kEntries];
  };

  explicit PauseList(PauseReserve& r) : reserve_(&r) {}

  void push(T v) {
    if (head_ == nullptr || head_->count == kEntries) grow();
    head_->items[head_->count++] = v;
    ++size_;
  }
  // The last pushed entry still here, if any.
  bool pop(T& out) {
    while (head_ != nullptr && head_->count == 0) {
      Segment* empty = head_;
      head_ = head_->next;
      if (head_ == nullptr) tail_ = nullptr;
      spare_ = empty;  // kept, so pushing and popping at a segment's edge takes no more
    }
    if (head_ == nullptr) return false;
    out = head_->items[--head_->count];
    --size_;
    return true;
  }

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (Segment* s = head_; s != nullptr; s = s->next) {
      for (std::size_t i = 0; i < s->count; ++i) fn(s->items[i]);
    }
  }

  // Keeps the entries `keep` accepts, in place; it may rewrite them (T&).
  template <class Keep>
  void keep_if(Keep&& keep) {
    Segment* w = head_;
    std::size_t wi = 0;
    size_ = 0;
    for (Segment* s = head_; s != nullptr; s = s->next) {
      std::size_t n = s->count;
      for (std::size_t i = 0; i < n; ++i) {
        T v = s->items[i];
        if (!keep(v)) continue;
        if (wi == kEntries) {
          w->count = kEntries;
          w = w->next;
          wi = 0;
        }
        w->items[wi++] = v;  // never ahead of the read position
        ++size_;
      }
    }
    if (w == nullptr) return;
    w->count = wi;
    w->next = nullptr;
    tail_ = w;
  }

  // Moves every entry of `other` here; `other` is left empty.
  void splice(PauseList& other) {
    if (other.head_ == nullptr) return;
    if (head_ == nullptr) {
      head_ = other.head_;
    } else {
      tail_->next = other.head_;
    }
    tail_ = other.tail_;
    size_ += other.size_;
    other.head_ = other.tail_ = other.spare_ = nullptr;
    other.size_ = 0;
  }

  void clear() {
    head_ = tail_ = spare_ = nullptr;
    size_ = 0;
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

 private:
  void grow() {
    Segment* s = spare_;
    spare_ = nullptr;
    if (s == nullptr) s = static_cast<Segment*>(reserve_->take(sizeof(Segment)));
    s->next = head_;
    s->count = 0;
    head_ = s;
    if (tail_ == nullptr) tail_ = s;
  }

  PauseReserve* reserve_;
  Segment* head_ = nullptr;  // the newest segment: pushes and pops go here
  Segment* tail_ = nullptr;
  Segment* spare_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace runa::heap
