// Actors for programs (docs/concurrency.md, "Actors for programs";
// src/bridge/actors.hpp): behaviours written as Runa functions that return
// the next state, asks answered with actor_reply, stops and failures, and
// every native's errors. Each protocol between threads has the interleaving
// that would break it written beside the test that exercises it; all run
// also under tier0-stress (a collection at every allocation) and TSan.
#include "actor_behaviours.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

const std::string kPrelude = std::string(R"(
.meta globals a Any, b Any
.type 1 primitive Integer
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 5 function "(Any)->Any" params Any returns Any
.type 6 external ValueError layout hex ""
.type 7 external DivisionByZero layout hex ""
)") + counter_behaviour() +
                             R"(; send_ones: 2500 sends of 1 to the actor in global a.
.function 2 send_ones type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 2500
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "actor_send"
  LOAD_GLOBAL a
  PUSH_CONST 1
  CALL 2
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST 0
  RETURN
end:
.end
; keep: appends each message to the state (a List), collecting as it goes.
.function 3 keep type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "list_append"
  LOAD_LOCAL state
  LOAD_LOCAL msg
  CALL 2
  POP
  PUSH_CONST extern "gc_collect"
  PUSH_CONST false
  CALL 1
  POP
  PUSH_CONST extern "actor_reply"
  PUSH_CONST extern "list_length"
  LOAD_LOCAL state
  CALL 1
  CALL 1
  POP
  LOAD_LOCAL state
  RETURN
.end
; fragile: a counter that divides by (100 - the new state): it throws
; DivisionByZero when the state reaches 100.
.function 4 fragile type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  .local sum type Any slot 2 scope 0 end
  LOAD_LOCAL state
  LOAD_LOCAL msg
  ADD
  STORE_LOCAL sum
  PUSH_CONST 1
  PUSH_CONST 100
  LOAD_LOCAL sum
  SUB
  DIV
  POP
  PUSH_CONST extern "actor_reply"
  LOAD_LOCAL sum
  CALL 1
  POP
  LOAD_LOCAL sum
  RETURN
end:
.end
; ask_ones: asks the actor in global a to add 1 until an ask fails; the
; number of answered asks.
.function 5 ask_ones type "()->Any"
  .local n type Any slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL n
  TRY_BEGIN failed none
loop:
  PUSH_CONST extern "actor_ask"
  LOAD_GLOBAL a
  PUSH_CONST 1
  CALL 2
  POP
  LOAD_LOCAL n
  PUSH_CONST 1
  ADD
  STORE_LOCAL n
  JUMP loop
  TRY_END
failed:
  CATCH_BEGIN type ValueError
  POP
  CATCH_END
  LOAD_LOCAL n
  RETURN
end:
.end
; player: a ping-pong player. A message is [peer, n]: it counts the
; message, and sends [itself, n - 1] back while n > 0; at 0 it stops both.
.function 6 player type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  LOAD_LOCAL msg
  PUSH_CONST 1
  GET_ITEM
  PUSH_CONST 0
  GT
  JUMP_IF_FALSE last
  PUSH_CONST extern "actor_send"
  LOAD_LOCAL msg
  PUSH_CONST 0
  GET_ITEM
  PUSH_CONST extern "actor_self"
  CALL 0
  LOAD_LOCAL msg
  PUSH_CONST 1
  GET_ITEM
  PUSH_CONST 1
  SUB
  NEW_LIST 2
  CALL 2
  POP
  JUMP counted
last:
  PUSH_CONST extern "actor_stop"
  LOAD_LOCAL msg
  PUSH_CONST 0
  GET_ITEM
  CALL 1
  POP
  PUSH_CONST extern "actor_stop"
  PUSH_CONST extern "actor_self"
  CALL 0
  CALL 1
  POP
counted:
  LOAD_LOCAL state
  PUSH_CONST 1
  ADD
  RETURN
end:
.end
; silent: keeps its state and never replies.
.function 7 silent type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  LOAD_LOCAL state
  RETURN
.end
; asker: waits for an actor inside a behaviour (refused).
.function 8 asker type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "actor_ask"
  PUSH_CONST extern "actor_self"
  CALL 0
  LOAD_LOCAL msg
  CALL 2
  RETURN
.end
.function 9 one_arg type "(Any)->Any"
  .param x type Any
  LOAD_LOCAL x
  RETURN
.end
; printer: prints each message.
.function 11 printer type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "print"
  LOAD_LOCAL msg
  CALL 1
  POP
  LOAD_LOCAL state
  RETURN
.end
; send_strings: sends "s0" .. "s299", new Strings, to the actor in global
; a, with a collection every 50 (a major one every 100).
.function 10 send_strings type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 300
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "actor_send"
  LOAD_GLOBAL a
  PUSH_CONST "s"
  LOAD_LOCAL i
  TEXT_CONCAT 2
  CALL 2
  POP
  LOAD_LOCAL i
  PUSH_CONST 50
  MOD
  PUSH_CONST 0
  EQ
  JUMP_IF_FALSE next
  PUSH_CONST extern "gc_collect"
  LOAD_LOCAL i
  PUSH_CONST 100
  MOD
  PUSH_CONST 0
  EQ
  CALL 1
  POP
next:
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST 0
  RETURN
end:
.end
)";

// Code that spawns `behaviour` from `state` into global a, then `rest`.
std::string with_actor(std::string_view behaviour, std::string_view state, std::string_view rest) {
  return "PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function " + std::string(behaviour) +
         "\nPUSH_CONST " + std::string(state) + "\nCALL 2\nSTORE_GLOBAL a\n" + std::string(rest);
}
std::string ask(std::string_view message) {
  return "PUSH_CONST extern \"actor_ask\"\nLOAD_GLOBAL a\nPUSH_CONST " + std::string(message) +
         "\nCALL 2\n";
}
std::string send(std::string_view message) {
  return "PUSH_CONST extern \"actor_send\"\nLOAD_GLOBAL a\nPUSH_CONST " + std::string(message) +
         "\nCALL 2\nPOP\n";
}
constexpr std::string_view kStop = "PUSH_CONST extern \"actor_stop\"\nLOAD_GLOBAL a\nCALL 1\nPOP\n";
constexpr std::string_view kWait = "PUSH_CONST extern \"actor_wait\"\nLOAD_GLOBAL a\nCALL 1\n";

TEST_F(Tier0Test, ActorNativesCheckTheirArguments) {
  const std::string p(kPrelude);
  EXPECT_EQ(
      eval("PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST 3\nPUSH_CONST 0\nCALL 2\nRETURN", p),
      "! TypeError: actor_spawn: argument 1 must be a Function or closure taking 2 "
      "arguments (state, message), not Integer 3");
  EXPECT_EQ(eval("PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function one_arg\nPUSH_CONST 0\n"
                 "CALL 2\nRETURN",
                 p)
                .substr(0, 67),
            "! TypeError: actor_spawn: argument 1 must be a Function or closure ");
  for (const char* native : {"actor_send", "actor_ask"}) {
    EXPECT_EQ(
        eval(std::string("PUSH_CONST extern \"") + native +
                 "\"\nPUSH_CONST 3\nPUSH_CONST 1\nCALL 2\nRETURN",
             p),
        std::string("! TypeError: ") + native + ": argument 1 must be an Actor, not Integer 3");
  }
  for (const char* native : {"actor_stop", "actor_wait"}) {
    EXPECT_EQ(
        eval(std::string("PUSH_CONST extern \"") + native + "\"\nPUSH_CONST \"x\"\nCALL 1\nRETURN",
             p),
        std::string("! TypeError: ") + native + ": argument 1 must be an Actor, not String \"x\"");
  }
  EXPECT_EQ(eval("PUSH_CONST extern \"actor_reply\"\nPUSH_CONST 1\nCALL 1\nRETURN", p),
            "! ValueError: actor_reply: called outside an actor's behaviour (a behaviour answers "
            "the ask it is handling)");
  EXPECT_EQ(eval("PUSH_CONST extern \"actor_self\"\nCALL 0\nRETURN", p),
            "! ValueError: actor_self: called outside an actor's behaviour");
  EXPECT_EQ(eval(with_actor("counter", "0",
                            "PUSH_CONST extern \"type_name\"\nLOAD_GLOBAL a\n"
                            "CALL 1\nRETURN"),
                 p),
            "= \"Actor\"");
}

// State kept across messages, asks answered in order with the sends of the
// same thread before them (one sender's messages are handled in its order).
TEST_F(Tier0Test, AnActorKeepsItsStateAndAnswersAsks) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(with_actor("counter", "0", ask("5") + "RETURN"), p), "= 5");
  EXPECT_EQ(eval(with_actor("counter", "0",
                            ask("5") + "POP\n" + ask("7") + "POP\n" + send("3") + send("4") +
                                ask("0") + "RETURN"),
                 p),
            "= 19");
  // A String state: a behaviour's state is any value.
  EXPECT_EQ(eval(with_actor("counter", "\"a\"", send("\"b\"") + ask("\"c\"") + "RETURN"), p),
            "= \"abc\"");
  EXPECT_EQ(eval(with_actor("silent", "0", ask("1") + "RETURN"), p),
            "! ValueError: actor_ask: the behaviour returned without answering the message "
            "(call actor_reply(value) while handling it)");
}

// 10,000 messages from 4 threads, counted exactly. The interleaving the
// mailbox and the turn protocol must survive: a sender pushes while the
// actor, having found its mailbox empty, stores "idle" — without the
// actor's second look (Actor<M>::end_turn) that message would wait until
// the next send, and the ask below would not see 10,000; a behaviour run
// twice at once would lose additions.
TEST_F(Tier0Test, FourThreadsSendTenThousandMessagesCountedExactly) {
  const std::string spawn_senders =
      "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function send_ones\nCALL 1\n";
  const std::string join = "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\nPOP\n";
  EXPECT_EQ(eval(with_actor("counter", "0",
                            spawn_senders + spawn_senders + spawn_senders + spawn_senders + join +
                                join + join + join + ask("0") + "POP\n" + std::string(kStop) +
                                std::string(kWait) + "RETURN"),
                 std::string(kPrelude)),
            "= 10000");
}

// Messages are heap values kept in persistent slots while they wait: 300
// new Strings cross to the actor while its behaviour collects at every
// message and main collects between sends (and, under tier0-stress, at
// every allocation); each arrives intact. The asker waits in a blocking
// region: were it not, the behaviour's collection would wait for it, and
// it for the behaviour.
TEST_F(Tier0Test, MessagesSurviveCollectionsOnTheWay) {
  const std::string code =
      "NEW_LIST 0\nSTORE_GLOBAL b\n"
      "PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function keep\nLOAD_GLOBAL b\nCALL 2\n"
      "STORE_GLOBAL a\nPUSH_CONST null\nSTORE_GLOBAL b\n"
      "PUSH_CONST function send_strings\nCALL 0\nPOP\n" +
      ask("\"end\"") + "POP\n" + std::string(kStop) +
      "PUSH_CONST extern \"text_length\"\nPUSH_CONST extern \"text_join\"\n" + std::string(kWait) +
      "PUSH_CONST \"\"\nCALL 2\nCALL 1\nRETURN";
  // "s0" .. "s299" are 1090 characters, and "end" 3 more.
  EXPECT_EQ(eval(code, std::string(kPrelude)), "= 1093");
}

TEST_F(Tier0Test, ABehaviourThatThrowsStopsItsActor) {
  const std::string p(kPrelude);
  const std::string threw = "DivisionByZero: DIV: Integer 1 by zero";
  EXPECT_EQ(eval(with_actor("fragile", "0", ask("99") + "POP\n" + ask("1") + "RETURN"), p),
            "! ValueError: actor_ask: the actor's behaviour threw " + threw +
                " while handling the message; the actor has stopped");
  // Later: sends and asks say why; actor_wait throws the behaviour's exception.
  const std::string failed = with_actor("fragile", "99", send("1"));
  EXPECT_EQ(eval(failed + std::string(kWait) + "RETURN", p), "! " + threw);
  EXPECT_EQ(eval(failed + "TRY_BEGIN h none\n" + std::string(kWait) +
                     "RETURN\nTRY_END\nh:\nCATCH_BEGIN type DivisionByZero\nPOP\nCATCH_END\n" +
                     send("2") + "PUSH_CONST 0\nRETURN",
                 p),
            "! ValueError: actor_send: the actor has stopped: its behaviour threw " + threw +
                "; the message was not delivered");
  // A behaviour may not wait for an actor: it fails with the reason.
  const std::string refused =
      "! ValueError: actor_ask: the actor's behaviour threw ValueError: actor_ask: a "
      "behaviour cannot wait for an actor (it would hold one of";
  EXPECT_EQ(eval(with_actor("asker", "0", ask("1") + "RETURN"), p).substr(0, refused.size()),
            refused);
}

// Asks from four threads race with the failure. The interleaving: a
// sender reads "running", the actor fails and drops its mailbox, then the
// sender's message lands in a mailbox nobody reads — its ask would wait
// for ever. The Dekker pair (actors.cpp, "Stranded messages") makes the
// sender see the failure and settle its own ask, so every thread ends; the
// answered asks are exactly the 99 the actor handled before it threw.
TEST_F(Tier0Test, AsksRacingWithAFailureAllEnd) {
  const std::string spawn =
      "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function ask_ones\nCALL 1\n";
  const std::string join = "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\n";
  for (int round = 0; round < 5; ++round) {
    EXPECT_EQ(eval(with_actor("fragile", "0",
                              spawn + spawn + spawn + spawn + join + "SWAP\n" + join + "ADD\n" +
                                  "SWAP\n" + join + "ADD\nSWAP\n" + join + "ADD\nRETURN"),
                   std::string(kPrelude)),
              "= 99");
  }
}

// actor_stop: what was sent before is handled, then the actor stops; a
// later send or ask is refused; a second stop is harmless.
TEST_F(Tier0Test, SendingToAStoppedActorFails) {
  const std::string p(kPrelude);
  const std::string stopped =
      with_actor("counter", "0", send("1") + send("2") + std::string(kStop) + std::string(kStop));
  EXPECT_EQ(eval(stopped + std::string(kWait) + "RETURN", p), "= 3");
  EXPECT_EQ(eval(stopped + std::string(kWait) + "POP\n" + std::string(kWait) + "RETURN", p), "= 3")
      << "waiting again gives the same state";
  EXPECT_EQ(eval(stopped + std::string(kWait) + "POP\n" + send("3") + "PUSH_CONST 0\nRETURN", p),
            "! ValueError: actor_send: the actor has stopped (actor_stop was called); the "
            "message was not delivered");
  EXPECT_EQ(eval(stopped + std::string(kWait) + "POP\n" + ask("3") + "RETURN", p),
            "! ValueError: actor_ask: the actor has stopped (actor_stop was called); the "
            "message was not delivered");
}

// Ping-pong between two actors, 1001 messages: each handles its peer's
// message, answers through actor_self, and the last one stops both. The
// actors' turns run on the pool's workers while main waits for both.
TEST_F(Tier0Test, TwoActorsPlayPingPong) {
  const std::string code =
      "PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function player\nPUSH_CONST 0\nCALL 2\n"
      "STORE_GLOBAL a\n"
      "PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function player\nPUSH_CONST 0\nCALL 2\n"
      "STORE_GLOBAL b\n"
      "PUSH_CONST extern \"actor_send\"\nLOAD_GLOBAL a\nLOAD_GLOBAL b\nPUSH_CONST 1000\n"
      "NEW_LIST 2\nCALL 2\nPOP\n"
      "PUSH_CONST extern \"actor_wait\"\nLOAD_GLOBAL a\nCALL 1\n"
      "PUSH_CONST extern \"actor_wait\"\nLOAD_GLOBAL b\nCALL 1\nNEW_LIST 2\nRETURN";
  EXPECT_EQ(eval(code, std::string(kPrelude)), "= [501, 500]");
}

// Actors still running when the runtime ends are stopped by it after what
// their mailboxes hold: the program never stopped this one, and its three
// messages are printed before the runtime is gone.
TEST_F(Tier0Test, TheRuntimesEndStopsItsActorsAfterTheirMessages) {
  EXPECT_EQ(eval(with_actor("printer", "0",
                            send("\"one\"") + send("\"two\"") + send("\"three\"") +
                                "PUSH_CONST 0\nRETURN"),
                 std::string(kPrelude)),
            "= 0");
  runtime_->detach(*t_);
  t_ = nullptr;
  runtime_.reset();  // TearDown skips what is gone
  EXPECT_EQ(printed(), "one\ntwo\nthree\n");
}

}  // namespace
}  // namespace runa::tier0
