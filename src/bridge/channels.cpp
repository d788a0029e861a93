#include "bridge/channels.hpp"

#include <memory>
#include <optional>
#include <vector>

#include "concurrency/channel/channel.hpp"
#include "types/list.hpp"

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
  cc::SelectCase send_case(Value*& slot) {
    return bounded ? bounded->send_case(slot) : unbounded->send_case(slot);
  }
  cc::SelectCase recv_case(Value*& slot) {
    return bounded ? bounded->recv_case(slot) : unbounded->recv_case(slot);
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

// A ChannelOp's slots: two references, then the raw word `op`.
constexpr std::size_t kOpChannel = 0;
constexpr std::size_t kOpValue = 1;
constexpr std::size_t kOpKind = 2;
constexpr std::uint32_t kOpBytes = 8 + 8 * 3;

Value op_slot(Value op, std::size_t i) {
  return heap::as_object(op)->slots()[i];
}

heap::Layout op_layout() {
  static const char* const kFields[] = {"channel", "value"};
  heap::Layout l;
  l.kind = heap::LayoutKind::kPlain;
  l.size = kOpBytes;
  l.refs = 2;
  l.name = "ChannelOp";
  l.field_names = kFields;
  return l;
}

}  // namespace

Channels::Channels(heap::Heap& heap)
    : heap_(heap), pipes_(heap, "Channel"), ops_(heap, op_layout()) {}
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

Channels::Status Channels::select_receive(const Value* list, std::uint64_t* index, Value* out) {
  const std::uint64_t n = types::Lists::size(*list);
  // Persistent slots keep every Channel (so its Pipe) alive across the
  // wait, whatever another thread does to the List meanwhile.
  std::vector<heap::Persistent> held;
  held.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) held.emplace_back(heap_, *types::Lists::get(*list, i));
  std::vector<Value*> slots(n, nullptr);
  std::vector<bool> open(n, true);
  std::vector<cc::SelectCase> cases;
  std::vector<std::uint64_t> which;
  for (;;) {
    cases.clear();
    which.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!open[i]) continue;
      cases.push_back(pipe_of(held[i].value())->recv_case(slots[i]));
      which.push_back(i);
    }
    if (cases.empty()) return Status::kClosed;
    const cc::SelectResult r = cc::select(cases);
    const std::uint64_t i = which[static_cast<std::size_t>(r.index)];
    if (r.status == cc::QueueStatus::kClosed) {
      open[i] = false;
      continue;
    }
    *index = i;
    *out = *slots[i];
    heap_.free_persistent(slots[i]);
    return Status::kOk;
  }
}

// NOLINTNEXTLINE(readability-non-const-parameter): root slots, which the collector writes
Result<bool> Channels::make_op(heap::Mutator& m, Op op, Value* channel, Value* value, Value* out) {
  auto type = ops_.type();
  if (!type) return type.error();
  heap::Object* o = heap::allocate(m, *type, kOpBytes);
  if (o == nullptr) return false;
  o->slots()[kOpChannel] = *channel;
  o->slots()[kOpValue] = *value;
  o->slots()[kOpKind] = static_cast<std::uint64_t>(op);
  *out = heap::ref_value(o);
  return true;
}

bool Channels::is_op(Value v) const {
  return ops_.holds(v);
}

Channels::Op Channels::op_kind(Value op) {
  return static_cast<Op>(op_slot(op, kOpKind));
}

Channels::Status Channels::attempt(Value op, Value* out, concurrency::WaitList** list) {
  Pipe* pipe = pipe_of(op_slot(op, kOpChannel));
  Value* slot = nullptr;
  const bool send = op_kind(op) == Op::kSend;
  if (send) slot = heap_.new_persistent(op_slot(op, kOpValue));
  const cc::SelectCase c = send ? pipe->send_case(slot) : pipe->recv_case(slot);
  const cc::QueueStatus s = c.attempt(c.channel, c.item);
  if (s == cc::QueueStatus::kOk) {
    if (!send) {
      *out = *slot;
      heap_.free_persistent(slot);
    }
    return Status::kOk;
  }
  if (send) heap_.free_persistent(slot);
  if (s == cc::QueueStatus::kClosed) return Status::kClosed;
  *list = c.list;
  return Status::kBusy;
}

}  // namespace runa::bridge
