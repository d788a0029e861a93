// What the natives share: reading their arguments and returning text
// (natives.hpp gives the calling convention). Text arguments are copied out
// of the heap before anything allocates, since a String's bytes may move at
// any allocation.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bridge/natives.hpp"
#include "runatime/runtime.hpp"

namespace runa::bridge {

// The UTF-8 bytes of the String argument i, copied (flattening a rope
// would allocate; append_to reads any String without allocating).
inline std::string text_arg(const NativeCall& call, std::size_t i) {
  std::string out;
  call.types.strings().append_to(*call.args[i], out);
  return out;
}

// Argument i, a String, made flat in its slot (a rope is replaced by its
// flat string, which equals it), so the native reads its bytes in place:
// false when the heap is exhausted. MAY COLLECT.
inline bool flatten_arg(NativeCall& call, std::size_t i) {
  const types::Strings& strings = call.types.strings();
  if (strings.is_flat(*call.args[i])) return true;
  const Value flat = strings.flatten(call.m, heap::Handle(call.args[i]));
  if (flat == types::kNothing) return false;
  *call.args[i] = flat;
  return true;
}

inline NativeStatus return_text(NativeCall& call, std::string_view text) {
  const Value s = call.types.strings().make(call.m, text);
  if (s == types::kNothing) return NativeStatus::kOutOfMemory;
  call.result = s;
  return NativeStatus::kReturn;
}

// Arguments 0 .. count-1 must be Strings: nullopt when they are, else the
// TypeError to return for the first that is not.
inline std::optional<NativeStatus> want_strings(NativeCall& call, std::string_view native,
                                                std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!call.types.strings().is_string(*call.args[i])) {
      return wrong_argument(call, native, i, "a String");
    }
  }
  return std::nullopt;
}

// Argument i as an Integer: nullopt with *failed set to the TypeError.
inline std::optional<std::int64_t> int_arg(NativeCall& call, std::string_view native, std::size_t i,
                                           NativeStatus* failed) {
  const Value v = *call.args[i];
  if (types::is_int(call.types.context(), v)) return types::as_int(v);
  *failed = wrong_argument(call, native, i, "an Integer");
  return std::nullopt;
}

// Argument i as a Float (an Integer is converted, as CAST to Float does).
inline std::optional<double> float_arg(NativeCall& call, std::string_view native, std::size_t i,
                                       NativeStatus* failed) {
  const Value v = *call.args[i];
  if (types::is_float(call.types.context(), v)) return types::as_double(v);
  if (types::is_int(call.types.context(), v)) return static_cast<double>(types::as_int(v));
  *failed = wrong_argument(call, native, i, "a Float");
  return std::nullopt;
}

inline NativeStatus return_value(NativeCall& call, Value v) {
  if (v == types::kNothing) return NativeStatus::kOutOfMemory;
  call.result = v;
  return NativeStatus::kReturn;
}

// The natives of docs/natives.md, by family (core_natives.cpp adds them all).
// A call into the runtime that failed left its exception in the thread:
// hand it to the native's caller, which throws it again (its trace kept).
inline NativeStatus thrown_by(NativeCall& call) {
  call.thrown = call.thread->exception;
  call.thread->exception = types::kNothing;
  call.thread->trace = types::kNothing;
  return call.thrown == types::kNothing ? NativeStatus::kOutOfMemory : NativeStatus::kThrow;
}

void add_text_natives(Natives& natives);
void add_math_natives(Natives& natives);
void add_list_natives(Natives& natives);
void add_system_natives(Natives& natives);
void add_task_natives(Natives& natives);
void add_thread_natives(Natives& natives);
void add_channel_op_natives(Natives& natives);
void add_sync_natives(Natives& natives);
void add_actor_natives(Natives& natives);
void add_thread_local_natives(Natives& natives);

}  // namespace runa::bridge
