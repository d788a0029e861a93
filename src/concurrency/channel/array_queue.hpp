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
// Closing. kClosed is set in tail by fetch_or. A producer's claim is a CAS
// from a tail without the mark, so once the mark is set no item can be
// added: "closed and empty" is then final, which is what lets receivers
// report end-of-stream without losing an item sent before the close.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <utility>

#include "concurrency/spin_wait.hpp"
#include "concurrency/work_deque.hpp"  // kCacheLine

namespace runa::concurrency {

enum class QueueStatus : std::uint8_t { kOk, kFull, kEmpty, kClosed };

template <class T>
class ArrayQueue {
 public:
  explicit ArrayQueue(std::size_t capacity)
      : mask_(std::bit_ceil(std::max<std::size_t>(capacity, 2)) - 1),
        cells_(std::make_unique<Cell[]>(mask_ + 1)) {
    for (std::size_t i = 0; i <= mask_; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
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
    for (;;) {
      if ((p & kClosed) != 0) return QueueStatus::kClosed;
      Cell& c = cells_[p & mask_];
      std::uint64_t seq = c.seq.load(std::memory_order_acquire);
      auto dif = static_cast<std::int64_t>(seq - p);
      if (dif == 0) {
        if (tail_.compare_exchange_weak(p, p + 1, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          new (&c.storage) T(std::move(v));
          c.seq.store(p + 1, std::memory_order_release);
          return QueueStatus::kOk;
        }
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
    for (;;) {
      Cell& c = cells_[p & mask_];
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
  // Approximate unless quiescent.
  [[nodiscard]] std::size_t size() const {
    std::uint64_t t = tail_.load(std::memory_order_relaxed) & ~kClosed;
    std::uint64_t h = head_.load(std::memory_order_relaxed);
    return t > h ? static_cast<std::size_t>(t - h) : 0;
  }

 private:
  static constexpr std::uint64_t kClosed = 1ULL << 63;
  struct Cell {
    std::atomic<std::uint64_t> seq;
    alignas(T) unsigned char storage[sizeof(T)]{};
  };

  alignas(kCacheLine) std::atomic<std::uint64_t> head_{0};
  alignas(kCacheLine) std::atomic<std::uint64_t> tail_{0};
  alignas(kCacheLine) std::size_t mask_;
  std::unique_ptr<Cell[]> cells_;
};

}  // namespace runa::concurrency
