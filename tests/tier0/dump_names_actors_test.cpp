// What the thread dump shows beside frames and tasks (docs/concurrency.md,
// "Dumps"): the names programs give their threads (thread_spawn_named,
// thread_set_name, thread_name) and the program's actors with their state
// and mailbox.
//
// The interleaving the actors' part must survive: a worker is inside a
// behaviour (stopped at a safepoint, or blocked in a native) and others
// have messages queued while the dump reads the actors. The dump stops the
// world, then reads the live actors under the Actors' lock, which no
// thread holds across a poll or a wait (src/bridge/actors.cpp, "The dump"),
// so it neither waits for ever nor reads a changing count: the test holds
// a behaviour inside its turn on a semaphore and expects the exact picture.
#include <cctype>

#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPrelude = R"(
.meta globals a Any, b Any, c Any
.type 1 primitive Integer
.type 3 function "(Any,Any)->Any" params Any Any returns Any
; gated: says it started (a permit to the Semaphore in b), waits for a
; permit of the Semaphore in c, then counts the message.
.function 1 gated type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "semaphore_release"
  LOAD_GLOBAL b
  CALL 1
  POP
  PUSH_CONST extern "semaphore_acquire"
  LOAD_GLOBAL c
  CALL 1
  POP
  LOAD_LOCAL state
  PUSH_CONST 1
  ADD
  RETURN
.end
; keeps: keeps its state.
.function 2 keeps type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  LOAD_LOCAL state
  RETURN
.end
; dump_here: the dump, as this thread sees it.
.function 3 dump_here type "()->Any"
  PUSH_CONST extern "runtime_dump"
  CALL 0
  RETURN
.end
; rename_in_behaviour: tries to rename the pool worker it runs on.
.function 4 rename_in_behaviour type "(Any,Any)->Any"
  .param state type Any
  .param msg type Any
  PUSH_CONST extern "thread_set_name"
  PUSH_CONST "mine"
  CALL 1
  RETURN
.end
)";

std::string call1(std::string_view native, std::string_view arg) {
  return "PUSH_CONST extern \"" + std::string(native) + "\"\nPUSH_CONST " + std::string(arg) +
         "\nCALL 1\n";
}

TEST_F(Tier0Test, ThreadNamesAreCheckedStrings) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(call1("thread_set_name", "3") + "RETURN", p),
            "! TypeError: thread_set_name: argument 1 must be a String, not Integer 3");
  EXPECT_EQ(eval(call1("thread_set_name", "\"\"") + "RETURN", p),
            "! ValueError: thread_set_name: a thread's name is not empty");
  EXPECT_EQ(eval(call1("thread_set_name", "\"a\\nb\"") + "RETURN", p),
            "! ValueError: thread_set_name: a thread's name holds no control character");
  const std::string longest(64, 'x');
  EXPECT_EQ(eval(call1("thread_set_name", "\"" + longest + "x\"") + "RETURN", p),
            "! ValueError: thread_set_name: a thread's name is at most 64 characters, not 65");
  // 64 characters of two bytes each are 64 characters, not 128.
  std::string accented;
  for (int i = 0; i < 64; ++i) accented += "\xC3\xA9";
  EXPECT_EQ(eval(call1("thread_set_name", "\"" + accented + "\"") +
                     "POP\nPUSH_CONST extern \"thread_name\"\nCALL 0\nRETURN",
                 p),
            "= \"" + accented + "\"");
  EXPECT_EQ(eval("PUSH_CONST extern \"thread_spawn_named\"\nPUSH_CONST function dump_here\n"
                 "PUSH_CONST 5\nCALL 2\nRETURN",
                 p),
            "! TypeError: thread_spawn_named: argument 2 must be a String, not Integer 5");
  EXPECT_EQ(eval("PUSH_CONST extern \"thread_spawn_named\"\nPUSH_CONST function dump_here\n"
                 "PUSH_CONST \"\"\nCALL 2\nRETURN",
                 p),
            "! ValueError: thread_spawn_named: a thread's name is not empty");
  // A behaviour may not rename the pool worker it runs on.
  EXPECT_EQ(eval("PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function rename_in_behaviour\n"
                 "PUSH_CONST 0\nCALL 2\nSTORE_GLOBAL a\n"
                 "PUSH_CONST extern \"actor_send\"\nLOAD_GLOBAL a\nPUSH_CONST 1\nCALL 2\nPOP\n"
                 "PUSH_CONST extern \"actor_wait\"\nLOAD_GLOBAL a\nCALL 1\nRETURN",
                 p),
            "! ValueError: thread_set_name: a behaviour runs on one of the actors' pool threads, "
            "which keep their names");
}

// thread_name gives the calling thread's name, thread_set_name changes it,
// and a thread spawned with a name has it from its start: the dump it
// takes shows both threads by name.
TEST_F(Tier0Test, NamedThreadsShowInTheDump) {
  const std::string code =
      "PUSH_CONST extern \"thread_name\"\nCALL 0\n" + call1("thread_set_name", "\"main\"") +
      "POP\nPUSH_CONST extern \"thread_name\"\nCALL 0\n"
      "PUSH_CONST extern \"thread_join\"\nPUSH_CONST extern \"thread_spawn_named\"\n"
      "PUSH_CONST function dump_here\nPUSH_CONST \"reader\"\nCALL 2\nCALL 1\nNEW_LIST 3\nRETURN";
  // The reader's dump: main waits in thread_join, inside main.
  EXPECT_EQ(eval(code, std::string(kPrelude)),
            "= [\"thread 1\", \"main\", \"RunaTime thread dump: 2 threads\\n"
            "thread 1 \\\"main\\\"\\n    at main\\n"
            "thread 2 \\\"reader\\\"\\n    at dump_here\\n\"]");
}

// Two actors in the dump: `gated` running its first message on a pool
// worker (held there on a semaphore) with two more waiting, and `keeps`
// idle with none. The worker named in "running on thread N" is an actor
// worker whose frames show the behaviour.
TEST_F(Tier0Test, ADumpListsActorsWithTheirStateAndMailbox) {
  std::string send;
  for (int i = 0; i < 3; ++i) {
    send += "PUSH_CONST extern \"actor_send\"\nLOAD_GLOBAL a\nPUSH_CONST 1\nCALL 2\nPOP\n";
  }
  const std::string code =
      ".local d type Any slot 0 scope 0 end\n" + call1("semaphore_new", "0") + "STORE_GLOBAL b\n" +
      call1("semaphore_new", "0") +
      "STORE_GLOBAL c\n"
      "PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function gated\nPUSH_CONST 0\nCALL 2\n"
      "STORE_GLOBAL a\n"
      "PUSH_CONST extern \"actor_spawn\"\nPUSH_CONST function keeps\nPUSH_CONST 0\nCALL 2\nPOP\n" +
      send +
      "PUSH_CONST extern \"semaphore_acquire\"\nLOAD_GLOBAL b\nCALL 1\nPOP\n"
      "PUSH_CONST extern \"runtime_dump\"\nCALL 0\nSTORE_LOCAL d\n"
      "PUSH_CONST extern \"semaphore_release\"\nLOAD_GLOBAL c\nCALL 1\nPOP\n"
      "PUSH_CONST extern \"semaphore_release\"\nLOAD_GLOBAL c\nCALL 1\nPOP\n"
      "PUSH_CONST extern \"semaphore_release\"\nLOAD_GLOBAL c\nCALL 1\nPOP\n"
      "PUSH_CONST extern \"actor_stop\"\nLOAD_GLOBAL a\nCALL 1\nPOP\n"
      "PUSH_CONST extern \"actor_wait\"\nLOAD_GLOBAL a\nCALL 1\n"
      "LOAD_LOCAL d\nNEW_LIST 2\nRETURN\nend:";
  const std::string out = eval(code, std::string(kPrelude));
  ASSERT_EQ(out.substr(0, 8), "= [3, \"R") << out;  // all three were handled after the dump
  // (No std::regex: GCC 12's -Wmaybe-uninitialized fires inside <regex>
  // under the sanitizer preset's -O1.) Newlines and quotes are escaped in
  // the literal: `\n` and `\"` below are two characters each.
  const auto digits_from = [&](std::size_t i) {
    std::size_t e = i;
    while (e < out.size() && std::isdigit(static_cast<unsigned char>(out[e])) != 0) ++e;
    return e;
  };
  const std::string head = R"(actors: 2\n  actor 1: gated, running on thread )";
  const std::size_t at = out.find(head);
  ASSERT_NE(at, std::string::npos) << out;
  const std::size_t end = digits_from(at + head.size());
  const std::string thread = out.substr(at + head.size(), end - at - head.size());
  ASSERT_FALSE(thread.empty()) << out;
  const std::string rest = R"(, 2 messages waiting\n  actor 2: keeps, idle, 0 messages waiting\n)";
  EXPECT_EQ(out.compare(end, rest.size(), rest), 0) << out;
  // The running actor's worker thread, with the behaviour's frame.
  const std::string worker = "thread " + thread + R"( \"actor worker )";
  const std::size_t w = out.find(worker);
  ASSERT_NE(w, std::string::npos) << out;
  const std::size_t number_end = digits_from(w + worker.size());
  EXPECT_GT(number_end, w + worker.size()) << out;
  const std::string frame = R"(\"\n    at gated\n)";
  EXPECT_EQ(out.compare(number_end, frame.size(), frame), 0) << out;
}

}  // namespace
}  // namespace runa::tier0
