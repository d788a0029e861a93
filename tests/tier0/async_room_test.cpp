// Tasks waiting for room in a full bounded mailbox (actor_ask_async,
// actor_ask_timeout_async and actor_send_async to an actor of
// actor_spawn_bounded; src/bridge/actor_asks.cpp, "Waiting for room"):
// only the awaiting task waits, the thread runs the others, and the turn
// that takes a message wakes one waiting task.
//
// The interleaving that would lose a wake-up (ActorCore::space_made): a
// task finds the mailbox full; the turn takes the last message, freeing
// the slot, and finds nobody in the `room` list; then the task registers
// and sleeps for ever. ManySendersIntoCapacityOne hits it on nearly every
// message: with a capacity of 1, each of the senders' deliveries races
// with the turn freeing the one slot while the scheduler registers the
// others (a lost wake-up hangs the test; a message delivered twice or not
// at all changes the count); RegisteringAsTheLastSlotIsFreed aims an ask
// at the moment the turn frees the one slot, round after round. Under
// tier0-stress and TSan as well.
#include <string>
#include <string_view>

#include "async_actor_prelude.hpp"
#include "task_body.hpp"

namespace runa::tier0 {
namespace {

// .function `id` `name`(n): n awaited calls of `native` (actor_send_async
// or actor_ask_async) with 1 to the actor in a; n.
std::string awaiting_loop(int id, std::string_view name, std::string_view native) {
  return ".function " + std::to_string(id) + " " + std::string(name) +
         " type \"(Any)->Any\" flags ASYNC\n"
         "  .param n type Any\n  .local i type Any slot 1 scope 0 end\n"
         "  PUSH_CONST 0\n  STORE_LOCAL i\nloop:\n  LOAD_LOCAL i\n  LOAD_LOCAL n\n  LT\n"
         "  JUMP_IF_FALSE done\n  PUSH_CONST extern \"" +
         std::string(native) +
         "\"\n  LOAD_GLOBAL a\n  PUSH_CONST 1\n  CALL 2\n  AWAIT\n  POP\n"
         "  LOAD_LOCAL i\n  PUSH_CONST 1\n  ADD\n  STORE_LOCAL i\n  JUMP loop\ndone:\n"
         "  LOAD_LOCAL n\n  RETURN\nend:\n.end\n";
}

// A Semaphore with no permit in c, and in a an actor of `behaviour` whose
// mailbox holds one message.
std::string spawn_bounded(std::string_view behaviour) {
  return "PUSH_CONST extern \"semaphore_new\"\nPUSH_CONST 0\nCALL 1\nSTORE_GLOBAL c\n"
         "PUSH_CONST extern \"actor_spawn_bounded\"\nPUSH_CONST function " +
         std::string(behaviour) + "\nPUSH_CONST 0\nPUSH_CONST 1\nCALL 3\nSTORE_GLOBAL a\n";
}
// Two blocking sends of 1 to a gated actor: once the second returns, the
// behaviour holds the first (waiting for a permit) and the second fills
// the mailbox (it went in only once the turn had taken the first).
constexpr std::string_view kFill =
    "PUSH_CONST extern \"actor_send\"\nLOAD_GLOBAL a\nPUSH_CONST 1\nCALL 2\nPOP\n"
    "PUSH_CONST extern \"actor_send\"\nLOAD_GLOBAL a\nPUSH_CONST 1\nCALL 2\nPOP\n";
constexpr std::string_view kRelease3 =
    "PUSH_CONST extern \"semaphore_release\"\nLOAD_GLOBAL c\nCALL 1\nPOP\n"
    "PUSH_CONST extern \"semaphore_release\"\nLOAD_GLOBAL c\nCALL 1\nPOP\n"
    "PUSH_CONST extern \"semaphore_release\"\nLOAD_GLOBAL c\nCALL 1\nPOP\n";
constexpr std::string_view kStopAndWait =
    "PUSH_CONST extern \"actor_stop\"\nLOAD_GLOBAL a\nCALL 1\nPOP\n"
    "PUSH_CONST extern \"actor_wait\"\nLOAD_GLOBAL a\nCALL 1\n";
// A task asking 3 of the full mailbox, in w (and a local r), and a yield
// so that it waits.
constexpr std::string_view kSpawnAsker =
    ".local w type Any slot 0 scope 0 end\n.local r type Any slot 1 scope 0 end\n"
    "PUSH_CONST extern \"task_spawn\"\nPUSH_CONST function one\nPUSH_CONST 3\nCALL 1\nCALL 1\n"
    "STORE_LOCAL w\nPUSH_CONST extern \"task_yield\"\nCALL 0\nAWAIT\nPOP\n";

// Kept for the tests' lifetime: TaskBodyTest holds a view of it.
const std::string& prelude() {
  static const auto* made =
      new std::string(actor_prelude(awaiting_loop(3, "sender", "actor_send_async") +
                                    awaiting_loop(4, "asker", "actor_ask_async")));
  return *made;
}

class AsyncRoomTest : public TaskBodyTest {
 protected:
  AsyncRoomTest() : TaskBodyTest(prelude()) {}
};

TEST_F(AsyncRoomTest, ChecksItsArguments) {
  EXPECT_EQ(eval("PUSH_CONST extern \"actor_send_async\"\nPUSH_CONST 3\nPUSH_CONST 1\n"
                 "CALL 2\nRETURN",
                 prelude()),
            "! TypeError: actor_send_async: argument 1 must be an Actor, not Integer 3");
}

// With room, the AWAIT of an ActorSend is nothing and the message is
// handled; to a stopped actor, ValueError at the call.
TEST_F(AsyncRoomTest, ASendAsyncDelivers) {
  EXPECT_EQ(run_body(spawn_bounded("counter"),
                     "PUSH_CONST extern \"actor_send_async\"\nLOAD_GLOBAL a\nPUSH_CONST 4\n"
                     "CALL 2\nAWAIT\n" +
                         std::string(kStopAndWait) + "NEW_LIST 2\nRETURN"),
            "= [nothing, 4]");
  EXPECT_EQ(run_body(spawn_bounded("counter") + std::string(kStopAndWait) + "POP\n",
                     "PUSH_CONST extern \"actor_send_async\"\nLOAD_GLOBAL a\nPUSH_CONST 4\n"
                     "CALL 2\nAWAIT\nRETURN"),
            "! ValueError: actor_send_async: the actor has stopped (actor_stop was called); the "
            "message was not delivered");
}

// The mailbox is full and the behaviour holds a message: the task asking
// waits for room, and meanwhile main runs (were the thread blocked, main
// would never release the behaviour and the test would hang), sees the
// task waiting for room in the dump, then lets the actor go on: the
// reply to the ask that waited is 1 + 1 + 3.
TEST_F(AsyncRoomTest, WaitingForRoomSuspendsOnlyItsTask) {
  EXPECT_EQ(run_body(spawn_bounded("gated") + std::string(kFill),
                     std::string(kSpawnAsker) +
                         "PUSH_CONST extern \"text_find\"\nPUSH_CONST extern \"runtime_dump\"\n"
                         "CALL 0\nPUSH_CONST \"one, waiting for room in an actor's mailbox\"\n"
                         "CALL 2\nPUSH_CONST 0\nGE\n" +
                         std::string(kRelease3) + "LOAD_LOCAL w\nAWAIT\nNEW_LIST 2\nRETURN"),
            "= [true, 5]");
}

// A stop while the task waits for room wakes it (space_made(true)): its
// message is refused, as a send to a stopping actor is. The AWAIT comes
// after main releases the behaviour, so the actor may have finished
// stopping by then or not: either refusal, never a delivery.
TEST_F(AsyncRoomTest, AStopEndsTheWaitForRoom) {
  const std::string got = run_body(
      spawn_bounded("gated") + std::string(kFill),
      std::string(kSpawnAsker) + "PUSH_CONST extern \"actor_stop\"\nLOAD_GLOBAL a\nCALL 1\nPOP\n" +
          std::string(kRelease3) + "LOAD_LOCAL w\nAWAIT\nRETURN");
  const std::string refused = "! ValueError: actor_ask_async: the actor ";
  const std::string why = " (actor_stop was called); the message was not delivered";
  EXPECT_TRUE(got == refused + "is stopping" + why || got == refused + "has stopped" + why) << got;
}

// The timeout covers the wait for room: past it the message is withdrawn
// (Timeout says so, at every AWAIT), and the actor never sees it: its
// last state is 2.
TEST_F(AsyncRoomTest, ATimeoutWithdrawsAMessageWaitingForRoom) {
  const std::string ask =
      ".local q type Any slot 0 scope 0 end\n.local e type Any slot 1 scope 0 end\n"
      "PUSH_CONST extern \"actor_ask_timeout_async\"\nLOAD_GLOBAL a\nPUSH_CONST 3\n"
      "PUSH_CONST 20\nCALL 3\nSTORE_LOCAL q\n"
      "TRY_BEGIN c1 none\nLOAD_LOCAL q\nAWAIT\nRETURN\nTRY_END\nc1:\n"
      "CATCH_BEGIN type Timeout\nPOP\nCATCH_END\n"
      "TRY_BEGIN c2 none\nLOAD_LOCAL q\nAWAIT\nRETURN\nTRY_END\nc2:\n"
      "CATCH_BEGIN type Timeout\nSTORE_LOCAL e\nCATCH_END\n" +
      std::string(kRelease3) + std::string(kStopAndWait);
  EXPECT_EQ(run_body(spawn_bounded("gated") + std::string(kFill), ask + "POP\nLOAD_LOCAL e\nTHROW"),
            "! Timeout: actor_ask_timeout_async: no room in the actor's full mailbox within 20 "
            "ms; the message was not delivered");
  EXPECT_EQ(run_body(spawn_bounded("gated") + std::string(kFill), ask + "RETURN"), "= 2");
}

// Cancelling the task withdraws its wait: it ends with Cancelled, and its
// message (never delivered) is dropped with the Ask: the actor's last
// state is 2.
TEST_F(AsyncRoomTest, CancellingWithdrawsTheWait) {
  EXPECT_EQ(run_body(spawn_bounded("gated") + std::string(kFill),
                     std::string(kSpawnAsker) +
                         "PUSH_CONST extern \"task_cancel\"\nLOAD_LOCAL w\nCALL 1\nPOP\n"
                         "TRY_BEGIN c1 none\nLOAD_LOCAL w\nAWAIT\nPOP\nPUSH_CONST \"no\"\n"
                         "STORE_LOCAL r\nTRY_END\nc1:\n"
                         "CATCH_BEGIN type Cancelled\nPOP\nPUSH_CONST \"cancelled\"\n"
                         "STORE_LOCAL r\nCATCH_END\n" +
                         std::string(kRelease3) + std::string(kStopAndWait) +
                         "LOAD_LOCAL r\nNEW_LIST 2\nRETURN"),
            "= [2, \"cancelled\"]");
}

// The interleaving of the header, aimed at: each round fills a fresh
// actor's mailbox, lets the behaviour finish its first message — the turn
// then takes the second, freeing the one slot — and at that moment asks
// (the call's delivery, then the AWAIT's registration and retry, racing
// the slot being freed). A lost wake-up hangs the round; each ask that
// waited gets 1 + 1 + 3, so 100 rounds count 100.
TEST_F(AsyncRoomTest, RegisteringAsTheLastSlotIsFreed) {
  const std::string body = R"(
  .local i type Any slot 0 scope 0 end
  .local n type Any slot 1 scope 0 end
  .local q type Any slot 2 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
  PUSH_CONST 0
  STORE_LOCAL n
loop:
  LOAD_LOCAL i
  PUSH_CONST 100
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "actor_spawn_bounded"
  PUSH_CONST function gated
  PUSH_CONST 0
  PUSH_CONST 1
  CALL 3
  STORE_GLOBAL a
)" + std::string(kFill) + R"(
  PUSH_CONST extern "semaphore_release"
  LOAD_GLOBAL c
  CALL 1
  POP
  PUSH_CONST extern "actor_ask_async"
  LOAD_GLOBAL a
  PUSH_CONST 3
  CALL 2
  STORE_LOCAL q
  PUSH_CONST extern "semaphore_release"
  LOAD_GLOBAL c
  CALL 1
  POP
  PUSH_CONST extern "semaphore_release"
  LOAD_GLOBAL c
  CALL 1
  POP
  LOAD_LOCAL q
  AWAIT
  PUSH_CONST 5
  EQ
  JUMP_IF_FALSE wrong
  LOAD_LOCAL n
  PUSH_CONST 1
  ADD
  STORE_LOCAL n
wrong:
  PUSH_CONST extern "actor_stop"
  LOAD_GLOBAL a
  CALL 1
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  LOAD_LOCAL n
  RETURN
)";
  EXPECT_EQ(run_body(spawn_bounded("gated"), body), "= 100");
}

// Four senders and two askers race 100 messages each into a mailbox of
// capacity 1 (the header: the lost wake-up this would hang on): every
// message is handled exactly once, so the actor counts 600.
TEST_F(AsyncRoomTest, ManySendersIntoCapacityOne) {
  std::string body;
  for (const char* f : {"sender", "sender", "sender", "sender", "asker"}) {
    body += "PUSH_CONST extern \"task_spawn\"\nPUSH_CONST function " + std::string(f) +
            "\nPUSH_CONST 100\nCALL 1\nCALL 1\n";
  }
  body += "PUSH_CONST function asker\nPUSH_CONST 100\nCALL 1\nAWAIT\nPOP\n";
  for (int i = 0; i < 5; ++i) body += "AWAIT\nPOP\n";
  body += std::string(kStopAndWait) + "RETURN\n";
  for (int round = 0; round < 5; ++round) {
    EXPECT_EQ(run_body(spawn_bounded("counter"), body), "= 600") << "round " << round;
  }
}

}  // namespace
}  // namespace runa::tier0
