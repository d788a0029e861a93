// MpscQueue: an actor's mailbox queue — many senders, one consumer (the
// actor's current turn), lock-free, unbounded; a list of blocks of slots,
// after crossbeam's SegQueue.
//
// Why blocks. A queue of one node per message (Vyukov's, this queue's first
// form) costs each message an allocation, a free on the consumer's thread
// and two cache misses on the sender. Here a message is a slot in a block
// of kSlots: consecutive messages share lines, and a block is allocated and
// freed once per kSlots messages.
//
// Why a flag in each slot. The consumer learns that slot k is written from
// the slot's own flag, on the line it reads for the message anyway. A ready
// mask in the block's header (Tokio's layout, this queue's second form)
// put one more line between every sender and the consumer: each sender's
// fetch_or took it from the consumer that had just read it. With a busy
// actor fed from another core (Savina's chameneos: the mall) that RMW was
// half of the senders' time.
//
// Indexes. tail_ counts positions: block n holds positions n * kLap ..
// n * kLap + kSlots - 1, and position n * kLap + kSlots (the "gap") is never
// a message: tail_ rests there while the sender that claimed a block's
// last slot installs the next block. So the index alone says which block a
// position is in, and tail_block_ is the block of every position tail_ can
// be claimed at.
//
// Pushing. A sender reads tail_ = t (acquire) and tail_block_ = b, then
// claims t by CAS t -> t + 1. If t is the gap it waits (a few stores). The
// CAS succeeds only if tail_ still is t, so b was the block of t: tail_block_
// changes only after tail_ has passed a block's last slot, and t lies before
// it. A sender dereferences b only after its CAS succeeds. The sender of a
// block's last slot links a fresh block (b->next, release), makes it
// tail_block_, then moves tail_ over the gap (release): a sender that reads
// the new tail_ sees the new block. Then any sender writes its slot and sets
// the slot's flag (release) — its last touch of the block.
//
// Popping. The consumer reads position h of head_block_ when its flag is
// set (acquire: the value is visible). A position claimed but not yet
// written reads as kRetry (the item exists and will appear in a moment; the
// actor's protocol treats it as "not empty": actor.hpp), a position not
// claimed as kEmpty. After a block's last slot the consumer moves h over
// the gap; it follows b->next once tail_ shows a claim in the next block
// (that claim came after the link was stored), and frees the block it
// leaves.
//
// Reclaiming. A block is reused (spare_) or freed once the consumer has
// read each of its slots. Every sender that claimed one of them touched the
// block only before setting its flag, and a sender whose CAS failed never
// touched it: nothing can reach the block any more.
//
// empty() may be called from any thread (an actor checks its mailbox after
// going idle, when another worker may already be popping): it compares the
// two indexes, and is false once a push has claimed its position (seq_cst:
// the actor's idle check pairs with a sender's claim, actor.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "concurrency/pool/job_cache.hpp"
#include "concurrency/spin_wait.hpp"

namespace runa::concurrency {

template <class T>
class MpscQueue {
 public:
  enum class Pop : std::uint8_t { kItem, kEmpty, kRetry };
  // Slots per block: as many as a block of JobCache's largest class holds
  // (512 bytes), 4 to 32 of them; a block of larger slots comes from
  // operator new. An actor's mailbox holds one block even when empty, so
  // its size is what every actor costs.
  static constexpr std::uint64_t kSlots = std::clamp<std::uint64_t>(
      (JobCache::kBlockBytes - sizeof(void*)) / (sizeof(T) + alignof(T)), 4, 32);

  MpscQueue() : head_block_(new_block()) { tail_block_.store(head_block_); }
  ~MpscQueue() {
    T drop;
    while (pop(drop) != Pop::kEmpty) {
    }
    for (Block* b = head_block_; b != nullptr;) free_block(std::exchange(b, b->next.load()));
    free_block(spare_.load());
  }
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;
  MpscQueue(MpscQueue&&) = delete;
  MpscQueue& operator=(MpscQueue&&) = delete;

  // Any thread.
  void push(T v) {
    Block* fresh = nullptr;
    SpinWait gap;
    for (;;) {
      std::uint64_t t = tail_.load(std::memory_order_acquire);
      const std::uint64_t k = t % kLap;
      if (k == kSlots) {  // the gap: the next block is being installed
        gap.wait();
        continue;
      }
      Block* b = tail_block_.load(std::memory_order_acquire);
      if (k + 1 == kSlots && fresh == nullptr) fresh = take_block();  // outside the race
      if (!tail_.compare_exchange_weak(t, t + 1, std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
        continue;
      }
      if (k + 1 == kSlots) {
        b->next.store(fresh, std::memory_order_release);
        tail_block_.store(fresh, std::memory_order_release);
        tail_.store(t + 2, std::memory_order_release);
      } else if (fresh != nullptr) {
        recycle(fresh);  // another sender took the last slot
      }
      Slot& s = b->slots[k];
      new (s.item()) T(std::move(v));
      s.written.store(true, std::memory_order_release);
      return;
    }
  }

  // The consumer only.
  Pop pop(T& out) {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    const std::uint64_t k = h % kLap;
    if (k == 0 && h != head_start_) {
      // h is the next block's first position: follow the link once a
      // claim there shows that it was stored.
      if (unclaimed(h)) return Pop::kEmpty;
      Block* next = head_block_->next.load(std::memory_order_acquire);
      recycle(std::exchange(head_block_, next));
      head_start_ = h;
    }
    Slot& s = head_block_->slots[k];
    if (!s.written.load(std::memory_order_acquire)) return unclaimed(h) ? Pop::kEmpty : Pop::kRetry;
    T* item = std::launder(static_cast<T*>(s.item()));
    out = std::move(*item);
    item->~T();
    head_.store(k + 1 == kSlots ? h + 2 : h + 1, std::memory_order_relaxed);  // over the gap
    return Pop::kItem;
  }

  // Any thread: false once a push has claimed its position. Exact whenever
  // the consumer is not inside pop().
  [[nodiscard]] bool empty() const { return unclaimed(head_.load(std::memory_order_relaxed)); }

 private:
  static constexpr std::uint64_t kLap = kSlots + 1;  // positions per block, the gap included

  struct Slot {
    void* item() { return storage; }
    // NOLINTNEXTLINE(*-pro-type-member-init): constructed as it is written
    alignas(T) unsigned char storage[sizeof(T)];
    std::atomic<bool> written{false};
  };
  struct Block {
    std::atomic<Block*> next{nullptr};
    Slot slots[kSlots];
  };
  // In a block of JobCache's largest class, unless 4 slots do not fit.
  static_assert(kSlots == 4 || sizeof(Block) <= JobCache::kBlockBytes);

  // Blocks come from the sender's JobCache and go back from the consumer's
  // thread (job_cache.hpp says why not malloc).
  static Block* new_block() { return new (JobCache::allocate(sizeof(Block))) Block; }
  static void free_block(Block* b) {
    if (b == nullptr) return;
    b->~Block();
    JobCache::release(b, sizeof(Block));
  }
  // A block for the next link: the spare, or a new one.
  Block* take_block() {
    Block* b = spare_.exchange(nullptr, std::memory_order_acquire);
    return b != nullptr ? b : new_block();
  }
  // Keeps a block no one can reach as the spare (cleared), freeing the
  // spare it replaces.
  void recycle(Block* b) {
    b->next.store(nullptr, std::memory_order_relaxed);
    for (Slot& s : b->slots) s.written.store(false, std::memory_order_relaxed);
    free_block(spare_.exchange(b, std::memory_order_acq_rel));
  }

  // Nothing claimed at position h or after it (tail_ may rest on the gap
  // just before h).
  [[nodiscard]] bool unclaimed(std::uint64_t h) const {
    return tail_.load(std::memory_order_seq_cst) <= h;
  }

  // Consumer side.
  Block* head_block_;
  std::uint64_t head_start_ = 0;        // first position of head_block_
  std::atomic<std::uint64_t> head_{0};  // written by the consumer, read by empty()
  // Sender side, on a line of its own.
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  std::atomic<Block*> tail_block_{nullptr};
  // A cleared block, handed from the consumer that left it to the sender
  // that links the next one: a busy mailbox cycles through two blocks
  // without malloc (whose trimming and growing of the heap's top, with one
  // block freed and another allocated per kSlots messages of each of 503
  // actors, cost Savina's thread-ring a fifth of its time in sysmalloc and page faults).
  std::atomic<Block*> spare_{nullptr};
};

}  // namespace runa::concurrency
