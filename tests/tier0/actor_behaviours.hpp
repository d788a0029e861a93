// Behaviours the tier-0 actor and supervision tests share, as assembly:
// function `index` (counter: 1) of a prelude that declares type 3
// "(Any,Any)->Any" (and, for fragile, type 7 DivisionByZero).
#pragma once

#include <string>
#include <string_view>

namespace runa::tier0 {

// The end of a behaviour that adds the message to the state, answers an
// ask with the sum and returns it as the next state.
inline constexpr std::string_view kSumAndReply = R"(  LOAD_LOCAL state
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

// counter: adds each message to the state and answers an ask with the sum
// (function 1 of the actor tests' preludes).
inline std::string counter_behaviour() {
  return R"(; counter: adds each message to the state and answers the sum.
.function 1 counter type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
)" + std::string(kSumAndReply);
}

// fragile: throws DivisionByZero on 0; else adds the message to the state
// and answers an ask with the sum.
inline std::string fragile_behaviour(int index) {
  return "; fragile: throws DivisionByZero on 0; else adds the message to the\n"
         "; state and answers an ask with the sum.\n"
         ".function " +
         std::to_string(index) + R"( fragile type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST 1
  LOAD_LOCAL msg
  DIV
  POP
)" + std::string(kSumAndReply);
}

// `name`: sends each message to the Channel in the global `channel`.
inline std::string forward_behaviour(int index, std::string_view name, std::string_view channel) {
  return "; " + std::string(name) + ": sends each message to the Channel in " +
         std::string(channel) + ".\n.function " + std::to_string(index) + " " + std::string(name) +
         R"( type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "channel_send"
  LOAD_GLOBAL )" +
         std::string(channel) + R"(
  LOAD_LOCAL msg
  CALL 2
  POP
  LOAD_LOCAL state
  RETURN
.end
)";
}

}  // namespace runa::tier0
