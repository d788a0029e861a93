// Tier 0 on pool tasks (docs/bytecode.md §2.5.8, "Tasks on the pool";
// bridge/pool_tasks.hpp): task_spawn_pool runs a coroutine on the
// runtime's pool, in parallel with its spawner; local tasks, pool tasks
// and threads (task_wait) get its result or exception; cancellation,
// timers, yields and channels work from pool tasks; the runtime ends with
// pool tasks still pending. Under the tier0-stress label every allocation
// collects, so the saved frames move while their tasks wait, and a
// task's polls run on different workers between collections.
#include <string>

#include "async_functions.hpp"
#include "task_body.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPoolOwn = R"(
.type 1 primitive Integer
.type 2 function "(Any)->Any" params Any returns Any
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 7 function "(Any,Any,Any)->Any" params Any Any Any returns Any
.type 8 external ValueError layout hex ""
.type 4 external DivisionByZero layout hex ""
.type 6 external Cancelled layout hex ""
; pfib(n): fib(n), each call of n >= 2 two pool tasks awaited in turn
.function 2 pfib type "(Any)->Any" flags ASYNC
  .param n type Any
  .local a type Any slot 1 scope 0 end
  .local b type Any slot 2 scope 0 end
  LOAD_LOCAL n
  PUSH_CONST 2
  LT
  JUMP_IF_FALSE split
  LOAD_LOCAL n
  RETURN
split:
  PUSH_CONST extern "task_spawn_pool"
  PUSH_CONST function pfib
  LOAD_LOCAL n
  PUSH_CONST 1
  SUB
  CALL 1
  CALL 1
  STORE_LOCAL a
  PUSH_CONST extern "task_spawn_pool"
  PUSH_CONST function pfib
  LOAD_LOCAL n
  PUSH_CONST 2
  SUB
  CALL 1
  CALL 1
  STORE_LOCAL b
  LOAD_LOCAL a
  AWAIT
  LOAD_LOCAL b
  AWAIT
  ADD
  RETURN
end:
.end
; where(): the name of the thread polling it
.function 18 where type "()->Any" flags ASYNC
  PUSH_CONST extern "thread_name"
  CALL 0
  RETURN
.end
; produce(ch, n): sends 1 .. n, then closes ch; returns n
.function 5 produce type "(Any,Any)->Any" flags ASYNC
  .param ch type Any
  .param n type Any
  .local i type Any slot 2 scope 0 end
  PUSH_CONST 1
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  LOAD_LOCAL n
  LE
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_send_async"
  LOAD_LOCAL ch
  LOAD_LOCAL i
  CALL 2
  AWAIT
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST extern "channel_close"
  LOAD_LOCAL ch
  CALL 1
  POP
  LOAD_LOCAL n
  RETURN
end:
.end
; consume(ch): the sum of what ch delivers until it is closed and empty
.function 6 consume type "(Any)->Any" flags ASYNC
  .param ch type Any
  .local sum type Any slot 1 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL sum
  TRY_BEGIN clauses none
loop:
  PUSH_CONST extern "channel_receive_async"
  LOAD_LOCAL ch
  CALL 1
  AWAIT
  LOAD_LOCAL sum
  ADD
  STORE_LOCAL sum
  JUMP loop
  TRY_END
clauses:
  CATCH_BEGIN type Any
  POP
  CATCH_END
  LOAD_LOCAL sum
  RETURN
end:
.end
; yielder(n): yields n times; returns n
.function 7 yielder type "(Any)->Any" flags ASYNC
  .param n type Any
  .local i type Any slot 1 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  LOAD_LOCAL n
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "task_yield"
  CALL 0
  AWAIT
  POP
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
; waits(t): task_wait(t) inside a task
.function 16 waits type "(Any)->Any" flags ASYNC
  .param t type Any
  PUSH_CONST extern "task_wait"
  LOAD_LOCAL t
  CALL 1
  RETURN
.end
; runs(c): task_run(c) inside a task
.function 17 runs type "(Any)->Any" flags ASYNC
  .param c type Any
  PUSH_CONST extern "task_run"
  LOAD_LOCAL c
  CALL 1
  RETURN
.end
; awaits(t): the result of AWAIT t
.function 19 awaits type "(Any)->Any" flags ASYNC
  .param t type Any
  LOAD_LOCAL t
  AWAIT
  RETURN
.end
; settled(t): 1 once t has finished, returned or cancelled
.function 20 settled type "(Any)->Any" flags ASYNC
  .param t type Any
  TRY_BEGIN clauses none
  LOAD_LOCAL t
  AWAIT
  POP
  PUSH_CONST 1
  RETURN
  TRY_END
clauses:
  CATCH_BEGIN type Cancelled
  POP
  CATCH_END
  PUSH_CONST 1
  RETURN
.end
; ping(a, b, n): sends 0 .. n - 1 on a, each time receives the answer from
; b: the sum of the answers
.function 21 ping type "(Any,Any,Any)->Any" flags ASYNC
  .param a type Any
  .param b type Any
  .param n type Any
  .local i type Any slot 3 scope 0 end
  .local sum type Any slot 4 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
  PUSH_CONST 0
  STORE_LOCAL sum
loop:
  LOAD_LOCAL i
  LOAD_LOCAL n
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_send_async"
  LOAD_LOCAL a
  LOAD_LOCAL i
  CALL 2
  AWAIT
  POP
  PUSH_CONST extern "channel_receive_async"
  LOAD_LOCAL b
  CALL 1
  AWAIT
  LOAD_LOCAL sum
  ADD
  STORE_LOCAL sum
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  LOAD_LOCAL sum
  RETURN
end:
.end
; pong(a, b, n): n times receives v from a and sends 2v on b
.function 22 pong type "(Any,Any,Any)->Any" flags ASYNC
  .param a type Any
  .param b type Any
  .param n type Any
  .local i type Any slot 3 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  LOAD_LOCAL n
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_send_async"
  LOAD_LOCAL b
  PUSH_CONST extern "channel_receive_async"
  LOAD_LOCAL a
  CALL 1
  AWAIT
  PUSH_CONST 2
  MUL
  CALL 2
  AWAIT
  POP
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
; outcome(t): 1 when t returned, 10 when it threw ValueError
.function 23 outcome type "(Any)->Any" flags ASYNC
  .param t type Any
  TRY_BEGIN clauses none
  LOAD_LOCAL t
  AWAIT
  POP
  PUSH_CONST 1
  RETURN
  TRY_END
clauses:
  CATCH_BEGIN type ValueError
  POP
  CATCH_END
  PUSH_CONST 10
  RETURN
.end
; receiving(ch): awaits the task it receives from ch
.function 15 receiving type "(Any)->Any" flags ASYNC
  .param ch type Any
  PUSH_CONST extern "channel_receive_async"
  LOAD_LOCAL ch
  CALL 1
  AWAIT
  AWAIT
  RETURN
.end
; run(c): task_run(c)
.function 10 run type "(Any)->Any"
  .param c type Any
  PUSH_CONST extern "task_run"
  LOAD_LOCAL c
  CALL 1
  RETURN
.end
; pool(c): task_spawn_pool(c)
.function 11 pool type "(Any)->Any"
  .param c type Any
  PUSH_CONST extern "task_spawn_pool"
  LOAD_LOCAL c
  CALL 1
  RETURN
.end
; wait(t): task_wait(t)
.function 12 wait type "(Any)->Any"
  .param t type Any
  PUSH_CONST extern "task_wait"
  LOAD_LOCAL t
  CALL 1
  RETURN
.end
; in_pool(c): an ASYNC function that runs c as a pool task and awaits it
.function 13 in_pool type "(Any)->Any" flags ASYNC
  .param c type Any
  PUSH_CONST function pool
  LOAD_LOCAL c
  CALL 1
  AWAIT
  RETURN
.end
; local(c): an ASYNC function that spawns c with task_spawn and awaits it
.function 14 local type "(Any)->Any" flags ASYNC
  .param c type Any
  PUSH_CONST extern "task_spawn"
  LOAD_LOCAL c
  CALL 1
  AWAIT
  RETURN
.end
)";
// The module's functions: this file's and the shared two.
const std::string& prelude() {
  static const std::string text = std::string(kPoolOwn) + std::string(kSharedAsync);
  return text;
}

class PoolTasksTest : public TaskBodyTest {
 protected:
  PoolTasksTest() : TaskBodyTest(prelude()) {}
  // `code` as the body of an ASYNC function run by task_run from main.
  std::string run_async(std::string_view code) { return run_body("", code); }
};

// A local task awaits pool tasks, which wait on timers of their own.
TEST_F(PoolTasksTest, ALocalTaskAwaitsPoolTasks) {
  EXPECT_EQ(run_async("PUSH_CONST function pool\nPUSH_CONST function sleeper\nPUSH_CONST 20\n"
                      "PUSH_CONST 7\nCALL 2\nCALL 1\nAWAIT\nRETURN"),
            "= 7");
  // The pool's worker polls it, not the thread that spawned it.
  EXPECT_EQ(run_async("PUSH_CONST extern \"text_starts_with\"\nPUSH_CONST function pool\n"
                      "PUSH_CONST function where\nCALL 0\nCALL 1\nAWAIT\n"
                      "PUSH_CONST \"actor worker \"\nCALL 2\nRETURN"),
            "= true");
}

// Pool tasks spawn and await pool tasks, across both workers: 1,973 tasks.
TEST_F(PoolTasksTest, PoolTasksAwaitPoolTasks) {
  EXPECT_EQ(run_async("PUSH_CONST function in_pool\nPUSH_CONST function pfib\nPUSH_CONST 15\n"
                      "CALL 1\nCALL 1\nAWAIT\nRETURN"),
            "= 610");
}

// A thread that runs no scheduler waits for a pool task with task_wait:
// its result, or its exception; a finished task answers at once.
TEST_F(PoolTasksTest, AThreadWaitsForAPoolTask) {
  EXPECT_EQ(eval("PUSH_CONST function wait\nPUSH_CONST function pool\nPUSH_CONST function pfib\n"
                 "PUSH_CONST 12\nCALL 1\nCALL 1\nCALL 1\nRETURN",
                 prelude()),
            "= 144");
  EXPECT_EQ(eval("PUSH_CONST function wait\nPUSH_CONST function pool\n"
                 "PUSH_CONST function failing\nPUSH_CONST 5\nCALL 1\nCALL 1\nCALL 1\nRETURN",
                 prelude()),
            "! DivisionByZero: DIV: Integer 1 by zero");
  EXPECT_EQ(eval(".local t type Any slot 0 scope 0 end\n"
                 "PUSH_CONST function pool\nPUSH_CONST function sleeper\nPUSH_CONST 1\n"
                 "PUSH_CONST null\nCALL 2\nCALL 1\nSTORE_LOCAL t\n"
                 "PUSH_CONST function wait\nLOAD_LOCAL t\nCALL 1\nPOP\n"
                 "PUSH_CONST function wait\nLOAD_LOCAL t\nCALL 1\nRETURN\nend:",
                 prelude()),
            "= nothing");
}

// A pool task's exception arrives at a local task's AWAIT, its trace kept.
TEST_F(PoolTasksTest, APoolTasksExceptionArrivesAtItsAwait) {
  EXPECT_EQ(run_async("PUSH_CONST function pool\nPUSH_CONST function failing\nPUSH_CONST 3\n"
                      "CALL 1\nCALL 1\nAWAIT\nRETURN"),
            "! DivisionByZero: DIV: Integer 1 by zero");
}

// task_cancel from the thread that spawned it: the pool task's waiting
// AWAIT throws Cancelled, which reaches its awaiters; a finished task is
// not cancelled.
TEST_F(PoolTasksTest, CancellingAPoolTask) {
  EXPECT_EQ(run_async(".local t type Any slot 0 scope 0 end\n"
                      "PUSH_CONST function pool\nPUSH_CONST function sleeper\nPUSH_CONST 60000\n"
                      "PUSH_CONST 1\nCALL 2\nCALL 1\nSTORE_LOCAL t\n"
                      "PUSH_CONST extern \"task_cancel\"\nLOAD_LOCAL t\nCALL 1\nPOP\n"
                      "LOAD_LOCAL t\nAWAIT\nRETURN"),
            "! Cancelled: task 1 was cancelled (task_cancel)");
  EXPECT_EQ(eval(".local t type Any slot 0 scope 0 end\n"
                 "PUSH_CONST function pool\nPUSH_CONST function sleeper\nPUSH_CONST 0\n"
                 "PUSH_CONST 1\nCALL 2\nCALL 1\nSTORE_LOCAL t\n"
                 "PUSH_CONST function wait\nLOAD_LOCAL t\nCALL 1\nPOP\n"
                 "PUSH_CONST extern \"task_cancel\"\nLOAD_LOCAL t\nCALL 1\nRETURN\nend:",
                 prelude()),
            "= false");
}

// Two pool tasks that yield in turns both finish: a yield lets the other
// run, on one worker or two.
TEST_F(PoolTasksTest, YieldingPoolTasksBothFinish) {
  EXPECT_EQ(run_async(".local a type Any slot 0 scope 0 end\n"
                      "PUSH_CONST function pool\nPUSH_CONST function yielder\nPUSH_CONST 300\n"
                      "CALL 1\nCALL 1\nSTORE_LOCAL a\n"
                      "PUSH_CONST function pool\nPUSH_CONST function yielder\nPUSH_CONST 200\n"
                      "CALL 1\nCALL 1\nAWAIT\nLOAD_LOCAL a\nAWAIT\nADD\nRETURN"),
            "= 500");
}

// A producer and a consumer on the pool, through a small channel: every
// value arrives once, whichever worker runs each side.
TEST_F(PoolTasksTest, PoolTasksTalkThroughAChannel) {
  EXPECT_EQ(run_async(".local ch type Any slot 0 scope 0 end\n"
                      ".local c type Any slot 1 scope 0 end\n"
                      "PUSH_CONST extern \"channel_new\"\nPUSH_CONST 2\nCALL 1\nSTORE_LOCAL ch\n"
                      "PUSH_CONST function pool\nPUSH_CONST function consume\nLOAD_LOCAL ch\n"
                      "CALL 1\nCALL 1\nSTORE_LOCAL c\n"
                      "PUSH_CONST function pool\nPUSH_CONST function produce\nLOAD_LOCAL ch\n"
                      "PUSH_CONST 3000\nCALL 2\nCALL 1\nAWAIT\nPOP\n"
                      "LOAD_LOCAL c\nAWAIT\nRETURN"),
            "= 4501500");
}

// task_spawn inside a pool task spawns on the pool: the pool task has no
// thread of its own to run it.
TEST_F(PoolTasksTest, TaskSpawnInsideAPoolTaskSpawnsOnThePool) {
  EXPECT_EQ(run_async("PUSH_CONST function in_pool\nPUSH_CONST function local\n"
                      "PUSH_CONST function sleeper\nPUSH_CONST 5\nPUSH_CONST 11\nCALL 2\n"
                      "CALL 1\nCALL 1\nAWAIT\nRETURN"),
            "= 11");
}

// Fifty local tasks and fifty pool tasks await one pool task: its end
// wakes every one of them, wherever it waits.
TEST_F(PoolTasksTest, ManyTasksAwaitOnePoolTask) {
  EXPECT_EQ(run_async(R"(
  .local t type Any slot 0 scope 0 end
  .local ts type Any slot 1 scope 0 end
  .local i type Any slot 2 scope 0 end
  .local total type Any slot 3 scope 0 end
  PUSH_CONST function pool
  PUSH_CONST function sleeper
  PUSH_CONST 5
  PUSH_CONST 3
  CALL 2
  CALL 1
  STORE_LOCAL t
  NEW_LIST 0
  STORE_LOCAL ts
  PUSH_CONST 0
  STORE_LOCAL i
spawn:
  LOAD_LOCAL i
  PUSH_CONST 50
  LT
  JUMP_IF_FALSE spawned
  PUSH_CONST extern "list_append"
  LOAD_LOCAL ts
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function awaits
  LOAD_LOCAL t
  CALL 1
  CALL 1
  CALL 2
  POP
  PUSH_CONST extern "list_append"
  LOAD_LOCAL ts
  PUSH_CONST function pool
  PUSH_CONST function awaits
  LOAD_LOCAL t
  CALL 1
  CALL 1
  CALL 2
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP spawn
spawned:
  PUSH_CONST 0
  STORE_LOCAL total
  LOAD_LOCAL ts
  ITER_CREATE
each:
  ITER_NEXT done
  AWAIT
  LOAD_LOCAL total
  ADD
  STORE_LOCAL total
  JUMP each
done:
  LOAD_LOCAL total
  RETURN)"),
            "= 300");
}

// Two pool tasks answer each other through two small channels, 2,000
// times: each message wakes a task that the other worker may be polling.
TEST_F(PoolTasksTest, PoolTasksPlayPingPong) {
  EXPECT_EQ(run_async(R"(
  .local a type Any slot 0 scope 0 end
  .local b type Any slot 1 scope 0 end
  .local p type Any slot 2 scope 0 end
  .local r type Any slot 3 scope 0 end
  PUSH_CONST extern "channel_new"
  PUSH_CONST 2
  CALL 1
  STORE_LOCAL a
  PUSH_CONST extern "channel_new"
  PUSH_CONST 2
  CALL 1
  STORE_LOCAL b
  PUSH_CONST function pool
  PUSH_CONST function pong
  LOAD_LOCAL a
  LOAD_LOCAL b
  PUSH_CONST 2000
  CALL 3
  CALL 1
  STORE_LOCAL p
  PUSH_CONST function pool
  PUSH_CONST function ping
  LOAD_LOCAL a
  LOAD_LOCAL b
  PUSH_CONST 2000
  CALL 3
  CALL 1
  AWAIT
  STORE_LOCAL r
  LOAD_LOCAL p
  AWAIT
  POP
  LOAD_LOCAL r
  RETURN)"),
            "= 3998000");
}

// A hundred yielding pool tasks, each cancelled while it may be queued,
// running or between turns: every one settles, returned or cancelled (a
// wake-up lost to the race would leave one waiting for ever).
TEST_F(PoolTasksTest, CancelsRaceWithRunningPoolTasks) {
  EXPECT_EQ(run_async(R"(
  .local ts type Any slot 0 scope 0 end
  .local i type Any slot 1 scope 0 end
  .local total type Any slot 2 scope 0 end
  NEW_LIST 0
  STORE_LOCAL ts
  PUSH_CONST 0
  STORE_LOCAL i
spawn:
  LOAD_LOCAL i
  PUSH_CONST 100
  LT
  JUMP_IF_FALSE spawned
  PUSH_CONST extern "list_append"
  LOAD_LOCAL ts
  PUSH_CONST function pool
  PUSH_CONST function yielder
  PUSH_CONST 30
  CALL 1
  CALL 1
  CALL 2
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP spawn
spawned:
  LOAD_LOCAL ts
  ITER_CREATE
cancel:
  ITER_NEXT cancelled
  PUSH_CONST extern "task_cancel"
  SWAP
  CALL 1
  POP
  JUMP cancel
cancelled:
  PUSH_CONST 0
  STORE_LOCAL total
  LOAD_LOCAL ts
  ITER_CREATE
each:
  ITER_NEXT done
  PUSH_CONST function settled
  SWAP
  CALL 1
  AWAIT
  LOAD_LOCAL total
  ADD
  STORE_LOCAL total
  JUMP each
done:
  LOAD_LOCAL total
  RETURN)"),
            "= 100");
}

// Two pool tasks await one coroutine: it is continued by one at a time
// (its claim is a CAS, so two workers never run its frame at once), and
// only one gets its result; the other's AWAIT raises ValueError (already
// running, or awaited once), as with two tasks of one thread.
TEST_F(PoolTasksTest, TwoPoolTasksAwaitOneCoroutine) {
  for (int round = 0; round < 20; ++round) {
    EXPECT_EQ(run_async(R"(
  .local c type Any slot 0 scope 0 end
  .local a type Any slot 1 scope 0 end
  .local b type Any slot 2 scope 0 end
  PUSH_CONST function sleeper
  PUSH_CONST 2
  PUSH_CONST 5
  CALL 2
  STORE_LOCAL c
  PUSH_CONST function pool
  PUSH_CONST function awaits
  LOAD_LOCAL c
  CALL 1
  CALL 1
  STORE_LOCAL a
  PUSH_CONST function pool
  PUSH_CONST function awaits
  LOAD_LOCAL c
  CALL 1
  CALL 1
  STORE_LOCAL b
  PUSH_CONST function outcome
  LOAD_LOCAL a
  CALL 1
  AWAIT
  PUSH_CONST function outcome
  LOAD_LOCAL b
  CALL 1
  AWAIT
  ADD
  RETURN)"),
              "= 11");
  }
}

TEST_F(PoolTasksTest, MisusesRaise) {
  EXPECT_EQ(eval("PUSH_CONST function pool\nPUSH_CONST 3\nCALL 1\nRETURN", prelude()),
            "! TypeError: task_spawn_pool needs a Coroutine (the call of an ASYNC function), not "
            "Integer 3");
  EXPECT_EQ(eval("PUSH_CONST function wait\nPUSH_CONST 3\nCALL 1\nRETURN", prelude()),
            "! TypeError: task_wait: argument 1 must be a Task, not Integer 3");
  // A local task is waited for with AWAIT.
  EXPECT_EQ(run_async("PUSH_CONST function wait\nPUSH_CONST extern \"task_spawn\"\n"
                      "PUSH_CONST function sleeper\nPUSH_CONST 5\nPUSH_CONST 1\nCALL 2\nCALL 1\n"
                      "CALL 1\nRETURN"),
            "! ValueError: task_wait: the Task runs on a thread's scheduler (task_spawn): AWAIT "
            "it, or spawn it with task_spawn_pool");
  // A pool task neither blocks its worker nor runs a scheduler on it.
  EXPECT_EQ(run_async("PUSH_CONST function in_pool\nPUSH_CONST function waits\n"
                      "PUSH_CONST function pool\nPUSH_CONST function sleeper\nPUSH_CONST 5\n"
                      "PUSH_CONST 1\nCALL 2\nCALL 1\nCALL 1\nCALL 1\nAWAIT\nRETURN"),
            "! ValueError: task_wait on a pool worker (a pool task or an actor's behaviour) "
            "would hold the worker: AWAIT the task");
  // The same for a Task already finished: whether a misuse raises must not
  // depend on which thread ran first (the test above raced, before, with a
  // sleeper that had already returned under a slow build).
  EXPECT_EQ(run_async(".local t type Any slot 0 scope 0 end\n"
                      "PUSH_CONST function pool\nPUSH_CONST function sleeper\nPUSH_CONST 0\n"
                      "PUSH_CONST 1\nCALL 2\nCALL 1\nSTORE_LOCAL t\nLOAD_LOCAL t\nAWAIT\nPOP\n"
                      "PUSH_CONST function in_pool\nPUSH_CONST function waits\nLOAD_LOCAL t\n"
                      "CALL 1\nCALL 1\nAWAIT\nRETURN"),
            "! ValueError: task_wait on a pool worker (a pool task or an actor's behaviour) "
            "would hold the worker: AWAIT the task");
  EXPECT_EQ(run_async("PUSH_CONST function in_pool\nPUSH_CONST function runs\n"
                      "PUSH_CONST function sleeper\nPUSH_CONST 5\nPUSH_CONST 1\nCALL 2\nCALL 1\n"
                      "CALL 1\nAWAIT\nRETURN"),
            "! ValueError: task_run inside a task would stop the others: AWAIT the coroutine");
  // A local task of another thread's scheduler: a pool task cannot await it.
  EXPECT_EQ(run_async(".local h type Any slot 0 scope 0 end\n"
                      "NEW_LIST 0\nSTORE_LOCAL h\n"
                      "PUSH_CONST extern \"list_append\"\nLOAD_LOCAL h\n"
                      "PUSH_CONST extern \"task_spawn\"\nPUSH_CONST function sleeper\n"
                      "PUSH_CONST 50\nPUSH_CONST 1\nCALL 2\nCALL 1\nCALL 2\nPOP\n"
                      "PUSH_CONST function pool\nPUSH_CONST function awaiting\nLOAD_LOCAL h\n"
                      "CALL 1\nCALL 1\nAWAIT\nRETURN"),
            "! ValueError: AWAIT of a Task of another thread (task_spawn_pool makes tasks any "
            "thread may await)");
  // A pool task awaiting itself (sent its own Task through a channel).
  EXPECT_EQ(run_async(".local ch type Any slot 0 scope 0 end\n"
                      ".local t type Any slot 1 scope 0 end\n"
                      "PUSH_CONST extern \"channel_new\"\nPUSH_CONST 2\nCALL 1\nSTORE_LOCAL ch\n"
                      "PUSH_CONST function pool\nPUSH_CONST function receiving\nLOAD_LOCAL ch\n"
                      "CALL 1\nCALL 1\nSTORE_LOCAL t\n"
                      "PUSH_CONST extern \"channel_send\"\nLOAD_LOCAL ch\nLOAD_LOCAL t\nCALL 2\n"
                      "POP\nLOAD_LOCAL t\nAWAIT\nRETURN"),
            "! ValueError: a task cannot AWAIT itself");
}

// The dump lists pool tasks with what they wait on.
TEST_F(PoolTasksTest, TheDumpListsPoolTasks) {
  const std::string got = run_async(
      ".local t type Any slot 0 scope 0 end\n"
      "PUSH_CONST function pool\nPUSH_CONST function sleeper\nPUSH_CONST 60000\n"
      "PUSH_CONST 1\nCALL 2\nCALL 1\nSTORE_LOCAL t\n"
      "PUSH_CONST function sleeper\nPUSH_CONST 50\nPUSH_CONST 1\nCALL 2\nAWAIT\nPOP\n"
      "PUSH_CONST extern \"runtime_dump\"\nCALL 0\nRETURN");
  EXPECT_NE(got.find("pool tasks:\\n    task 1: sleeper"), std::string::npos) << got;
  EXPECT_NE(got.find("sleeping ("), std::string::npos) << got;
}

// The runtime ends while pool tasks still sleep and wait on a channel
// nobody uses: they are abandoned, and everything they held is freed (the
// sanitizer builds check it).
TEST_F(PoolTasksTest, TheRuntimeEndsWithPoolTasksPending) {
  EXPECT_EQ(eval(".local ch type Any slot 0 scope 0 end\n"
                 "PUSH_CONST extern \"channel_new\"\nPUSH_CONST 2\nCALL 1\nSTORE_LOCAL ch\n"
                 "PUSH_CONST function pool\nPUSH_CONST function consume\nLOAD_LOCAL ch\n"
                 "CALL 1\nCALL 1\nPOP\n"
                 "PUSH_CONST function pool\nPUSH_CONST function sleeper\nPUSH_CONST 60000\n"
                 "PUSH_CONST 1\nCALL 2\nCALL 1\nPOP\n"
                 "PUSH_CONST function pool\nPUSH_CONST function yielder\nPUSH_CONST 1000000000\n"
                 "CALL 1\nCALL 1\nPOP\n"
                 "PUSH_CONST 1\nRETURN\nend:",
                 prelude()),
            "= 1");
  runtime_->detach(*t_);
  t_ = nullptr;
  runtime_.reset();  // the pool ends; a pending task's leak or hang fails here
}

}  // namespace
}  // namespace runa::tier0
