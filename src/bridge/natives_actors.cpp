// The natives of actors for programs (docs/natives.md, "Actors"), over the
// runtime's Actors (actors.hpp): spawn an actor whose behaviour is a Runa
// function (with a bounded mailbox, or under a supervisor), send (waiting
// for room, trying, or awaited by a task; a supervised one with a restart
// type) and ask (with or without a timeout, blocking the
// thread or awaited by a task), reply and self inside a behaviour, stop and
// wait, monitors and links (and removing them).
#include "bridge/actors.hpp"
#include "bridge/native_args.hpp"
#include "bridge/runtime_impl.hpp"

namespace runa::bridge {

namespace {

Actors& actors(NativeCall& call) {
  return rt::impl_of(*call.thread).actors();
}

// The result of an Actors operation: its value, or what it raised.
NativeStatus answered(NativeCall& call, bool ok) {
  return ok ? NativeStatus::kReturn : thrown_by(call);
}

std::optional<NativeStatus> want_actor(NativeCall& call, std::string_view native,
                                       std::size_t i = 0) {
  if (actors(call).is_actor(*call.args[i])) return std::nullopt;
  return wrong_argument(call, native, i, "an Actor");
}

std::optional<NativeStatus> want_supervisor(NativeCall& call, std::string_view native,
                                            std::size_t i = 0) {
  if (actors(call).is_supervisor(*call.args[i])) return std::nullopt;
  return wrong_argument(call, native, i, "a Supervisor");
}

// Argument i is a behaviour: callable with 2 arguments (state, message).
std::optional<NativeStatus> want_behaviour(NativeCall& call, std::string_view native,
                                           std::size_t i) {
  if (rt::ops::callee(*call.thread, *call.args[i], 2) != nullptr) return std::nullopt;
  // callee() raised a TypeError about a CALL; say what the native wants.
  call.thread->exception = types::kNothing;
  call.thread->trace = types::kNothing;
  return wrong_argument(call, native, i,
                        "a Function or closure taking 2 arguments (state, message)");
}

// A new actor: behaviour(state, message) handles each message and returns
// the next state, starting from `state`.
NativeStatus actor_spawn(NativeCall& call) {
  if (auto bad = want_behaviour(call, "actor_spawn", 0)) return *bad;
  return answered(call, actors(call).spawn(*call.thread, call.args[0], call.args[1], &call.result));
}

// Argument i: a mailbox's capacity, 1 or more.
std::optional<std::size_t> capacity_arg(NativeCall& call, std::string_view native, std::size_t i,
                                        NativeStatus* failed) {
  const auto capacity = int_arg(call, native, i, failed);
  if (!capacity) return std::nullopt;
  if (*capacity < 1) {
    *failed = raise(call, "ValueError",
                    std::string(native) + ": a mailbox's capacity is 1 or more, not " +
                        std::to_string(*capacity));
    return std::nullopt;
  }
  return static_cast<std::size_t>(*capacity);
}

// actor_spawn with a mailbox of at most `capacity` (1 or more) messages:
// actor_send and actor_ask wait for room, actor_try_send does not.
NativeStatus actor_spawn_bounded(NativeCall& call) {
  if (auto bad = want_behaviour(call, "actor_spawn_bounded", 0)) return *bad;
  NativeStatus failed{};
  const auto capacity = capacity_arg(call, "actor_spawn_bounded", 2, &failed);
  if (!capacity) return failed;
  return answered(
      call, actors(call).spawn(*call.thread, call.args[0], call.args[1], &call.result, *capacity));
}

// Sends the message; the actor handles it later, in the order of this
// thread's sends.
NativeStatus actor_send(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_send")) return *bad;
  return answered(call, actors(call).send(*call.thread, call.args[0], call.args[1]));
}

// Sends the message unless the actor's bounded mailbox is full: whether
// it was sent.
NativeStatus actor_try_send(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_try_send")) return *bad;
  bool delivered = false;
  if (!actors(call).send(*call.thread, call.args[0], call.args[1], &delivered)) {
    return thrown_by(call);
  }
  call.result = types::make_boolean(delivered);
  return NativeStatus::kReturn;
}

// Sends the message and waits for the behaviour's actor_reply.
NativeStatus actor_ask(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_ask")) return *bad;
  return answered(call, actors(call).ask(*call.thread, call.args[0], call.args[1], &call.result));
}

// Argument 2 of an ask with a timeout: 0 or more milliseconds.
std::optional<std::int64_t> timeout_arg(NativeCall& call, std::string_view native,
                                        NativeStatus* failed) {
  const auto millis = int_arg(call, native, 2, failed);
  if (!millis) return std::nullopt;
  if (*millis < 0) {
    *failed = raise(call, "ValueError",
                    std::string(native) + ": a timeout is 0 or more milliseconds, not " +
                        std::to_string(*millis));
    return std::nullopt;
  }
  return millis;
}

// actor_ask giving up after `millis` milliseconds: Timeout when no reply
// came by then (the message stays with the actor; a later reply is
// dropped).
NativeStatus actor_ask_timeout(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_ask_timeout")) return *bad;
  NativeStatus failed{};
  const auto millis = timeout_arg(call, "actor_ask_timeout", &failed);
  if (!millis) return failed;
  return answered(
      call, actors(call).ask(*call.thread, call.args[0], call.args[1], &call.result, *millis));
}

// Sends the message now: an Ask whose AWAIT (in an async function) is the
// reply, only the awaiting task waiting for it.
NativeStatus actor_ask_async(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_ask_async")) return *bad;
  return answered(call,
                  actors(call).ask_async(*call.thread, call.args[0], call.args[1], &call.result));
}

// actor_ask_async whose AWAIT raises Timeout once `millis` milliseconds
// have passed since the call with no reply.
NativeStatus actor_ask_timeout_async(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_ask_timeout_async")) return *bad;
  NativeStatus failed{};
  const auto millis = timeout_arg(call, "actor_ask_timeout_async", &failed);
  if (!millis) return failed;
  return answered(call, actors(call).ask_async(*call.thread, call.args[0], call.args[1],
                                               &call.result, *millis));
}

// An ActorSend whose AWAIT (in an async function) delivers the message
// (nothing): sent now when the mailbox has room, else only the awaiting
// task waits for room.
NativeStatus actor_send_async(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_send_async")) return *bad;
  return answered(call,
                  actors(call).send_async(*call.thread, call.args[0], call.args[1], &call.result));
}

// Inside a behaviour: answers the ask being handled (true), or nothing to
// answer when the message was sent (false).
NativeStatus actor_reply(NativeCall& call) {
  return answered(call, actors(call).reply(*call.thread, call.args[0], &call.result));
}

// Inside a behaviour: the actor running it.
NativeStatus actor_self(NativeCall& call) {
  return answered(call, actors(call).self(*call.thread, &call.result));
}

// The actor handles what was sent before, then stops; later sends fail.
NativeStatus actor_stop(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_stop")) return *bad;
  return answered(call, actors(call).stop(*call.thread, call.args[0]));
}

// Waits for the actor to stop: its last state, or its behaviour's exception.
NativeStatus actor_wait(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_wait")) return *bad;
  return answered(call, actors(call).wait(*call.thread, call.args[0], &call.result));
}

// `watcher` gets ("down", actor, reason, error) once `actor` stops.
NativeStatus actor_monitor(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_monitor")) return *bad;
  if (auto bad = want_actor(call, "actor_monitor", 1)) return *bad;
  Actors::monitor(call.args[0], call.args[1]);
  return NativeStatus::kReturn;
}

// Links two actors: an abnormal stop of either kills the other, unless it
// traps exits.
NativeStatus actor_link(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_link")) return *bad;
  if (auto bad = want_actor(call, "actor_link", 1)) return *bad;
  Actors::link(call.args[0], call.args[1]);
  return NativeStatus::kReturn;
}

// Removes the monitors `watcher` set on `actor`: whether one was removed
// before `actor` stopped (then no "down" notice comes of it).
NativeStatus actor_demonitor(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_demonitor")) return *bad;
  if (auto bad = want_actor(call, "actor_demonitor", 1)) return *bad;
  call.result = types::make_boolean(Actors::demonitor(call.args[0], call.args[1]));
  return NativeStatus::kReturn;
}

// Removes the links between two actors: whether they were removed before
// either went down.
NativeStatus actor_unlink(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_unlink")) return *bad;
  if (auto bad = want_actor(call, "actor_unlink", 1)) return *bad;
  call.result = types::make_boolean(Actors::unlink(call.args[0], call.args[1]));
  return NativeStatus::kReturn;
}

// With true, the actor gets ("exit", other, reason, error) from its links
// instead of being killed.
NativeStatus actor_trap_exits(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_trap_exits")) return *bad;
  if (!types::is_boolean(*call.args[1])) {
    return wrong_argument(call, "actor_trap_exits", 1, "a Boolean");
  }
  Actors::trap_exits(call.args[0], types::as_boolean(*call.args[1]));
  return NativeStatus::kReturn;
}

// Arguments first.. first+2 of a new supervisor: strategy, max_restarts,
// period_millis; `parent` the Supervisor above it, or null.
NativeStatus new_supervisor(NativeCall& call, const char* native, std::size_t first,
                            const Value* parent) {
  if (!call.types.strings().is_string(*call.args[first])) {
    return wrong_argument(call, native, first, "a String");
  }
  NativeStatus failed{};
  const auto max = int_arg(call, native, first + 1, &failed);
  if (!max) return failed;
  const auto period = int_arg(call, native, first + 2, &failed);
  if (!period) return failed;
  return answered(call, actors(call).new_supervisor(*call.thread, native, text_arg(call, first),
                                                    *max, *period, parent, &call.result));
}

// A supervisor: strategy "one_for_one", "one_for_all" or "rest_for_one",
// giving up at a failure beyond max_restarts restarts within period_millis.
NativeStatus supervisor_new(NativeCall& call) {
  return new_supervisor(call, "supervisor_new", 0, nullptr);
}

// A supervisor as a child of another: past its limit it fails as a whole,
// and its parent restarts it (its children start again) or gives up too.
NativeStatus supervisor_spawn_supervisor(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_spawn_supervisor")) return *bad;
  return new_supervisor(call, "supervisor_spawn_supervisor", 1, call.args[0]);
}

// actor_spawn under the supervisor: restarted from `state` when it fails.
NativeStatus supervisor_spawn(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_spawn")) return *bad;
  if (auto bad = want_behaviour(call, "supervisor_spawn", 1)) return *bad;
  return answered(call,
                  actors(call).supervised_spawn(*call.thread, "supervisor_spawn", call.args[0],
                                                call.args[1], call.args[2], &call.result));
}

// supervisor_spawn with a mailbox of at most `capacity` (1 or more)
// messages, as actor_spawn_bounded's.
NativeStatus supervisor_spawn_bounded(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_spawn_bounded")) return *bad;
  if (auto bad = want_behaviour(call, "supervisor_spawn_bounded", 1)) return *bad;
  NativeStatus failed{};
  const auto capacity = capacity_arg(call, "supervisor_spawn_bounded", 3, &failed);
  if (!capacity) return failed;
  return answered(
      call, actors(call).supervised_spawn(*call.thread, "supervisor_spawn_bounded", call.args[0],
                                          call.args[1], call.args[2], &call.result, *capacity));
}

// supervisor_spawn with a restart type ("permanent", "transient" or
// "temporary") and a mailbox capacity (0: unbounded).
NativeStatus supervisor_spawn_child(NativeCall& call) {
  constexpr const char* kNative = "supervisor_spawn_child";
  if (auto bad = want_supervisor(call, kNative)) return *bad;
  if (auto bad = want_behaviour(call, kNative, 1)) return *bad;
  if (!call.types.strings().is_string(*call.args[3])) {
    return wrong_argument(call, kNative, 3, "a String");
  }
  NativeStatus failed{};
  const auto capacity = int_arg(call, kNative, 4, &failed);
  if (!capacity) return failed;
  if (*capacity < 0) {
    return raise(call, "ValueError",
                 std::string(kNative) + ": a mailbox's capacity is 0 (unbounded) or more, not " +
                     std::to_string(*capacity));
  }
  return answered(call, actors(call).supervised_spawn(
                            *call.thread, kNative, call.args[0], call.args[1], call.args[2],
                            &call.result, static_cast<std::size_t>(*capacity), text_arg(call, 3)));
}

// A simple_one_for_one supervisor: every child runs `behaviour`, restarted
// as `restart` says, started by supervisor_start_child.
NativeStatus supervisor_new_simple(NativeCall& call) {
  constexpr const char* kNative = "supervisor_new_simple";
  if (auto bad = want_behaviour(call, kNative, 0)) return *bad;
  if (!call.types.strings().is_string(*call.args[1])) {
    return wrong_argument(call, kNative, 1, "a String");
  }
  NativeStatus failed{};
  const auto max = int_arg(call, kNative, 2, &failed);
  if (!max) return failed;
  const auto period = int_arg(call, kNative, 3, &failed);
  if (!period) return failed;
  return answered(
      call, actors(call).new_simple_supervisor(*call.thread, call.args[0], text_arg(call, 1), *max,
                                               *period, &call.result));
}

// A child of a simple_one_for_one supervisor, from `state`.
NativeStatus supervisor_start_child(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_start_child")) return *bad;
  return answered(call,
                  actors(call).start_child(*call.thread, call.args[0], call.args[1], &call.result));
}

// `watcher` gets ("down", supervisor, reason, error) once the supervisor
// is down.
NativeStatus supervisor_monitor(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_monitor")) return *bad;
  if (auto bad = want_actor(call, "supervisor_monitor", 1)) return *bad;
  Actors::monitor_supervisor(call.args[0], call.args[1]);
  return NativeStatus::kReturn;
}

// Removes the monitors `watcher` set on the supervisor: whether one was
// removed before it went down (then no "down" notice comes).
NativeStatus supervisor_demonitor(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_demonitor")) return *bad;
  if (auto bad = want_actor(call, "supervisor_demonitor", 1)) return *bad;
  call.result = types::make_boolean(Actors::demonitor_supervisor(call.args[0], call.args[1]));
  return NativeStatus::kReturn;
}

// Stops `actor`, a child of the supervisor, for good: whether it was one.
NativeStatus supervisor_stop_child(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_stop_child")) return *bad;
  if (auto bad = want_actor(call, "supervisor_stop_child", 1)) return *bad;
  call.result = types::make_boolean(Actors::stop_child(call.args[0], call.args[1]));
  return NativeStatus::kReturn;
}

// A List of the supervisor's children that have not stopped.
NativeStatus supervisor_children(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_children")) return *bad;
  return answered(call, actors(call).children(*call.thread, call.args[0], &call.result));
}

// How many times the supervisor has restarted a child.
NativeStatus supervisor_restarts(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_restarts")) return *bad;
  return return_value(
      call, types::make_int(call.types.context(), call.m, Actors::restarts(call.args[0])));
}

// Waits until the supervisor gives up, then raises ValueError saying why.
NativeStatus supervisor_wait(NativeCall& call) {
  if (auto bad = want_supervisor(call, "supervisor_wait")) return *bad;
  return answered(call, Actors::wait_supervisor(*call.thread, call.args[0]));
}

}  // namespace

void add_actor_natives(Natives& natives) {
  natives.add("actor_spawn", 2, actor_spawn);
  natives.add("actor_send", 2, actor_send);
  natives.add("actor_ask", 2, actor_ask);
  natives.add("actor_ask_timeout", 3, actor_ask_timeout);
  natives.add("actor_ask_async", 2, actor_ask_async);
  natives.add("actor_ask_timeout_async", 3, actor_ask_timeout_async);
  natives.add("actor_send_async", 2, actor_send_async);
  natives.add("actor_reply", 1, actor_reply);
  natives.add("actor_self", 0, actor_self);
  natives.add("actor_stop", 1, actor_stop);
  natives.add("actor_wait", 1, actor_wait);
  natives.add("actor_spawn_bounded", 3, actor_spawn_bounded);
  natives.add("actor_try_send", 2, actor_try_send);
  natives.add("actor_monitor", 2, actor_monitor);
  natives.add("actor_link", 2, actor_link);
  natives.add("actor_demonitor", 2, actor_demonitor);
  natives.add("actor_unlink", 2, actor_unlink);
  natives.add("actor_trap_exits", 2, actor_trap_exits);
  natives.add("supervisor_new", 3, supervisor_new);
  natives.add("supervisor_spawn", 3, supervisor_spawn);
  natives.add("supervisor_restarts", 1, supervisor_restarts);
  natives.add("supervisor_wait", 1, supervisor_wait);
  natives.add("supervisor_spawn_bounded", 4, supervisor_spawn_bounded);
  natives.add("supervisor_spawn_supervisor", 4, supervisor_spawn_supervisor);
  natives.add("supervisor_monitor", 2, supervisor_monitor);
  natives.add("supervisor_spawn_child", 5, supervisor_spawn_child);
  natives.add("supervisor_demonitor", 2, supervisor_demonitor);
  natives.add("supervisor_stop_child", 2, supervisor_stop_child);
  natives.add("supervisor_children", 1, supervisor_children);
  natives.add("supervisor_new_simple", 4, supervisor_new_simple);
  natives.add("supervisor_start_child", 2, supervisor_start_child);
}

}  // namespace runa::bridge
