// Thread-local storage for programs (docs/concurrency.md, "Thread-local
// storage for programs"; src/bridge/thread_locals.hpp): one value per
// thread and key, the initial value for a thread that never set one, keys
// usable from every thread, values that are precise roots (kept and moved
// by collections on any thread) and die with their thread or their key.
// All run also under tier0-stress (a collection at every allocation,
// verified and poisoned) and TSan.
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPrelude = R"(
.meta globals a Any, b Any
.type 1 primitive Integer
.type 5 function "(Any)->Any" params Any returns Any
; get_a: this thread's value of the key in global a.
.function 1 get_a type "()->Any"
  PUSH_CONST extern "thread_local_get"
  LOAD_GLOBAL a
  CALL 1
  RETURN
.end
; set_seven: sets this thread's value of the key in a to 7, then reads it.
.function 2 set_seven type "()->Any"
  PUSH_CONST extern "thread_local_set"
  LOAD_GLOBAL a
  PUSH_CONST 7
  CALL 2
  POP
  PUSH_CONST function get_a
  CALL 0
  RETURN
.end
; own_key: a key made on this thread (initial 5), set to 6 here.
.function 3 own_key type "()->Any"
  .local k type Any slot 0 scope 0 end
  PUSH_CONST extern "thread_local_new"
  PUSH_CONST 5
  CALL 1
  STORE_LOCAL k
  PUSH_CONST extern "thread_local_set"
  LOAD_LOCAL k
  PUSH_CONST 6
  CALL 2
  POP
  LOAD_LOCAL k
  RETURN
end:
.end
; churn: 300 times, sets the key in a to a new String "v<i>" and makes
; garbage, collecting every 50 (a major collection every 100); then this
; thread's value, which must be "v299" whatever the other threads did.
.function 4 churn type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 300
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "thread_local_set"
  LOAD_GLOBAL a
  PUSH_CONST "v"
  LOAD_LOCAL i
  TEXT_CONCAT 2
  CALL 2
  POP
  PUSH_CONST extern "list_new"
  PUSH_CONST 20
  LOAD_LOCAL i
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
  PUSH_CONST function get_a
  CALL 0
  RETURN
end:
.end
; lock_here: sets this thread's value of the key in a to a new Lock (a
; finalizable object: its finalizer tells when it died), collects, and
; uses the Lock through the key.
.function 5 lock_here type "()->Any"
  PUSH_CONST extern "thread_local_set"
  LOAD_GLOBAL a
  PUSH_CONST extern "lock_new"
  CALL 0
  CALL 2
  POP
  PUSH_CONST extern "gc_collect"
  PUSH_CONST true
  CALL 1
  POP
  PUSH_CONST extern "lock_acquire"
  PUSH_CONST function get_a
  CALL 0
  CALL 1
  POP
  PUSH_CONST extern "lock_release"
  PUSH_CONST function get_a
  CALL 0
  CALL 1
  RETURN
.end
; dead_keys: 100 keys, each with this thread's value a new Lock, all
; dropped on return.
.function 6 dead_keys type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 100
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "thread_local_set"
  PUSH_CONST extern "thread_local_new"
  PUSH_CONST 0
  CALL 1
  PUSH_CONST extern "lock_new"
  CALL 0
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
; task_sets(v): a task that sets this thread's value of the key in a to
; v, lets every other ready task run, then reads the value.
.function 7 task_sets type "(Any)->Any" flags ASYNC
  .param v type Any
  PUSH_CONST extern "thread_local_set"
  LOAD_GLOBAL a
  LOAD_LOCAL v
  CALL 2
  POP
  PUSH_CONST extern "task_yield"
  CALL 0
  AWAIT
  POP
  PUSH_CONST function get_a
  CALL 0
  RETURN
.end
; two_tasks: runs task_sets(1) and task_sets(2) as tasks of this thread:
; [what the second read, what the first read].
.function 8 two_tasks type "()->Any" flags ASYNC
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function task_sets
  PUSH_CONST 1
  CALL 1
  CALL 1
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function task_sets
  PUSH_CONST 2
  CALL 1
  CALL 1
  AWAIT
  SWAP
  AWAIT
  NEW_LIST 2
  RETURN
.end
)";

constexpr std::string_view kNewKey =
    "PUSH_CONST extern \"thread_local_new\"\nPUSH_CONST 0\nCALL 1\nSTORE_GLOBAL a\n";
// Runs `function` on a new thread and joins it: its result on the stack.
std::string on_thread(std::string_view function) {
  return "PUSH_CONST extern \"thread_join\"\nPUSH_CONST extern \"thread_spawn\"\n"
         "PUSH_CONST function " +
         std::string(function) + "\nCALL 1\nCALL 1\n";
}

TEST_F(Tier0Test, ThreadLocalNativesCheckTheirArguments) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval("PUSH_CONST extern \"thread_local_get\"\nPUSH_CONST 3\nCALL 1\nRETURN", p),
            "! TypeError: thread_local_get: argument 1 must be a ThreadLocal, not Integer 3");
  EXPECT_EQ(
      eval("PUSH_CONST extern \"thread_local_set\"\nPUSH_CONST \"x\"\nPUSH_CONST 1\nCALL 2\nRETURN",
           p),
      "! TypeError: thread_local_set: argument 1 must be a ThreadLocal, not String \"x\"");
  EXPECT_EQ(
      eval(std::string(kNewKey) + "PUSH_CONST extern \"type_name\"\nLOAD_GLOBAL a\nCALL 1\nRETURN",
           p),
      "= \"ThreadLocal\"");
  EXPECT_EQ(eval("PUSH_CONST extern \"thread_local_set\"\nPUSH_CONST 1\nCALL 1\nRETURN", p),
            "! TypeError: thread_local_set takes 2 arguments, got 1");
}

// Each thread sees its own value: main sets 1; a new thread sees the
// initial 0, another sets and sees 7, and main still sees 1. A key made
// on another thread works on main, which sees its initial value.
TEST_F(Tier0Test, AThreadLocalHoldsOneValuePerThread) {
  const std::string code = std::string(kNewKey) +
                           "PUSH_CONST extern \"thread_local_set\"\nLOAD_GLOBAL a\nPUSH_CONST 1\n"
                           "CALL 2\nPOP\n" +
                           on_thread("get_a") + on_thread("set_seven") +
                           "PUSH_CONST function get_a\nCALL 0\n"
                           "PUSH_CONST extern \"thread_local_get\"\n" +
                           on_thread("own_key") + "CALL 1\nNEW_LIST 4\nRETURN";
  EXPECT_EQ(eval(code, std::string(kPrelude)), "= [0, 7, 1, 5]");
}

// Tasks of one thread share its value: the first task sets 1 and yields,
// the second sets 2, and both then read 2; so does the thread after them.
TEST_F(Tier0Test, TasksOfOneThreadShareItsValue) {
  EXPECT_EQ(eval(std::string(kNewKey) +
                     "PUSH_CONST extern \"task_run\"\nPUSH_CONST function two_tasks\nCALL 0\n"
                     "CALL 1\nPUSH_CONST function get_a\nCALL 0\nNEW_LIST 2\nRETURN",
                 std::string(kPrelude)),
            "= [[2, 2], 2]");
}

// Values are precise roots that move: four threads (main among them) set
// new Strings and collect while the others do; each ends with its own
// last String intact. A slot the collector did not update would hold a
// stale address (poisoned under tier0-stress).
TEST_F(Tier0Test, ThreadLocalValuesSurviveCollectionsOnEveryThread) {
  const std::string spawn =
      "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function churn\nCALL 1\n";
  const std::string join = "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\n";
  // Threads T1 T2 T3, main's result on top; each join's result is
  // concatenated to what is on top, and the next thread swapped up.
  const std::string join_into = "SWAP\n" + join + "TEXT_CONCAT 2\n";
  const std::string code = std::string(kNewKey) + spawn + spawn + spawn +
                           "PUSH_CONST function churn\nCALL 0\n" + join_into + join_into +
                           join_into + "RETURN";
  EXPECT_EQ(eval(code, std::string(kPrelude)), "= \"v299v299v299v299\"");
}

// Counts the finalizers run after collecting the whole heap `rounds`
// times, each followed by a wait for the finalizers it found.
std::uint64_t finalized_after(rt::Runtime& r, rt::Thread& t, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    r.impl().heap().collect(*t.m, true);
    r.impl().heap().wait_for_finalizers(*t.m);
  }
  return r.impl().heap().stats().finalizers_run;
}

// A thread's values die with it: after the thread that set a Lock as its
// value is joined, the Lock is collected (its finalizer runs), while
// main's own Lock under the same key stays alive. The thread used its
// Lock through the key after a major collection, so the value was kept
// (and moved) while the thread lived.
TEST_F(Tier0Test, AThreadsValuesDieWithTheThread) {
  const std::uint64_t before = finalized_after(*runtime_, *t_, 1);
  const std::string code = std::string(kNewKey) +
                           "PUSH_CONST extern \"thread_local_set\"\nLOAD_GLOBAL a\n"
                           "PUSH_CONST extern \"lock_new\"\nCALL 0\nCALL 2\nPOP\n" +
                           on_thread("lock_here") + "POP\nPUSH_CONST 0\nRETURN";
  EXPECT_EQ(eval(code, std::string(kPrelude)), "= 0");
  EXPECT_EQ(finalized_after(*runtime_, *t_, 2) - before, 1U)
      << "the joined thread's Lock, and nothing of main's";
}

// A dead key's values die with it: 100 keys made and dropped, each with a
// Lock as main's value; once the keys are collected (their finalizers
// drop main's values), so are the Locks: 200 finalizers in all.
TEST_F(Tier0Test, ADeadKeysValuesAreFreed) {
  const std::uint64_t before = finalized_after(*runtime_, *t_, 1);
  EXPECT_EQ(eval("PUSH_CONST function dead_keys\nCALL 0\nRETURN", std::string(kPrelude)), "= 0");
  EXPECT_EQ(finalized_after(*runtime_, *t_, 3) - before, 200U);
}

}  // namespace
}  // namespace runa::tier0
