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

  cc::ChannelStatus send(Value*& slot, Channels::Deadline deadline) {
    return bounded ? bounded->send(slot, deadline) : unbounded->send(slot, deadline);
  }
  cc::ChannelStatus recv(Value*& slot, Channels::Deadline deadline) {
    return bounded ? bounded->recv(slot, deadline) : unbounded->recv(slot, deadline);
  }
  cc::ChannelStatus try_send(Value*& slot) {
    return bounded ? bounded->try_send(slot) : unbounded->try_send(slot);
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

// A ChannelSelect: header, length word, then its cases (a ref tail).
constexpr std::uint32_t kSelectFixed = 16;

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

heap::Layout select_layout() {
  heap::Layout l;
  l.kind = heap::LayoutKind::kRefTail;
  l.size = kSelectFixed;
  l.refs = 0;
  l.name = "ChannelSelect";
  return l;
}

}  // namespace

Channels::Channels(heap::Heap& heap)
    : heap_(heap),
      pipes_(heap, "Channel"),
      ops_(heap, op_layout()),
      selects_(heap, select_layout()) {}
Channels::~Channels() = default;

bool Channels::is_channel(Value v) const {
  return pipes_.is(v);
}

Result<bool> Channels::make(heap::Mutator& m, std::uint64_t capacity, Value* out) {
  return pipes_.make(m, std::make_unique<Pipe>(heap_, capacity), out);
}

namespace {

Channels::Status status_of(cc::ChannelStatus s) {
  switch (s) {
    case cc::ChannelStatus::kOk:
      return Channels::Status::kOk;
    case cc::ChannelStatus::kClosed:
      return Channels::Status::kClosed;
    case cc::ChannelStatus::kTimeout:
      return Channels::Status::kTimeout;
    default:  // kFull, kEmpty: only the try_ forms answer them
      return Channels::Status::kBusy;
  }
}

}  // namespace

Channels::Status Channels::send(const Value* channel, const Value* value, Deadline deadline) {
  Value* slot = heap_.new_persistent(*value);
  // A collection during the wait may move the Channel object but not its
  // Pipe, and the object stays reachable from its root slot, so the Pipe
  // is not finalized under the waiting thread.
  Pipe* pipe = pipe_of(*channel);
  const cc::ChannelStatus s = pipe->send(slot, deadline);
  // The channel took the slot only on kOk (BasicChannel moves from it then).
  if (s != cc::ChannelStatus::kOk) heap_.free_persistent(slot);
  return status_of(s);
}

Channels::Status Channels::receive(const Value* channel, Value* out, Deadline deadline) {
  Value* slot = nullptr;
  const cc::ChannelStatus s = pipe_of(*channel)->recv(slot, deadline);
  if (s != cc::ChannelStatus::kOk) return status_of(s);
  *out = *slot;
  heap_.free_persistent(slot);
  return Status::kOk;
}

Channels::Status Channels::try_send(const Value* channel, const Value* value) {
  Value* slot = heap_.new_persistent(*value);
  const cc::ChannelStatus s = pipe_of(*channel)->try_send(slot);
  if (s != cc::ChannelStatus::kOk) heap_.free_persistent(slot);
  return status_of(s);
}

Channels::Status Channels::try_receive(const Value* channel, Value* out) {
  Value* slot = nullptr;
  const cc::ChannelStatus s = pipe_of(*channel)->try_recv(slot);
  if (s != cc::ChannelStatus::kOk) return status_of(s);
  *out = *slot;
  heap_.free_persistent(slot);
  return Status::kOk;
}

void Channels::close(Value channel) {
  pipe_of(channel)->close();
}

Channels::Status Channels::select(const Value* list, std::uint64_t* index, Value* out) {
  const std::uint64_t n = types::Lists::size(*list);
  // Persistent slots keep every case (so its Channel and Pipe) alive
  // across the wait, whatever another thread does to the List meanwhile.
  std::vector<heap::Persistent> held;
  held.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) held.emplace_back(heap_, *types::Lists::get(*list, i));
  // A receive's slot is filled by the case performed; a send's holds its
  // value until then, and is given back below unless the send was done.
  std::vector<Value*> slots(n, nullptr);
  std::vector<cc::SelectCase> all;
  all.reserve(n);
  std::vector<bool> sends(n, false);
  for (std::uint64_t i = 0; i < n; ++i) {
    all.push_back(case_of(held[i].value(), slots[i]));
    sends[i] = slots[i] != nullptr;
  }
  std::vector<bool> open(n, true);
  std::vector<cc::SelectCase> cases;
  std::vector<std::uint64_t> which;
  Status status = Status::kClosed;
  *index = kEveryCase;
  for (;;) {
    cases.clear();
    which.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!open[i]) continue;
      cases.push_back(all[i]);
      which.push_back(i);
    }
    if (cases.empty()) break;
    const cc::SelectResult r = cc::select(cases);
    const std::uint64_t i = which[static_cast<std::size_t>(r.index)];
    if (r.status == cc::QueueStatus::kClosed && !sends[i]) {
      open[i] = false;
      continue;
    }
    *index = i;
    if (r.status == cc::QueueStatus::kOk) {
      status = Status::kOk;
      *out = sends[i] ? types::kNothing : *slots[i];
      if (!sends[i]) heap_.free_persistent(slots[i]);
      slots[i] = nullptr;  // a send's slot is the channel's now
    }
    break;
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    if (sends[i] && slots[i] != nullptr) heap_.free_persistent(slots[i]);
  }
  return status;
}

cc::SelectCase Channels::case_of(Value item, Value*& slot) {
  if (!is_op(item)) return pipe_of(item)->recv_case(slot);
  Pipe* pipe = pipe_of(op_slot(item, kOpChannel));
  if (op_kind(item) == Op::kReceive) return pipe->recv_case(slot);
  slot = heap_.new_persistent(op_slot(item, kOpValue));
  return pipe->send_case(slot);
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
  Value* slot = nullptr;
  const cc::SelectCase c = case_of(op, slot);
  const bool send = slot != nullptr;
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

Result<Channels::Made> Channels::make_select(heap::Mutator& m, const Value* list, Value* out) {
  auto type = selects_.type();
  if (!type) return type.error();
  const std::uint64_t n = types::Lists::size(*list);
  if (n == 0) return Made::kNotCases;
  heap::HandleScope scope(m);
  heap::Object* o = heap::allocate_array(m, *type, heap::ref_tail_bytes(kSelectFixed, n), n);
  if (o == nullptr) return Made::kOutOfMemory;
  // The items are read after the allocation (which may let other threads
  // run), and copied with initialising stores before anything collects.
  Value* cases = heap::tail_fields(o);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::optional<Value> item = types::Lists::get(*list, i);
    if (!item || !is_case(*item)) {
      for (std::uint64_t j = i; j < n; ++j) cases[j] = types::kNothing;
      return Made::kNotCases;
    }
    cases[i] = *item;
  }
  heap::Handle select(m, heap::ref_value(o));
  // A Channel becomes the ChannelOp of its receive.
  for (std::uint64_t i = 0; i < n; ++i) {
    const Value item = heap::tail_fields(heap::as_object(select.value()))[i];
    if (is_op(item)) continue;
    heap::Handle channel(m, item);
    heap::Handle op(m, types::kNothing);
    Value none = types::kNothing;
    auto made = make_op(m, Op::kReceive, channel.slot(), &none, op.slot());
    if (!made) return made.error();
    if (!*made) return Made::kOutOfMemory;
    heap::set_slot(m, heap::as_object(select.value()), 1 + i, op.value());
  }
  *out = select.value();
  return Made::kMade;
}

bool Channels::is_select(Value v) const {
  return selects_.holds(v);
}

std::uint64_t Channels::case_count(Value awaitable) const {
  return is_op(awaitable) ? 1 : heap::array_length(heap::as_object(awaitable));
}

Value Channels::case_at(Value awaitable, std::uint64_t i) const {
  return is_op(awaitable) ? awaitable : heap::tail_fields(heap::as_object(awaitable))[i];
}

Channels::Status Channels::attempt_cases(Value awaitable, std::uint64_t first, std::uint64_t* index,
                                         Value* out, std::vector<concurrency::WaitList*>* lists) {
  const std::uint64_t n = case_count(awaitable);
  lists->assign(n, nullptr);
  bool busy = false;
  for (std::uint64_t k = 0; k < n; ++k) {
    const std::uint64_t i = (first + k) % n;
    const Value op = case_at(awaitable, i);
    concurrency::WaitList* list = nullptr;
    const Status s = attempt(op, out, &list);
    if (s == Status::kBusy) {
      (*lists)[i] = list;
      busy = true;
    } else if (s == Status::kOk || op_kind(op) == Op::kSend) {
      *index = i;
      return s;
    }
  }
  if (busy) return Status::kBusy;
  *index = kEveryCase;
  return Status::kClosed;
}

}  // namespace runa::bridge
