// The natives of thread-local storage for programs (docs/natives.md,
// "Thread-local storage"): thread_local_new, thread_local_get and
// thread_local_set over the runtime's ThreadLocals (thread_locals.hpp).
#include "bridge/native_args.hpp"
#include "bridge/runtime_impl.hpp"

namespace runa::bridge {

namespace {

ThreadLocals& locals(NativeCall& call) {
  return rt::impl_of(*call.thread).thread_locals();
}

// A new ThreadLocal key: every thread sees `initial` until it sets its own.
NativeStatus thread_local_new(NativeCall& call) {
  auto made = locals(call).make_key(call.m, call.args[0], &call.result);
  if (!made) return raise(call, "ValueError", "thread_local_new: " + made.error().message);
  return *made ? NativeStatus::kReturn : NativeStatus::kOutOfMemory;
}

std::optional<NativeStatus> want_key(NativeCall& call, std::string_view native) {
  if (locals(call).is_key(*call.args[0])) return std::nullopt;
  return wrong_argument(call, native, 0, "a ThreadLocal");
}

// The calling thread's value of the key, or its initial value.
NativeStatus thread_local_get(NativeCall& call) {
  if (auto bad = want_key(call, "thread_local_get")) return *bad;
  call.result = ThreadLocals::get(*call.thread, *call.args[0]);
  return NativeStatus::kReturn;
}

// Sets the calling thread's value of the key; other threads keep theirs.
NativeStatus thread_local_set(NativeCall& call) {
  if (auto bad = want_key(call, "thread_local_set")) return *bad;
  locals(call).set(*call.thread, *call.args[0], *call.args[1]);
  call.result = types::kNothing;
  return NativeStatus::kReturn;
}

}  // namespace

void add_thread_local_natives(Natives& natives) {
  natives.add("thread_local_new", 1, thread_local_new);
  natives.add("thread_local_get", 1, thread_local_get);
  natives.add("thread_local_set", 2, thread_local_set);
}

}  // namespace runa::bridge
