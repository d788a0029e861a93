// MpscQueue: an actor's mailbox queue — many senders, one consumer (the
// actor's current turn), lock-free, unbounded; a list of blocks of slots,
// after Tokio's mpsc block list and crossbeam's SegQueue.
//
// Why blocks. A queue of one node per message (Vyukov's, this queue's first
// form) costs each message an allocation, a free on the consumer's thread
// (a CAS on the sender's remote free list) and two cache misses on the
// sender: the node's line, last written by the consumer that freed it, and
// the previous node's link. With a producer feeding busy actors that was
// two thirds of its time (Savina's fork-join throughput). Here a message
// is a slot in a block of kSlots (up to 32): a sender claims an index, writes the slot
// and sets its bit in the block's ready mask; consecutive messages share
// lines, and a block is allocated and freed once per kSlots messages.
//
// Pushing. A sender takes index i = tail_index_++ (any order among senders:
// the order of these increments is the queue's order, so each sender's
// messages stay in the order it sent them), finds the block holding i by
// walking from the hint tail_block_ (appending a block when the next one
// is missing: the first to CAS it in wins), writes slot i and sets its
// ready bit (release). A walker passing a block whose slots are all
// written moves the hint past it (a CAS) — only then: a sender whose
// index lies in a block has not finished with it until its bit is set, so
// the hint never passes a block a sender still needs to find.
//
// Popping. The consumer reads index head_index_ from head_block_ when its
// bit is set (acquire: the value is visible). An index claimed but not yet
// written reads as kRetry (the item exists and will appear in a moment;
// the actor's protocol treats it as "not empty": actor.hpp), an index not
// claimed as kEmpty. Past a block's last slot the consumer moves to the
// next block and retires the one it left.
//
// Reclaiming (the one subtle part). A sender may still walk through a
// block the consumer has finished: it loaded the hint while the hint named
// that block. Such a sender claimed its index before it loaded the hint,
// and the hint moved past the block after that load; so the walker that
// moves the hint records observed_tail = tail_index_ read just after its
// CAS (all four operations seq_cst: the walker's claim precedes its hint
// load, which precedes the CAS, which precedes that read), and every
// sender that can still be inside the block holds an index below it. Such
// a sender touches the block only before it writes its own slot. So once
// the consumer has read every index below observed_tail, no sender can
// touch the block again, and the consumer frees it. Blocks the consumer
// finishes before the hint passed them wait in retired_, in order.
//
// empty() may be called from any thread (an actor checks its mailbox after
// going idle, when another worker may already be popping): it compares the
// two indexes, and is false once a push has claimed its index (seq_cst:
// the actor's idle check pairs with a sender's claim, actor.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <new>
#include <utility>

namespace runa::concurrency {

template <class T>
class MpscQueue {
 public:
  enum class Pop : std::uint8_t { kItem, kEmpty, kRetry };
  // Slots per block: about 512 bytes of messages, 4 to 32 of them (the
  // ready mask has 32 bits). An actor's mailbox holds one block even when
  // empty, so its size is what every actor costs.
  static constexpr std::uint64_t kSlots = std::clamp<std::uint64_t>(512 / sizeof(T), 4, 32);

  MpscQueue() : head_block_(new Block(0)) { tail_block_.store(head_block_); }
  ~MpscQueue() {
    T drop;
    while (pop(drop) != Pop::kEmpty) {
    }
    for (Block* b : retired_) delete b;
    for (Block* b = head_block_; b != nullptr;) delete std::exchange(b, b->next.load());
  }
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;
  MpscQueue(MpscQueue&&) = delete;
  MpscQueue& operator=(MpscQueue&&) = delete;

  // Any thread.
  void push(T v) {
    const std::uint64_t i = tail_index_.fetch_add(1, std::memory_order_seq_cst);
    Block* b = find(i);
    const std::uint64_t slot = i - b->start;
    new (b->slot(slot)) T(std::move(v));
    b->ready.fetch_or(std::uint32_t{1} << slot, std::memory_order_release);
  }

  // The consumer only.
  Pop pop(T& out) {
    const std::uint64_t i = head_index_.load(std::memory_order_relaxed);
    Block* b = head_block_;
    if (i == b->start + kSlots) {
      Block* next = b->next.load(std::memory_order_acquire);
      if (next == nullptr) return unclaimed(i) ? Pop::kEmpty : Pop::kRetry;
      retired_.push_back(b);
      head_block_ = b = next;
    }
    const std::uint64_t slot = i - b->start;
    if ((b->ready.load(std::memory_order_acquire) & (std::uint32_t{1} << slot)) == 0) {
      return unclaimed(i) ? Pop::kEmpty : Pop::kRetry;
    }
    T* item = std::launder(static_cast<T*>(b->slot(slot)));
    out = std::move(*item);
    item->~T();
    head_index_.store(i + 1, std::memory_order_relaxed);
    reclaim(i + 1);
    return Pop::kItem;
  }

  // Any thread: false once a push has claimed its index. Exact whenever
  // the consumer is not inside pop().
  [[nodiscard]] bool empty() const {
    return tail_index_.load(std::memory_order_seq_cst) ==
           head_index_.load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::uint32_t kAllReady =
      kSlots == 32 ? ~std::uint32_t{0} : (std::uint32_t{1} << kSlots) - 1;
  static constexpr std::uint64_t kNotReleased = ~std::uint64_t{0};

  struct Block {
    // NOLINTNEXTLINE(*-pro-type-member-init): slots are constructed as they are written
    explicit Block(std::uint64_t s) : start(s) {}
    void* slot(std::uint64_t k) { return storage + k * sizeof(T); }
    const std::uint64_t start;  // index of slot 0
    std::atomic<Block*> next{nullptr};
    std::atomic<std::uint32_t> ready{0};  // bit k: slot k written
    // tail_index_ when the hint moved past this block (kNotReleased before).
    std::atomic<std::uint64_t> observed_tail{kNotReleased};
    alignas(T) unsigned char storage[kSlots * sizeof(T)];
  };

  [[nodiscard]] bool unclaimed(std::uint64_t i) const {
    return tail_index_.load(std::memory_order_seq_cst) == i;
  }

  // The block holding index i, appending blocks and moving the hint as it
  // walks (see "Pushing" and "Reclaiming").
  Block* find(std::uint64_t i) {
    Block* b = tail_block_.load(std::memory_order_seq_cst);
    while (i >= b->start + kSlots) {
      Block* next = b->next.load(std::memory_order_acquire);
      if (next == nullptr) {
        auto fresh = std::make_unique<Block>(b->start + kSlots);
        if (b->next.compare_exchange_strong(next, fresh.get(), std::memory_order_acq_rel)) {
          next = fresh.release();
        }
      }
      if (b->ready.load(std::memory_order_acquire) == kAllReady) {
        Block* expected = b;
        if (tail_block_.compare_exchange_strong(expected, next, std::memory_order_seq_cst)) {
          b->observed_tail.store(tail_index_.load(std::memory_order_seq_cst),
                                 std::memory_order_release);
        }
      }
      b = next;
    }
    return b;
  }

  // Frees retired blocks no sender can touch any more: `consumed` indexes
  // have been read.
  void reclaim(std::uint64_t consumed) {
    while (!retired_.empty()) {
      Block* b = retired_.front();
      if (b->observed_tail.load(std::memory_order_acquire) > consumed) return;
      retired_.pop_front();
      delete b;
    }
  }

  // Consumer side.
  Block* head_block_;
  std::deque<Block*> retired_;
  std::atomic<std::uint64_t> head_index_{0};  // written by the consumer, read by empty()
  // Sender side, on a line of its own.
  alignas(64) std::atomic<std::uint64_t> tail_index_{0};
  std::atomic<Block*> tail_block_{nullptr};
};

}  // namespace runa::concurrency
