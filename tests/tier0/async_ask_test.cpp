// Asks awaited by tasks (actor_ask_async, actor_ask_timeout_async;
// src/bridge/actor_asks.cpp): the message goes at the call, the AWAIT of
// the Ask is the reply, and while it has not come only the awaiting task
// waits — the other tasks of the thread run.
//
// The interleavings that would lose a reply or a wake-up (actor_asks.cpp,
// actor_core.hpp "AskCell"), and where each is exercised:
//   - the reply arriving between the task's look and its registration:
//     ManyTasksAskOneActor (replies from the pool's workers while the
//     scheduler registers other askers), many rounds and under TSan;
//   - the reply racing the deadline: TimeoutsRacingReplies (timeouts of 0,
//     1 and 2 ms; each ask ends with the reply or Timeout, and the actor
//     handles every message);
//   - the reply arriving while the task is cancelled: CancelRacingAReply
//     (the task ends with the reply or with Cancelled, never hangs, and a
//     reply it did not take is freed with its cell);
//   - the scheduler's thread idle while the actors' workers collect: every
//     test here under tier0-stress.
#include "async_actor_prelude.hpp"
#include "task_body.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kRest = R"(
; silent: never answers.
.function 3 silent type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  LOAD_LOCAL state
  RETURN
.end
; asker(n): n asks of 1 to the actor in a, one after the other: the last
; reply.
.function 4 asker type "(Any)->Any" flags ASYNC
  .param n type Any
  .local i type Any slot 1 scope 0 end
  .local last type Any slot 2 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  LOAD_LOCAL n
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "actor_ask_async"
  LOAD_GLOBAL a
  PUSH_CONST 1
  CALL 2
  AWAIT
  STORE_LOCAL last
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  LOAD_LOCAL last
  RETURN
end:
.end
; racing(x): 200 asks of 1 with timeouts of 0, 1 and 2 ms in turn: the
; number answered.
.function 5 racing type "(Any)->Any" flags ASYNC
  .param x type Any
  .local i type Integer slot 1 scope 0 end
  .local n type Integer slot 2 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
  PUSH_CONST 0
  STORE_LOCAL n
loop:
  LOAD_LOCAL i
  PUSH_CONST 200
  LT
  JUMP_IF_FALSE done
  TRY_BEGIN timed_out none
  PUSH_CONST extern "actor_ask_timeout_async"
  LOAD_GLOBAL a
  PUSH_CONST 1
  LOAD_LOCAL i
  PUSH_CONST 3
  MOD
  CALL 3
  AWAIT
  POP
  LOAD_LOCAL n
  PUSH_CONST 1
  ADD
  STORE_LOCAL n
  TRY_END
timed_out:
  CATCH_BEGIN type Timeout
  POP
  CATCH_END
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  LOAD_LOCAL n
  RETURN
end:
.end
)";

std::string spawn_into_a(std::string_view behaviour) {
  return "PUSH_CONST extern \"semaphore_new\"\nPUSH_CONST 0\nCALL 1\nSTORE_GLOBAL c\n"
         "PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function " +
         std::string(behaviour) + "\nPUSH_CONST 0\nCALL 2\nSTORE_GLOBAL a\n";
}
std::string ask(std::string_view message) {
  return "PUSH_CONST extern \"actor_ask_async\"\nLOAD_GLOBAL a\nPUSH_CONST " +
         std::string(message) + "\nCALL 2\n";
}
std::string ask_timeout(std::string_view message, std::string_view millis) {
  return "PUSH_CONST extern \"actor_ask_timeout_async\"\nLOAD_GLOBAL a\nPUSH_CONST " +
         std::string(message) + "\nPUSH_CONST " + std::string(millis) + "\nCALL 3\n";
}
constexpr std::string_view kRelease =
    "PUSH_CONST extern \"semaphore_release\"\nLOAD_GLOBAL c\nCALL 1\nPOP\n";
constexpr std::string_view kStopAndWait =
    "PUSH_CONST extern \"actor_stop\"\nLOAD_GLOBAL a\nCALL 1\nPOP\n"
    "PUSH_CONST extern \"actor_wait\"\nLOAD_GLOBAL a\nCALL 1\n";

// Kept for the tests' lifetime: TaskBodyTest holds a view of it.
const std::string& prelude() {
  static const auto* made = new std::string(actor_prelude(kRest));
  return *made;
}

class AsyncAskTest : public TaskBodyTest {
 protected:
  AsyncAskTest() : TaskBodyTest(prelude()) {}
};

TEST_F(AsyncAskTest, ChecksItsArguments) {
  const std::string& p = prelude();
  EXPECT_EQ(eval("PUSH_CONST extern \"actor_ask_async\"\nPUSH_CONST 3\nPUSH_CONST 1\n"
                 "CALL 2\nRETURN",
                 p),
            "! TypeError: actor_ask_async: argument 1 must be an Actor, not Integer 3");
  EXPECT_EQ(eval(spawn_into_a("counter") + ask_timeout("1", "\"x\"") + "RETURN", p),
            "! TypeError: actor_ask_timeout_async: argument 3 must be an Integer, not String "
            "\"x\"");
  EXPECT_EQ(eval(spawn_into_a("counter") + ask_timeout("1", "-1") + "RETURN", p),
            "! ValueError: actor_ask_timeout_async: a timeout is 0 or more milliseconds, not -1");
}

// The reply, as often as the Ask is awaited; the other outcomes of an ask
// keep actor_ask's errors, named after the native.
TEST_F(AsyncAskTest, TheAwaitIsTheReply) {
  EXPECT_EQ(
      run_body(spawn_into_a("counter"), ".local q type Any slot 0 scope 0 end\n" + ask("5") +
                                            "STORE_LOCAL q\nLOAD_LOCAL q\nAWAIT\n" + ask("7") +
                                            "AWAIT\nLOAD_LOCAL q\nAWAIT\nNEW_LIST 3\nRETURN"),
      "= [5, 12, 5]");
  EXPECT_EQ(run_body(spawn_into_a("silent"), ask("1") + "AWAIT\nRETURN"),
            "! ValueError: actor_ask_async: the behaviour returned without answering the "
            "message (call actor_reply(value) while handling it)");
  EXPECT_EQ(run_body(spawn_into_a("counter") + std::string(kStopAndWait) + "POP\n",
                     ask("1") + "AWAIT\nRETURN"),
            "! ValueError: actor_ask_async: the actor has stopped (actor_stop was called); the "
            "message was not delivered");
  EXPECT_EQ(run_body(spawn_into_a("counter"), ask_timeout("4", "60000") + "AWAIT\nRETURN"), "= 4");
}

// While the actor has not answered, the other tasks run: main logs and
// only then lets the behaviour go on (the asker waits in the ask's list,
// not the thread in a latch — else main would never run and the test
// would hang).
TEST_F(AsyncAskTest, AnAskSuspendsOnlyItsTask) {
  EXPECT_EQ(run_body(spawn_into_a("gated"),
                     "PUSH_CONST extern \"task_spawn\"\nPUSH_CONST function one\nPUSH_CONST 3\n"
                     "CALL 1\nCALL 1\n"
                     "PUSH_CONST extern \"task_yield\"\nCALL 0\nAWAIT\nPOP\n"
                     "PUSH_CONST \"main ran\"\n" +
                         std::string(kRelease) + "SWAP\nAWAIT\nNEW_LIST 2\nRETURN"),
            "= [\"main ran\", 3]");
}

// The dump says what a task awaiting an Ask waits for.
TEST_F(AsyncAskTest, TheDumpShowsATaskWaitingForAReply) {
  EXPECT_EQ(run_body(spawn_into_a("gated"),
                     "PUSH_CONST extern \"task_spawn\"\nPUSH_CONST function one\nPUSH_CONST 3\n"
                     "CALL 1\nCALL 1\n"
                     "PUSH_CONST extern \"task_yield\"\nCALL 0\nAWAIT\nPOP\n"
                     "PUSH_CONST extern \"text_find\"\nPUSH_CONST extern \"runtime_dump\"\n"
                     "CALL 0\nPUSH_CONST \"one, waiting for an actor's reply\"\nCALL 2\n"
                     "PUSH_CONST 0\nGE\n" +
                         std::string(kRelease) + "SWAP\nAWAIT\nNEW_LIST 2\nRETURN"),
            "= [true, 3]");
}

// No reply in time: Timeout, again at each AWAIT of the Ask; the actor
// still handles the message.
TEST_F(AsyncAskTest, ATimeoutEndsTheWait) {
  const std::string body =
      ".local q type Any slot 0 scope 0 end\n.local e type Any slot 1 scope 0 end\n" +
      ask_timeout("1", "20") +
      "STORE_LOCAL q\n"
      "TRY_BEGIN c1 none\nLOAD_LOCAL q\nAWAIT\nRETURN\nTRY_END\nc1:\n"
      "CATCH_BEGIN type Timeout\nPOP\nCATCH_END\n"
      "TRY_BEGIN c2 none\nLOAD_LOCAL q\nAWAIT\nRETURN\nTRY_END\nc2:\n"
      "CATCH_BEGIN type Timeout\nSTORE_LOCAL e\nCATCH_END\n" +
      std::string(kRelease) + std::string(kStopAndWait) + "POP\nLOAD_LOCAL e\nTHROW\n";
  EXPECT_EQ(run_body(spawn_into_a("gated"), body),
            "! Timeout: actor_ask_timeout_async: no reply within 20 ms; the actor keeps the "
            "message and may still handle it (its reply is then dropped)");
  const std::string handled = ".local q type Any slot 0 scope 0 end\n" + ask_timeout("1", "20") +
                              "STORE_LOCAL q\n"
                              "TRY_BEGIN c1 none\nLOAD_LOCAL q\nAWAIT\nRETURN\nTRY_END\nc1:\n"
                              "CATCH_BEGIN type Timeout\nPOP\nCATCH_END\n" +
                              std::string(kRelease) + std::string(kStopAndWait) + "RETURN\n";
  EXPECT_EQ(run_body(spawn_into_a("gated"), handled), "= 1");
}

// Three tasks ask one actor 100 times each, the replies coming from the
// pool's workers while the scheduler runs the other askers: every ask is
// answered once, and the actor counted 300.
TEST_F(AsyncAskTest, ManyTasksAskOneActor) {
  const std::string body = R"(
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function asker
  PUSH_CONST 100
  CALL 1
  CALL 1
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function asker
  PUSH_CONST 100
  CALL 1
  CALL 1
  PUSH_CONST function asker
  PUSH_CONST 100
  CALL 1
  AWAIT
  POP
  AWAIT
  POP
  AWAIT
  POP
)" + std::string(kStopAndWait) +
                           "RETURN\n";
  for (int round = 0; round < 5; ++round) {
    EXPECT_EQ(run_body(spawn_into_a("counter"), body), "= 300") << "round " << round;
  }
}

// Replies racing deadlines of 0, 1 and 2 ms: each ask ends with its reply
// or Timeout (never neither: the loop ends; a cell both settled and timed
// out would be freed twice, which ASan and TSan see), and the actor
// handles all 200 messages.
TEST_F(AsyncAskTest, TimeoutsRacingReplies) {
  const std::string body = "PUSH_CONST function racing\nPUSH_CONST 0\nCALL 1\nAWAIT\nPOP\n" +
                           std::string(kStopAndWait) + "RETURN\n";
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(run_body(spawn_into_a("counter"), body), "= 200") << "round " << round;
  }
}

// main releases the behaviour and at once cancels the task awaiting its
// reply: the task ends with the reply or with Cancelled, whichever came
// first; it never waits for ever, and the actor handled every message.
TEST_F(AsyncAskTest, CancelRacingAReply) {
  const std::string body = R"(
  .local i type Any slot 0 scope 0 end
  .local w type Any slot 1 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 50
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function one
  PUSH_CONST 1
  CALL 1
  CALL 1
  STORE_LOCAL w
  PUSH_CONST extern "task_yield"
  CALL 0
  AWAIT
  POP
  PUSH_CONST extern "semaphore_release"
  LOAD_GLOBAL c
  CALL 1
  POP
  PUSH_CONST extern "task_cancel"
  LOAD_LOCAL w
  CALL 1
  POP
  TRY_BEGIN cancelled none
  LOAD_LOCAL w
  AWAIT
  POP
  TRY_END
cancelled:
  CATCH_BEGIN type Cancelled
  POP
  CATCH_END
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
)" + std::string(kStopAndWait) +
                           "RETURN\n";
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(run_body(spawn_into_a("gated"), body), "= 50") << "round " << round;
  }
}

}  // namespace
}  // namespace runa::tier0
