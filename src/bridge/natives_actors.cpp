// The natives of actors for programs (docs/natives.md, "Actors"), over the
// runtime's Actors (actors.hpp): spawn an actor whose behaviour is a Runa
// function, send and ask (with or without a timeout), reply and self inside
// a behaviour, stop and wait.
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

std::optional<NativeStatus> want_actor(NativeCall& call, std::string_view native) {
  if (actors(call).is_actor(*call.args[0])) return std::nullopt;
  return wrong_argument(call, native, 0, "an Actor");
}

// A new actor: behaviour(state, message) handles each message and returns
// the next state, starting from `state`.
NativeStatus actor_spawn(NativeCall& call) {
  if (rt::ops::callee(*call.thread, *call.args[0], 2) == nullptr) {
    // callee() raised a TypeError about a CALL; say what actor_spawn wants.
    call.thread->exception = types::kNothing;
    call.thread->trace = types::kNothing;
    return wrong_argument(call, "actor_spawn", 0,
                          "a Function or closure taking 2 arguments (state, message)");
  }
  return answered(call, actors(call).spawn(*call.thread, call.args[0], call.args[1], &call.result));
}

// Sends the message; the actor handles it later, in the order of this
// thread's sends.
NativeStatus actor_send(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_send")) return *bad;
  return answered(call, actors(call).send(*call.thread, call.args[0], call.args[1]));
}

// Sends the message and waits for the behaviour's actor_reply.
NativeStatus actor_ask(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_ask")) return *bad;
  return answered(call, actors(call).ask(*call.thread, call.args[0], call.args[1], &call.result));
}

// actor_ask giving up after `millis` milliseconds: Timeout when no reply
// came by then (the message stays with the actor; a later reply is
// dropped).
NativeStatus actor_ask_timeout(NativeCall& call) {
  if (auto bad = want_actor(call, "actor_ask_timeout")) return *bad;
  NativeStatus failed{};
  const auto millis = int_arg(call, "actor_ask_timeout", 2, &failed);
  if (!millis) return failed;
  if (*millis < 0) {
    return raise(
        call, "ValueError",
        "actor_ask_timeout: a timeout is 0 or more milliseconds, not " + std::to_string(*millis));
  }
  return answered(
      call, actors(call).ask(*call.thread, call.args[0], call.args[1], &call.result, *millis));
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

}  // namespace

void add_actor_natives(Natives& natives) {
  natives.add("actor_spawn", 2, actor_spawn);
  natives.add("actor_send", 2, actor_send);
  natives.add("actor_ask", 2, actor_ask);
  natives.add("actor_ask_timeout", 3, actor_ask_timeout);
  natives.add("actor_reply", 1, actor_reply);
  natives.add("actor_self", 0, actor_self);
  natives.add("actor_stop", 1, actor_stop);
  natives.add("actor_wait", 1, actor_wait);
}

}  // namespace runa::bridge
