// The awaitable channel natives (docs/natives.md, "Threads, channels and
// locks"): channel_receive_async and channel_send_async make a ChannelOp
// (channels.hpp) that an async function AWAITs; the AWAIT (ops_await.cpp)
// suspends only its task while the channel is empty or full; and
// channel_select, a thread's wait on the first of several channels.
#include "bridge/native_args.hpp"
#include "bridge/runtime_impl.hpp"
#include "types/list.hpp"

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

// Receives from the first of a List of Channels to have a value: the List
// [position, value]; channels closed and drained are left out, and when
// every one is: ValueError.
NativeStatus channel_select(NativeCall& call) {
  Channels& channels = rt::impl_of(*call.thread).channels();
  const Value list = *call.args[0];
  bool ok = call.types.lists().is_list(list) && types::Lists::size(list) > 0;
  for (std::uint64_t i = 0; ok && i < types::Lists::size(list); ++i) {
    ok = channels.is_channel(*types::Lists::get(list, i));
  }
  if (!ok) return wrong_argument(call, "channel_select", 0, "a non-empty List of Channels");
  std::uint64_t index = 0;
  heap::HandleScope scope(call.m);
  heap::Handle value(call.m, types::kNothing);
  if (channels.select_receive(call.args[0], &index, value.slot()) != Channels::Status::kOk) {
    return raise(call, "ValueError", "channel_select: every channel is closed and empty");
  }
  heap::Handle position(call.m, types::make_small_int(static_cast<std::int64_t>(index)));
  heap::Handle pair(call.m, call.types.lists().make(call.m, 2));
  if (pair.value() == types::kNothing || !call.types.lists().append(call.m, pair, position) ||
      !call.types.lists().append(call.m, pair, value)) {
    return NativeStatus::kOutOfMemory;
  }
  call.result = pair.value();
  return NativeStatus::kReturn;
}

}  // namespace

void add_channel_op_natives(Natives& natives) {
  natives.add("channel_receive_async", 1, channel_receive_async);
  natives.add("channel_send_async", 2, channel_send_async);
  natives.add("channel_select", 1, channel_select);
}

}  // namespace runa::bridge
