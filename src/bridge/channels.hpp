// Channels for programs (docs/concurrency.md, "Threads and channels for
// programs"): the natives channel_new, channel_send, channel_receive,
// channel_close and the selects (channel_select, and the awaitables of
// natives_channel_ops.cpp) over the concurrency runtime's Bounded and
// Unbounded channels and its select (src/concurrency/channel/).
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
//   - A ChannelSelect (layout "ChannelSelect": a tail of ChannelOps, its
//     cases, copied at channel_select_async and never changed after) is
//     awaited the same way, as a ChannelOp is: a ChannelOp is the select of
//     its one case. One mechanism serves both (attempt_cases).
//   - Exactly one case of a select takes effect. A send's value goes into
//     a persistent slot only for the attempt, which either hands the slot
//     to the channel or gives it back: a case not performed leaves nothing
//     in its channel, so withdrawing (the select proceeding elsewhere, or
//     its task cancelled) loses and duplicates nothing.
//   - Closed channels in a select (thread or task): a receive from a
//     channel closed and drained is left out while another case may still
//     proceed (kClosed with kEveryCase once none can); a send to a closed
//     channel is an outcome (kClosed with its position), as channel_send's
//     ValueError is.
//   - Values are shared, not copied: the receiver gets the very object the
//     sender sent. Runa's Lists and Dictionaries are not synchronised, so
//     two threads that both change one must agree on who owns it (the
//     sender gives it up); docs/concurrency.md says so.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "bridge/foreign.hpp"
#include "bridge/lazy_layout.hpp"
#include "concurrency/channel/select.hpp"
#include "concurrency/channel/waiter.hpp"
#include "runatime/heap.hpp"
#include "runatime/result.hpp"

namespace runa::bridge {

using heap::Value;

struct Pipe;

class Channels {
 public:
  enum class Status : std::uint8_t { kOk, kClosed, kBusy, kTimeout };
  using Deadline = std::optional<std::chrono::steady_clock::time_point>;
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
  // Sends *value, waiting while a bounded channel is full (until
  // `deadline`, then kTimeout: nothing sent). kClosed after close(). MAY
  // COLLECT (the wait); channel and value are root slots.
  Status send(const Value* channel, const Value* value, Deadline deadline = std::nullopt);
  // The oldest value sent, waiting while there is none (until `deadline`,
  // then kTimeout); kClosed once the channel is closed and empty. MAY
  // COLLECT; *out a root slot.
  Status receive(const Value* channel, Value* out, Deadline deadline = std::nullopt);
  // send() and receive() that never wait: kBusy when the channel is full
  // (nothing sent) or empty. Never collect.
  Status try_send(const Value* channel, const Value* value);
  Status try_receive(const Value* channel, Value* out);
  // Closes the channel: final, idempotent; every waiter wakes. Never collects.
  static void close(Value channel);
  // The *index of a kClosed select when every case was a receive from a
  // channel closed and drained.
  static constexpr std::uint64_t kEveryCase = ~std::uint64_t{0};
  // Performs the first case of the List in *list that can proceed
  // (concurrency::select, from a random one: no case starves), waiting
  // while none can: its position in *index, a receive's value in *out
  // (nothing for a send). A case is a Channel (a receive) or a ChannelOp;
  // every item must be one (is_case). kClosed as the header says. MAY
  // COLLECT (the wait); root slots.
  Status select(const Value* list, std::uint64_t* index, Value* out);
  // Whether v can be a case of a select: a Channel or a ChannelOp.
  [[nodiscard]] bool is_case(Value v) const { return is_channel(v) || is_op(v); }

  // A ChannelOp of *channel (and, for a send, *value) in *out; false when
  // the heap is exhausted, an error when the layout cannot be registered.
  // MAY COLLECT.
  Result<bool> make_op(heap::Mutator& m, Op op, Value* channel, Value* value, Value* out);
  [[nodiscard]] bool is_op(Value v) const;
  [[nodiscard]] static Op op_kind(Value op);
  // A ChannelSelect of the cases in the List *list (Channels become
  // receive ChannelOps) in *out; kNotCases (nothing made) when the List is
  // empty or holds an item that is not a case (is_case), an error when the
  // layout cannot be registered. MAY COLLECT.
  enum class Made : std::uint8_t { kMade, kOutOfMemory, kNotCases };
  Result<Made> make_select(heap::Mutator& m, const Value* list, Value* out);
  [[nodiscard]] bool is_select(Value v) const;
  // The cases of an awaitable: a ChannelOp's is itself, a ChannelSelect's
  // are its ChannelOps.
  [[nodiscard]] std::uint64_t case_count(Value awaitable) const;
  [[nodiscard]] Value case_at(Value awaitable, std::uint64_t i) const;

  // One attempt of every case of `awaitable` (a ChannelOp or a
  // ChannelSelect), from case `first` on (the others after it, wrapping),
  // never waiting: kOk, case *index performed (a receive's value in *out);
  // kClosed, *index a send to a closed channel or kEveryCase; kBusy, and
  // then (*lists)[i] is the WaitList case i waits in, null for a receive
  // left out. Never collects.
  Status attempt_cases(Value awaitable, std::uint64_t first, std::uint64_t* index, Value* out,
                       std::vector<concurrency::WaitList*>* lists);

 private:
  heap::Heap& heap_;
  ForeignObjects<Pipe> pipes_;
  // The C++ case of a Channel (a receive) or a ChannelOp, into `slot`: a
  // send takes a persistent slot holding its value, which the caller gives
  // back unless the send was performed (slot stays null for a receive).
  concurrency::SelectCase case_of(Value item, Value*& slot);
  // One attempt of the ChannelOp: kOk (a receive's value in *out),
  // kClosed, or kBusy and *list the WaitList to wait in. Never collects.
  Status attempt(Value op, Value* out, concurrency::WaitList** list);

  LazyLayout ops_;      // ChannelOp
  LazyLayout selects_;  // ChannelSelect
};

}  // namespace runa::bridge
