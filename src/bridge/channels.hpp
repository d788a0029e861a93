// Channels for programs (docs/concurrency.md, "Threads and channels for
// programs"): the natives channel_new, channel_send, channel_receive and
// channel_close over the concurrency runtime's
// Bounded and Unbounded channels (src/concurrency/channel/).
//
//   Channel  a foreign object (foreign.hpp, layout "Channel") standing for
//            its Pipe: freed by the finalizer once no thread can reach the
//            Channel, or at the runtime's end.
//   Pipe     the C++ channel, of persistent slots: a value in flight is
//            held in a slot of its own (Heap::new_persistent), so the
//            collector keeps it alive and updates it while it waits in the
//            channel, and the channel itself never holds a heap reference.
//
// Invariants:
//   - A slot is taken by the sender before its send and given back by the
//     receiver after it read the value; a slot whose send failed (closed) is
//     given back by the sender. A Pipe freed with values still in it gives
//     their slots back.
//   - Waits run in a BlockingRegion (the channels' own rule): a thread
//     blocked on a channel never delays a collection. Every heap value a
//     native uses across a wait is in a handle (its argument slots).
//   - A ChannelOp (plain object, layout "ChannelOp": references `channel`
//     and `value`, raw word `op`) is a receive or a send that an async
//     function AWAITs (channel_receive_async, channel_send_async): it holds
//     no C++ state; ops_await.cpp attempts it and, while it cannot proceed,
//     registers the task in the channel's WaitList (scheduler.hpp).
//   - Values are shared, not copied: the receiver gets the very object the
//     sender sent. Runa's Lists and Dictionaries are not synchronised, so
//     two threads that both change one must agree on who owns it (the
//     sender gives it up); docs/concurrency.md says so.
#pragma once

#include <cstdint>

#include "bridge/foreign.hpp"
#include "bridge/lazy_layout.hpp"
#include "concurrency/channel/waiter.hpp"
#include "runatime/heap.hpp"
#include "runatime/result.hpp"

namespace runa::bridge {

using heap::Value;

struct Pipe;

class Channels {
 public:
  enum class Status : std::uint8_t { kOk, kClosed, kBusy };
  enum class Op : std::uint8_t { kReceive, kSend };

  explicit Channels(heap::Heap& heap);
  Channels(const Channels&) = delete;
  Channels& operator=(const Channels&) = delete;
  Channels(Channels&&) = delete;
  Channels& operator=(Channels&&) = delete;
  // Frees the Pipes of this runtime's Channels still alive (their
  // finalizers will never run). No thread of the runtime may use them.
  ~Channels();

  [[nodiscard]] bool is_channel(Value v) const;
  // A new Channel: unbounded when capacity is 0. MAY COLLECT; nothing in
  // *out when the heap is exhausted or the layout cannot be registered.
  Result<bool> make(heap::Mutator& m, std::uint64_t capacity, Value* out);
  // Sends *value, waiting while a bounded channel is full. kClosed after
  // close(). MAY COLLECT (the wait); channel and value are root slots.
  Status send(const Value* channel, const Value* value);
  // The oldest value sent, waiting while there is none; kClosed once the
  // channel is closed and empty. MAY COLLECT; *out a root slot.
  Status receive(const Value* channel, Value* out);
  // Closes the channel: final, idempotent; every waiter wakes. Never collects.
  static void close(Value channel);
  // Receives from the first Channel of the List in *list to have a value
  // (concurrency::select, from a random one: no channel starves): its
  // position in *index, the value in *out. A channel closed and drained is
  // left out while another may still deliver; kClosed once every one is.
  // Every item must be a Channel. MAY COLLECT (the wait); root slots.
  Status select_receive(const Value* list, std::uint64_t* index, Value* out);

  // A ChannelOp of *channel (and, for a send, *value) in *out; false when
  // the heap is exhausted, an error when the layout cannot be registered.
  // MAY COLLECT.
  Result<bool> make_op(heap::Mutator& m, Op op, Value* channel, Value* value, Value* out);
  [[nodiscard]] bool is_op(Value v) const;
  [[nodiscard]] static Op op_kind(Value op);
  // One attempt of the ChannelOp, never waiting: kOk (a receive's value in
  // *out), kClosed (as send and receive), or kBusy (full, or empty), and
  // then *list is the WaitList to wait in. Never collects.
  Status attempt(Value op, Value* out, concurrency::WaitList** list);

 private:
  heap::Heap& heap_;
  ForeignObjects<Pipe> pipes_;
  LazyLayout ops_;  // ChannelOp
};

}  // namespace runa::bridge
