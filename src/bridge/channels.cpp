#include "bridge/channels.hpp"

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "concurrency/channel/channel.hpp"

namespace runa::bridge {

namespace {

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

Pipe* pipe_of(Value channel) {
  // The raw word holds the address make() stored: a pointer, round-tripped.
  return reinterpret_cast<Pipe*>(  // NOLINT(performance-no-int-to-ptr)
      heap::as_object(channel)->slots()[0]);
}

// The heap's Finalizer signature: the slot is the heap's handle.
// Every Pipe not yet freed, by number, across runtimes: a Pipe is freed
// once, by whichever comes first — its Channel's finalizer or the end of
// its runtime (finalizers still pending when a heap is destroyed never run,
// docs/memory.md). Immortal, so a finalizer running while a runtime ends
// only ever touches a live table.
struct Pipes {
  std::mutex mu;
  std::unordered_map<std::uint64_t, std::unique_ptr<Pipe>> live;
  std::uint64_t next = 1;

  static Pipes& all() {
    static auto* pipes = new Pipes;  // never destroyed: see above
    return *pipes;
  }
  // Takes the Pipe numbered n out of the table (nullptr: freed already).
  std::unique_ptr<Pipe> take(std::uint64_t n) {
    std::lock_guard lock(mu);
    auto it = live.find(n);
    if (it == live.end()) return nullptr;
    std::unique_ptr<Pipe> p = std::move(it->second);
    live.erase(it);
    return p;
  }
};

void finalize(heap::Mutator& /*m*/, Value* channel) {  // NOLINT(readability-non-const-parameter)
  Pipes::all().take(heap::as_object(*channel)->slots()[1]);
}

}  // namespace

bool Channels::is_channel(Value v) const {
  return type_ != 0 && heap::is_ref(v) && v != 0 &&
         heap::hdr::type_of(heap::as_object(v)->load_header()) == type_;
}

Result<bool> Channels::make(heap::Mutator& m, std::uint64_t capacity, Value* out) {
  std::call_once(registered_, [&] {
    heap::Layout l;
    l.size = 24;  // header, the Pipe's address, its number in Pipes
    l.finalizable = true;
    l.finalizer = &finalize;
    l.name = "Channel";
    if (auto t = heap_.register_layout(l)) type_ = *t;
  });
  if (type_ == 0) {
    Error e;
    e.section = "channels";
    e.message = "the heap's layout table is full";
    return e;
  }
  heap::Object* o = heap::allocate_finalizable(m, type_, 24);
  if (o == nullptr) return false;
  auto pipe = std::make_unique<Pipe>(heap_, capacity);
  o->slots()[0] = reinterpret_cast<Value>(pipe.get());
  Pipes& pipes = Pipes::all();
  std::lock_guard lock(pipes.mu);
  o->slots()[1] = pipes.next;
  pipes.live.emplace(pipes.next++, std::move(pipe));
  *out = heap::ref_value(o);
  return true;
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

Channels::~Channels() {
  Pipes& pipes = Pipes::all();
  std::vector<std::unique_ptr<Pipe>> freed;  // freed after the lock: ~Pipe gives slots back
  std::lock_guard lock(pipes.mu);
  for (auto it = pipes.live.begin(); it != pipes.live.end();) {
    if (&it->second->heap == &heap_) {
      freed.push_back(std::move(it->second));
      it = pipes.live.erase(it);
    } else {
      ++it;
    }
  }
}

void Channels::close(Value channel) {
  pipe_of(channel)->close();
}

}  // namespace runa::bridge
