// Bounded mailboxes, monitors, links and supervisors of programs' actors
// (docs/concurrency.md, "Actors for programs"; src/bridge/actor_watch.cpp,
// src/bridge/actors.cpp, "deliver_waiting"). Each protocol between threads
// has the interleaving that would break it beside its test:
//   - a sender blocked on a full mailbox must let collections (and the
//     dump, which stops the world) run, and must be woken with an error
//     when the actor stops or crashes, never left waiting;
//   - a monitor or link set on an actor that is stopping or has stopped
//     still gets exactly one notice, at once, with the real reason;
//   - a message sent while a supervised actor is being restarted is kept
//     and handled by the fresh behaviour.
// All run also under tier0-stress (a collection at every allocation) and
// TSan.
#include "actor_behaviours.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

// The assembly every test here starts with.
const std::string& prelude() {
  static const std::string text =
      std::string(R"(
.meta globals a Any, b Any, c Any, d Any, e Any, f Any
.type 1 primitive Integer
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 5 function "(Any)->Any" params Any returns Any
.type 6 external ValueError layout hex ""
.type 7 external DivisionByZero layout hex ""
)") + fragile_behaviour(1) +
      R"(; gated: takes a permit of the Semaphore in c, then does fragile's work.
.function 2 gated type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "semaphore_acquire"
  LOAD_GLOBAL c
  CALL 1
  POP
  PUSH_CONST function 1
  LOAD_LOCAL state
  LOAD_LOCAL msg
  CALL 2
  RETURN
.end
)" + forward_behaviour(3, "forward", "d") +
      R"(; produce: sends b, then 1 twice, to the actor in a.
.function 4 produce type "()->Any"
  PUSH_CONST extern "actor_send"
  LOAD_GLOBAL a
  LOAD_GLOBAL b
  CALL 2
  POP
  PUSH_CONST extern "actor_send"
  LOAD_GLOBAL a
  PUSH_CONST 1
  CALL 2
  POP
  PUSH_CONST extern "actor_send"
  LOAD_GLOBAL a
  PUSH_CONST 1
  CALL 2
  POP
  PUSH_CONST "sent"
  RETURN
.end
; wait_blocked: returns once the dump shows the behaviour running (on
; its first message), one message in the mailbox and a sender blocked: the
; one state where the mailbox is full for sure. (A sender blocked on the
; second message is woken when the turn takes the first; until it sends,
; the mailbox has room.)
.function 5 wait_blocked type "()->Any"
  .local dump type Any slot 0 scope 0 end
loop:
  PUSH_CONST extern "runtime_dump"
  CALL 0
  STORE_LOCAL dump
  PUSH_CONST extern "text_find"
  LOAD_LOCAL dump
  PUSH_CONST "running on thread"
  CALL 2
  PUSH_CONST 0
  LT
  JUMP_IF_TRUE loop
  PUSH_CONST extern "text_find"
  LOAD_LOCAL dump
  PUSH_CONST "1 message waiting (capacity 1), 1 sender blocked"
  CALL 2
  PUSH_CONST 0
  LT
  JUMP_IF_TRUE loop
  PUSH_CONST 0
  RETURN
end:
.end
; notice: [kind, type of the actor, reason, type of the error] of a
; notice (a Tuple).
.function 6 notice type "(Any)->Any"
  .param n type Any
  LOAD_LOCAL n
  PUSH_CONST 0
  GET_ITEM
  PUSH_CONST extern "type_name"
  LOAD_LOCAL n
  PUSH_CONST 1
  GET_ITEM
  CALL 1
  LOAD_LOCAL n
  PUSH_CONST 2
  GET_ITEM
  PUSH_CONST extern "type_name"
  LOAD_LOCAL n
  PUSH_CONST 3
  GET_ITEM
  CALL 1
  NEW_LIST 4
  RETURN
.end
)";
  return text;
}

// Assembly: `name` = native(args...) as a statement.
std::string call(std::string_view native, std::initializer_list<std::string_view> args) {
  std::string out = "PUSH_CONST extern \"" + std::string(native) + "\"\n";
  for (std::string_view a : args) out += std::string(a) + "\n";
  return out + "CALL " + std::to_string(args.size()) + "\n";
}
std::string stmt(std::string_view native, std::initializer_list<std::string_view> args) {
  return call(native, args) + "POP\n";
}
std::string into(std::string_view global, std::string_view native,
                 std::initializer_list<std::string_view> args) {
  return call(native, args) + "STORE_GLOBAL " + std::string(global) + "\n";
}

// Asks the actor in `global` 1 until it answers `want` (a restart
// requested during a sibling's crash happens at the start of the actor's
// next turn: an ask answered in the turn already running sees the old
// state), at most 100000 times, counting in d: leaves on the stack whether
// it was seen. `label` names this loop's labels.
std::string ask_until(std::string_view global, std::string_view want, std::string_view label) {
  const std::string again = std::string(label) + "_again";
  const std::string seen = std::string(label) + "_seen";
  return "PUSH_CONST 0\nSTORE_GLOBAL d\n" + again + ":\n" +
         call("actor_ask", {"LOAD_GLOBAL " + std::string(global), "PUSH_CONST 1"}) + "PUSH_CONST " +
         std::string(want) + "\nEQ\nJUMP_IF_TRUE " + seen +
         "\nLOAD_GLOBAL d\nPUSH_CONST 1\nADD\nSTORE_GLOBAL d\n"
         "LOAD_GLOBAL d\nPUSH_CONST 100000\nLT\nJUMP_IF_TRUE " +
         again + "\n" + seen + ":\nLOAD_GLOBAL d\nPUSH_CONST 100000\nLT\n";
}

// A supervisor of `strategy` allowing `max` restarts a minute, in global
// `global`; a child of the supervisor in global `parent` when one is named.
std::string supervisor(std::string_view global, std::string_view strategy, int max,
                       std::string_view parent = "") {
  const std::string args[] = {"PUSH_CONST \"" + std::string(strategy) + "\"",
                              "PUSH_CONST " + std::to_string(max), "PUSH_CONST 60000"};
  if (parent.empty()) return into(global, "supervisor_new", {args[0], args[1], args[2]});
  return into(global, "supervisor_spawn_supervisor",
              {"LOAD_GLOBAL " + std::string(parent), args[0], args[1], args[2]});
}
// A child running `fragile` from `state` under the supervisor in global
// `sup`, in global `global`.
std::string child(std::string_view global, std::string_view sup, int state) {
  return into(global, "supervisor_spawn",
              {"LOAD_GLOBAL " + std::string(sup), "PUSH_CONST function 1",
               "PUSH_CONST " + std::to_string(state)});
}

// A watcher forwarding to the channel in d, in global `watcher`.
std::string forwarder(std::string_view watcher) {
  return into("d", "channel_new", {"PUSH_CONST 0"}) +
         into(watcher, "actor_spawn", {"PUSH_CONST function 3", "PUSH_CONST 0"});
}
// The next notice on the channel in d, summarised by `notice` (on the stack).
const std::string kNextNotice =
    "PUSH_CONST function 6\n" + call("channel_receive", {"LOAD_GLOBAL d"}) + "CALL 1\n";

// The gated actor (capacity 1) in a, a Semaphore of no permit in c, and a
// producer thread (its first message from b) in d, blocked on the full
// mailbox when this returns: the behaviour holds the first message, the
// mailbox the second, the producer waits with the third.
std::string blocked_producer(std::string_view first) {
  return into("c", "semaphore_new", {"PUSH_CONST 0"}) +
         into("a", "actor_spawn_bounded",
              {"PUSH_CONST function 2", "PUSH_CONST 0", "PUSH_CONST 1"}) +
         "PUSH_CONST " + std::string(first) + "\nSTORE_GLOBAL b\n" +
         into("d", "thread_spawn", {"PUSH_CONST function 4"}) +
         "PUSH_CONST function 5\nCALL 0\nPOP\n";
}
const std::string kRelease = stmt("semaphore_release", {"LOAD_GLOBAL c"});

// Backpressure: the producer blocks on the full mailbox; meanwhile the dump
// (a stop of the world) and a full collection run, and a try-send reports
// the mailbox full. Then the behaviour goes on and the producer finishes.
TEST_F(Tier0Test, ASenderWaitsOnAFullMailboxAndLetsCollectionsRun) {
  const std::string code = blocked_producer("1") + stmt("gc_collect", {"PUSH_CONST true"}) +
                           call("actor_try_send", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) + kRelease +
                           kRelease + kRelease + call("thread_join", {"LOAD_GLOBAL d"}) +
                           stmt("actor_stop", {"LOAD_GLOBAL a"}) +
                           call("actor_wait", {"LOAD_GLOBAL a"}) + "NEW_LIST 3\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [false, \"sent\", 3]");
}

TEST_F(Tier0Test, TrySendDeliversWhenThereIsRoom) {
  const std::string code =
      into("a", "actor_spawn_bounded", {"PUSH_CONST function 1", "PUSH_CONST 0", "PUSH_CONST 2"}) +
      into("b", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      call("actor_try_send", {"LOAD_GLOBAL a", "PUSH_CONST 5"}) +
      call("actor_try_send", {"LOAD_GLOBAL b", "PUSH_CONST 6"}) +
      stmt("actor_stop", {"LOAD_GLOBAL a"}) + stmt("actor_stop", {"LOAD_GLOBAL b"}) +
      call("actor_wait", {"LOAD_GLOBAL a"}) + call("actor_wait", {"LOAD_GLOBAL b"}) +
      "NEW_LIST 4\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [true, true, 5, 6]");
}

// A sender blocked on a full mailbox when the actor is asked to stop: the
// stop wakes it, and its retry is refused (the actor is stopping, or has
// stopped by then) instead of waiting for ever.
TEST_F(Tier0Test, ASenderBlockedWhenTheActorStopsGetsAnError) {
  const std::string code = blocked_producer("1") + stmt("actor_stop", {"LOAD_GLOBAL a"}) +
                           kRelease + kRelease + call("thread_join", {"LOAD_GLOBAL d"}) + "RETURN";
  const std::string got = eval(code, prelude());
  EXPECT_EQ(got.rfind("! ValueError: actor_send: the actor ", 0), 0U) << got;
  EXPECT_NE(got.find("(actor_stop was called); the message was not delivered"), std::string::npos)
      << got;
}

// The same when the behaviour throws: the sender learns why.
TEST_F(Tier0Test, ASenderBlockedWhenTheActorCrashesGetsAnError) {
  const std::string code =
      blocked_producer("0") + kRelease + call("thread_join", {"LOAD_GLOBAL d"}) + "RETURN";
  EXPECT_EQ(eval(code, prelude()),
            "! ValueError: actor_send: the actor has stopped: its behaviour threw "
            "DivisionByZero: DIV: Integer 1 by zero; the message was not delivered");
}

TEST_F(Tier0Test, AMonitorGetsDownWhenTheActorStopsOrCrashes) {
  const std::string code =
      forwarder("c") + into("a", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      into("b", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      stmt("actor_monitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) +
      stmt("actor_monitor", {"LOAD_GLOBAL b", "LOAD_GLOBAL c"}) +
      stmt("actor_stop", {"LOAD_GLOBAL a"}) + kNextNotice +
      stmt("actor_send", {"LOAD_GLOBAL b", "PUSH_CONST 0"}) + kNextNotice + "NEW_LIST 2\nRETURN";
  EXPECT_EQ(eval(code, prelude()),
            "= [[\"down\", \"Actor\", \"normal\", \"Nothing\"], "
            "[\"down\", \"Actor\", \"failed\", \"DivisionByZero\"]]");
}

// A monitor set on an actor that has stopped (its actor_wait returned)
// gets its notice at once, with the reason it stopped with.
TEST_F(Tier0Test, AMonitorOnAStoppedActorGetsDownAtOnce) {
  const std::string code =
      forwarder("c") + into("a", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      into("b", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      stmt("actor_stop", {"LOAD_GLOBAL a"}) + stmt("actor_wait", {"LOAD_GLOBAL a"}) +
      stmt("actor_send", {"LOAD_GLOBAL b", "PUSH_CONST 0"}) + "TRY_BEGIN threw none\n" +
      stmt("actor_wait", {"LOAD_GLOBAL b"}) +
      "TRY_END\nthrew:\nCATCH_BEGIN type DivisionByZero\nPOP\nCATCH_END\n" +
      stmt("actor_monitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) + kNextNotice +
      stmt("actor_monitor", {"LOAD_GLOBAL b", "LOAD_GLOBAL c"}) + kNextNotice +
      "NEW_LIST 2\nRETURN";
  EXPECT_EQ(eval(code, prelude()),
            "= [[\"down\", \"Actor\", \"normal\", \"Nothing\"], "
            "[\"down\", \"Actor\", \"failed\", \"DivisionByZero\"]]");
}

// A monitor or a trapping link set while the other actor stops or crashes
// (no wait in between): one notice, with the real reason, whichever side
// of the stop the registration lands on.
TEST_F(Tier0Test, MonitorsAndLinksRacingAStopGetOneNotice) {
  for (int i = 0; i < 20; ++i) {
    const std::string crash = forwarder("c") +
                              stmt("actor_trap_exits", {"LOAD_GLOBAL c", "PUSH_CONST true"}) +
                              into("a", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
                              stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                              stmt("actor_link", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) + kNextNotice +
                              // A second notice would come before this message through c.
                              stmt("actor_send", {"LOAD_GLOBAL c", "PUSH_CONST \"last\""}) +
                              call("channel_receive", {"LOAD_GLOBAL d"}) + "NEW_LIST 2\nRETURN";
    EXPECT_EQ(eval(crash, prelude()),
              "= [[\"exit\", \"Actor\", \"failed\", \"DivisionByZero\"], \"last\"]");
    const std::string stop =
        forwarder("c") + into("a", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
        stmt("actor_stop", {"LOAD_GLOBAL a"}) +
        stmt("actor_monitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) + kNextNotice +
        stmt("actor_send", {"LOAD_GLOBAL c", "PUSH_CONST \"last\""}) +
        call("channel_receive", {"LOAD_GLOBAL d"}) + "NEW_LIST 2\nRETURN";
    EXPECT_EQ(eval(stop, prelude()),
              "= [[\"down\", \"Actor\", \"normal\", \"Nothing\"], \"last\"]");
  }
}

// A link kills the other side when one crashes, with the same reason; an
// actor that stops normally does not take its links down.
TEST_F(Tier0Test, ALinkKillsTheOtherSideOnACrash) {
  const std::string code =
      forwarder("c") + into("a", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      into("b", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      stmt("actor_link", {"LOAD_GLOBAL a", "LOAD_GLOBAL b"}) +
      stmt("actor_monitor", {"LOAD_GLOBAL b", "LOAD_GLOBAL c"}) +
      stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) + kNextNotice + "RETURN";
  EXPECT_EQ(eval(code, prelude()), "= [\"down\", \"Actor\", \"killed\", \"DivisionByZero\"]");
  const std::string waited = into("a", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
                             into("b", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
                             stmt("actor_link", {"LOAD_GLOBAL b", "LOAD_GLOBAL a"}) +
                             stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                             call("actor_wait", {"LOAD_GLOBAL b"}) + "RETURN";
  EXPECT_EQ(eval(waited, prelude()),
            "! ValueError: actor_wait: the actor was killed: an actor linked to it failed with "
            "DivisionByZero: DIV: Integer 1 by zero");
  const std::string normal = into("a", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
                             into("b", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
                             stmt("actor_link", {"LOAD_GLOBAL a", "LOAD_GLOBAL b"}) +
                             stmt("actor_stop", {"LOAD_GLOBAL a"}) +
                             stmt("actor_wait", {"LOAD_GLOBAL a"}) +
                             call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 4"}) + "RETURN";
  EXPECT_EQ(eval(normal, prelude()), "= 4");
}

// An actor trapping exits gets a notice instead of dying, and goes on.
TEST_F(Tier0Test, AnActorTrappingExitsGetsANotice) {
  const std::string code =
      forwarder("c") + stmt("actor_trap_exits", {"LOAD_GLOBAL c", "PUSH_CONST true"}) +
      into("a", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      stmt("actor_link", {"LOAD_GLOBAL c", "LOAD_GLOBAL a"}) +
      stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) + kNextNotice +
      stmt("actor_send", {"LOAD_GLOBAL c", "PUSH_CONST 9"}) +
      call("channel_receive", {"LOAD_GLOBAL d"}) + stmt("actor_stop", {"LOAD_GLOBAL c"}) +
      call("actor_wait", {"LOAD_GLOBAL c"}) + "NEW_LIST 3\nRETURN";
  EXPECT_EQ(eval(code, prelude()),
            "= [[\"exit\", \"Actor\", \"failed\", \"DivisionByZero\"], 9, 0]");
}

// One-for-one: the crashing child restarts from its first state; what was
// sent while it restarted is handled by the fresh behaviour.
TEST_F(Tier0Test, AOneForOneSupervisorRestartsACrashingChild) {
  const std::string code = supervisor("c", "one_for_one", 3) + child("a", "c", 10) +
                           child("b", "c", 50) +
                           call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 5"}) +
                           call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 5"}) +
                           stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                           stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 2"}) +
                           call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) +
                           call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 1"}) +
                           call("supervisor_restarts", {"LOAD_GLOBAL c"}) + "NEW_LIST 5\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [15, 55, 13, 56, 1]");
  const std::string asked = supervisor("c", "one_for_one", 3) + child("a", "c", 10) +
                            call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) + "RETURN";
  EXPECT_EQ(eval(asked, prelude()),
            "! ValueError: actor_ask: the actor's behaviour threw DivisionByZero: DIV: Integer "
            "1 by zero while handling the message; its supervisor restarts it or gives up");
}

// One-for-all: a crash restarts every child. The sibling's restart is
// requested during the crash and happens at the start of its next turn,
// so the asks loop until they see it (each adds 1: 108, 109, ... before).
TEST_F(Tier0Test, AOneForAllSupervisorRestartsEveryChild) {
  const std::string code =
      supervisor("c", "one_for_all", 3) + child("a", "c", 0) + child("b", "c", 100) +
      call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 7"}) +
      stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
      call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) + ask_until("b", "101", "b") +
      call("supervisor_restarts", {"LOAD_GLOBAL c"}) + "NEW_LIST 4\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [107, 1, true, 1]");
}

// Beyond its restart limit the supervisor gives up: supervisor_wait says
// so, the other children are killed, no child can be added.
TEST_F(Tier0Test, ASupervisorGivesUpBeyondItsRestartLimit) {
  const std::string setup = supervisor("c", "one_for_one", 2) + child("a", "c", 0) +
                            child("b", "c", 0) +
                            stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                            stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                            stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"});
  EXPECT_EQ(eval(setup + call("supervisor_wait", {"LOAD_GLOBAL c"}) + "RETURN", prelude()),
            "! ValueError: supervisor_wait: the supervisor gave up: a child failed after 2 "
            "restarts within 60000 ms; it killed its other children. The last failure: "
            "DivisionByZero: DIV: Integer 1 by zero");
  EXPECT_EQ(eval(setup + call("actor_wait", {"LOAD_GLOBAL b"}) + "RETURN", prelude()),
            "! ValueError: actor_wait: the actor was killed by its supervisor, which gave up");
  EXPECT_EQ(eval(setup + call("actor_wait", {"LOAD_GLOBAL a"}) + "RETURN", prelude()),
            "! DivisionByZero: DIV: Integer 1 by zero");
  const std::string gave_up = setup + "TRY_BEGIN late none\n" +
                              stmt("supervisor_wait", {"LOAD_GLOBAL c"}) + "TRY_END\n" +
                              "late:\nCATCH_BEGIN type ValueError\nPOP\nCATCH_END\n";
  EXPECT_EQ(eval(gave_up + call("supervisor_restarts", {"LOAD_GLOBAL c"}) + "RETURN", prelude()),
            "= 2");
  EXPECT_EQ(eval(gave_up +
                     call("supervisor_spawn",
                          {"LOAD_GLOBAL c", "PUSH_CONST function 1", "PUSH_CONST 0"}) +
                     "RETURN",
                 prelude()),
            "! ValueError: supervisor_spawn: the supervisor is down (it gave up after too many "
            "restarts, or a supervisor above it did)");
}

TEST_F(Tier0Test, SupervisionNativesCheckTheirArguments) {
  EXPECT_EQ(
      eval(call("actor_spawn_bounded", {"PUSH_CONST function 1", "PUSH_CONST 0", "PUSH_CONST 0"}) +
               "RETURN",
           prelude()),
      "! ValueError: actor_spawn_bounded: a mailbox's capacity is 1 or more, not 0");
  EXPECT_EQ(
      eval(call("supervisor_new", {"PUSH_CONST \"one_for_none\"", "PUSH_CONST 1", "PUSH_CONST 1"}) +
               "RETURN",
           prelude()),
      "! ValueError: supervisor_new: the strategy is \"one_for_one\", \"one_for_all\" or "
      "\"rest_for_one\", not \"one_for_none\"");
  const std::string top =
      into("c", "supervisor_new", {"PUSH_CONST \"one_for_one\"", "PUSH_CONST 1", "PUSH_CONST 1"});
  EXPECT_EQ(eval(top +
                     call("supervisor_spawn_bounded", {"LOAD_GLOBAL c", "PUSH_CONST function 1",
                                                       "PUSH_CONST 0", "PUSH_CONST 0"}) +
                     "RETURN",
                 prelude()),
            "! ValueError: supervisor_spawn_bounded: a mailbox's capacity is 1 or more, not 0");
  EXPECT_EQ(eval(top +
                     call("supervisor_spawn_supervisor",
                          {"LOAD_GLOBAL c", "PUSH_CONST 1", "PUSH_CONST 1", "PUSH_CONST 1"}) +
                     "RETURN",
                 prelude())
                .rfind("! TypeError: supervisor_spawn_supervisor", 0),
            0U);
  EXPECT_EQ(
      eval(top +
               call("supervisor_spawn_supervisor", {"LOAD_GLOBAL c", "PUSH_CONST \"one_for_one\"",
                                                    "PUSH_CONST -1", "PUSH_CONST 1"}) +
               "RETURN",
           prelude()),
      "! ValueError: supervisor_spawn_supervisor: the restart limit and the period are 0 "
      "or more");
  EXPECT_EQ(eval(top + call("supervisor_monitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL c"}) + "RETURN",
                 prelude())
                .rfind("! TypeError: supervisor_monitor", 0),
            0U);
  const std::string bad_monitor =
      call("actor_monitor", {"PUSH_CONST 1", "PUSH_CONST 2"}) + "RETURN";
  EXPECT_EQ(eval(bad_monitor, prelude()).rfind("! TypeError: actor_monitor", 0), 0U);
  const std::string bad_wait = call("supervisor_wait", {"PUSH_CONST 1"}) + "RETURN";
  EXPECT_EQ(eval(bad_wait, prelude()).rfind("! TypeError: supervisor_wait", 0), 0U);
}

// Rest-for-one: the crashing child and the ones started after it restart
// (the later ones at their next turn); the one started before keeps its
// state.
TEST_F(Tier0Test, ARestForOneSupervisorRestartsTheLaterChildren) {
  const std::string code =
      supervisor("c", "rest_for_one", 3) + child("a", "c", 0) + child("b", "c", 100) +
      child("e", "c", 1000) + call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 7"}) +
      call("actor_ask", {"LOAD_GLOBAL e", "PUSH_CONST 7"}) +
      stmt("actor_send", {"LOAD_GLOBAL b", "PUSH_CONST 0"}) +
      call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 1"}) + ask_until("e", "1001", "e") +
      call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) +
      call("supervisor_restarts", {"LOAD_GLOBAL c"}) + "NEW_LIST 6\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [7, 1007, 101, true, 8, 1]");
}

// A supervisor under another: its child crashing past its limit (0) makes
// it fail as a whole; the parent restarts it, and its child starts again
// from its first state, behind the same Actor.
TEST_F(Tier0Test, AParentSupervisorRestartsAChildSupervisor) {
  const std::string code = supervisor("c", "one_for_one", 3) +
                           supervisor("b", "one_for_one", 0, "c") + child("a", "b", 10) +
                           call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 5"}) +
                           stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                           call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) +
                           call("supervisor_restarts", {"LOAD_GLOBAL c"}) +
                           call("supervisor_restarts", {"LOAD_GLOBAL b"}) + "NEW_LIST 4\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [15, 11, 1, 0]");
}

// Every limit 0: the grandchild's crash makes the child supervisor and then
// the top give up; a monitor on each hears "failed" with the exception
// (the top first: it goes down inside the child's escalation), the top's
// other child is killed, and a monitor set afterwards hears at once.
TEST_F(Tier0Test, AnEscalationReachesTheTopAndItsMonitors) {
  const std::string code =
      forwarder("e") + supervisor("c", "one_for_one", 0) + supervisor("b", "one_for_all", 0, "c") +
      child("a", "b", 0) + child("f", "c", 0) +
      stmt("supervisor_monitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL e"}) +
      stmt("supervisor_monitor", {"LOAD_GLOBAL b", "LOAD_GLOBAL e"}) +
      stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) + kNextNotice + kNextNotice +
      stmt("supervisor_monitor", {"LOAD_GLOBAL b", "LOAD_GLOBAL e"}) + kNextNotice +
      "NEW_LIST 3\nRETURN";
  EXPECT_EQ(eval(code, prelude()),
            "= [[\"down\", \"Supervisor\", \"failed\", \"DivisionByZero\"], "
            "[\"down\", \"Supervisor\", \"failed\", \"DivisionByZero\"], "
            "[\"down\", \"Supervisor\", \"failed\", \"DivisionByZero\"]]");
  const std::string setup = supervisor("c", "one_for_one", 0) +
                            supervisor("b", "one_for_one", 5, "c") + child("a", "c", 0) +
                            child("f", "b", 0) +
                            stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"});
  // The other child supervisor is stopped with its children.
  EXPECT_EQ(eval(setup + call("supervisor_wait", {"LOAD_GLOBAL b"}) + "RETURN", prelude()),
            "! ValueError: supervisor_wait: the supervisor was stopped: a supervisor above it "
            "gave up");
  EXPECT_EQ(eval(setup + call("actor_wait", {"LOAD_GLOBAL f"}) + "RETURN", prelude()),
            "! ValueError: actor_wait: the actor was killed by its supervisor, which gave up");
  EXPECT_EQ(
      eval(forwarder("e") + setup + stmt("supervisor_monitor", {"LOAD_GLOBAL b", "LOAD_GLOBAL e"}) +
               kNextNotice + "RETURN",
           prelude()),
      "= [\"down\", \"Supervisor\", \"killed\", \"Nothing\"]");
  EXPECT_EQ(
      eval(setup + "TRY_BEGIN late none\n" + stmt("supervisor_wait", {"LOAD_GLOBAL b"}) +
               "TRY_END\nlate:\nCATCH_BEGIN type ValueError\nPOP\nCATCH_END\n" +
               call("supervisor_spawn_supervisor", {"LOAD_GLOBAL b", "PUSH_CONST \"one_for_one\"",
                                                    "PUSH_CONST 1", "PUSH_CONST 1"}) +
               "RETURN",
           prelude()),
      "! ValueError: supervisor_spawn_supervisor: the parent supervisor is down");
}

// A supervised child with a bounded mailbox: a send waits for room, a
// try-send is refused while the mailbox is full.
TEST_F(Tier0Test, ASupervisedChildMayHaveABoundedMailbox) {
  const std::string code =
      into("c", "semaphore_new", {"PUSH_CONST 0"}) + supervisor("b", "one_for_one", 3) +
      into("a", "supervisor_spawn_bounded",
           {"LOAD_GLOBAL b", "PUSH_CONST function 2", "PUSH_CONST 0", "PUSH_CONST 1"}) +
      // The turn waits on the semaphore with 1; 2 waits for room until the
      // turn took 1, then fills the mailbox.
      stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) +
      stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 2"}) +
      call("actor_try_send", {"LOAD_GLOBAL a", "PUSH_CONST 3"}) +
      stmt("actor_stop", {"LOAD_GLOBAL a"}) + kRelease + kRelease +
      call("actor_wait", {"LOAD_GLOBAL a"}) + "NEW_LIST 2\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [false, 3]");
}

}  // namespace
}  // namespace runa::tier0
