// The state the C ABI's concurrency part (include/runatime/c/concurrency.h,
// c_concurrency.cpp) keeps per rt_runtime: the layout of the objects that
// stand for C behaviours, and the native that runs them.
//
// A C behaviour (rt_actor_spawn) is an actor of the program natives' kind
// (actors.hpp) whose behaviour is the native "rt_actor_behaviour" and whose
// state a CBehaviour object: a plain object of a layout of its own with two
// raw words, the C function and its context. The collector ignores raw
// words, and only the C ABI makes objects of this layout, so a program that
// calls the native with anything else gets a TypeError, never a call
// through a forged pointer.
//
// Invariants: made by rt_runtime_create before the first attach (natives
// are registered then); the rt_runtime destroys it after its Runtime, so
// no turn runs the native once it is gone.
#pragma once

#include "bridge/lazy_layout.hpp"
#include "runatime/runtime.hpp"

namespace runa::bridge {

class CBehaviours {
 public:
  explicit CBehaviours(rt::Runtime& r);
  CBehaviours(const CBehaviours&) = delete;
  CBehaviours& operator=(const CBehaviours&) = delete;
  CBehaviours(CBehaviours&&) = delete;
  CBehaviours& operator=(CBehaviours&&) = delete;
  ~CBehaviours() = default;

  static constexpr const char* kNative = "rt_actor_behaviour";
  // Registered at its first use, which reaches it through the native's
  // context, a const pointer.
  mutable LazyLayout layout;
};

}  // namespace runa::bridge
