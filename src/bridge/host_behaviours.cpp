// HostBehaviours (host_behaviours.hpp): the native running a host
// behaviour's turn, (state, message) -> state.
#include "bridge/host_behaviours.hpp"

#include <exception>
#include <string>

#include "runatime/runtime.hpp"

namespace runa::bridge {

void HostBehaviours::add_native(Natives& natives) const {
  // The name is the host's own: no native of the runtime's takes it.
  natives.add(kNative, 2, run, this);
}

NativeStatus HostBehaviours::run(NativeCall& call) {
  const auto* self = static_cast<const HostBehaviours*>(call.native->context);
  if (!self->objects_.is(*call.args[0])) {
    return wrong_argument(call, kNative, 0,
                          "the state of a host behaviour (made by Actor::spawn or rt_actor_spawn)");
  }
  // The callable is off the heap: it stays where it is while the behaviour
  // collects, and the state slot keeps it alive meanwhile.
  rt::Actor::Behaviour& behaviour = *ForeignObjects<rt::Actor::Behaviour>::of(*call.args[0]);
  rt::Thread& t = *call.thread;
  try {
    behaviour(t, call.args[1]);
  } catch (const std::exception& e) {
    return raise(call, "ValueError", std::string("a C++ behaviour threw: ") + e.what());
  } catch (...) {
    return raise(call, "ValueError", "a C++ behaviour threw something not a std::exception");
  }
  if (t.exception != types::kNothing) {
    call.thrown = t.exception;
    return NativeStatus::kThrow;
  }
  call.result = *call.args[0];  // re-read: the behaviour may have collected
  return NativeStatus::kReturn;
}

}  // namespace runa::bridge
