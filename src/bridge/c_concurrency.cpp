// The concurrency part of the C ABI (include/runatime/c/concurrency.h)
// over the machinery the program natives use: the runtime's Channels
// (channels.hpp) for rt_channel_*, its Actors (actors.hpp) for rt_actor_*
// and rt_job_* (the actors' pool), and CBehaviours (c_concurrency.hpp) for
// actors whose behaviour is a C function.
//
// What it adds to the natives is the C side only: arguments copied into
// handles for the call (a call that waits may collect and move them),
// timeouts turned into deadlines, and outcomes turned into statuses. An
// outcome the natives raise as an exception and the ABI reports as a
// status (a closed channel, a stopped actor, a timeout) leaves no
// exception on the thread: its message becomes the last error.
// RT_ERROR_THROWN keeps the exception in flight, as rt_call does.
#include "bridge/c_concurrency.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bridge/actor_core.hpp"
#include "bridge/runtime_impl.hpp"
#include "concurrency/sync/latch.hpp"
#include "runatime.h"
#include "services/c_abi.hpp"

namespace {

using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::null_argument;
namespace rt = runa::rt;
namespace bridge = runa::bridge;
namespace heap = runa::heap;
using heap::Value;
using runa::types::kNothing;

// The shared opening of every call on a thread: the C++ exception guard,
// then the thread checked and turned into the runtime's.
template <class F>
rt_status on_thread(const char* fn, rt_thread* thread, F&& body) {
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    return body(rt::thread_of(thread));
  });
}

rt_thread* as_c(rt::Thread& t) {
  return reinterpret_cast<rt_thread*>(&t);
}

// A CBehaviour's words: the C function, then its context.
constexpr std::size_t kFn = 0;
constexpr std::size_t kContext = 1;
constexpr std::uint32_t kBehaviourBytes = 8 + 8 * 2;

heap::Layout behaviour_layout() {
  heap::Layout l;
  l.kind = heap::LayoutKind::kPlain;
  l.size = kBehaviourBytes;
  l.refs = 0;
  l.name = "CBehaviour";
  return l;
}

// "Type: message" of the exception in flight on t.
std::string exception_text(rt::Thread& t) {
  return bridge::describe_thrown(rt::impl_of(t).types(), t.exception);
}

// The exception in flight on t reported as `status` (its text the last
// error) and cleared: OutOfMemory is always RT_ERROR_OUT_OF_MEMORY.
rt_status refused(rt::Thread& t, rt_status status, const char* fn) {
  std::string text = exception_text(t);
  if (text.rfind("OutOfMemory", 0) == 0) status = RT_ERROR_OUT_OF_MEMORY;
  t.exception = kNothing;
  t.trace = kNothing;
  return fail(status, fn, text);
}

rt_status thrown(const char* fn) {
  return fail(RT_ERROR_THROWN, fn, "an exception is in flight on the thread (rt_exception_text)");
}

// A timeout in milliseconds as a deadline (nullopt: RT_WAIT_FOREVER);
// false for a negative timeout other than RT_WAIT_FOREVER.
bool deadline_of(int64_t timeout_ms, bridge::Channels::Deadline* out) {
  if (timeout_ms == RT_WAIT_FOREVER) {
    *out = std::nullopt;
    return true;
  }
  if (timeout_ms < 0) return false;
  // Capped as actor asks are: a deadline past the clock's range would wrap.
  const int64_t ms = std::min<int64_t>(timeout_ms, bridge::Actors::kLongestAsk);
  *out = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  return true;
}

rt_status bad_timeout(const char* fn, int64_t timeout_ms) {
  return fail(RT_ERROR_INVALID_ARGUMENT, fn,
              "timeout_ms is " + std::to_string(timeout_ms) +
                  ": 0 or more milliseconds, or RT_WAIT_FOREVER");
}

bridge::Channels& channels(rt::Thread& t) {
  return rt::impl_of(t).channels();
}
bridge::Actors& actors(rt::Thread& t) {
  return rt::impl_of(t).actors();
}

rt_status not_channel(const char* fn) {
  return fail(RT_ERROR_INVALID_ARGUMENT, fn, "the value is not a Channel");
}
rt_status not_actor(const char* fn, const char* what = "actor") {
  return fail(RT_ERROR_INVALID_ARGUMENT, fn, std::string(what) + " is not an Actor");
}

// A Channels outcome as a status; `waiting` says what a timeout gave up on.
rt_status channel_status(bridge::Channels::Status s, const char* fn, const char* busy,
                         int64_t timeout_ms) {
  switch (s) {
    case bridge::Channels::Status::kOk:
      return RT_OK;
    case bridge::Channels::Status::kClosed:
      return fail(RT_ERROR_CLOSED, fn, "the channel is closed");
    case bridge::Channels::Status::kTimeout:
      return fail(RT_ERROR_TIMEOUT, fn,
                  "the timeout of " + std::to_string(timeout_ms) + " ms passed first");
    case bridge::Channels::Status::kBusy:
      break;
  }
  return fail(RT_ERROR_WOULD_BLOCK, fn, busy);
}

// The runtime's CBehaviours: the context of its native (c_concurrency.hpp).
const bridge::CBehaviours* behaviours_of(rt::Thread& t) {
  const rt::FunctionInfo* f = rt::impl_of(t).native_function(bridge::CBehaviours::kNative);
  if (f == nullptr || f->native == nullptr) return nullptr;
  return static_cast<const bridge::CBehaviours*>(
      static_cast<const bridge::Native*>(f->native)->context);
}

// The native running a C behaviour's turn: (state, message) -> state.
bridge::NativeStatus run_behaviour(bridge::NativeCall& call) {
  const auto* self = static_cast<const bridge::CBehaviours*>(call.native->context);
  if (!self->layout.holds(*call.args[0])) {
    return bridge::wrong_argument(call, bridge::CBehaviours::kNative, 0,
                                  "the state of a C behaviour (made by rt_actor_spawn)");
  }
  const Value* words = heap::as_object(*call.args[0])->slots();
  // The words hold what rt_actor_spawn stored: pointers, round-tripped.
  auto fn = reinterpret_cast<rt_actor_fn>(words[kFn]);       // NOLINT(performance-no-int-to-ptr)
  auto* context = reinterpret_cast<void*>(words[kContext]);  // NOLINT(performance-no-int-to-ptr)
  const rt_status s = fn(as_c(*call.thread), *call.args[1], context);
  if (s == RT_OK) {
    call.result = *call.args[0];  // re-read: the behaviour may have collected
    return bridge::NativeStatus::kReturn;
  }
  if (s == RT_ERROR_THROWN && call.thread->exception != kNothing) {
    call.thrown = call.thread->exception;
    return bridge::NativeStatus::kThrow;
  }
  return bridge::raise(
      call, "ValueError",
      std::string("a C behaviour returned ") + rt_status_name(s) + ": " + rt_last_error());
}

}  // namespace

namespace runa::bridge {

CBehaviours::CBehaviours(rt::Runtime& r) : layout(r.heap(), behaviour_layout()) {
  // The name is the C ABI's own: no native of the runtime's takes it.
  r.impl().add_native(kNative, 2, run_behaviour, this);
}

}  // namespace runa::bridge

// A job on the pool (rt_job_start): shared by the caller's handle and the
// worker running it, so the worker's last touch (opening the latch) never
// races the waiter freeing the handle.
struct rt_job {
  struct State {
    rt_job_fn fn = nullptr;
    void* context = nullptr;
    runa::concurrency::Latch done{1};
    rt_status status = RT_OK;  // written before done opens, read after
    std::string error;
  };
  std::shared_ptr<State> state;
};

extern "C" {

// ---- channels --------------------------------------------------------------------------------

rt_status rt_channel_new(rt_thread* thread, uint64_t capacity, rt_value* out) noexcept {
  constexpr const char* fn = "rt_channel_new";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    if (capacity > RT_CHANNEL_MAX_CAPACITY) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "capacity " + std::to_string(capacity) + " is above RT_CHANNEL_MAX_CAPACITY");
    }
    Value made = kNothing;
    auto ok = channels(t).make(*t.m, capacity, &made);
    if (!ok) return fail(RT_ERROR_OUT_OF_MEMORY, fn, ok.error().message);
    if (!*ok) return fail(RT_ERROR_OUT_OF_MEMORY, fn, "the heap is full");
    *out = made;
    return RT_OK;
  });
}

rt_status rt_channel_send(rt_thread* thread, rt_value channel, rt_value value,
                          int64_t timeout_ms) noexcept {
  constexpr const char* fn = "rt_channel_send";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (!channels(t).is_channel(channel)) return not_channel(fn);
    bridge::Channels::Deadline deadline;
    if (!deadline_of(timeout_ms, &deadline)) return bad_timeout(fn, timeout_ms);
    heap::HandleScope scope(*t.m);
    const heap::Handle c(*t.m, channel);
    const heap::Handle v(*t.m, value);
    return channel_status(channels(t).send(c.slot(), v.slot(), deadline), fn, "the channel is full",
                          timeout_ms);
  });
}

rt_status rt_channel_receive(rt_thread* thread, rt_value channel, int64_t timeout_ms,
                             rt_value* out) noexcept {
  constexpr const char* fn = "rt_channel_receive";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    if (!channels(t).is_channel(channel)) return not_channel(fn);
    bridge::Channels::Deadline deadline;
    if (!deadline_of(timeout_ms, &deadline)) return bad_timeout(fn, timeout_ms);
    heap::HandleScope scope(*t.m);
    const heap::Handle c(*t.m, channel);
    const heap::Handle result(*t.m, kNothing);
    const rt_status s = channel_status(channels(t).receive(c.slot(), result.slot(), deadline), fn,
                                       "the channel is empty", timeout_ms);
    if (s == RT_OK) *out = result.value();
    return s;
  });
}

rt_status rt_channel_try_send(rt_thread* thread, rt_value channel, rt_value value) noexcept {
  constexpr const char* fn = "rt_channel_try_send";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (!channels(t).is_channel(channel)) return not_channel(fn);
    return channel_status(channels(t).try_send(&channel, &value), fn, "the channel is full", 0);
  });
}

rt_status rt_channel_try_receive(rt_thread* thread, rt_value channel, rt_value* out) noexcept {
  constexpr const char* fn = "rt_channel_try_receive";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    if (!channels(t).is_channel(channel)) return not_channel(fn);
    Value got = kNothing;
    const rt_status s =
        channel_status(channels(t).try_receive(&channel, &got), fn, "the channel is empty", 0);
    if (s == RT_OK) *out = got;
    return s;
  });
}

rt_status rt_channel_close(rt_thread* thread, rt_value channel) noexcept {
  constexpr const char* fn = "rt_channel_close";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (!channels(t).is_channel(channel)) return not_channel(fn);
    bridge::Channels::close(channel);
    return RT_OK;
  });
}

// ---- actors ----------------------------------------------------------------------------------

}  // extern "C"

namespace {

// Actors::spawn with the behaviour and state in handles: the Actor in *out.
rt_status spawn(rt::Thread& t, const char* fn, Value behaviour, Value state, uint64_t capacity,
                rt_value* out) {
  heap::HandleScope scope(*t.m);
  const heap::Handle b(*t.m, behaviour);
  const heap::Handle s(*t.m, state);
  const heap::Handle result(*t.m, kNothing);
  if (!actors(t).spawn(t, b.slot(), s.slot(), result.slot(), capacity)) {
    return refused(t, RT_ERROR_INTERNAL, fn);
  }
  *out = result.value();
  return RT_OK;
}

}  // namespace

extern "C" {

rt_status rt_actor_spawn(rt_thread* thread, rt_actor_fn behaviour, void* context, uint64_t capacity,
                         rt_value* out) noexcept {
  constexpr const char* fn = "rt_actor_spawn";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (behaviour == nullptr) return null_argument(fn, "fn");
    if (out == nullptr) return null_argument(fn, "out");
    const bridge::CBehaviours* self = behaviours_of(t);
    if (self == nullptr) {
      return fail(RT_ERROR_INVALID_STATE, fn, "the runtime was not made by rt_runtime_create");
    }
    auto type = self->layout.type();
    if (!type) return fail(RT_ERROR_OUT_OF_MEMORY, fn, type.error().message);
    heap::Object* o = heap::allocate(*t.m, *type, kBehaviourBytes);
    if (o == nullptr) return fail(RT_ERROR_OUT_OF_MEMORY, fn, "the heap is full");
    o->slots()[kFn] = reinterpret_cast<Value>(behaviour);
    o->slots()[kContext] = reinterpret_cast<Value>(context);
    const Value state = heap::ref_value(o);
    const rt::FunctionInfo* native = rt::impl_of(t).native_function(bridge::CBehaviours::kNative);
    // The native's Function object is in a root slot; the state is passed
    // on at once, before anything may collect.
    return spawn(t, fn, *native->object, state, capacity, out);
  });
}

rt_status rt_actor_spawn_function(rt_thread* thread, rt_value behaviour, rt_value state,
                                  uint64_t capacity, rt_value* out) noexcept {
  constexpr const char* fn = "rt_actor_spawn_function";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    if (rt::ops::callee(t, behaviour, 2) == nullptr) {
      return refused(t, RT_ERROR_INVALID_ARGUMENT, fn);
    }
    return spawn(t, fn, behaviour, state, capacity, out);
  });
}

}  // extern "C"

namespace {

// Actors::send, waiting for room or (try) not.
rt_status send(rt_thread* thread, const char* fn, rt_value actor, rt_value message, bool wait) {
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (!actors(t).is_actor(actor)) return not_actor(fn);
    heap::HandleScope scope(*t.m);
    const heap::Handle a(*t.m, actor);
    const heap::Handle m(*t.m, message);
    bool delivered = true;
    // Refused only when the actor is stopping or stopped (actors.hpp).
    if (!actors(t).send(t, a.slot(), m.slot(), wait ? nullptr : &delivered)) {
      return refused(t, RT_ERROR_CLOSED, fn);
    }
    if (!delivered) return fail(RT_ERROR_WOULD_BLOCK, fn, "the actor's mailbox is full");
    return RT_OK;
  });
}

rt_status refuse_in_behaviour(const char* fn) {
  return fail(RT_ERROR_INVALID_STATE, fn,
              "a behaviour cannot wait for an actor (it holds one of the pool's few workers, "
              "which the actor it waits for may need)");
}

}  // namespace

extern "C" {

rt_status rt_actor_send(rt_thread* thread, rt_value actor, rt_value message) noexcept {
  return send(thread, "rt_actor_send", actor, message, true);
}

rt_status rt_actor_try_send(rt_thread* thread, rt_value actor, rt_value message) noexcept {
  return send(thread, "rt_actor_try_send", actor, message, false);
}

rt_status rt_actor_ask(rt_thread* thread, rt_value actor, rt_value message, int64_t timeout_ms,
                       rt_value* out) noexcept {
  constexpr const char* fn = "rt_actor_ask";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    if (!actors(t).is_actor(actor)) return not_actor(fn);
    if (timeout_ms < 0 && timeout_ms != RT_WAIT_FOREVER) return bad_timeout(fn, timeout_ms);
    if (bridge::Actors::in_behaviour()) return refuse_in_behaviour(fn);
    std::optional<std::int64_t> millis;
    if (timeout_ms != RT_WAIT_FOREVER) millis = timeout_ms;
    heap::HandleScope scope(*t.m);
    const heap::Handle a(*t.m, actor);
    const heap::Handle m(*t.m, message);
    const heap::Handle result(*t.m, kNothing);
    bridge::Actors::AskFailure why{};
    if (!actors(t).ask(t, a.slot(), m.slot(), result.slot(), millis, &why)) {
      switch (why) {
        case bridge::Actors::AskFailure::kStopped:
          return refused(t, RT_ERROR_CLOSED, fn);
        case bridge::Actors::AskFailure::kTimedOut:
          return refused(t, RT_ERROR_TIMEOUT, fn);
        case bridge::Actors::AskFailure::kOther:
          break;
      }
      return thrown(fn);
    }
    *out = result.value();
    return RT_OK;
  });
}

rt_status rt_actor_reply(rt_thread* thread, rt_value value, int* asked) noexcept {
  constexpr const char* fn = "rt_actor_reply";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    heap::HandleScope scope(*t.m);
    const heap::Handle v(*t.m, value);
    Value answered = kNothing;
    // Refused outside a behaviour and for an ask answered already.
    if (!actors(t).reply(t, v.slot(), &answered)) return refused(t, RT_ERROR_INVALID_STATE, fn);
    if (asked != nullptr) *asked = answered == runa::types::make_boolean(true) ? 1 : 0;
    return RT_OK;
  });
}

rt_status rt_actor_stop(rt_thread* thread, rt_value actor) noexcept {
  constexpr const char* fn = "rt_actor_stop";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (!actors(t).is_actor(actor)) return not_actor(fn);
    bridge::Actors::stop(t, &actor);
    return RT_OK;
  });
}

rt_status rt_actor_wait(rt_thread* thread, rt_value actor, rt_value* out) noexcept {
  constexpr const char* fn = "rt_actor_wait";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (!actors(t).is_actor(actor)) return not_actor(fn);
    if (bridge::Actors::in_behaviour()) return refuse_in_behaviour(fn);
    heap::HandleScope scope(*t.m);
    const heap::Handle a(*t.m, actor);
    const heap::Handle result(*t.m, kNothing);
    if (!actors(t).wait(t, a.slot(), result.slot())) {
      // The actor is down: its phase is final and no longer changes.
      const std::uint32_t phase = bridge::core_of(a.value()).phase.load(std::memory_order_acquire);
      if (phase == bridge::ActorCore::kKilled) return refused(t, RT_ERROR_CLOSED, fn);
      return thrown(fn);
    }
    if (out != nullptr) *out = result.value();
    return RT_OK;
  });
}

rt_status rt_actor_monitor(rt_thread* thread, rt_value actor, rt_value watcher) noexcept {
  constexpr const char* fn = "rt_actor_monitor";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (!actors(t).is_actor(actor)) return not_actor(fn);
    if (!actors(t).is_actor(watcher)) return not_actor(fn, "watcher");
    bridge::Actors::monitor(&actor, &watcher);
    return RT_OK;
  });
}

// ---- jobs ------------------------------------------------------------------------------------

rt_status rt_job_start(rt_runtime* runtime, rt_job_fn job, void* context, rt_job** out) noexcept {
  constexpr const char* fn = "rt_job_start";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (job == nullptr) return null_argument(fn, "fn");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Runtime& r = rt::runtime_of(runtime);
    // The pool's workers attach: after that no native or tier may register.
    if (!r.impl().started()) {
      return fail(RT_ERROR_INVALID_STATE, fn, "no thread has attached to the runtime yet");
    }
    auto handle = std::make_unique<rt_job>();
    handle->state = std::make_shared<rt_job::State>();
    handle->state->fn = job;
    handle->state->context = context;
    r.impl().actors().run([state = handle->state](rt::Thread& t) {
      state->status = state->fn(as_c(t), state->context);
      if (state->status != RT_OK) {
        state->error = t.exception != kNothing ? exception_text(t) : std::string(rt_last_error());
      }
      t.exception = kNothing;  // the worker goes on to other jobs and turns
      t.trace = kNothing;
      state->done.count_down();
    });
    *out = handle.release();
    return RT_OK;
  });
}

rt_status rt_job_wait(rt_job* job, int64_t timeout_ms) noexcept {
  constexpr const char* fn = "rt_job_wait";
  return guarded(fn, [&]() -> rt_status {
    if (job == nullptr) return null_argument(fn, "job");
    bridge::Channels::Deadline deadline;
    if (!deadline_of(timeout_ms, &deadline)) return bad_timeout(fn, timeout_ms);
    // Both waits are in a blocking region on an attached thread.
    if (deadline) {
      if (!job->state->done.wait_until(*deadline)) {
        return fail(RT_ERROR_TIMEOUT, fn, "the job had not ended when the timeout passed");
      }
    } else {
      job->state->done.wait();
    }
    const std::unique_ptr<rt_job> ended(job);
    const rt_status s = ended->state->status;
    if (s == RT_OK) return RT_OK;
    return fail(s, fn,
                std::string("the job returned ") + rt_status_name(s) + ": " + ended->state->error);
  });
}

}  // extern "C"
