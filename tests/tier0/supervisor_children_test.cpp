// Supervisors' children as programs see them (docs/natives.md, "Actors";
// src/bridge/actor_watch.cpp): restart types (supervisor_spawn_child),
// removing a supervisor's monitor (supervisor_demonitor), stopping a child
// through its supervisor (supervisor_stop_child) and listing the children
// (supervisor_children).
//
// The interleavings that would break them, beside their tests:
//   - the runtime's end racing a permanent child: its stop would restart it
//     and the end would wait for ever; every supervisor winds down before
//     any actor is asked to stop (Actors::shut_down): the runtime of
//     APermanentChildRestartsAfterActorStop ends with permanent children;
//   - supervisor_demonitor racing the supervisor giving up: the notice
//     comes exactly when the answer is false (SupervisorDemonitorRacing-
//     TheGiveUp; Supervisor::unmonitor and go_down share its lock);
//   - supervisor_stop_child racing the child's crash and restart: the child
//     ends either way, never restarted after (StopChildRacingACrash; the
//     C++ stop_child deletes the child under the supervisor's lock before
//     stopping it);
//   - actor_stop's restart of a permanent child racing an ask: the ask is
//     made once the supervisor has counted the restart, when the child is
//     running again (its phase went back to running before the count).
// All run also under tier0-stress (a collection at every allocation) and
// TSan.
#include "actor_behaviours.hpp"
#include "native_calls.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

using asm_calls::call;
using asm_calls::into;
using asm_calls::stmt;

// The assembly every test here starts with.
const std::string& prelude() {
  static const std::string text =
      std::string(R"(
.meta globals a Any, b Any, c Any, d Any, e Any, f Any
.type 1 primitive Integer
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 6 external ValueError layout hex ""
.type 7 external DivisionByZero layout hex ""
)") + fragile_behaviour(1) +
      forward_behaviour(2, "forward", "d") + forward_behaviour(4, "forward_f", "f") +
      R"(; restarted: returns once the Supervisor in c has made the number of
; restarts in e.
.function 3 restarted type "()->Any"
loop:
  PUSH_CONST extern "supervisor_restarts"
  LOAD_GLOBAL c
  CALL 1
  LOAD_GLOBAL e
  LT
  JUMP_IF_TRUE loop
  PUSH_CONST 0
  RETURN
end:
.end
)";
  return text;
}

// A one-for-one supervisor allowing `max` restarts a minute, in c.
std::string supervisor(int max) {
  return into(
      "c", "supervisor_new",
      {"PUSH_CONST \"one_for_one\"", "PUSH_CONST " + std::to_string(max), "PUSH_CONST 60000"});
}
// A child of c running `fragile` from `state`, of restart type `restart`,
// in global `global`.
std::string child(std::string_view global, std::string_view restart, int state, int capacity = 0) {
  return into(
      global, "supervisor_spawn_child",
      {"LOAD_GLOBAL c", "PUSH_CONST function 1", "PUSH_CONST " + std::to_string(state),
       "PUSH_CONST \"" + std::string(restart) + "\"", "PUSH_CONST " + std::to_string(capacity)});
}
// Waits until c has made `n` restarts.
std::string restarted(int n) {
  return "PUSH_CONST " + std::to_string(n) +
         "\nSTORE_GLOBAL e\nPUSH_CONST function 3\nCALL 0\nPOP\n";
}
// Crashes the actor in `global` and waits until it is down.
std::string crash(std::string_view global) {
  return stmt("actor_send", {"LOAD_GLOBAL " + std::string(global), "PUSH_CONST 0"}) +
         "TRY_BEGIN threw none\n" + stmt("actor_wait", {"LOAD_GLOBAL " + std::string(global)}) +
         "TRY_END\nthrew:\nCATCH_BEGIN type DivisionByZero\nPOP\nCATCH_END\n";
}

// Transient: restarted when it crashes; actor_stop ends it (its last
// state).
TEST_F(Tier0Test, ATransientChildIsRestartedOnlyWhenItFails) {
  const std::string code = supervisor(3) + child("a", "transient", 10) +
                           stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                           call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) +
                           stmt("actor_stop", {"LOAD_GLOBAL a"}) +
                           call("actor_wait", {"LOAD_GLOBAL a"}) +
                           call("supervisor_restarts", {"LOAD_GLOBAL c"}) + "NEW_LIST 3\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [11, 11, 1]");
}

// Permanent: actor_stop restarts it from its first state (counted); the
// runtime's end still stops it (the header).
TEST_F(Tier0Test, APermanentChildRestartsAfterActorStop) {
  const std::string code =
      supervisor(3) + child("a", "permanent", 10, 2) +
      call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 5"}) + stmt("actor_stop", {"LOAD_GLOBAL a"}) +
      restarted(1) + call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) +
      stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) + restarted(2) +
      call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 2"}) + "NEW_LIST 3\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [15, 11, 12]");
}

// Past the limit, permanent stops make the supervisor give up, with no
// failure to report.
TEST_F(Tier0Test, PermanentStopsCountTowardTheLimit) {
  const std::string code = supervisor(1) + child("a", "permanent", 10) +
                           stmt("actor_stop", {"LOAD_GLOBAL a"}) + restarted(1) +
                           stmt("actor_stop", {"LOAD_GLOBAL a"}) +
                           call("supervisor_wait", {"LOAD_GLOBAL c"}) + "RETURN";
  EXPECT_EQ(eval(code, prelude()),
            "! ValueError: supervisor_wait: the supervisor gave up: a child failed after 1 "
            "restarts within 60000 ms; it killed its other children. The last failure: none: "
            "a permanent child stopped normally (actor_stop)");
}

// Temporary: never restarted, and its crash is not counted — with a limit
// of 0 the supervisor would give up at the first counted failure, and
// could take no new child.
TEST_F(Tier0Test, ATemporaryChildIsNeverRestartedNorCounted) {
  const std::string code =
      supervisor(0) + child("a", "temporary", 10) + crash("a") +
      call("supervisor_restarts", {"LOAD_GLOBAL c"}) + child("b", "transient", 20) +
      call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 1"}) + "NEW_LIST 2\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [0, 21]");
}

TEST_F(Tier0Test, SupervisorSpawnChildChecksItsArguments) {
  EXPECT_EQ(eval(supervisor(1) + child("a", "sometimes", 0) + "PUSH_CONST 0\nRETURN", prelude()),
            "! ValueError: supervisor_spawn_child: the restart type is \"permanent\", "
            "\"transient\" or \"temporary\", not \"sometimes\"");
  EXPECT_EQ(
      eval(supervisor(1) + child("a", "transient", 0, -1) + "PUSH_CONST 0\nRETURN", prelude()),
      "! ValueError: supervisor_spawn_child: a mailbox's capacity is 0 (unbounded) or "
      "more, not -1");
  EXPECT_EQ(
      eval(supervisor(1) +
               call("supervisor_spawn_child", {"LOAD_GLOBAL c", "PUSH_CONST function 1",
                                               "PUSH_CONST 0", "PUSH_CONST 1", "PUSH_CONST 0"}) +
               "RETURN",
           prelude()),
      "! TypeError: supervisor_spawn_child: argument 4 must be a String, not Integer 1");
}

// b forwards to channel d, e to channel f: watchers.
const std::string kWatchers = into("d", "channel_new", {"PUSH_CONST 0"}) +
                              into("f", "channel_new", {"PUSH_CONST 0"}) +
                              into("b", "actor_spawn", {"PUSH_CONST function 2", "PUSH_CONST 0"}) +
                              into("e", "actor_spawn", {"PUSH_CONST function 4", "PUSH_CONST 0"});
// "last" through b: the first of b's messages on d after what b got before.
const std::string kFirstOnD = stmt("actor_send", {"LOAD_GLOBAL b", "PUSH_CONST \"last\""}) +
                              call("channel_receive", {"LOAD_GLOBAL d"});
// c gives up: its child a crashes past a limit of 0.
const std::string kGiveUp = crash("a") + "TRY_BEGIN gave_up none\n" +
                            stmt("supervisor_wait", {"LOAD_GLOBAL c"}) +
                            "TRY_END\ngave_up:\nCATCH_BEGIN type ValueError\nPOP\nCATCH_END\n";

TEST_F(Tier0Test, ARemovedSupervisorMonitorSendsNothing) {
  EXPECT_EQ(eval(kWatchers + supervisor(0) + child("a", "transient", 0) +
                     stmt("supervisor_monitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL b"}) +
                     call("supervisor_demonitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL b"}) +
                     call("supervisor_demonitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL b"}) + kGiveUp +
                     kFirstOnD + "NEW_LIST 3\nRETURN",
                 prelude()),
            "= [true, false, \"last\"]");
  // Once down: the monitor's notice comes at once, and removing is too late.
  EXPECT_EQ(eval(kWatchers + supervisor(0) + child("a", "transient", 0) + kGiveUp +
                     stmt("supervisor_monitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL b"}) +
                     call("supervisor_demonitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL b"}) + kFirstOnD +
                     "PUSH_CONST 0\nGET_ITEM\nNEW_LIST 2\nRETURN",
                 prelude()),
            "= [false, \"down\"]");
  EXPECT_EQ(eval(supervisor(0) + call("supervisor_demonitor", {"LOAD_GLOBAL c", "PUSH_CONST 2"}) +
                     "RETURN",
                 prelude()),
            "! TypeError: supervisor_demonitor: argument 2 must be an Actor, not Integer 2");
}

// The removal racing the give-up, many rounds: a crashes (asynchronously:
// actor_send) while main removes b's monitor of c. e monitors c after b,
// so once e's notice is in f, b's (if it was not removed) is in b's
// mailbox before main's "last". The answer is true exactly when "last"
// comes first.
TEST_F(Tier0Test, SupervisorDemonitorRacingTheGiveUp) {
  const std::string round = kWatchers + supervisor(0) + child("a", "transient", 0) +
                            stmt("supervisor_monitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL b"}) +
                            stmt("supervisor_monitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL e"}) +
                            stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                            call("supervisor_demonitor", {"LOAD_GLOBAL c", "LOAD_GLOBAL b"}) +
                            stmt("channel_receive", {"LOAD_GLOBAL f"}) + kFirstOnD +
                            "PUSH_CONST \"last\"\nEQ\nEQ\nRETURN";
  for (int i = 0; i < 30; ++i) EXPECT_EQ(eval(round, prelude()), "= true") << "round " << i;
}

// A child stopped through its supervisor ends (normally: actor_wait gives
// its last state) and is not restarted, a permanent one included; the
// supervisor no longer lists it, and stopping it again answers false, as
// for an actor that is not its child.
TEST_F(Tier0Test, SupervisorStopChildEndsAChildForGood) {
  const std::string code =
      supervisor(3) + child("a", "permanent", 10) + child("b", "transient", 20) +
      child("e", "temporary", 30) +
      call("list_length", {call("supervisor_children", {"LOAD_GLOBAL c"})}) +
      call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 5"}) +
      call("supervisor_stop_child", {"LOAD_GLOBAL c", "LOAD_GLOBAL a"}) +
      call("actor_wait", {"LOAD_GLOBAL a"}) +
      call("supervisor_stop_child", {"LOAD_GLOBAL c", "LOAD_GLOBAL a"}) +
      call("list_length", {call("supervisor_children", {"LOAD_GLOBAL c"})}) +
      // The first child listed now: b.
      call("actor_ask", {call("supervisor_children", {"LOAD_GLOBAL c"}) + "PUSH_CONST 0\nGET_ITEM",
                         "PUSH_CONST 1"}) +
      call("supervisor_restarts", {"LOAD_GLOBAL c"}) +
      into("f", "actor_spawn", {"PUSH_CONST function 1", "PUSH_CONST 0"}) +
      call("supervisor_stop_child", {"LOAD_GLOBAL c", "LOAD_GLOBAL f"}) + "NEW_LIST 9\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [3, 15, true, 15, false, 2, 21, 0, false]");
}

// The stop racing a crash (sent asynchronously just before), many rounds:
// a permanent child ends whichever comes first — failed (the crash found
// it deleted), or stopped (after a restart the crash won) — and the
// supervisor lists no child.
TEST_F(Tier0Test, StopChildRacingACrash) {
  const std::string round = supervisor(1000) + child("a", "permanent", 10) +
                            stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                            stmt("supervisor_stop_child", {"LOAD_GLOBAL c", "LOAD_GLOBAL a"}) +
                            "TRY_BEGIN threw none\n" + stmt("actor_wait", {"LOAD_GLOBAL a"}) +
                            "TRY_END\nthrew:\nCATCH_BEGIN type DivisionByZero\nPOP\nCATCH_END\n" +
                            call("list_length", {call("supervisor_children", {"LOAD_GLOBAL c"})}) +
                            "RETURN";
  for (int i = 0; i < 30; ++i) EXPECT_EQ(eval(round, prelude()), "= 0") << "round " << i;
}

// simple_one_for_one: every child runs the template's behaviour from its
// own state; a crash restarts only that child; the other ways to add a
// child are refused, and supervisor_start_child wants such a supervisor.
TEST_F(Tier0Test, ASimpleOneForOneSupervisorStartsChildrenFromItsTemplate) {
  const std::string simple = into(
      "c", "supervisor_new_simple",
      {"PUSH_CONST function 1", "PUSH_CONST \"transient\"", "PUSH_CONST 3", "PUSH_CONST 60000"});
  const std::string code =
      simple + into("a", "supervisor_start_child", {"LOAD_GLOBAL c", "PUSH_CONST 10"}) +
      into("b", "supervisor_start_child", {"LOAD_GLOBAL c", "PUSH_CONST 20"}) +
      call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 1"}) +
      call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 1"}) +
      stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
      call("actor_ask", {"LOAD_GLOBAL a", "PUSH_CONST 2"}) +
      call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 2"}) +
      call("supervisor_restarts", {"LOAD_GLOBAL c"}) +
      call("list_length", {call("supervisor_children", {"LOAD_GLOBAL c"})}) + "NEW_LIST 6\nRETURN";
  EXPECT_EQ(eval(code, prelude()), "= [11, 21, 12, 23, 1, 2]");
  EXPECT_EQ(eval(simple +
                     call("supervisor_spawn",
                          {"LOAD_GLOBAL c", "PUSH_CONST function 1", "PUSH_CONST 0"}) +
                     "RETURN",
                 prelude()),
            "! ValueError: supervisor_spawn: a simple_one_for_one supervisor's children start "
            "with supervisor_start_child, all from its one behaviour");
  EXPECT_EQ(eval(supervisor(1) + call("supervisor_start_child", {"LOAD_GLOBAL c", "PUSH_CONST 0"}) +
                     "RETURN",
                 prelude()),
            "! ValueError: supervisor_start_child: the supervisor is not a simple_one_for_one "
            "one (supervisor_new_simple)");
  EXPECT_EQ(eval(into("c", "supervisor_new_simple",
                      {"PUSH_CONST function 1", "PUSH_CONST \"sometimes\"", "PUSH_CONST 3",
                       "PUSH_CONST 60000"}) +
                     "PUSH_CONST 0\nRETURN",
                 prelude()),
            "! ValueError: supervisor_new_simple: the restart type is \"permanent\", "
            "\"transient\" or \"temporary\", not \"sometimes\"");
}

}  // namespace
}  // namespace runa::tier0
