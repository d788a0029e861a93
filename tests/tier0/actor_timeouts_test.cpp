// Asks with a timeout (actor_ask_timeout; docs/concurrency.md, "Actors for
// programs"; src/bridge/actors.cpp, "A reply racing the timeout"): the
// reply when it comes in time, Timeout when it does not, a reply that
// comes after the timeout dropped (its slot freed, the actor unharmed),
// and an asker that lets collections run while it waits. All run also
// under tier0-stress (a collection at every allocation) and TSan.
#include "actor_behaviours.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

const std::string kPrelude =
    std::string(R"(
.meta globals a Any, c Any
.type 1 primitive Integer
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 6 external Timeout layout hex ""
)") +
    counter_behaviour() +
    R"(; gated: waits for a permit of the Semaphore in global c, then answers a
; new Lock (finalizable: its finalizer tells when it died) and counts.
.function 2 gated type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "semaphore_acquire"
  LOAD_GLOBAL c
  CALL 1
  POP
  PUSH_CONST extern "actor_reply"
  PUSH_CONST extern "lock_new"
  CALL 0
  CALL 1
  POP
  LOAD_LOCAL state
  PUSH_CONST 1
  ADD
  RETURN
.end
; collecting: collects the whole heap, then answers the message.
.function 3 collecting type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "gc_collect"
  PUSH_CONST true
  CALL 1
  POP
  PUSH_CONST extern "actor_reply"
  LOAD_LOCAL msg
  CALL 1
  POP
  LOAD_LOCAL state
  RETURN
.end
; silent: never answers.
.function 4 silent type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  LOAD_LOCAL state
  RETURN
.end
; racing: 200 asks to add 1 to the actor in a, with timeouts of 0, 1 and
; 2 ms in turn, so that replies race the deadlines; each ends with the
; reply or Timeout. The number of asks answered.
.function 5 racing type "()->Any"
  .local i type Integer slot 0 scope 0 end
  .local n type Integer slot 1 scope 0 end
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
  PUSH_CONST extern "actor_ask_timeout"
  LOAD_GLOBAL a
  PUSH_CONST 1
  LOAD_LOCAL i
  PUSH_CONST 3
  MOD
  CALL 3
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
  return "PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function " + std::string(behaviour) +
         "\nPUSH_CONST 0\nCALL 2\nSTORE_GLOBAL a\n";
}
std::string ask_timeout(std::string_view message, std::string_view millis) {
  return "PUSH_CONST extern \"actor_ask_timeout\"\nLOAD_GLOBAL a\nPUSH_CONST " +
         std::string(message) + "\nPUSH_CONST " + std::string(millis) + "\nCALL 3\n";
}
constexpr std::string_view kStopAndWait =
    "PUSH_CONST extern \"actor_stop\"\nLOAD_GLOBAL a\nCALL 1\nPOP\n"
    "PUSH_CONST extern \"actor_wait\"\nLOAD_GLOBAL a\nCALL 1\n";

TEST_F(Tier0Test, ActorAskTimeoutChecksItsArguments) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval("PUSH_CONST extern \"actor_ask_timeout\"\nPUSH_CONST 3\nPUSH_CONST 1\n"
                 "PUSH_CONST 10\nCALL 3\nRETURN",
                 p),
            "! TypeError: actor_ask_timeout: argument 1 must be an Actor, not Integer 3");
  EXPECT_EQ(eval(spawn_into_a("counter") + ask_timeout("1", "\"x\"") + "RETURN", p),
            "! TypeError: actor_ask_timeout: argument 3 must be an Integer, not String \"x\"");
  EXPECT_EQ(eval(spawn_into_a("counter") + ask_timeout("1", "-1") + "RETURN", p),
            "! ValueError: actor_ask_timeout: a timeout is 0 or more milliseconds, not -1");
  EXPECT_EQ(eval("PUSH_CONST extern \"actor_ask_timeout\"\nPUSH_CONST 3\nPUSH_CONST 1\n"
                 "CALL 2\nRETURN",
                 p),
            "! TypeError: actor_ask_timeout takes 3 arguments, got 2");
}

// A reply in time is returned as actor_ask returns it; the other outcomes
// of an ask keep their errors, named after this native.
TEST_F(Tier0Test, AReplyInTimeIsReturned) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(spawn_into_a("counter") + ask_timeout("5", "60000") + "POP\n" +
                     ask_timeout("7", "60000") + "RETURN",
                 p),
            "= 12");
  EXPECT_EQ(eval(spawn_into_a("silent") + ask_timeout("1", "60000") + "RETURN", p),
            "! ValueError: actor_ask_timeout: the behaviour returned without answering the "
            "message (call actor_reply(value) while handling it)");
  EXPECT_EQ(eval(spawn_into_a("counter") + std::string(kStopAndWait) + "POP\n" +
                     ask_timeout("1", "60000") + "RETURN",
                 p),
            "! ValueError: actor_ask_timeout: the actor has stopped (actor_stop was called); the "
            "message was not delivered");
}

// Counts the finalizers run after a major collection and a wait for the
// finalizers it found.
std::uint64_t finalized(rt::Runtime& r, rt::Thread& t) {
  r.impl().heap().collect(*t.m, true);
  r.impl().heap().wait_for_finalizers(*t.m);
  return r.impl().heap().stats().finalizers_run;
}

// The reply racing the timeout, made deterministic: the behaviour waits on
// a semaphore that main releases only after its ask timed out, so the
// reply always comes late. The asker gets Timeout; the behaviour still
// handles the message (the state counts it) and its reply, a new Lock, is
// dropped: the Lock dies (its finalizer runs), so the reply's slot was
// freed, not leaked, and the asker never read a half-set cell.
TEST_F(Tier0Test, AReplyAfterTheTimeoutIsDropped) {
  const std::string p(kPrelude);
  const std::string setup =
      ".local e type Any slot 0 scope 0 end\n"
      "PUSH_CONST extern \"semaphore_new\"\nPUSH_CONST 0\nCALL 1\nSTORE_GLOBAL c\n" +
      spawn_into_a("gated") + "TRY_BEGIN caught none\n" + ask_timeout("0", "20") +
      "RETURN\nTRY_END\ncaught:\nCATCH_BEGIN type Timeout\nSTORE_LOCAL e\nCATCH_END\n"
      "PUSH_CONST extern \"semaphore_release\"\nLOAD_GLOBAL c\nCALL 1\nPOP\n" +
      std::string(kStopAndWait);
  EXPECT_EQ(eval(setup + "POP\nLOAD_LOCAL e\nTHROW\nend:", p),
            "! Timeout: actor_ask_timeout: no reply within 20 ms; the actor keeps the message "
            "and may still handle it (its reply is then dropped)");
  const std::uint64_t before = finalized(*runtime_, *t_);
  EXPECT_EQ(eval(setup + "RETURN\nend:", p), "= 1") << "the message was handled";
  EXPECT_EQ(finalized(*runtime_, *t_) - before, 1U) << "the late reply was freed";
}

// While an asker waits (with a long timeout) the behaviour collects the
// whole heap: the asker is in a blocking region, so the collection goes
// on without it and the reply comes long before the timeout. Were the
// asker to hold collections back, the behaviour would wait for it and the
// ask would end in Timeout.
TEST_F(Tier0Test, AnAskerWaitingWithATimeoutLetsCollectionsRun) {
  EXPECT_EQ(eval(spawn_into_a("collecting") +
                     "PUSH_CONST extern \"actor_ask_timeout\"\nLOAD_GLOBAL a\n"
                     "PUSH_CONST \"a\"\nPUSH_CONST 1\nTEXT_CONCAT 2\nPUSH_CONST 60000\nCALL 3\n"
                     "RETURN",
                 std::string(kPrelude)),
            "= \"a1\"");
}

// Replies racing their deadlines from three threads: every ask ends (with
// its reply or Timeout), and every message is handled once: the state
// counts all 600 whichever way each ask ended. Under TSan this exercises
// the cell's single CAS against a settle on another thread.
TEST_F(Tier0Test, AsksRacingTheirTimeoutsAllEnd) {
  const std::string spawn =
      "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function racing\nCALL 1\n";
  const std::string join = "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\nPOP\n";
  EXPECT_EQ(eval(spawn_into_a("counter") + spawn + spawn +
                     "PUSH_CONST function racing\nCALL 0\nPOP\n" + join + join +
                     "PUSH_CONST extern \"actor_ask\"\nLOAD_GLOBAL a\nPUSH_CONST 0\nCALL 2\n"
                     "RETURN",
                 std::string(kPrelude)),
            "= 600");
}

}  // namespace
}  // namespace runa::tier0
