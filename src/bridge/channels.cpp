#include "bridge/channels.hpp"

#include <memory>
#include <optional>

#include "concurrency/channel/channel.hpp"

namespace runa::bridge {

namespace cc = runa::concurrency;

// The C++ channel behind a Channel object, carrying persistent slots.
struct Pipe {
  Pipe(heap::Heap& h, std::uint64_t capacity) : heap(h) {
    if (capacity == 0) {
      unbounded.emplace();
    } else {
      bounded.emplace(capacity);
    }
  }
  ~Pipe() {
    Value* slot = nullptr;
    while (try_recv(slot) == cc::ChannelStatus::kOk) heap.free_persistent(slot);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  Pipe(Pipe&&) = delete;
  Pipe& operator=(Pipe&&) = delete;

  cc::ChannelStatus send(Value*& slot) {
    return bounded ? bounded->send(slot) : unbounded->send(slot);
  }
  cc::ChannelStatus recv(Value*& slot) {
    return bounded ? bounded->recv(slot) : unbounded->recv(slot);
  }
  cc::ChannelStatus try_recv(Value*& slot) {
    return bounded ? bounded->try_recv(slot) : unbounded->try_recv(slot);
  }
  void close() {
    if (bounded) {
      bounded->close();
    } else {
      unbounded->close();
    }
  }

  heap::Heap& heap;
  std::optional<cc::Bounded<Value*>> bounded;
  std::optional<cc::Unbounded<Value*>> unbounded;
};

namespace {

Pipe* pipe_of(Value channel) {
  return ForeignObjects<Pipe>::of(channel);
}

}  // namespace

Channels::Channels(heap::Heap& heap) : heap_(heap), pipes_(heap, "Channel") {}
Channels::~Channels() = default;

bool Channels::is_channel(Value v) const {
  return pipes_.is(v);
}

Result<bool> Channels::make(heap::Mutator& m, std::uint64_t capacity, Value* out) {
  return pipes_.make(m, std::make_unique<Pipe>(heap_, capacity), out);
}

Channels::Status Channels::send(const Value* channel, const Value* value) {
  Value* slot = heap_.new_persistent(*value);
  // A collection during the wait may move the Channel object but not its
  // Pipe, and the object stays reachable from its root slot, so the Pipe
  // is not finalized under the waiting thread.
  Pipe* pipe = pipe_of(*channel);
  if (pipe->send(slot) == cc::ChannelStatus::kOk) return Status::kOk;
  heap_.free_persistent(slot);
  return Status::kClosed;
}

Channels::Status Channels::receive(const Value* channel, Value* out) {
  Value* slot = nullptr;
  if (pipe_of(*channel)->recv(slot) != cc::ChannelStatus::kOk) return Status::kClosed;
  *out = *slot;
  heap_.free_persistent(slot);
  return Status::kOk;
}

void Channels::close(Value channel) {
  pipe_of(channel)->close();
}

}  // namespace runa::bridge
