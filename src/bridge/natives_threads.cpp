// The natives of threads and channels for programs (docs/natives.md,
// "Threads, channels and locks"), over the runtime's Threads and Channels
// (threads.hpp, channels.hpp); the locks' natives are in natives_sync.cpp.
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
  if (!threads(call).spawn(*call.thread, call.args[0], &call.result)) return thrown_by(call);
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
  natives.add("channel_new", 1, channel_new);
  natives.add("channel_send", 2, channel_send);
  natives.add("channel_receive", 1, channel_receive);
  natives.add("channel_close", 1, channel_close);
}

}  // namespace runa::bridge
