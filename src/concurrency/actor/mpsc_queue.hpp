// MpscQueue: an actor's mailbox queue — many senders, one consumer (the
// actor's current turn), lock-free, unbounded; after Dmitry Vyukov's
// intrusive MPSC node queue.
//
// Senders exchange `tail_` to their node, then link the previous tail to
// it: two atomic operations, no loop, so a sender never waits for another.
// The consumer pops from `head_`, which only it touches. Between a
// sender's exchange and its link, the chain is briefly cut: the consumer
// then sees an empty next pointer although tail_ has moved, and reports
// kRetry — the item exists and will be visible in a moment (the actor's
// scheduling protocol treats it as "not empty": actor.hpp).
//
// Nodes come from the JobCache of the sending worker (job_cache.hpp) and
// are released by the consumer. A sentinel node keeps the list never empty.
#pragma once

#include <atomic>
#include <new>
#include <optional>
#include <utility>

#include "concurrency/pool/job_cache.hpp"

namespace runa::concurrency {

template <class T>
class MpscQueue {
 public:
  enum class Pop : std::uint8_t { kItem, kEmpty, kRetry };

  MpscQueue() : head_(&sentinel_), tail_(&sentinel_) {}
  ~MpscQueue() {
    T drop;
    while (pop(drop) != Pop::kEmpty) {
    }
  }
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;
  MpscQueue(MpscQueue&&) = delete;
  MpscQueue& operator=(MpscQueue&&) = delete;

  // Any thread.
  void push(T v) {
    auto* n = new (JobCache::allocate(sizeof(Node))) Node{std::move(v), {}};
    push_node(n);
  }

  // The consumer only.
  Pop pop(T& out) {
    Node* head = head_;
    Node* next = head->next.load(std::memory_order_acquire);
    if (head == &sentinel_) {
      if (next == nullptr) {
        return tail_.load(std::memory_order_acquire) == &sentinel_ ? Pop::kEmpty : Pop::kRetry;
      }
      head_ = next;
      head = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
      head_ = next;
      return take(head, out);
    }
    if (head != tail_.load(std::memory_order_acquire)) return Pop::kRetry;  // a link is coming
    // head is the last node: put the sentinel behind it so head can be taken.
    push_node(&sentinel_);
    next = head->next.load(std::memory_order_acquire);
    if (next == nullptr) return Pop::kRetry;
    head_ = next;
    return take(head, out);
  }

  // Any thread: false once a push has started. Exact whenever the consumer
  // is not inside pop(): then the sentinel is the last node exactly when the
  // queue is empty (pop puts it back behind the last item it takes). Reads
  // only the atomic tail, so an actor may check it after going idle, when
  // another worker may already be popping (actor.cpp, end_turn).
  [[nodiscard]] bool empty() const { return tail_.load(std::memory_order_seq_cst) == &sentinel_; }

 private:
  struct Node {
    T value;
    std::atomic<Node*> next;
  };

  void push_node(Node* n) {
    n->next.store(nullptr, std::memory_order_relaxed);
    // seq_cst: the actor's idle check (actor.hpp) pairs with it.
    Node* prev = tail_.exchange(n, std::memory_order_seq_cst);
    prev->next.store(n, std::memory_order_release);
  }
  Pop take(Node* n, T& out) {
    out = std::move(n->value);
    n->~Node();
    JobCache::release(n);
    return Pop::kItem;
  }

  Node* head_;  // consumer only
  Node sentinel_{T{}, {}};
  alignas(64) std::atomic<Node*> tail_;
};

}  // namespace runa::concurrency
