// Endpoint and ActorRef: how messages reach an actor, behind an interface.
//
// An ActorRef<M> is what code holds to talk to an actor: copyable, and all
// it can do is deliver an M. It reaches the actor through Endpoint<M>, an
// interface: the local actor (actor.hpp) is one implementation; a transport
// to another machine can be another (serialise, send, deliver remotely)
// without changing any sender.
//
// Ownership of messages: a message is moved into the mailbox; the sender
// keeps nothing of it, and the actor alone touches it from then on. For
// Runa programs (src/bridge/actors.hpp) the message is a persistent slot
// holding a heap value, shared as values on channels are: immutable values
// are safe to share, and a sender gives up a mutable one it sends
// (docs/concurrency.md, "Actors for programs").
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

namespace runa::concurrency {

enum class Delivery : std::uint8_t {
  kOk,
  kFull,     // a bounded mailbox is at capacity: back off (backpressure)
  kStopped,  // the actor has stopped: the message is dropped
};

template <class M>
class Endpoint {
 public:
  Endpoint() = default;
  virtual ~Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  Endpoint(Endpoint&&) = delete;
  Endpoint& operator=(Endpoint&&) = delete;

  // Any thread; never blocks. The message is consumed only on kOk.
  virtual Delivery deliver(M& msg) = 0;
  [[nodiscard]] virtual std::uint64_t id() const = 0;
};

template <class M>
class ActorRef {
 public:
  ActorRef() = default;
  explicit ActorRef(std::shared_ptr<Endpoint<M>> ep) : ep_(std::move(ep)) {}

  Delivery tell(M msg) { return ep_->deliver(msg); }
  // Keeps the message with the caller unless it was delivered.
  Delivery try_tell(M& msg) { return ep_->deliver(msg); }
  [[nodiscard]] std::uint64_t id() const { return ep_->id(); }
  [[nodiscard]] bool valid() const { return ep_ != nullptr; }
  [[nodiscard]] const std::shared_ptr<Endpoint<M>>& endpoint() const { return ep_; }

 private:
  std::shared_ptr<Endpoint<M>> ep_;
};

}  // namespace runa::concurrency
