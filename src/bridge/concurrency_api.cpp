// The concurrency services in the C++ API (runatime/concurrency.hpp) over
// the machinery the program natives use: the runtime's Channels
// (channels.hpp) for Channel, its Actors (actors.hpp) for Actor and Job
// (the actors' pool), and HostBehaviours (host_behaviours.hpp) for actors
// whose behaviour is a C++ callable. The C ABI (c_concurrency.cpp) is a
// layer over this one.
//
// What it adds to the natives is the host's side: kinds checked, timeouts
// turned into deadlines, and outcomes turned into Outcomes. An outcome the
// natives raise as an exception and the API reports as a status (a closed
// channel, a stopped actor, a timeout) leaves no exception on the thread:
// its text becomes the message. kThrown keeps the exception in flight, as
// Runtime::call does.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

#include "bridge/actor_core.hpp"
#include "bridge/runtime_impl.hpp"
#include "concurrency/sync/latch.hpp"
#include "runatime/concurrency.hpp"

namespace runa::rt {

namespace {

using bridge::Actors;
using bridge::Channels;
using types::kNothing;

bridge::Channels& channels(Thread& t) {
  return impl_of(t).channels();
}
bridge::Actors& actors(Thread& t) {
  return impl_of(t).actors();
}

// The exception in flight on t reported as `status` (its text the
// message) and cleared: OutOfMemory is always kOutOfMemory.
Outcome refused(Thread& t, Status status) {
  std::string text = bridge::describe_thrown(impl_of(t).types(), t.exception);
  if (text.rfind("OutOfMemory", 0) == 0) status = Status::kOutOfMemory;
  t.exception = kNothing;
  t.trace = kNothing;
  return {status, std::move(text)};
}

Outcome thrown() {
  return {Status::kThrown, "an exception is in flight on the thread"};
}

Outcome bad_timeout(Timeout timeout) {
  return {Status::kInvalidArgument, "the timeout is " + std::to_string(timeout->count()) +
                                        " ms: 0 or more milliseconds, or kWaitForever"};
}

// A timeout as a deadline (nullopt: kWaitForever); false for a negative one.
bool deadline_of(Timeout timeout, Channels::Deadline* out) {
  if (!timeout) {
    *out = std::nullopt;
    return true;
  }
  if (timeout->count() < 0) return false;
  // Capped as actor asks are: a deadline past the clock's range would wrap.
  const auto ms = std::min<std::int64_t>(timeout->count(), Actors::kLongestAsk);
  *out = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  return true;
}

Outcome not_channel() {
  return {Status::kInvalidArgument, "the value is not a Channel"};
}
Outcome not_actor(const char* what = "actor") {
  return {Status::kInvalidArgument, std::string(what) + " is not an Actor"};
}

// A Channels outcome; `busy` says why a try_ call could not proceed.
Outcome channel_outcome(Channels::Status s, const char* busy, Timeout timeout) {
  switch (s) {
    case Channels::Status::kOk:
      return {};
    case Channels::Status::kClosed:
      return {Status::kClosed, "the channel is closed"};
    case Channels::Status::kTimeout:
      return {Status::kTimeout,
              "the timeout of " + std::to_string(timeout->count()) + " ms passed first"};
    case Channels::Status::kBusy:
      break;
  }
  return {Status::kWouldBlock, busy};
}

// `what`: "an actor", "work on the pool".
Outcome refuse_in_behaviour(const char* what = "an actor") {
  return {Status::kInvalidState, std::string("a behaviour cannot wait for ") + what +
                                     " (it holds one of the pool's few workers, which what it "
                                     "waits for may need)"};
}

// Actors::spawn: the Actor in *out.
Outcome spawn_actor(Thread& t, const Value* behaviour, const Value* state, Value* out,
                    std::uint64_t capacity) {
  heap::HandleScope scope(*t.m);
  const heap::Handle result(*t.m, kNothing);
  if (!actors(t).spawn(t, behaviour, state, result.slot(), capacity)) {
    return refused(t, Status::kInternal);
  }
  *out = result.value();
  return {};
}

// Actors::send to the actor in *actor, waiting for room or (try) not.
Outcome deliver(Thread& t, const Value* actor, const Value* message, bool wait) {
  if (!actors(t).is_actor(*actor)) return not_actor();
  bool delivered = true;
  // Refused only when the actor is stopping or stopped (actors.hpp).
  if (!actors(t).send(t, actor, message, wait ? nullptr : &delivered)) {
    return refused(t, Status::kClosed);
  }
  if (!delivered) return {Status::kWouldBlock, "the actor's mailbox is full"};
  return {};
}

}  // namespace

// ---- channels --------------------------------------------------------------------------------

Outcome Channel::make(Thread& t, std::uint64_t capacity, Value* out) {
  if (capacity > kMaxCapacity) {
    return {Status::kInvalidArgument, "capacity " + std::to_string(capacity) +
                                          " is above the largest, " + std::to_string(kMaxCapacity)};
  }
  Value made = kNothing;
  auto ok = channels(t).make(*t.m, capacity, &made);
  if (!ok) return {Status::kOutOfMemory, ok.error().message};
  if (!*ok) return {Status::kOutOfMemory, "the heap is full"};
  *out = made;
  return {};
}

bool Channel::is(Thread& t, Value v) {
  return channels(t).is_channel(v);
}

Outcome Channel::send(Thread& t, const Value* value, Timeout timeout) const {
  if (!is(t, *slot_)) return not_channel();
  Channels::Deadline deadline;
  if (!deadline_of(timeout, &deadline)) return bad_timeout(timeout);
  return channel_outcome(channels(t).send(slot_, value, deadline), "the channel is full", timeout);
}

Outcome Channel::receive(Thread& t, Value* out, Timeout timeout) const {
  if (!is(t, *slot_)) return not_channel();
  Channels::Deadline deadline;
  if (!deadline_of(timeout, &deadline)) return bad_timeout(timeout);
  heap::HandleScope scope(*t.m);
  const heap::Handle result(*t.m, kNothing);
  Outcome o = channel_outcome(channels(t).receive(slot_, result.slot(), deadline),
                              "the channel is empty", timeout);
  if (o) *out = result.value();
  return o;
}

Outcome Channel::try_send(Thread& t, const Value* value) const {
  if (!is(t, *slot_)) return not_channel();
  return channel_outcome(channels(t).try_send(slot_, value), "the channel is full", std::nullopt);
}

Outcome Channel::try_receive(Thread& t, Value* out) const {
  if (!is(t, *slot_)) return not_channel();
  Value got = kNothing;  // never collects: no handle needed
  Outcome o =
      channel_outcome(channels(t).try_receive(slot_, &got), "the channel is empty", std::nullopt);
  if (o) *out = got;
  return o;
}

Outcome Channel::close(Thread& t) const {
  if (!is(t, *slot_)) return not_channel();
  Channels::close(*slot_);
  return {};
}

// ---- actors ----------------------------------------------------------------------------------

Outcome Actor::spawn(Thread& t, Behaviour behaviour, Value* out, std::uint64_t capacity) {
  if (!behaviour) return {Status::kInvalidArgument, "the behaviour is empty"};
  RuntimeImpl& r = impl_of(t);
  heap::HandleScope scope(*t.m);
  const heap::Handle state(*t.m, kNothing);
  auto made = r.host_behaviours().make(*t.m, std::move(behaviour), state.slot());
  if (!made) return {Status::kOutOfMemory, made.error().message};
  if (!*made) return {Status::kOutOfMemory, "the heap is full"};
  // The native's Function object is in a root slot (made at the first attach).
  const FunctionInfo* native = r.native_function(bridge::HostBehaviours::kNative);
  return spawn_actor(t, native->object, state.slot(), out, capacity);
}

Outcome Actor::spawn_function(Thread& t, const Value* behaviour, const Value* state, Value* out,
                              std::uint64_t capacity) {
  if (ops::callee(t, *behaviour, 2) == nullptr) return refused(t, Status::kInvalidArgument);
  return spawn_actor(t, behaviour, state, out, capacity);
}

bool Actor::is(Thread& t, Value v) {
  return actors(t).is_actor(v);
}

Outcome Actor::reply(Thread& t, const Value* value, bool* asked) {
  Value answered = kNothing;
  // Refused outside a behaviour and for an ask answered already.
  if (!actors(t).reply(t, value, &answered)) return refused(t, Status::kInvalidState);
  if (asked != nullptr) *asked = answered == types::make_boolean(true);
  return {};
}

Outcome Actor::send(Thread& t, const Value* message) const {
  return deliver(t, slot_, message, true);
}

Outcome Actor::try_send(Thread& t, const Value* message) const {
  return deliver(t, slot_, message, false);
}

Outcome Actor::ask(Thread& t, const Value* message, Value* out, Timeout timeout) const {
  if (!is(t, *slot_)) return not_actor();
  if (timeout && timeout->count() < 0) return bad_timeout(timeout);
  if (Actors::in_behaviour()) return refuse_in_behaviour();
  std::optional<std::int64_t> millis;
  if (timeout) millis = timeout->count();
  heap::HandleScope scope(*t.m);
  const heap::Handle result(*t.m, kNothing);
  Actors::AskFailure why{};
  if (!actors(t).ask(t, slot_, message, result.slot(), millis, &why)) {
    switch (why) {
      case Actors::AskFailure::kStopped:
        return refused(t, Status::kClosed);
      case Actors::AskFailure::kTimedOut:
        return refused(t, Status::kTimeout);
      case Actors::AskFailure::kOther:
        break;
    }
    return thrown();
  }
  *out = result.value();
  return {};
}

Outcome Actor::stop(Thread& t) const {
  if (!is(t, *slot_)) return not_actor();
  Actors::stop(t, slot_);
  return {};
}

Outcome Actor::wait(Thread& t, Value* out) const {
  if (!is(t, *slot_)) return not_actor();
  if (Actors::in_behaviour()) return refuse_in_behaviour();
  heap::HandleScope scope(*t.m);
  const heap::Handle result(*t.m, kNothing);
  if (!actors(t).wait(t, slot_, result.slot())) {
    // The actor is down: its phase is final and no longer changes.
    const std::uint32_t phase = bridge::core_of(*slot_).phase.load(std::memory_order_acquire);
    if (phase == bridge::ActorCore::kKilled) return refused(t, Status::kClosed);
    return thrown();
  }
  if (out != nullptr) *out = result.value();
  return {};
}

Outcome Actor::monitor(Thread& t, const Value* watcher) const {
  if (!is(t, *slot_)) return not_actor();
  if (!is(t, *watcher)) return not_actor("watcher");
  Actors::monitor(slot_, watcher);
  return {};
}

// ---- jobs ------------------------------------------------------------------------------------

// Runs a host's work on a pool worker (a Job, a piece of parallel_for):
// its outcome, with what escaped it turned into one, and the worker left
// with no exception in flight (it goes on to other jobs and turns).
namespace {

template <class F>
Outcome on_worker(Thread& t, const F& work) {
  Outcome o;
  try {
    o = work(t);
  } catch (const std::exception& e) {
    o = {Status::kInternal, std::string("the job threw: ") + e.what()};
  } catch (...) {
    o = {Status::kInternal, "the job threw something not a std::exception"};
  }
  if (!o.ok() && t.exception != kNothing) {
    o.message = bridge::describe_thrown(impl_of(t).types(), t.exception);
  }
  t.exception = kNothing;
  t.trace = kNothing;
  return o;
}

}  // namespace

// Shared by the Job handle and the worker running it, so the worker's last
// touch (opening the latch) never races the waiter dropping the handle.
struct Job::State {
  Fn fn;
  concurrency::Latch done{1};
  Outcome outcome;  // written before done opens, read after
};

Outcome Job::start(Runtime& r, Fn fn, Job* out) {
  if (!fn) return {Status::kInvalidArgument, "the job is empty"};
  // The pool's workers attach: after that no native or tier may register.
  if (!r.impl().started()) {
    return {Status::kInvalidState, "no thread has attached to the runtime yet"};
  }
  auto state = std::make_shared<State>();
  state->fn = std::move(fn);
  r.impl().actors().run([state](Thread& t) {
    state->outcome = on_worker(t, state->fn);
    // Destroyed before the waiter returns: what it captured may be the
    // waiter's, gone once wait() has returned.
    state->fn = nullptr;
    state->done.count_down();
  });
  out->state_ = std::move(state);
  return {};
}

Outcome Job::wait(Timeout timeout) {
  if (state_ == nullptr) {
    return {Status::kInvalidState, "no job: never started, or waited for to its end already"};
  }
  Channels::Deadline deadline;
  if (!deadline_of(timeout, &deadline)) return bad_timeout(timeout);
  // Both waits are in a blocking region on an attached thread.
  if (deadline) {
    if (!state_->done.wait_until(*deadline)) {
      return {Status::kTimeout, "the job had not ended when the timeout passed"};
    }
  } else {
    state_->done.wait();
  }
  Outcome o = std::move(state_->outcome);
  state_.reset();
  return o;
}

Outcome parallel_for(Runtime& r, std::uint64_t begin, std::uint64_t end, std::uint64_t grain,
                     const RangeFn& fn) {
  if (!fn) return {Status::kInvalidArgument, "the function is empty"};
  if (!r.impl().started()) {
    return {Status::kInvalidState, "no thread has attached to the runtime yet"};
  }
  if (Actors::in_behaviour()) return refuse_in_behaviour("work on the pool");
  std::atomic<bool> failed{false};
  std::mutex mu;
  Outcome first;  // guarded by mu
  r.impl().actors().parallel_for(
      begin, end, grain, [&](Thread& t, std::uint64_t lo, std::uint64_t hi) {
        if (failed.load(std::memory_order_relaxed)) return;  // skipped after a failure
        Outcome o = on_worker(t, [&](Thread& w) { return fn(w, lo, hi); });
        if (o.ok()) return;
        std::lock_guard lock(mu);
        if (!failed.exchange(true, std::memory_order_relaxed)) first = std::move(o);
      });
  return first;
}

}  // namespace runa::rt
