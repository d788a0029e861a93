// The behaviours the host gives actors (runatime/concurrency.hpp,
// Actor::spawn; the C ABI's rt_actor_spawn wraps its C function in one):
// the layout of the objects that stand for them, and the native that runs
// them.
//
// An actor with a host behaviour is an actor of the program natives' kind
// (actors.hpp) whose behaviour is the native "rt_actor_behaviour" and whose
// state a HostBehaviour: a foreign object (foreign.hpp) owning the C++
// callable, so the callable lives as long as something references the
// actor's state, and a restarted actor (its first state again) finds it.
// Only the host makes objects of this layout, so a program that calls the
// native with anything else gets a TypeError, never a call through a
// forged pointer.
//
// Invariants: registered by the RuntimeImpl before the first attach
// (natives are registered then), destroyed with it after every actor
// stopped (Runtime::finish), so no turn runs the native once it is gone.
#pragma once

#include "bridge/foreign.hpp"
#include "bridge/natives.hpp"
#include "runatime/concurrency.hpp"

namespace runa::bridge {

class HostBehaviours {
 public:
  static constexpr const char* kNative = "rt_actor_behaviour";

  explicit HostBehaviours(heap::Heap& heap) : objects_(heap, "HostBehaviour") {}
  HostBehaviours(const HostBehaviours&) = delete;
  HostBehaviours& operator=(const HostBehaviours&) = delete;
  HostBehaviours(HostBehaviours&&) = delete;
  HostBehaviours& operator=(HostBehaviours&&) = delete;
  ~HostBehaviours() = default;

  // Registers the native with the runtime's natives (before the first
  // attach, which adopts them).
  void add_native(Natives& natives) const;
  // A HostBehaviour owning `behaviour` in *out; false when the heap is
  // exhausted, an error when the layout cannot be registered. MAY COLLECT.
  Result<bool> make(heap::Mutator& m, rt::Actor::Behaviour behaviour, Value* out) {
    return objects_.make(m, std::make_unique<rt::Actor::Behaviour>(std::move(behaviour)), out);
  }

 private:
  static NativeStatus run(NativeCall& call);
  ForeignObjects<rt::Actor::Behaviour> objects_;
};

}  // namespace runa::bridge
