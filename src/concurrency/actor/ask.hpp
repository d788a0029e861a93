// Request-response with actors: ask() sends a message carrying a Reply and
// waits for the answer, up to a timeout.
//
// The Reply is a one-slot channel shared by the asker and the message; the
// actor answers with reply.send(value) (a second answer is dropped). A
// timed-out ask returns nullopt; a late answer lands in the slot, which
// dies with its last holder. Blocking: the asker sleeps in a
// BlockingRegion (MAY COLLECT). (From a task, send the Reply of a slot
// and co_await its recv_async: an ask that suspends is not wrapped yet.)
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "concurrency/actor/endpoint.hpp"
#include "concurrency/channel/channel.hpp"

namespace runa::concurrency {

template <class R>
class Reply {
 public:
  Reply() = default;
  explicit Reply(std::shared_ptr<Bounded<R>> slot) : slot_(std::move(slot)) {}
  void send(R v) const {
    if (slot_) (void)slot_->try_send(v);
  }

 private:
  std::shared_ptr<Bounded<R>> slot_;
};

// make(reply) builds the message that carries the reply.
template <class R, class M, class Make>
std::optional<R> ask(ActorRef<M>& to, Make make, std::chrono::steady_clock::duration timeout) {
  auto slot = std::make_shared<Bounded<R>>(1);
  if (to.tell(make(Reply<R>(slot))) != Delivery::kOk) return std::nullopt;
  R out{};
  if (slot->recv(out, Clock::now() + timeout) == ChannelStatus::kOk) return out;
  return std::nullopt;
}

}  // namespace runa::concurrency
