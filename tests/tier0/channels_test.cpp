// Threads and channels for programs (docs/concurrency.md, "Threads and
// channels for programs"): the natives' results and errors, values crossing
// threads while collections move them (also under tier0-stress: a
// collection at every allocation), a channel's last values freed with it,
// a thread the program never joined joined by the runtime's end, and
// collections completing while program threads wait on a channel.
#include <atomic>

#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPrelude = R"(
.meta globals ch Any
.type 1 primitive Integer
.type 2 primitive String
.function 1 send_strings type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 300
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_send"
  LOAD_GLOBAL ch
  PUSH_CONST "s"
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
  LOAD_GLOBAL ch
  CALL 1
  RETURN
end:
.end
.function 2 receive_one type "()->Any"
  PUSH_CONST extern "channel_receive"
  LOAD_GLOBAL ch
  CALL 1
  RETURN
.end
.function 3 seven type "()->Any"
  PUSH_CONST 7
  RETURN
.end
)";

std::string with_channel(std::string_view capacity, std::string_view rest) {
  return "PUSH_CONST extern \"channel_new\"\nPUSH_CONST " + std::string(capacity) +
         "\nCALL 1\nSTORE_GLOBAL ch\n" + std::string(rest);
}

TEST_F(Tier0Test, ChannelNativesCheckTheirArguments) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval("PUSH_CONST extern \"channel_new\"\nPUSH_CONST -1\nCALL 1\nRETURN", p),
            "! ValueError: channel_new: a capacity is 0 (unbounded) to 1048576, not -1");
  EXPECT_EQ(
      eval("PUSH_CONST extern \"channel_new\"\nPUSH_CONST 4611686018427387903\nCALL 1\nRETURN", p),
      "! ValueError: channel_new: a capacity is 0 (unbounded) to 1048576, not "
      "4611686018427387903")
      << "a huge capacity is refused, not reserved";
  EXPECT_EQ(
      eval("PUSH_CONST extern \"channel_send\"\nPUSH_CONST 1\nPUSH_CONST 2\nCALL 2\nRETURN", p)
          .substr(0, 42),
      "! TypeError: channel_send: argument 1 must");
  EXPECT_EQ(eval(with_channel("2",
                              "PUSH_CONST extern \"channel_close\"\nLOAD_GLOBAL ch\nCALL 1\n"
                              "POP\nPUSH_CONST extern \"channel_send\"\nLOAD_GLOBAL ch\n"
                              "PUSH_CONST 1\nCALL 2\nRETURN"),
                 p),
            "! ValueError: channel_send: the channel is closed");
  EXPECT_EQ(eval(with_channel("0",
                              "PUSH_CONST extern \"channel_close\"\nLOAD_GLOBAL ch\nCALL 1\n"
                              "POP\nPUSH_CONST extern \"channel_receive\"\nLOAD_GLOBAL ch\n"
                              "CALL 1\nRETURN"),
                 p),
            "! ValueError: channel_receive: the channel is closed and empty");
  EXPECT_EQ(eval("PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST 3\nCALL 1\nRETURN", p),
            "! TypeError: CALL: Integer 3 is not callable");
  EXPECT_EQ(
      eval("PUSH_CONST extern \"thread_join\"\nPUSH_CONST 3\nCALL 1\nRETURN", p).substr(0, 40),
      "! TypeError: thread_join: argument 1 mus");
}

TEST_F(Tier0Test, ValuesSentFromAThreadArriveInOrderAndAlive) {
  // A bounded channel of 4 between a thread sending 300 new Strings and
  // main receiving them: the sender waits when it is full, and each String
  // is made on one thread, kept in the channel across collections, and
  // read on the other.
  const std::string receive_all =
      "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function send_strings\nCALL 1\n"
      "PUSH_CONST \"\"\n"  // [thread acc]
      "TRY_BEGIN closed none\n"
      "loop:\n"
      "PUSH_CONST extern \"channel_receive\"\nLOAD_GLOBAL ch\nCALL 1\n"
      "TEXT_CONCAT 2\nJUMP loop\nTRY_END\n"
      "closed:\nCATCH_BEGIN type ValueError\nPOP\nCATCH_END\n"
      "PUSH_CONST extern \"text_length\"\nSWAP\nCALL 1\n"  // [thread length]
      "SWAP\nPUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\nPOP\nRETURN";
  const std::string p = std::string(kPrelude) + ".type 5 external ValueError layout hex \"\"\n";
  // "s0" .. "s9": 20 bytes, "s10" .. "s99": 270, "s100" .. "s299": 800.
  EXPECT_EQ(eval(with_channel("4", receive_all), p), "= 1090");
  EXPECT_EQ(eval(with_channel("0", receive_all), p), "= 1090") << "unbounded";
}

TEST_F(Tier0Test, AThreadsResultAndASecondJoin) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval("PUSH_CONST extern \"thread_join\"\nPUSH_CONST extern \"thread_spawn\"\n"
                 "PUSH_CONST function seven\nCALL 1\nCALL 1\nRETURN",
                 p),
            "= 7");
  EXPECT_EQ(eval("PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function seven\nCALL 1\nDUP\n"
                 "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\nPOP\n"
                 "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\nRETURN",
                 p),
            "! ValueError: thread_join: the thread was joined already");
}

// A thread left waiting on a channel with values still in others: main
// returns without joining it; collections run while it waits (it is in a
// blocking region), and the runtime's end joins it once its channel closes.
TEST_F(Tier0Test, ThreadsWaitingOnChannelsNeverDelayCollections) {
  const std::string p(kPrelude);
  // Two waiting receivers, a full collection from main, then values for both.
  EXPECT_EQ(
      eval(with_channel("1",
                        "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function receive_one\n"
                        "CALL 1\nPUSH_CONST extern \"thread_spawn\"\n"
                        "PUSH_CONST function receive_one\nCALL 1\n"  // [t1 t2]
                        "PUSH_CONST extern \"gc_collect\"\nPUSH_CONST true\nCALL 1\nPOP\n"
                        "PUSH_CONST extern \"channel_send\"\nLOAD_GLOBAL ch\nPUSH_CONST \"x\"\n"
                        "CALL 2\nPOP\nPUSH_CONST extern \"channel_send\"\nLOAD_GLOBAL ch\n"
                        "PUSH_CONST \"y\"\nCALL 2\nPOP\n"
                        "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\n"
                        "SWAP\nPUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\n"
                        "TEXT_CONCAT 2\nRETURN"),
           p)
          .size(),
      std::string("= \"xy\"").size())
      << "both values arrive, in either order";
  for (int i = 0; i < 50; ++i) runtime_->heap().collect(*t_->m, i % 2 == 0);
  // Values left in a channel nobody reads again are freed with it.
  EXPECT_EQ(eval(with_channel("0",
                              "PUSH_CONST extern \"channel_send\"\nLOAD_GLOBAL ch\n"
                              "PUSH_CONST \"left\"\nCALL 2\nPOP\nPUSH_CONST null\n"
                              "STORE_GLOBAL ch\nPUSH_CONST 0\nRETURN"),
                 p),
            "= 0");
}

}  // namespace
}  // namespace runa::tier0
