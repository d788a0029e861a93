// ListQueue: the unbounded channel's buffer — a chain of the bounded
// channel's lock-free rings (array_queue.hpp), each twice the size of the
// one before; a full ring is sealed and a larger one appended.
//
// Why a chain of rings. Sends and receives run on the lock-free ring of
// the bounded channel, so the unbounded channel costs what the bounded one
// costs (its first form, a ring under a Mutex, made every send and receive
// of four threads contend for one lock: about a quarter of moodycamel's
// throughput). The lock (mu_) is taken only to grow and to close.
//
// Growing. A sender that finds the tail ring full takes mu_ and, if the
// tail has not moved meanwhile, appends a ring of twice the capacity: it
// links it as the old ring's next, makes it the tail, and only then seals
// the old ring with the ring's own close mark. A sender that still holds
// the old ring then fails with kClosed and moves to the new tail. Sealing
// is what keeps FIFO and exactly-once: no item can enter a ring after the
// receivers may have left it, because a ring's "closed and drained" is
// final (array_queue.hpp, "Closing").
//
// Receiving. Receivers pop from the head ring; kClosed from it means it is
// sealed and drained, and its next ring is already linked (the link is
// made before the seal, and a receiver sees the seal through the ring's
// tail index, which orders the link before it); they move the head to it
// (a CAS: several receivers may try at once). A sealed ring with no next
// is the channel's close: the end of the stream.
//
// Memory. Rings are freed with the channel, not as receivers leave them: a
// sender or receiver may still hold an old ring's pointer, and keeping
// them is the simplest reclamation there is. Capacities double, so what a
// channel keeps is at most about twice the most it ever held at once — as
// the Mutex ring before it, which never shrank either.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "concurrency/channel/array_queue.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

template <class T>
class ListQueue {
 public:
  explicit ListQueue(std::size_t initial = 64) {
    rings_.push_back(std::make_unique<Ring>(initial));
    head_.store(rings_.back().get(), std::memory_order_relaxed);
    tail_.store(rings_.back().get(), std::memory_order_relaxed);
  }

  // Moves from v only on kOk.
  QueueStatus try_push(T& v) {
    for (;;) {
      Ring* r = tail_.load(std::memory_order_acquire);
      QueueStatus s = r->queue.try_push(v);
      if (s == QueueStatus::kFull) {
        grow(r);
      } else if (s != QueueStatus::kClosed) {
        return s;
      } else if (r->queue.closed() && closed_.load(std::memory_order_relaxed)) {
        // closed() is an acquire of the seal: what was written before it
        // (closed_, or the new tail) is visible now.
        return QueueStatus::kClosed;
      }
    }
  }

  // kEmpty, or kClosed once the channel is closed and drained.
  QueueStatus try_pop(T& out) {
    for (;;) {
      Ring* r = head_.load(std::memory_order_acquire);
      QueueStatus s = r->queue.try_pop(out);
      if (s != QueueStatus::kClosed) return s;
      Ring* next = r->next.load(std::memory_order_acquire);
      if (next == nullptr) return QueueStatus::kClosed;
      head_.compare_exchange_strong(r, next, std::memory_order_acq_rel);
    }
  }

  // True for the call that closed it.
  bool close() {
    std::lock_guard lock(mu_);
    if (closed_.load(std::memory_order_relaxed)) return false;
    closed_.store(true, std::memory_order_relaxed);
    tail_.load(std::memory_order_relaxed)->queue.close();  // after closed_: see try_push
    return true;
  }
  [[nodiscard]] bool closed() const { return closed_.load(std::memory_order_acquire); }
  // Approximate unless quiescent.
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for (Ring* r = head_.load(std::memory_order_acquire); r != nullptr;
         r = r->next.load(std::memory_order_acquire)) {
      n += r->queue.size();
    }
    return n;
  }
  // Rings made so far (tests).
  [[nodiscard]] std::size_t rings() {
    std::lock_guard lock(mu_);
    return rings_.size();
  }

 private:
  struct Ring {
    explicit Ring(std::size_t capacity) : queue(capacity) {}
    ArrayQueue<T> queue;
    std::atomic<Ring*> next{nullptr};
  };

  void grow(Ring* full) {
    std::lock_guard lock(mu_);
    if (tail_.load(std::memory_order_relaxed) != full || closed_.load(std::memory_order_relaxed)) {
      return;  // grown by another sender meanwhile, or closed: the caller retries and sees which
    }
    rings_.push_back(std::make_unique<Ring>(2 * full->queue.capacity()));
    Ring* bigger = rings_.back().get();
    full->next.store(bigger, std::memory_order_release);
    tail_.store(bigger, std::memory_order_release);
    full->queue.close();  // the seal, last: see "Growing"
  }

  Mutex mu_;  // growing and closing
  std::vector<std::unique_ptr<Ring>> rings_;
  std::atomic<Ring*> head_{nullptr};
  std::atomic<Ring*> tail_{nullptr};
  std::atomic<bool> closed_{false};
};

}  // namespace runa::concurrency
