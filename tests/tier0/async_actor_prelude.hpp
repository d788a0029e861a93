// The start of the preludes of the tests of actors awaited by tasks
// (async_ask_test.cpp, async_room_test.cpp): globals a (the actor) and c
// (a Semaphore), the exception types, two behaviours — counter, which adds
// each message to its state and answers the sum, and gated, which first
// waits for a permit of the Semaphore in c — and one(x), a task asking the
// actor in a once (function 8: the tests number theirs 3 to 7).
#pragma once

#include <string>
#include <string_view>

#include "actor_behaviours.hpp"

namespace runa::tier0 {

inline constexpr std::string_view kActorPreludeHead = R"(
.meta globals a Any, c Any
.type 1 primitive Integer
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 4 function "(Any)->Any" params Any returns Any
.type 5 external ValueError layout hex ""
.type 6 external Timeout layout hex ""
.type 7 external Cancelled layout hex ""
)";

// After counter_behaviour() (actor_behaviours.hpp).
inline constexpr std::string_view kActorPreludeTail =
    R"(; gated: waits for a permit of the Semaphore in c, then does counter's work.
.function 2 gated type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "semaphore_acquire"
  LOAD_GLOBAL c
  CALL 1
  POP
  PUSH_CONST function counter
  LOAD_LOCAL state
  LOAD_LOCAL msg
  CALL 2
  RETURN
.end
; one(x): a task that asks the actor in a once.
.function 8 one type "(Any)->Any" flags ASYNC
  .param x type Any
  PUSH_CONST extern "actor_ask_async"
  LOAD_GLOBAL a
  LOAD_LOCAL x
  CALL 2
  AWAIT
  RETURN
.end
)";

// The prelude's start followed by a test's own functions.
inline std::string actor_prelude(std::string_view rest) {
  return std::string(kActorPreludeHead) + counter_behaviour() + std::string(kActorPreludeTail) +
         std::string(rest);
}

}  // namespace runa::tier0
