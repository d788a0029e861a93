// Tier 0 on async functions (docs/bytecode.md §2.5.8): a call makes a
// Coroutine; AWAIT continues coroutines in place and waits on tasks and
// timers; the scheduler runs tasks in turns, wakes them by deadline, hands
// a task's result or exception to its awaiters, and reports deadlocks.
// Under the tier0-stress label every allocation collects, so each saved
// frame moves while its task waits.
#include <string>

#include "async_functions.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kAsyncOwn = R"(
.type 1 primitive Integer
.type 2 function "(Any)->Any" params Any returns Any
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.type 4 external DivisionByZero layout hex ""
.type 5 function "(Any,Any,Any)->Any" params Any Any Any returns Any
.type 6 external Cancelled layout hex ""
; resilient(ms): sleeps ms; when cancelled, sleeps 50 ms more and returns
; "stopped" (the first sleep's timer still fires meanwhile: harmless)
.function 9 resilient type "(Any)->Any" flags ASYNC
  .param ms type Any
  TRY_BEGIN clauses none
  PUSH_CONST function sleeper
  LOAD_LOCAL ms
  PUSH_CONST "slept"
  CALL 2
  AWAIT
  RETURN
  TRY_END
clauses:
  CATCH_BEGIN type Cancelled
  POP
  CATCH_END
  PUSH_CONST function sleeper
  PUSH_CONST 50
  PUSH_CONST "stopped"
  CALL 2
  AWAIT
  RETURN
.end
; note(ms, v, log): sleeps ms, then appends v to log
.function 8 note type "(Any,Any,Any)->Any" flags ASYNC
  .param ms type Any
  .param v type Any
  .param log type Any
  PUSH_CONST extern "task_sleep"
  LOAD_LOCAL ms
  CALL 1
  AWAIT
  POP
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  LOAD_LOCAL v
  CALL 2
  RETURN
.end
; twice(ms): AWAITs sleeper(ms, 21) and doubles it: a chain two deep
.function 2 twice type "(Any)->Any" flags ASYNC
  .param ms type Any
  PUSH_CONST function sleeper
  LOAD_LOCAL ms
  PUSH_CONST 21
  CALL 2
  AWAIT
  PUSH_CONST 2
  MUL
  RETURN
.end
; run(c): task_run(c)
.function 5 run type "(Any)->Any"
  .param c type Any
  PUSH_CONST extern "task_run"
  LOAD_LOCAL c
  CALL 1
  RETURN
.end
; spawn(c): task_spawn(c)
.function 6 spawn type "(Any)->Any"
  .param c type Any
  PUSH_CONST extern "task_spawn"
  LOAD_LOCAL c
  CALL 1
  RETURN
.end
)";
// The module's functions: this file's and the shared two.
const std::string& prelude() {
  static const std::string text = std::string(kAsyncOwn) + std::string(kSharedAsync);
  return text;
}

class AsyncTest : public Tier0Test {
 protected:
  // `code`, the body of an ASYNC function (after the prelude), run
  // by task_run from main.
  std::string run_async(std::string_view code) {
    return eval("PUSH_CONST function run\nPUSH_CONST function body\nCALL 0\nCALL 1\nRETURN",
                prelude() + ".function 7 body type \"()->Any\" flags ASYNC\n" + std::string(code) +
                    "\n.end\n");
  }
};

TEST_F(AsyncTest, AwaitContinuesACoroutineChain) {
  EXPECT_EQ(run_async("PUSH_CONST function twice\nPUSH_CONST 5\nCALL 1\nAWAIT\nRETURN"), "= 42");
  // A coroutine that never waits completes inside the AWAIT.
  EXPECT_EQ(run_async("PUSH_CONST function twice\nPUSH_CONST -1\nCALL 1\nAWAIT\nRETURN"), "= 42");
  // Calling an ASYNC function runs nothing of it.
  EXPECT_EQ(eval("PUSH_CONST function failing\nPUSH_CONST 0\nCALL 1\nPOP\nPUSH_CONST 1\nRETURN",
                 prelude()),
            "= 1");
}

// Timers wake their tasks in deadline order, whatever order they were armed.
// The deadlines are 200 ms apart: the three tasks arm their timers one
// after the other, which under the GC stress mode on a loaded machine took
// more than the 20 ms apart they once were, and "fast" then came second.
TEST_F(AsyncTest, SleepersFinishInDeadlineOrder) {
  std::string code =
      ".local log type Any slot 0 scope 0 end\n"
      ".local tasks type Any slot 1 scope 0 end\n"
      "NEW_LIST 0\nSTORE_LOCAL log\nNEW_LIST 0\nSTORE_LOCAL tasks\n";
  for (const char* sleep : {"600 \"slow\"", "200 \"fast\"", "400 \"middle\""}) {
    const std::string_view s(sleep);
    const auto space = s.find(' ');
    code +=
        "PUSH_CONST extern \"list_append\"\nLOAD_LOCAL tasks\nPUSH_CONST function spawn\n"
        "PUSH_CONST function note\nPUSH_CONST " +
        std::string(s.substr(0, space)) + "\nPUSH_CONST " + std::string(s.substr(space + 1)) +
        "\nLOAD_LOCAL log\nCALL 3\nCALL 1\nCALL 2\nPOP\n";
  }
  code +=
      "LOAD_LOCAL tasks\nITER_CREATE\neach:\nITER_NEXT done\nAWAIT\nPOP\nJUMP each\n"
      "done:\nLOAD_LOCAL log\nRETURN\nend:";
  EXPECT_EQ(run_async(code), "= [\"fast\", \"middle\", \"slow\"]");
}

// A try statement open at a waiting AWAIT is open when the task resumes:
// its clause catches the exception the awaited task threw, and its
// finally block runs once.
TEST_F(AsyncTest, ATasksExceptionArrivesAtItsAwait) {
  const std::string code = R"(
  .local log type Any slot 0 scope 0 end
  NEW_LIST 0
  STORE_LOCAL log
  TRY_BEGIN clauses fin
  PUSH_CONST function spawn
  PUSH_CONST function failing
  PUSH_CONST 5
  CALL 1
  CALL 1
  AWAIT
  POP
  TRY_END
clauses:
  CATCH_BEGIN type DivisionByZero
  POP
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  PUSH_CONST "caught"
  CALL 2
  POP
  CATCH_END
fin:
  FINALLY_BEGIN
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  PUSH_CONST "finally"
  CALL 2
  POP
  FINALLY_END
  LOAD_LOCAL log
  RETURN
end:
)";
  EXPECT_EQ(run_async(code), "= [\"caught\", \"finally\"]");
  // Uncaught, it leaves task_run with its message.
  EXPECT_EQ(run_async("PUSH_CONST function failing\nPUSH_CONST 1\nCALL 1\nAWAIT\nRETURN"),
            "! DivisionByZero: DIV: Integer 1 by zero");
}

// Two tasks awaiting each other can never finish: task_run says so
// instead of sleeping forever.
TEST_F(AsyncTest, ADeadlockIsReported) {
  const std::string code = R"(
  .local h1 type Any slot 0 scope 0 end
  .local h2 type Any slot 1 scope 0 end
  .local t1 type Any slot 2 scope 0 end
  NEW_LIST 0
  STORE_LOCAL h1
  NEW_LIST 0
  STORE_LOCAL h2
  PUSH_CONST function spawn
  PUSH_CONST function awaiting
  LOAD_LOCAL h1
  CALL 1
  CALL 1
  STORE_LOCAL t1
  PUSH_CONST extern "list_append"
  LOAD_LOCAL h2
  LOAD_LOCAL t1
  CALL 2
  POP
  PUSH_CONST extern "list_append"
  LOAD_LOCAL h1
  PUSH_CONST function spawn
  PUSH_CONST function awaiting
  LOAD_LOCAL h2
  CALL 1
  CALL 1
  CALL 2
  POP
  LOAD_LOCAL t1
  AWAIT
  RETURN
end:
)";
  EXPECT_EQ(run_async(code),
            "! ValueError: task_run: every task waits on another task, none can finish (a "
            "deadlock)");
}

TEST_F(AsyncTest, MisusesRaise) {
  EXPECT_EQ(run_async("PUSH_CONST 7\nAWAIT\nRETURN"),
            "! TypeError: AWAIT needs a Coroutine, a Task, a Timer (task_sleep, task_yield), a "
            "ChannelOp (channel_receive_async, channel_send_async), a ChannelSelect "
            "(channel_select_async), an Ask (actor_ask_async) or an ActorSend (actor_send_async), "
            "not Integer 7");
  // task_run inside a task would block the others.
  EXPECT_EQ(run_async("PUSH_CONST function run\nPUSH_CONST function twice\nPUSH_CONST "
                      "1\nCALL 1\nCALL 1\nRETURN"),
            "! ValueError: task_run inside a task would stop the others: AWAIT the coroutine");
  // A coroutine is awaited once.
  EXPECT_EQ(run_async(".local c type Any slot 0 scope 0 end\n"
                      "PUSH_CONST function twice\nPUSH_CONST 1\nCALL 1\nSTORE_LOCAL c\n"
                      "LOAD_LOCAL c\nAWAIT\nPOP\nLOAD_LOCAL c\nAWAIT\nRETURN\nend:"),
            "! ValueError: the coroutine has finished: it is awaited once");
  EXPECT_EQ(eval("PUSH_CONST function spawn\nPUSH_CONST 3\nCALL 1\nRETURN", prelude()),
            "! TypeError: task_spawn needs a Coroutine (the call of an ASYNC function), not "
            "Integer 3");
}

// task_cancel wakes the task; its waiting AWAIT throws Cancelled, which
// its awaiters get too unless it catches it.
TEST_F(AsyncTest, CancellingATask) {
  const std::string spawn_then_cancel =
      ".local t type Any slot 0 scope 0 end\n"
      "PUSH_CONST function spawn\nPUSH_CONST function FN\nPUSH_CONST 100\nCALL 1\nCALL 1\n"
      "STORE_LOCAL t\n"
      "PUSH_CONST extern \"task_yield\"\nCALL 0\nAWAIT\nPOP\n"  // it starts and sleeps
      "PUSH_CONST extern \"task_cancel\"\nLOAD_LOCAL t\nCALL 1\nPOP\n"
      "LOAD_LOCAL t\nAWAIT\nRETURN\nend:";
  auto with = [&](std::string fn) {
    std::string code = spawn_then_cancel;
    code.replace(code.find("FN"), 2, fn);
    return code;
  };
  EXPECT_EQ(run_async(with("twice")), "! Cancelled: task 2 was cancelled (task_cancel)");
  EXPECT_EQ(run_async(with("resilient")), "= \"stopped\"");
  // A finished task is not cancelled.
  EXPECT_EQ(run_async(".local t type Any slot 0 scope 0 end\n"
                      "PUSH_CONST function spawn\nPUSH_CONST function twice\nPUSH_CONST -1\n"
                      "CALL 1\nCALL 1\nSTORE_LOCAL t\nLOAD_LOCAL t\nAWAIT\nPOP\n"
                      "PUSH_CONST extern \"task_cancel\"\nLOAD_LOCAL t\nCALL 1\nRETURN\nend:"),
            "= false");
  EXPECT_EQ(run_async("PUSH_CONST extern \"task_cancel\"\nPUSH_CONST 1\nCALL 1\nRETURN"),
            "! TypeError: task_cancel: argument 1 must be a Task, not Integer 1");
}

// A coroutine continued from C++ outside any task may not wait.
TEST_F(AsyncTest, AwaitOutsideATaskRaises) {
  auto m = runtime_->load(*t_, file("outside", ".type 900 primitive Any\n" + prelude()));
  ASSERT_TRUE(m.ok()) << m.error().describe();
  const rt::FunctionInfo* twice = (*m)->function("twice");
  ASSERT_NE(twice, nullptr);
  heap::HandleScope scope(*t_->m);
  heap::Handle arg(*t_->m, types::make_small_int(5));
  heap::Handle coroutine(*t_->m, types::kNothing);
  ASSERT_TRUE(runtime_->call(*t_, twice->object, arg.slot(), 1, coroutine.slot()));
  heap::Handle sent(*t_->m, types::kNothing);
  heap::Handle out(*t_->m, types::kNothing);
  EXPECT_EQ(rt::ops::resume(*t_, coroutine.slot(), sent.slot(), out.slot()),
            rt::ops::Resumed::kThrew);
  EXPECT_EQ(thrown(), "ValueError: AWAIT outside a task (task_run or an ASYNC main)");
}

// Many tasks taking turns and sleeping: every saved frame is its own.
TEST_F(AsyncTest, ManyTasksInTurns) {
  const std::string code = R"(
  .local tasks type Any slot 0 scope 0 end
  .local i type Any slot 1 scope 0 end
  .local total type Any slot 2 scope 0 end
  NEW_LIST 0
  STORE_LOCAL tasks
  PUSH_CONST 0
  STORE_LOCAL i
make:
  LOAD_LOCAL i
  PUSH_CONST 200
  LT
  JUMP_IF_FALSE made
  PUSH_CONST extern "list_append"
  LOAD_LOCAL tasks
  PUSH_CONST function spawn
  PUSH_CONST function sleeper
  LOAD_LOCAL i
  PUSH_CONST 3
  MOD
  LOAD_LOCAL i
  CALL 2
  CALL 1
  CALL 2
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP make
made:
  PUSH_CONST 0
  STORE_LOCAL total
  LOAD_LOCAL tasks
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
  RETURN
end:
)";
  EXPECT_EQ(run_async(code), "= 19900");
}

}  // namespace
}  // namespace runa::tier0
