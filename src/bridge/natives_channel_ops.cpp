// The awaitable channel natives (docs/natives.md, "Threads, channels and
// locks"): channel_receive_async and channel_send_async make a ChannelOp
// (channels.hpp) that an async function AWAITs; the AWAIT (ops_await.cpp)
// suspends only its task while the channel is empty or full.
#include "bridge/native_args.hpp"
#include "bridge/runtime_impl.hpp"

namespace runa::bridge {

namespace {

NativeStatus make_op(NativeCall& call, std::string_view native, Channels::Op op, Value* value) {
  Channels& channels = rt::impl_of(*call.thread).channels();
  if (!channels.is_channel(*call.args[0])) return wrong_argument(call, native, 0, "a Channel");
  auto made = channels.make_op(call.m, op, call.args[0], value, &call.result);
  if (!made) return raise(call, "ValueError", std::string(native) + ": " + made.error().message);
  return *made ? NativeStatus::kReturn : NativeStatus::kOutOfMemory;
}

// A ChannelOp whose AWAIT is the oldest value sent.
NativeStatus channel_receive_async(NativeCall& call) {
  Value none = types::kNothing;  // not a reference: the collector never writes it
  return make_op(call, "channel_receive_async", Channels::Op::kReceive, &none);
}

// A ChannelOp whose AWAIT sends the value (nothing).
NativeStatus channel_send_async(NativeCall& call) {
  return make_op(call, "channel_send_async", Channels::Op::kSend, call.args[1]);
}

}  // namespace

void add_channel_op_natives(Natives& natives) {
  natives.add("channel_receive_async", 1, channel_receive_async);
  natives.add("channel_send_async", 2, channel_send_async);
}

}  // namespace runa::bridge
