// The awaitable channel natives (docs/natives.md, "Threads, channels and
// locks"): channel_receive_async and channel_send_async make a ChannelOp
// (channels.hpp) that an async function AWAITs; the AWAIT (ops_await.cpp)
// suspends only its task while the channel is empty or full; and select
// over several receives and sends: channel_select, a thread's wait, and
// channel_select_async, a ChannelSelect whose AWAIT suspends only its task.
#include <string>

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

constexpr std::string_view kCases = "a non-empty List of Channels and ChannelOps";

// Performs the first case of a List to be able to: a Channel is a receive,
// a ChannelOp (channel_receive_async, channel_send_async) its receive or
// send. The List [position, value] (nothing for a send); receives from
// channels closed and drained are left out, and when every case is one:
// ValueError; a send to a closed channel: ValueError.
NativeStatus channel_select(NativeCall& call) {
  Channels& channels = rt::impl_of(*call.thread).channels();
  const Value list = *call.args[0];
  bool ok = call.types.lists().is_list(list) && types::Lists::size(list) > 0;
  for (std::uint64_t i = 0; ok && i < types::Lists::size(list); ++i) {
    ok = channels.is_case(*types::Lists::get(list, i));
  }
  if (!ok) return wrong_argument(call, "channel_select", 0, kCases);
  heap::HandleScope scope(call.m);
  // Made before the wait: once a case took effect nothing may fail.
  heap::Handle pair(call.m, call.types.lists().make(call.m, 2));
  if (pair.value() == types::kNothing) return NativeStatus::kOutOfMemory;
  std::uint64_t index = 0;
  heap::Handle value(call.m, types::kNothing);
  if (channels.select(call.args[0], &index, value.slot()) != Channels::Status::kOk) {
    return raise(
        call, "ValueError",
        index == Channels::kEveryCase
            ? std::string("channel_select: every channel is closed and empty")
            : "channel_select: the channel of case " + std::to_string(index) + " is closed");
  }
  heap::Handle position(call.m, types::make_small_int(static_cast<std::int64_t>(index)));
  // Room for two was made: these appends never allocate.
  (void)call.types.lists().append(call.m, pair, position);
  (void)call.types.lists().append(call.m, pair, value);
  call.result = pair.value();
  return NativeStatus::kReturn;
}

// A ChannelSelect of the cases of a List (as channel_select takes them),
// whose AWAIT performs the first that can, as channel_select does, while
// only the awaiting task waits.
NativeStatus channel_select_async(NativeCall& call) {
  if (!call.types.lists().is_list(*call.args[0])) {
    return wrong_argument(call, "channel_select_async", 0, kCases);
  }
  auto made = rt::impl_of(*call.thread).channels().make_select(call.m, call.args[0], &call.result);
  if (!made) return raise(call, "ValueError", "channel_select_async: " + made.error().message);
  switch (*made) {
    case Channels::Made::kMade:
      return NativeStatus::kReturn;
    case Channels::Made::kOutOfMemory:
      return NativeStatus::kOutOfMemory;
    case Channels::Made::kNotCases:
      break;
  }
  return wrong_argument(call, "channel_select_async", 0, kCases);
}

}  // namespace

void add_channel_op_natives(Natives& natives) {
  natives.add("channel_receive_async", 1, channel_receive_async);
  natives.add("channel_send_async", 2, channel_send_async);
  natives.add("channel_select", 1, channel_select);
  natives.add("channel_select_async", 1, channel_select_async);
}

}  // namespace runa::bridge
