// channel_select (docs/natives.md): a thread's wait on the first of several
// channels to have a value — which channel it picks, closed channels left
// out until every one is closed, fairness between channels always ready,
// and two sender threads racing (also under tier0-stress: the senders make
// a String per value while the selecting thread waits in a blocking
// region).
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPrelude = R"(
.meta globals a Any, b Any, c Any
.type 1 primitive Integer
.type 2 primitive String
.type 5 external ValueError layout hex ""
; fill(ch): a thread: sends "v0" .. "v99" on ch, then closes it
.function 1 fill_a type "()->Any"
  PUSH_CONST function fill
  LOAD_GLOBAL a
  CALL 1
  RETURN
.end
.function 2 fill_b type "()->Any"
  PUSH_CONST function fill
  LOAD_GLOBAL b
  CALL 1
  RETURN
.end
.function 3 fill type "(Any)->Any"
  .param ch type Any
  .local i type Any slot 1 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 100
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_send"
  LOAD_LOCAL ch
  PUSH_CONST "v"
  LOAD_LOCAL i
  TEXT_CONCAT 2
  CALL 2
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST extern "channel_close"
  LOAD_LOCAL ch
  CALL 1
  RETURN
end:
.end
.type 3 function "(Any)->Any" params Any returns Any
)";

const std::string kNew =
    "PUSH_CONST extern \"channel_new\"\nPUSH_CONST 0\nCALL 1\nSTORE_GLOBAL a\n"
    "PUSH_CONST extern \"channel_new\"\nPUSH_CONST 4\nCALL 1\nSTORE_GLOBAL b\n"
    "PUSH_CONST extern \"channel_new\"\nPUSH_CONST 0\nCALL 1\nSTORE_GLOBAL c\n";
const std::string kSelect =
    "PUSH_CONST extern \"channel_select\"\nLOAD_GLOBAL a\nLOAD_GLOBAL b\nLOAD_GLOBAL c\n"
    "NEW_LIST 3\nCALL 1\n";

std::string send(std::string_view ch, std::string_view v) {
  return "PUSH_CONST extern \"channel_send\"\nLOAD_GLOBAL " + std::string(ch) + "\nPUSH_CONST " +
         std::string(v) + "\nCALL 2\nPOP\n";
}
std::string close(std::string_view ch) {
  return "PUSH_CONST extern \"channel_close\"\nLOAD_GLOBAL " + std::string(ch) + "\nCALL 1\nPOP\n";
}

TEST_F(Tier0Test, SelectPicksTheReadyChannel) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(kNew + send("a", "10") + kSelect + "RETURN", p), "= [0, 10]");
  EXPECT_EQ(eval(kNew + send("b", "11") + kSelect + "RETURN", p), "= [1, 11]");
  EXPECT_EQ(eval(kNew + send("c", "12") + kSelect + "RETURN", p), "= [2, 12]");
}

// A closed and drained channel is left out; a value sent before the close
// is still received; all closed and empty raises.
TEST_F(Tier0Test, SelectLeavesClosedChannelsOut) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(kNew + close("a") + close("c") + send("b", "7") + kSelect + "RETURN", p),
            "= [1, 7]");
  EXPECT_EQ(
      eval(kNew + send("c", "8") + close("a") + close("b") + close("c") + kSelect + "RETURN", p),
      "= [2, 8]");
  EXPECT_EQ(eval(kNew + close("a") + close("b") + close("c") + kSelect + "RETURN", p),
            "! ValueError: channel_select: every channel is closed and empty");
  EXPECT_EQ(eval("PUSH_CONST extern \"channel_select\"\nNEW_LIST 0\nCALL 1\nRETURN", p),
            "! TypeError: channel_select: argument 1 must be a non-empty List of Channels and "
            "ChannelOps, not "
            "List[Any] []");
}

// Two channels always ready: a random start picks each of them (the
// chance that 60 selects all pick one is 2^-59).
TEST_F(Tier0Test, SelectStarvesNoChannel) {
  std::string code =
      ".local seen type Any slot 0 scope 0 end\n"
      ".local i type Any slot 1 scope 0 end\n" +
      kNew;
  for (int i = 0; i < 60; ++i) code += send("a", "0") + send("c", "2");
  code +=
      "PUSH_CONST 0\nSTORE_LOCAL seen\nPUSH_CONST 0\nSTORE_LOCAL i\n"
      "loop:\nLOAD_LOCAL i\nPUSH_CONST 60\nLT\nJUMP_IF_FALSE done\n" +
      kSelect +
      "PUSH_CONST 0\nGET_ITEM\nLOAD_LOCAL seen\nADD\nSTORE_LOCAL seen\n"
      "LOAD_LOCAL i\nPUSH_CONST 1\nADD\nSTORE_LOCAL i\nJUMP loop\n"
      "done:\nLOAD_LOCAL seen\nPUSH_CONST 0\nGT\nLOAD_LOCAL seen\nPUSH_CONST 120\nLT\n"
      "NEW_LIST 2\nRETURN\nend:";
  EXPECT_EQ(eval(code, kPrelude), "= [true, true]");
}

// Two threads race to fill two channels and close them; the selecting
// thread receives every value once and ends when both are closed.
TEST_F(Tier0Test, SelectRacingTwoSenders) {
  const std::string code = R"(
  .local n type Any slot 0 scope 0 end
  .local from_a type Any slot 1 scope 0 end
)" + kNew + R"(
  PUSH_CONST 0
  STORE_LOCAL n
  PUSH_CONST 0
  STORE_LOCAL from_a
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function fill_a
  CALL 1
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function fill_b
  CALL 1
)" + close("c") + R"(
  TRY_BEGIN closed none
loop:
  PUSH_CONST extern "channel_select"
  LOAD_GLOBAL a
  LOAD_GLOBAL b
  LOAD_GLOBAL c
  NEW_LIST 3
  CALL 1
  PUSH_CONST 0
  GET_ITEM
  PUSH_CONST 0
  EQ
  JUMP_IF_FALSE counted
  LOAD_LOCAL from_a
  PUSH_CONST 1
  ADD
  STORE_LOCAL from_a
counted:
  LOAD_LOCAL n
  PUSH_CONST 1
  ADD
  STORE_LOCAL n
  JUMP loop
  TRY_END
closed:
  CATCH_BEGIN type ValueError
  POP
  CATCH_END
  PUSH_CONST extern "thread_join"
  SWAP
  CALL 1
  POP
  PUSH_CONST extern "thread_join"
  SWAP
  CALL 1
  POP
  LOAD_LOCAL n
  LOAD_LOCAL from_a
  NEW_LIST 2
  RETURN
end:
)";
  for (int round = 0; round < 5; ++round) {
    EXPECT_EQ(eval(code, kPrelude), "= [200, 100]") << "round " << round;
  }
}

}  // namespace
}  // namespace runa::tier0
