// The async functions the tier-0 tests of tasks share: sleeper (function
// 1), failing (function 3) and awaiting (function 4). The including prelude declares the types
// "(Any)->Any", "(Any,Any)->Any" and DivisionByZero.
#pragma once

#include <string_view>

namespace runa::tier0 {

inline constexpr std::string_view kSharedAsync = R"(
; sleeper(ms, v): sleeps ms, then returns v
.function 1 sleeper type "(Any,Any)->Any" flags ASYNC
  .param ms type Any
  .param v type Any
  PUSH_CONST extern "task_sleep"
  LOAD_LOCAL ms
  CALL 1
  AWAIT
  POP
  LOAD_LOCAL v
  RETURN
.end
; failing(ms): sleeps, then divides by zero
.function 3 failing type "(Any)->Any" flags ASYNC
  .param ms type Any
  PUSH_CONST function sleeper
  LOAD_LOCAL ms
  PUSH_CONST 0
  CALL 2
  AWAIT
  PUSH_CONST 1
  SWAP
  DIV
  RETURN
.end
; awaiting(holder): yields, then awaits the task in holder[0]
.function 4 awaiting type "(Any)->Any" flags ASYNC
  .param holder type Any
  PUSH_CONST extern "task_yield"
  CALL 0
  AWAIT
  POP
  LOAD_LOCAL holder
  PUSH_CONST 0
  GET_ITEM
  AWAIT
  RETURN
.end
)";

}  // namespace runa::tier0
