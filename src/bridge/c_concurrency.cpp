// The concurrency part of the C ABI (include/runatime/c/concurrency.h): a
// layer over the C++ API (runatime/concurrency.hpp, concurrency_api.cpp),
// whose calls, outcomes and rules it shares.
//
// What it adds is the C side only: NULL checks, arguments copied into
// handles for the call (the C++ API takes root slots), timeouts in
// milliseconds turned into Timeouts, Outcomes turned into statuses and
// last errors, and C behaviours and jobs wrapped in the C++ callables the
// API runs. The C++ statuses are rt_status's numbers.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runatime.h"
#include "runatime/concurrency.hpp"
#include "runatime/ops.hpp"
#include "services/c_abi.hpp"

namespace {

using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::null_argument;
namespace rt = runa::rt;
namespace heap = runa::heap;
using heap::Value;

static_assert(static_cast<int>(rt::Status::kOk) == RT_OK);
static_assert(static_cast<int>(rt::Status::kInvalidArgument) == RT_ERROR_INVALID_ARGUMENT);
static_assert(static_cast<int>(rt::Status::kOutOfMemory) == RT_ERROR_OUT_OF_MEMORY);
static_assert(static_cast<int>(rt::Status::kInvalidState) == RT_ERROR_INVALID_STATE);
static_assert(static_cast<int>(rt::Status::kUnsupported) == RT_ERROR_UNSUPPORTED);
static_assert(static_cast<int>(rt::Status::kVerifyFailed) == RT_ERROR_VERIFY_FAILED);
static_assert(static_cast<int>(rt::Status::kInternal) == RT_ERROR_INTERNAL);
static_assert(static_cast<int>(rt::Status::kThrown) == RT_ERROR_THROWN);
static_assert(static_cast<int>(rt::Status::kClosed) == RT_ERROR_CLOSED);
static_assert(static_cast<int>(rt::Status::kTimeout) == RT_ERROR_TIMEOUT);
static_assert(static_cast<int>(rt::Status::kWouldBlock) == RT_ERROR_WOULD_BLOCK);
static_assert(rt::Channel::kMaxCapacity == RT_CHANNEL_MAX_CAPACITY);

// A status a C function returned, as the C++ API's (one this version
// does not know is RT_ERROR_INTERNAL).
rt::Status status_of(rt_status s) {
  if (s < RT_OK || s > RT_ERROR_WOULD_BLOCK) return rt::Status::kInternal;
  return static_cast<rt::Status>(s);
}

// An Outcome as the C ABI reports it: the status, its message the last error.
rt_status reported(const char* fn, const rt::Outcome& o) {
  if (o) return RT_OK;
  if (o.status == rt::Status::kThrown) {
    return fail(RT_ERROR_THROWN, fn, o.message + " (rt_exception_text)");
  }
  return fail(static_cast<rt_status>(o.status), fn, o.message);
}

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

// A timeout in milliseconds as the C++ API's, into *out; false for a
// negative timeout other than RT_WAIT_FOREVER (reported by bad_timeout).
bool timeout_of(int64_t timeout_ms, rt::Timeout* out) {
  if (timeout_ms == RT_WAIT_FOREVER) {
    *out = rt::kWaitForever;
    return true;
  }
  *out = std::chrono::milliseconds(timeout_ms);
  return timeout_ms >= 0;
}

rt_status bad_timeout(const char* fn, int64_t timeout_ms) {
  return fail(RT_ERROR_INVALID_ARGUMENT, fn,
              "timeout_ms is " + std::to_string(timeout_ms) +
                  ": 0 or more milliseconds, or RT_WAIT_FOREVER");
}

// A C behaviour (rt_actor_fn) as the C++ API's Behaviour: RT_OK goes on to
// the next message; RT_ERROR_THROWN with an exception in flight fails the
// actor with it; any other status with a ValueError naming it.
rt::Actor::Behaviour behaviour_of(rt_actor_fn fn, void* context) {
  return [fn, context](rt::Thread& t, const Value* message) {
    const rt_status s = fn(as_c(t), *message, context);
    if (s == RT_OK) {
      // concurrency.h: RT_OK goes on, whatever the function left in flight.
      t.exception = runa::types::kNothing;
      t.trace = runa::types::kNothing;
      return;
    }
    if (s == RT_ERROR_THROWN && t.exception != runa::types::kNothing) return;
    rt::ops::raise(
        t, "ValueError",
        std::string("a C behaviour returned ") + rt_status_name(s) + ": " + rt_last_error());
  };
}

}  // namespace

// A job on the pool (rt_job_start): the C++ API's handle.
struct rt_job {
  rt::Job job;
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
    return reported(fn, rt::Channel::make(t, capacity, out));
  });
}

rt_status rt_channel_send(rt_thread* thread, rt_value channel, rt_value value,
                          int64_t timeout_ms) noexcept {
  constexpr const char* fn = "rt_channel_send";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    rt::Timeout timeout;
    if (!timeout_of(timeout_ms, &timeout)) return bad_timeout(fn, timeout_ms);
    heap::HandleScope scope(*t.m);
    const heap::Handle c(*t.m, channel);
    const heap::Handle v(*t.m, value);
    return reported(fn, rt::Channel(c.slot()).send(t, v.slot(), timeout));
  });
}

rt_status rt_channel_receive(rt_thread* thread, rt_value channel, int64_t timeout_ms,
                             rt_value* out) noexcept {
  constexpr const char* fn = "rt_channel_receive";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    rt::Timeout timeout;
    if (!timeout_of(timeout_ms, &timeout)) return bad_timeout(fn, timeout_ms);
    heap::HandleScope scope(*t.m);
    const heap::Handle c(*t.m, channel);
    const heap::Handle result(*t.m, runa::types::kNothing);
    const rt_status s = reported(fn, rt::Channel(c.slot()).receive(t, result.slot(), timeout));
    if (s == RT_OK) *out = result.value();
    return s;
  });
}

// The two calls that never collect need no handles: their arguments stay put.
rt_status rt_channel_try_send(rt_thread* thread, rt_value channel, rt_value value) noexcept {
  constexpr const char* fn = "rt_channel_try_send";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    return reported(fn, rt::Channel(&channel).try_send(t, &value));
  });
}

rt_status rt_channel_try_receive(rt_thread* thread, rt_value channel, rt_value* out) noexcept {
  constexpr const char* fn = "rt_channel_try_receive";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    return reported(fn, rt::Channel(&channel).try_receive(t, out));
  });
}

rt_status rt_channel_close(rt_thread* thread, rt_value channel) noexcept {
  constexpr const char* fn = "rt_channel_close";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    return reported(fn, rt::Channel(&channel).close(t));
  });
}

// ---- actors ----------------------------------------------------------------------------------

rt_status rt_actor_spawn(rt_thread* thread, rt_actor_fn behaviour, void* context, uint64_t capacity,
                         rt_value* out) noexcept {
  constexpr const char* fn = "rt_actor_spawn";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (behaviour == nullptr) return null_argument(fn, "fn");
    if (out == nullptr) return null_argument(fn, "out");
    heap::HandleScope scope(*t.m);
    const heap::Handle result(*t.m, runa::types::kNothing);
    const rt_status s = reported(
        fn, rt::Actor::spawn(t, behaviour_of(behaviour, context), result.slot(), capacity));
    if (s == RT_OK) *out = result.value();
    return s;
  });
}

rt_status rt_actor_spawn_function(rt_thread* thread, rt_value behaviour, rt_value state,
                                  uint64_t capacity, rt_value* out) noexcept {
  constexpr const char* fn = "rt_actor_spawn_function";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    heap::HandleScope scope(*t.m);
    const heap::Handle b(*t.m, behaviour);
    const heap::Handle s(*t.m, state);
    const heap::Handle result(*t.m, runa::types::kNothing);
    const rt_status status =
        reported(fn, rt::Actor::spawn_function(t, b.slot(), s.slot(), result.slot(), capacity));
    if (status == RT_OK) *out = result.value();
    return status;
  });
}

}  // extern "C"

namespace {

// Actor::send or try_send, the actor and message in handles.
rt_status send(rt_thread* thread, const char* fn, rt_value actor, rt_value message, bool wait) {
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    heap::HandleScope scope(*t.m);
    const heap::Handle a(*t.m, actor);
    const heap::Handle m(*t.m, message);
    const rt::Actor target(a.slot());
    return reported(fn, wait ? target.send(t, m.slot()) : target.try_send(t, m.slot()));
  });
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
    rt::Timeout timeout;
    if (!timeout_of(timeout_ms, &timeout)) return bad_timeout(fn, timeout_ms);
    heap::HandleScope scope(*t.m);
    const heap::Handle a(*t.m, actor);
    const heap::Handle m(*t.m, message);
    const heap::Handle result(*t.m, runa::types::kNothing);
    const rt_status s = reported(fn, rt::Actor(a.slot()).ask(t, m.slot(), result.slot(), timeout));
    if (s == RT_OK) *out = result.value();
    return s;
  });
}

rt_status rt_actor_reply(rt_thread* thread, rt_value value, int* asked) noexcept {
  constexpr const char* fn = "rt_actor_reply";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    heap::HandleScope scope(*t.m);
    const heap::Handle v(*t.m, value);
    bool answered = false;
    const rt_status s = reported(fn, rt::Actor::reply(t, v.slot(), &answered));
    if (s == RT_OK && asked != nullptr) *asked = answered ? 1 : 0;
    return s;
  });
}

// stop and monitor never collect: their arguments stay put.
rt_status rt_actor_stop(rt_thread* thread, rt_value actor) noexcept {
  constexpr const char* fn = "rt_actor_stop";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    return reported(fn, rt::Actor(&actor).stop(t));
  });
}

rt_status rt_actor_wait(rt_thread* thread, rt_value actor, rt_value* out) noexcept {
  constexpr const char* fn = "rt_actor_wait";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    heap::HandleScope scope(*t.m);
    const heap::Handle a(*t.m, actor);
    const heap::Handle result(*t.m, runa::types::kNothing);
    const rt_status s = reported(fn, rt::Actor(a.slot()).wait(t, result.slot()));
    if (s == RT_OK && out != nullptr) *out = result.value();
    return s;
  });
}

rt_status rt_actor_monitor(rt_thread* thread, rt_value actor, rt_value watcher) noexcept {
  constexpr const char* fn = "rt_actor_monitor";
  return on_thread(fn, thread, [&](rt::Thread& t) -> rt_status {
    return reported(fn, rt::Actor(&actor).monitor(t, &watcher));
  });
}

// ---- jobs ------------------------------------------------------------------------------------

rt_status rt_job_start(rt_runtime* runtime, rt_job_fn job, void* context, rt_job** out) noexcept {
  constexpr const char* fn = "rt_job_start";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (job == nullptr) return null_argument(fn, "fn");
    if (out == nullptr) return null_argument(fn, "out");
    auto handle = std::make_unique<rt_job>();
    // A status other than RT_OK comes with the job's last error (the text
    // of an exception it left replaces it: Job::start).
    auto run = [job, context](rt::Thread& t) -> rt::Outcome {
      const rt_status s = job(as_c(t), context);
      if (s == RT_OK) return {};
      return {status_of(s), rt_last_error()};
    };
    const rt_status s = reported(fn, rt::Job::start(rt::runtime_of(runtime), run, &handle->job));
    if (s == RT_OK) *out = handle.release();
    return s;
  });
}

rt_status rt_job_wait(rt_job* job, int64_t timeout_ms) noexcept {
  constexpr const char* fn = "rt_job_wait";
  return guarded(fn, [&]() -> rt_status {
    if (job == nullptr) return null_argument(fn, "job");
    rt::Timeout timeout;
    if (!timeout_of(timeout_ms, &timeout)) return bad_timeout(fn, timeout_ms);
    rt::Outcome o = job->job.wait(timeout);
    if (o.status == rt::Status::kTimeout) return reported(fn, o);  // the job stays the caller's
    const std::unique_ptr<rt_job> ended(job);
    if (o) return RT_OK;
    const auto s = static_cast<rt_status>(o.status);
    return fail(s, fn, std::string("the job returned ") + rt_status_name(s) + ": " + o.message);
  });
}

}  // extern "C"
