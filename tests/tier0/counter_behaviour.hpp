// The counter behaviour of the tier-0 actor tests: function 1 of their
// preludes, which must declare type 3 "(Any,Any)->Any". It adds each
// message to the state and answers an ask with the sum.
#pragma once

#include <string_view>

namespace runa::tier0 {

inline constexpr std::string_view kCounterBehaviour =
    R"(; counter: adds each message to the state and answers the sum.
.function 1 counter type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  LOAD_LOCAL state
  LOAD_LOCAL msg
  ADD
  DUP
  PUSH_CONST extern "actor_reply"
  SWAP
  CALL 1
  POP
  RETURN
.end
)";

}  // namespace runa::tier0
