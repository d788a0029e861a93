// Channels: multi-producer multi-consumer queues that threads block on —
// Bounded<T> (capacity fixed, lock-free ring: array_queue.hpp; a full
// channel blocks its senders: backpressure) and Unbounded<T> (list_queue.hpp;
// sends never block).
//
// Semantics (the same for both):
//  - send(v) waits while the channel is full; recv(out) waits while it is
//    empty. The _until forms give up at a deadline (kTimeout); try_ forms
//    never wait (kFull / kEmpty).
//  - close() is final and idempotent. After it, sends fail with kClosed
//    (the value stays with the caller); receives take what was sent before
//    the close and then return kClosed, every time. Every waiter is woken.
//  - Items are received in the order their sends took effect (FIFO per
//    channel); each is received exactly once.
//  - select() (select.hpp) waits on several channels at once: make its
//    cases with recv_case() and send_case().
//
// Waking. A successful send notifies one waiting receiver, a successful
// receive one waiting sender, each only when the other side's WaitList is
// not empty: one seq_cst load on the fast path, after the queue's seq_cst
// claim (array_queue.hpp: a claim is the change a waiter's retry looks at,
// so no fence is needed between the two). The waiting side follows the
// register-then-retry rule of waiter.hpp, so nothing is lost. Blocking
// calls park in a BlockingRegion and MAY COLLECT for a mutator; they must
// not be called while holding raw object references.
//
// What a channel holds is C++ values; a Runa program's channel of heap
// values holds them in a rooted store (the bridge's concern, not this one).
// send_async / recv_async suspend a task (executor.hpp) instead of its
// worker, through WaitOn (wait_on.hpp); select() is for threads only.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>

#include "concurrency/channel/array_queue.hpp"
#include "concurrency/channel/list_queue.hpp"
#include "concurrency/channel/select.hpp"
#include "concurrency/channel/wait_on.hpp"
#include "concurrency/channel/waiter.hpp"
#include "concurrency/executor/sleep.hpp"
#include "concurrency/executor/task.hpp"
#include "concurrency/spin_wait.hpp"

namespace runa::concurrency {

enum class ChannelStatus : std::uint8_t { kOk, kClosed, kFull, kEmpty, kTimeout };

template <class T, class Queue>
class BasicChannel {
 public:
  template <class... Args>
  explicit BasicChannel(Args&&... args) : queue_(std::forward<Args>(args)...) {}

  // Moves from v only on kOk.
  ChannelStatus try_send(T& v) { return status(send_attempt(this, &v)); }
  ChannelStatus try_recv(T& out) { return status(recv_attempt(this, &out)); }

  ChannelStatus send(T& v, std::optional<Clock::time_point> deadline = std::nullopt) {
    ChannelStatus s =
        spin([&] { return try_send(v); }, [&] { return room_for_batch(); }, ChannelStatus::kFull);
    if (s != ChannelStatus::kFull) return s;
    SelectCase c = send_case(v);
    return outcome(select({&c, 1}, deadline));
  }
  ChannelStatus send(T&& v) { return send(v); }
  ChannelStatus recv(T& out, std::optional<Clock::time_point> deadline = std::nullopt) {
    ChannelStatus s =
        spin([&] { return try_recv(out); }, [] { return true; }, ChannelStatus::kEmpty);
    if (s != ChannelStatus::kEmpty) return s;
    SelectCase c = recv_case(out);
    return outcome(select({&c, 1}, deadline));
  }
  // The next item, or nullopt once closed and drained.
  std::optional<T> recv() {
    T out{};
    if (recv(out) == ChannelStatus::kOk) return out;
    return std::nullopt;
  }

  // From a task (executor.hpp): the same, suspending the task instead of
  // blocking its worker. Cancelled is thrown if the task is cancelled while
  // it waits (the item, for a send, is then dropped).
  Task<ChannelStatus> send_async(T v) {
    for (;;) {
      QueueStatus s = send_attempt(this, &v);
      if (s != QueueStatus::kFull) {
        if (!within_budget()) co_await yield_now();
        co_return status(s);
      }
      if (auto got = co_await WaitOn{senders_, &send_attempt, this, &v}) co_return status(*got);
    }
  }
  Task<ChannelStatus> recv_async(T& out) {
    for (;;) {
      QueueStatus s = recv_attempt(this, &out);
      if (s != QueueStatus::kEmpty) {
        if (!within_budget()) co_await yield_now();
        co_return status(s);
      }
      if (auto got = co_await WaitOn{receivers_, &recv_attempt, this, &out}) co_return status(*got);
    }
  }

  void close() {
    if (queue_.close()) {
      senders_.notify_all();
      receivers_.notify_all();
    }
  }
  [[nodiscard]] bool closed() { return queue_.closed(); }
  [[nodiscard]] std::size_t size() { return queue_.size(); }

  SelectCase send_case(T& v) { return {&send_attempt, this, &v, &senders_}; }
  SelectCase recv_case(T& out) { return {&recv_attempt, this, &out, &receivers_}; }

 private:
  static QueueStatus send_attempt(void* self, void* item) {
    auto* ch = static_cast<BasicChannel*>(self);
    QueueStatus s = ch->queue_.try_push(*static_cast<T*>(item));
    if (s == QueueStatus::kOk) wake(ch->receivers_);
    return s;
  }
  static QueueStatus recv_attempt(void* self, void* item) {
    auto* ch = static_cast<BasicChannel*>(self);
    QueueStatus s = ch->queue_.try_pop(*static_cast<T*>(item));
    if (s == QueueStatus::kOk) wake(ch->senders_);
    return s;
  }
  static void wake(WaitList& list) {
    if (list.waiting()) list.notify_one();
  }
  // Waiting. A blocking call retries a while before it registers and
  // sleeps: the other side is most often a few hundred instructions away,
  // and a sleep and a wake cost a wait-list lock and two system calls (a
  // futex wait, and the other side's futex wake on every operation while it
  // sees a waiter). It spins first (SpinWait's pause rounds), then yields
  // the core a few times: with more threads than cores the thread that
  // would make room or send is often runnable on this very core, and a
  // yield lets it run without either side paying for a wake-up. Measured on
  // 2 cores, 2 producers and 2 consumers through a 4096-slot channel
  // (bench/runa_concurrency.cpp): spinning only, then sleeping, made
  // ~40,000 futex calls per 10M messages and used 300 ms of CPU; with 8
  // yields, ~15 futex calls, ~5,000 yields and 190 ms. A wait that outlasts
  // the yields (the other side really is idle) still sleeps.
  //
  // A sender that finds the ring full retries, while it spins, only once
  // there is room for a batch (a quarter of the capacity, at most 64
  // cells), judged from the indices alone. Retrying at every freed cell
  // kept the sender on the cells and index lines the receivers were
  // working on: each of its reads took a line back from a receiver's core
  // and each receive had to take it back again, so the two sides moved at
  // the speed of those transfers (perf: the receivers' head CAS and cell
  // loads). Waiting for a batch lets the receivers free a stretch of
  // cells undisturbed, then the sender fills it. It is only a hint about
  // when to look: once the spin is over every round retries, and the
  // register-and-retry of the slow path decides, so one free cell is
  // always enough to send (BoundedChannel.OneFreedSlotIsEnoughForABlockedSender).
  // Receivers do not wait for a batch: an item must be received as soon as
  // it is there.
  template <class Try, class Ready>
  static ChannelStatus spin(Try attempt, Ready ready, ChannelStatus busy) {
    ChannelStatus s = attempt();
    for (SpinWait w; s == busy && w.yields() < kYieldsBeforeSleep;) {
      w.wait();
      if (w.spun_out() || ready()) s = attempt();
    }
    return s;
  }
  bool room_for_batch() {
    if constexpr (requires { queue_.room(); }) {
      return queue_.room() >= std::clamp<std::size_t>(queue_.capacity() / 4, 1, kSendBatch);
    } else {
      return true;  // the unbounded channel is never full
    }
  }
  static constexpr std::size_t kSendBatch = 64;
  static constexpr unsigned kYieldsBeforeSleep = 8;

  static ChannelStatus status(QueueStatus s) {
    switch (s) {
      case QueueStatus::kOk:
        return ChannelStatus::kOk;
      case QueueStatus::kClosed:
        return ChannelStatus::kClosed;
      case QueueStatus::kFull:
        return ChannelStatus::kFull;
      case QueueStatus::kEmpty:
        return ChannelStatus::kEmpty;
    }
    return ChannelStatus::kEmpty;
  }
  static ChannelStatus outcome(SelectResult r) {
    return r.index < 0 ? ChannelStatus::kTimeout : status(r.status);
  }

  Queue queue_;
  WaitList senders_;
  WaitList receivers_;
};

template <class T>
using Bounded = BasicChannel<T, ArrayQueue<T>>;  // Bounded<T> ch(capacity)
template <class T>
using Unbounded = BasicChannel<T, ListQueue<T>>;

}  // namespace runa::concurrency
