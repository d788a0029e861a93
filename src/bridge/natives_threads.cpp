// The natives of threads and channels for programs (docs/natives.md,
// "Threads, channels and locks"), over the runtime's Threads and Channels
// (threads.hpp, channels.hpp): spawning, naming and joining threads, and
// channels; the locks' natives are in natives_sync.cpp.
#include "bridge/native_args.hpp"
#include "bridge/runtime_impl.hpp"

namespace runa::bridge {

namespace {

Channels& channels(NativeCall& call) {
  return rt::impl_of(*call.thread).channels();
}
Threads& threads(NativeCall& call) {
  return rt::impl_of(*call.thread).program_threads();
}

// Runs f() on a new thread: the Thread.
NativeStatus thread_spawn(NativeCall& call) {
  if (!threads(call).spawn(*call.thread, call.args[0], {}, &call.result)) return thrown_by(call);
  return NativeStatus::kReturn;
}

// The String argument i as a thread's name: nullopt with *failed set to
// the TypeError or ValueError.
std::optional<std::string> name_arg(NativeCall& call, std::string_view native, std::size_t i,
                                    NativeStatus* failed) {
  if (!call.types.strings().is_string(*call.args[i])) {
    *failed = wrong_argument(call, native, i, "a String");
    return std::nullopt;
  }
  std::string name = text_arg(call, i);
  if (auto bad = Threads::bad_name(name)) {
    *failed = raise(call, "ValueError", std::string(native) + ": " + *bad);
    return std::nullopt;
  }
  return name;
}

// Runs f() on a new thread called `name` (dumps show it): the Thread.
NativeStatus thread_spawn_named(NativeCall& call) {
  NativeStatus failed{};
  auto name = name_arg(call, "thread_spawn_named", 1, &failed);
  if (!name) return failed;
  if (!threads(call).spawn(*call.thread, call.args[0], std::move(*name), &call.result)) {
    return thrown_by(call);
  }
  return NativeStatus::kReturn;
}

// The calling thread's name.
NativeStatus thread_name(NativeCall& call) {
  return return_text(call, call.thread->name);
}

// Renames the calling thread. Refused in a behaviour: it runs on one of
// the actors' pool threads, whose name says what they are in every dump.
NativeStatus thread_set_name(NativeCall& call) {
  NativeStatus failed{};
  auto name = name_arg(call, "thread_set_name", 0, &failed);
  if (!name) return failed;
  if (Actors::in_behaviour()) {
    return raise(call, "ValueError",
                 "thread_set_name: a behaviour runs on one of the actors' pool threads, which "
                 "keep their names");
  }
  Threads::rename(*call.thread, std::move(*name));
  call.result = types::kNothing;
  return NativeStatus::kReturn;
}

// Waits for the thread: what its function returned; what it threw is
// thrown again here.
NativeStatus thread_join(NativeCall& call) {
  if (!threads(call).is_thread(*call.args[0])) {
    return wrong_argument(call, "thread_join", 0, "a Thread");
  }
  if (!threads(call).join(*call.thread, call.args[0], &call.result)) return thrown_by(call);
  return NativeStatus::kReturn;
}

// A channel holding up to `capacity` values (rounded up to a power of
// two), or any number when capacity is 0.
NativeStatus channel_new(NativeCall& call) {
  constexpr std::int64_t kLargest = std::int64_t{1} << 20;
  NativeStatus failed{};
  const auto capacity = int_arg(call, "channel_new", 0, &failed);
  if (!capacity) return failed;
  if (*capacity < 0 || *capacity > kLargest) {
    return raise(call, "ValueError",
                 "channel_new: a capacity is 0 (unbounded) to " + std::to_string(kLargest) +
                     ", not " + std::to_string(*capacity));
  }
  auto made = channels(call).make(call.m, static_cast<std::uint64_t>(*capacity), &call.result);
  if (!made) return raise(call, "ValueError", "channel_new: " + made.error().message);
  return *made ? NativeStatus::kReturn : NativeStatus::kOutOfMemory;
}

std::optional<NativeStatus> want_channel(NativeCall& call, std::string_view native) {
  if (channels(call).is_channel(*call.args[0])) return std::nullopt;
  return wrong_argument(call, native, 0, "a Channel");
}

// Sends the value, waiting while the channel is full.
NativeStatus channel_send(NativeCall& call) {
  if (auto bad = want_channel(call, "channel_send")) return *bad;
  if (channels(call).send(call.args[0], call.args[1]) != Channels::Status::kOk) {
    return raise(call, "ValueError", "channel_send: the channel is closed");
  }
  return NativeStatus::kReturn;
}

// The oldest value sent, waiting while there is none; ValueError once the
// channel is closed and every value sent before was received.
NativeStatus channel_receive(NativeCall& call) {
  if (auto bad = want_channel(call, "channel_receive")) return *bad;
  if (channels(call).receive(call.args[0], &call.result) != Channels::Status::kOk) {
    return raise(call, "ValueError", "channel_receive: the channel is closed and empty");
  }
  return NativeStatus::kReturn;
}

// Closes the channel: final; waiting senders and receivers wake.
NativeStatus channel_close(NativeCall& call) {
  if (auto bad = want_channel(call, "channel_close")) return *bad;
  Channels::close(*call.args[0]);
  return NativeStatus::kReturn;
}

}  // namespace

void add_thread_natives(Natives& natives) {
  natives.add("thread_spawn", 1, thread_spawn);
  natives.add("thread_join", 1, thread_join);
  natives.add("thread_spawn_named", 2, thread_spawn_named);
  natives.add("thread_name", 0, thread_name);
  natives.add("thread_set_name", 1, thread_set_name);
  natives.add("channel_new", 1, channel_new);
  natives.add("channel_send", 2, channel_send);
  natives.add("channel_receive", 1, channel_receive);
  natives.add("channel_close", 1, channel_close);
}

}  // namespace runa::bridge
