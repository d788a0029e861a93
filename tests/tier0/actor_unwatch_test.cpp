// Removing monitors and links of programs' actors (actor_demonitor,
// actor_unlink; src/bridge/actor_watch.cpp): a monitor or link removed
// before the watched actor stops has no effect at the stop; one the stop
// took first has its effect, and the native answers false.
//
// The interleaving that would break it: the removal racing the watched
// actor's stop — a notice both removed and sent, or neither. Both take the
// actor's lock (ActorBase::unmonitor, terminate), so the native's answer
// says which happened: RemovalRacingACrash checks, round after round, that
// a notice comes exactly when the answer is false. Also under
// tier0-stress and TSan.
#include "actor_behaviours.hpp"
#include "native_calls.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

// The assembly every test here starts with.
const std::string& prelude() {
  static const std::string text = std::string(R"(
.meta globals a Any, b Any, c Any, d Any, e Any, f Any
.type 1 primitive Integer
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 6 external ValueError layout hex ""
.type 7 external DivisionByZero layout hex ""
; fragile: throws DivisionByZero on 0; else answers an ask with the
; message.
.function 1 fragile type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST 1
  LOAD_LOCAL msg
  DIV
  POP
  PUSH_CONST extern "actor_reply"
  LOAD_LOCAL msg
  CALL 1
  POP
  LOAD_LOCAL state
  RETURN
.end
)") + forward_behaviour(2, "forward", "d") +
                                  forward_behaviour(3, "forward_f", "f");
  return text;
}

using asm_calls::call;
using asm_calls::into;
using asm_calls::stmt;

// c forwards to channel d, e to channel f; c traps exits; a is fragile.
const std::string kActors =
    into("d", "channel_new", {"PUSH_CONST 0"}) + into("f", "channel_new", {"PUSH_CONST 0"}) +
    into("c", "actor_spawn", {"PUSH_CONST function forward", "PUSH_CONST 0"}) +
    into("e", "actor_spawn", {"PUSH_CONST function forward_f", "PUSH_CONST 0"}) +
    stmt("actor_trap_exits", {"LOAD_GLOBAL c", "PUSH_CONST true"}) +
    into("a", "actor_spawn", {"PUSH_CONST function fragile", "PUSH_CONST 0"});
// Crashes a and waits until it is down (its actor_wait throws).
const std::string kCrashA = stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                            "TRY_BEGIN threw none\n" + stmt("actor_wait", {"LOAD_GLOBAL a"}) +
                            "TRY_END\nthrew:\nCATCH_BEGIN type DivisionByZero\nPOP\nCATCH_END\n";
// "last" through c: the first of c's messages on d after what c got before.
const std::string kFirstOnD = stmt("actor_send", {"LOAD_GLOBAL c", "PUSH_CONST \"last\""}) +
                              call("channel_receive", {"LOAD_GLOBAL d"});

TEST_F(Tier0Test, ARemovedMonitorOrLinkHasNoEffect) {
  // Removed: the crash sends c nothing; "last" is c's first message.
  EXPECT_EQ(eval(kActors + stmt("actor_monitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) +
                     call("actor_demonitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) + kCrashA +
                     kFirstOnD + "NEW_LIST 2\nRETURN",
                 prelude()),
            "= [true, \"last\"]");
  EXPECT_EQ(eval(kActors + stmt("actor_link", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) +
                     call("actor_unlink", {"LOAD_GLOBAL c", "LOAD_GLOBAL a"}) + kCrashA +
                     kFirstOnD + "NEW_LIST 2\nRETURN",
                 prelude()),
            "= [true, \"last\"]");
  // An unlinked actor that does not trap exits is not killed.
  EXPECT_EQ(
      eval(kActors + into("b", "actor_spawn", {"PUSH_CONST function fragile", "PUSH_CONST 0"}) +
               stmt("actor_link", {"LOAD_GLOBAL a", "LOAD_GLOBAL b"}) +
               stmt("actor_unlink", {"LOAD_GLOBAL a", "LOAD_GLOBAL b"}) + kCrashA +
               call("actor_ask", {"LOAD_GLOBAL b", "PUSH_CONST 4"}) + "RETURN",
           prelude()),
      "= 4");
  // Nothing to remove.
  EXPECT_EQ(
      eval(kActors + call("actor_demonitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) +
               call("actor_unlink", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) + "NEW_LIST 2\nRETURN",
           prelude()),
      "= [false, false]");
}

// After the stop, removing is too late: false, and the notice came.
TEST_F(Tier0Test, RemovingAfterTheStopIsTooLate) {
  EXPECT_EQ(eval(kActors + stmt("actor_monitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) +
                     stmt("actor_monitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL e"}) + kCrashA +
                     stmt("channel_receive", {"LOAD_GLOBAL f"}) +  // e's: c's was sent before
                     call("actor_demonitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) +
                     call("channel_receive", {"LOAD_GLOBAL d"}) + "PUSH_CONST 0\nGET_ITEM\n" +
                     "NEW_LIST 2\nRETURN",
                 prelude()),
            "= [false, \"down\"]");
}

TEST_F(Tier0Test, RemovalNativesCheckTheirArguments) {
  EXPECT_EQ(eval(kActors + call("actor_demonitor", {"LOAD_GLOBAL a", "PUSH_CONST 2"}) + "RETURN",
                 prelude()),
            "! TypeError: actor_demonitor: argument 2 must be an Actor, not Integer 2");
  EXPECT_EQ(eval(call("actor_unlink", {"PUSH_CONST 1", "PUSH_CONST 2"}) + "RETURN", prelude()),
            "! TypeError: actor_unlink: argument 1 must be an Actor, not Integer 1");
}

// The removal racing a crash, many rounds: a is crashed (asynchronously:
// actor_send) while main removes c's monitor or link. e watches a too,
// after c, so once e's notice is in f, c's (if it was not removed) is in
// c's mailbox before main's "last". The answer is true exactly when "last"
// comes first.
TEST_F(Tier0Test, RemovalRacingACrash) {
  for (const auto& [watch, unwatch] :
       {std::pair{"actor_monitor", "actor_demonitor"}, std::pair{"actor_link", "actor_unlink"}}) {
    const std::string round = kActors + stmt(watch, {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) +
                              stmt("actor_monitor", {"LOAD_GLOBAL a", "LOAD_GLOBAL e"}) +
                              stmt("actor_send", {"LOAD_GLOBAL a", "PUSH_CONST 0"}) +
                              call(unwatch, {"LOAD_GLOBAL a", "LOAD_GLOBAL c"}) +
                              stmt("channel_receive", {"LOAD_GLOBAL f"}) + kFirstOnD +
                              "PUSH_CONST \"last\"\nEQ\nEQ\n" + "RETURN";
    for (int i = 0; i < 30; ++i) {
      EXPECT_EQ(eval(round, prelude()), "= true") << watch << ", round " << i;
    }
  }
}

}  // namespace
}  // namespace runa::tier0
