// ArrayQueue: the bounded channel's buffer — a lock-free multi-producer
// multi-consumer ring after Dmitry Vyukov's bounded MPMC queue, with a
// closed mark in the tail index.
//
// Each cell carries a sequence number. With capacity C (a power of two),
// cell i starts at seq = i. A producer that reads tail = p finds cell
// p % C ready to fill when its seq == p; it claims p by CAS on tail, stores
// the value, then publishes seq = p + 1 (release). A consumer with head = p
// finds the cell full when seq == p + 1; it claims p by CAS on head, moves
// the value out, then frees the cell for the next lap with seq = p + C. So
// producers and consumers touch a shared index once per operation and
// otherwise only their own cell; seq tells each side whether the other has
// finished with the cell (acquire on read pairs with the release store).
//
// Full and empty are decided by the indices, not by the cell. A cell that
// is not ready may be one another thread has claimed and not finished: a
// consumer finds seq < p + 1 while a producer is between its claim of p and
// its publish; a producer finds seq < p while a consumer is moving out the
// item of p - C. try_push reports kFull only when head shows that nobody
// has claimed p - C (tail - head == C), try_pop kEmpty only when tail == p;
// otherwise they wait (SpinWait) for the other thread's few instructions.
// This is what lets the channel's notifier skip a fence (channel.hpp,
// "Waking"): the claims are seq_cst CASes, so a waiter that registered,
// fenced and then saw "full" or "empty" in the indices has its
// registration seen by every claim it did not see (waiter.hpp). Were a
// claimed, unpublished cell reported empty, the waiter would sleep on an
// item whose producer's check of the wait list may have been made before
// the publish became visible, and saw no one (ArrayQueue tests
// *InFlight*). The wait cannot be long unless the other thread is
// pre-empted between two stores, which is why SpinWait yields after its
// first rounds; moving a T must not wait for the queue itself.
//
// Layout. Position p does not live in cell p % C: consecutive positions go
// to consecutive cache lines (the low bits of p pick the line, the high
// bits the place in it; cell()), and a line's cells are C / cells-per-line
// positions apart. Two senders claim neighbouring positions at the same
// moment, and so do two receivers; with cells side by side (16 bytes for
// a uint64_t: four to a line) each would write the line the other had just
// written, and the line crossed between cores on nearly every operation
// (perf record of 2 producers and 2 consumers on 2 cores: a fifth of a
// send's samples on its load of the cell). It is a bijection for every
// capacity and item size (ArrayQueueLayout tests: a collision would hand
// one cell to two positions).
//
// Contention. Two senders (or two receivers) on two cores claim positions
// by CAS on one index, and the loser retried at once: the index line then
// moved between the cores on nearly every attempt, and with 2 producers
// and 2 consumers on 2 cores the unbounded channel (whose rings are these)
// took 0.10 s for 10M messages in some runs and 0.35-0.6 s in most others,
// the threads fighting over the indices rather than sleeping (perf stat: a
// few hundred context switches in the slow runs, thousands in the fast).
// A loser now backs off (CasBackoff, spin_wait.hpp) before it reloads.
//
// Closing. kClosed is set in tail by fetch_or. A producer's claim is a CAS
// from a tail without the mark, so once the mark is set no item can be
// added: "closed and empty" is then final, which is what lets receivers
// report end-of-stream without losing an item sent before the close.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <utility>

#include <sys/mman.h>

#include "concurrency/spin_wait.hpp"
#include "concurrency/work_deque.hpp"  // kCacheLine

namespace runa::concurrency {

enum class QueueStatus : std::uint8_t { kOk, kFull, kEmpty, kClosed };

template <class T>
class ArrayQueue {
 public:
  explicit ArrayQueue(std::size_t capacity)
      : mask_(std::bit_ceil(std::max<std::size_t>(capacity, 2)) - 1),
        line_bits_(std::countr_zero(std::max<std::size_t>((mask_ + 1) / kCellsPerLine, 1))),
        slot_bits_(std::countr_zero(mask_ + 1) - line_bits_),
        cells_(allocate(mask_ + 1)) {
    for (std::size_t i = 0; i <= mask_; ++i) std::construct_at(&cell(i), i);
  }
  ~ArrayQueue() {
    T dropped;
    while (try_pop(dropped) == QueueStatus::kOk) {
    }
  }
  ArrayQueue(const ArrayQueue&) = delete;
  ArrayQueue& operator=(const ArrayQueue&) = delete;
  ArrayQueue(ArrayQueue&&) = delete;
  ArrayQueue& operator=(ArrayQueue&&) = delete;

  [[nodiscard]] std::size_t capacity() const { return mask_ + 1; }

  // Moves from v only on kOk.
  QueueStatus try_push(T& v) {
    std::uint64_t p = tail_.load(std::memory_order_relaxed);
    SpinWait in_flight;
    CasBackoff lost;
    for (;;) {
      if ((p & kClosed) != 0) return QueueStatus::kClosed;
      Cell& c = cell(p);
      std::uint64_t seq = c.seq.load(std::memory_order_acquire);
      auto dif = static_cast<std::int64_t>(seq - p);
      if (dif == 0) {
        if (tail_.compare_exchange_weak(p, p + 1, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          new (&c.storage) T(std::move(v));
          c.seq.store(p + 1, std::memory_order_release);
          return QueueStatus::kOk;
        }
        lost.pause();  // another sender took p ("Contention")
        continue;
      }
      if (dif < 0) {
        // The cell still holds the item of p - C: full, unless a consumer
        // has claimed that item and is moving it out.
        if (head_.load(std::memory_order_acquire) + capacity() <= p) return QueueStatus::kFull;
        std::uint64_t now = tail_.load(std::memory_order_relaxed);
        if (now == p) in_flight.wait();  // else p was stale: retry at once
        p = now;
        continue;
      }
      p = tail_.load(std::memory_order_relaxed);
    }
  }

  // kEmpty, or kClosed once the queue is closed and drained.
  QueueStatus try_pop(T& out) {
    std::uint64_t p = head_.load(std::memory_order_relaxed);
    SpinWait in_flight;
    CasBackoff lost;
    for (;;) {
      Cell& c = cell(p);
      std::uint64_t seq = c.seq.load(std::memory_order_acquire);
      auto dif = static_cast<std::int64_t>(seq - (p + 1));
      if (dif == 0) {
        if (head_.compare_exchange_weak(p, p + 1, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          T* item = std::launder(reinterpret_cast<T*>(&c.storage));
          out = std::move(*item);
          item->~T();
          c.seq.store(p + mask_ + 1, std::memory_order_release);
          return QueueStatus::kOk;
        }
        lost.pause();  // another receiver took p ("Contention")
        continue;
      }
      if (dif < 0) {
        // Nothing published at p: empty, unless a producer has claimed p
        // and is storing its item.
        std::uint64_t t = tail_.load(std::memory_order_acquire);
        if ((t & ~kClosed) == p)
          return (t & kClosed) != 0 ? QueueStatus::kClosed : QueueStatus::kEmpty;
        std::uint64_t now = head_.load(std::memory_order_relaxed);
        if (now == p) in_flight.wait();  // else p was stale: retry at once
        p = now;
        continue;
      }
      p = head_.load(std::memory_order_relaxed);
    }
  }

  // True for the call that closed it.
  bool close() { return (tail_.fetch_or(kClosed, std::memory_order_seq_cst) & kClosed) == 0; }
  [[nodiscard]] bool closed() const {
    return (tail_.load(std::memory_order_acquire) & kClosed) != 0;
  }
  // Free cells as the indices show them (a hint); capacity() once closed.
  [[nodiscard]] std::size_t room() const {
    std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if ((t & kClosed) != 0) return capacity();
    std::uint64_t h = head_.load(std::memory_order_relaxed);
    return t - h >= capacity() ? 0 : static_cast<std::size_t>(capacity() - (t - h));
  }
  // Approximate unless quiescent.
  [[nodiscard]] std::size_t size() const {
    std::uint64_t t = tail_.load(std::memory_order_relaxed) & ~kClosed;
    std::uint64_t h = head_.load(std::memory_order_relaxed);
    return t > h ? static_cast<std::size_t>(t - h) : 0;
  }

 private:
  static constexpr std::uint64_t kClosed = 1ULL << 63;
  struct Cell {
    // storage is left as it is: an item is constructed into it (see allocate)
    explicit Cell(std::uint64_t s) : seq(s) {}  // NOLINT(*-pro-type-member-init)
    std::atomic<std::uint64_t> seq;
    alignas(T) unsigned char storage[sizeof(T)];  // the item while seq says full
  };
  // Cells are written once when made (their seq only) in memory that a ring
  // of kHugeBytes or more asks to back with huge pages: the unbounded
  // channel doubles its rings, and zeroing a big ring and then faulting it
  // in page by page, under its grow lock, was a third of its producers'
  // time (perf record, 10M messages through it).
  static constexpr std::size_t kHugeBytes = std::size_t{2} << 20;
  struct Free {
    void operator()(Cell* c) const { std::free(c); }  // NOLINT(*-no-malloc): aligned_alloc's
  };
  static std::unique_ptr<Cell, Free> allocate(std::size_t n) {
    std::size_t bytes = n * sizeof(Cell);
    bool huge = bytes >= kHugeBytes;
    std::size_t align = huge ? kHugeBytes : kCacheLine;
    bytes = (bytes + align - 1) / align * align;
    // NOLINTNEXTLINE(*-no-malloc): operator new cannot be told the alignment at free
    std::unique_ptr<Cell, Free> cells(static_cast<Cell*>(std::aligned_alloc(align, bytes)));
    if (cells == nullptr) throw std::bad_alloc();
    if (huge) madvise(cells.get(), bytes, MADV_HUGEPAGE);  // advice: failure only costs faults
    return cells;
  }

  static constexpr std::size_t kCellsPerLine =
      sizeof(Cell) >= kCacheLine ? 1 : std::bit_floor(kCacheLine / sizeof(Cell));
  // Consecutive positions go to consecutive lines: p's line is its low bits,
  // its place in the line the high bits.
  [[nodiscard]] Cell& cell(std::uint64_t p) const {
    std::uint64_t i = p & mask_;
    std::uint64_t line = i & ((std::uint64_t{1} << line_bits_) - 1);
    return cells_.get()[(line << slot_bits_) | (i >> line_bits_)];
  }

  alignas(kCacheLine) std::atomic<std::uint64_t> head_{0};
  alignas(kCacheLine) std::atomic<std::uint64_t> tail_{0};
  alignas(kCacheLine) std::size_t mask_;
  unsigned line_bits_;
  unsigned slot_bits_;
  std::unique_ptr<Cell, Free> cells_;
};

}  // namespace runa::concurrency
