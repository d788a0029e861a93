// ListQueue: the unbounded channel's buffer — a Mutex-guarded ring that
// doubles when full and never shrinks below what it once needed.
//
// Why a lock and not a lock-free list: an unbounded lock-free MPMC list
// needs safe memory reclamation of its blocks (hazard pointers, epochs, or
// per-slot destruction marks), and an unbounded channel is the one whose
// users accept a producer running ahead; the critical sections here are a
// move and two index updates, short enough that the futex Mutex rarely
// sleeps. The bounded channel (array_queue.hpp) is the lock-free one.
// Measured side by side in bench/bench_channels.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>

#include "concurrency/channel/array_queue.hpp"  // QueueStatus
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

template <class T>
class ListQueue {
 public:
  explicit ListQueue(std::size_t initial = 64)
      : ring_(std::make_unique<T[]>(initial)), cap_(initial) {}

  QueueStatus try_push(T& v) {
    std::lock_guard lock(mu_);
    if (closed_) return QueueStatus::kClosed;
    if (size_ == cap_) grow();
    ring_[(head_ + size_) % cap_] = std::move(v);
    ++size_;
    return QueueStatus::kOk;
  }

  QueueStatus try_pop(T& out) {
    std::lock_guard lock(mu_);
    if (size_ == 0) return closed_ ? QueueStatus::kClosed : QueueStatus::kEmpty;
    out = std::move(ring_[head_]);
    ring_[head_] = T();  // drop what the moved-from item still holds
    head_ = (head_ + 1) % cap_;
    --size_;
    return QueueStatus::kOk;
  }

  bool close() {
    std::lock_guard lock(mu_);
    return !std::exchange(closed_, true);
  }
  [[nodiscard]] bool closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }
  [[nodiscard]] std::size_t size() {
    std::lock_guard lock(mu_);
    return size_;
  }

 private:
  void grow() {
    auto bigger = std::make_unique<T[]>(cap_ * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(ring_[(head_ + i) % cap_]);
    ring_ = std::move(bigger);
    cap_ *= 2;
    head_ = 0;
  }

  Mutex mu_;
  std::unique_ptr<T[]> ring_;
  std::size_t cap_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  bool closed_ = false;
};

}  // namespace runa::concurrency
