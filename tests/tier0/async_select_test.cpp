// Selects over receives and sends (docs/natives.md, channel_select and
// channel_select_async): the AWAIT of a ChannelSelect performs the first of
// its cases that can proceed and suspends only its task while none can;
// channel_select does the same for a thread, blocking it.
//
// The interleavings that would lose or duplicate a value or a wake-up
// (ops_await.cpp, scheduler.hpp), and where each is exercised:
//   - two cases ready at once, made so by two sender threads: one claim
//     wins the task's Waiter, the other goes on to its list's next waiter
//     (or stays in its channel) — TwoThreadsRaceIntoSelectingTasks, whose
//     two selecting tasks also compete for the same values, every value
//     counted once, many rounds and under TSan;
//   - a select of sends racing two draining threads: exactly one send takes
//     effect per AWAIT, the others leave nothing behind —
//     SelectedSendsRacingTwoConsumers;
//   - a cancel racing a sender on another thread: the value is either
//     received by the select or left in its channel, never both, never
//     neither — CancelRacingASenderThread (and deterministically both
//     orders in CancellingWithdrawsEveryCase);
//   - the scheduler's thread idle while other threads collect: every test
//     here under tier0-stress (the threads allocate a String per value).
#include "task_body.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPrelude = R"(
.meta globals a Any, b Any, c Any
.type 1 primitive Integer
.type 2 primitive String
.type 3 function "(Any)->Any" params Any returns Any
.type 5 external ValueError layout hex ""
.type 6 external Cancelled layout hex ""
; fill(ch): a thread's body: sends "v0" .. "v99" on ch, then closes it
.function 1 fill type "(Any)->Any"
  .param ch type Any
  .local i type Any slot 1 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 100
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_send"
  LOAD_LOCAL ch
  PUSH_CONST "v"
  LOAD_LOCAL i
  TEXT_CONCAT 2
  CALL 2
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
  RETURN
end:
.end
.function 2 fill_a type "()->Any"
  PUSH_CONST function fill
  LOAD_GLOBAL a
  CALL 1
  RETURN
.end
.function 3 fill_b type "()->Any"
  PUSH_CONST function fill
  LOAD_GLOBAL b
  CALL 1
  RETURN
.end
; selector(x): selects over [a, b, c] until every one is closed and empty:
; [how many values, how many from a]
.function 4 selector type "(Any)->Any" flags ASYNC
  .param x type Any
  .local n type Any slot 1 scope 0 end
  .local from_a type Any slot 2 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL n
  PUSH_CONST 0
  STORE_LOCAL from_a
  TRY_BEGIN closed none
loop:
  PUSH_CONST extern "channel_select_async"
  LOAD_GLOBAL a
  LOAD_GLOBAL b
  LOAD_GLOBAL c
  NEW_LIST 3
  CALL 1
  AWAIT
  PUSH_CONST 0
  GET_ITEM
  PUSH_CONST 0
  EQ
  JUMP_IF_FALSE counted
  LOAD_LOCAL from_a
  PUSH_CONST 1
  ADD
  STORE_LOCAL from_a
counted:
  LOAD_LOCAL n
  PUSH_CONST 1
  ADD
  STORE_LOCAL n
  JUMP loop
  TRY_END
closed:
  CATCH_BEGIN type ValueError
  POP
  CATCH_END
  LOAD_LOCAL n
  LOAD_LOCAL from_a
  NEW_LIST 2
  RETURN
end:
.end
; waiter(x): one select: receive from a, or send "x" to b
.function 5 waiter type "(Any)->Any" flags ASYNC
  .param x type Any
  PUSH_CONST extern "channel_select_async"
  LOAD_GLOBAL a
  PUSH_CONST extern "channel_send_async"
  LOAD_GLOBAL b
  PUSH_CONST "x"
  CALL 2
  NEW_LIST 2
  CALL 1
  AWAIT
  RETURN
.end
; drain(ch): a thread's body: receives from ch until it is closed: the sum
; of the values plus 1000 for each
.function 6 drain type "(Any)->Any"
  .param ch type Any
  PUSH_CONST 0
  TRY_BEGIN closed none
loop:
  PUSH_CONST extern "channel_receive"
  LOAD_LOCAL ch
  CALL 1
  ADD
  PUSH_CONST 1000
  ADD
  JUMP loop
  TRY_END
closed:
  CATCH_BEGIN type ValueError
  POP
  CATCH_END
  RETURN
end:
.end
.function 7 drain_a type "()->Any"
  PUSH_CONST function drain
  LOAD_GLOBAL a
  CALL 1
  RETURN
.end
.function 8 drain_b type "()->Any"
  PUSH_CONST function drain
  LOAD_GLOBAL b
  CALL 1
  RETURN
.end
; send_a(x): a thread's body: sends 7 on a
.function 10 send_a type "()->Any"
  PUSH_CONST extern "channel_send"
  LOAD_GLOBAL a
  PUSH_CONST 7
  CALL 2
  RETURN
.end
)";

std::string channels(std::string_view ca, std::string_view cb, std::string_view cc) {
  auto one = [](std::string_view g, std::string_view capacity) {
    return "PUSH_CONST extern \"channel_new\"\nPUSH_CONST " + std::string(capacity) +
           "\nCALL 1\nSTORE_GLOBAL " + std::string(g) + "\n";
  };
  return one("a", ca) + one("b", cb) + one("c", cc);
}
std::string send(std::string_view ch, std::string_view v) {
  return "PUSH_CONST extern \"channel_send\"\nLOAD_GLOBAL " + std::string(ch) + "\nPUSH_CONST " +
         std::string(v) + "\nCALL 2\nPOP\n";
}
std::string receive(std::string_view ch) {
  return "PUSH_CONST extern \"channel_receive\"\nLOAD_GLOBAL " + std::string(ch) + "\nCALL 1\n";
}
std::string close(std::string_view ch) {
  return "PUSH_CONST extern \"channel_close\"\nLOAD_GLOBAL " + std::string(ch) + "\nCALL 1\nPOP\n";
}
std::string send_op(std::string_view ch, std::string_view v) {
  return "PUSH_CONST extern \"channel_send_async\"\nLOAD_GLOBAL " + std::string(ch) +
         "\nPUSH_CONST " + std::string(v) + "\nCALL 2\n";
}
// The native `native` over the cases pushed by `cases` (n of them).
std::string select(std::string_view native, std::string_view cases, int n) {
  return "PUSH_CONST extern \"" + std::string(native) + "\"\n" + std::string(cases) + "NEW_LIST " +
         std::to_string(n) + "\nCALL 1\n";
}

// Runs `code` (which pushes one value) in a try statement: its value, or
// `instead` when it throws `type` (labels after `label`; local r).
std::string guarded(std::string_view code, std::string_view type, std::string_view instead,
                    std::string_view label) {
  const std::string l(label);
  return "TRY_BEGIN " + l + " none\n" + std::string(code) + "STORE_LOCAL r\nTRY_END\n" + l +
         ":\nCATCH_BEGIN type " + std::string(type) + "\nPOP\nPUSH_CONST " + std::string(instead) +
         "\nSTORE_LOCAL r\nCATCH_END\nLOAD_LOCAL r\n";
}
constexpr std::string_view kLocalR = ".local r type Any slot 5 scope 0 end\n";

class AsyncSelectTest : public TaskBodyTest {
 protected:
  AsyncSelectTest() : TaskBodyTest(kPrelude) {}
};

// The case that can proceed is performed: a receive's value, or a send
// (nothing) — and only that one: the full channel's send left nothing.
TEST_F(AsyncSelectTest, PerformsTheCaseThatCanProceed) {
  const std::string recv_ab = "LOAD_GLOBAL a\nLOAD_GLOBAL b\n";
  EXPECT_EQ(run_body(channels("0", "0", "0") + send("b", "11"),
                     select("channel_select_async", recv_ab, 2) + "AWAIT\nRETURN"),
            "= [1, 11]");
  EXPECT_EQ(run_body(channels("0", "0", "0") + send("a", "10"),
                     select("channel_select_async", recv_ab, 2) + "AWAIT\nRETURN"),
            "= [0, 10]");
  // a is full (capacity 2): the send to b is performed, a keeps its two.
  const std::string sends = send_op("a", "3") + send_op("b", "4");
  EXPECT_EQ(run_body(channels("2", "0", "0") + send("a", "1") + send("a", "2"),
                     std::string(kLocalR) + select("channel_select_async", sends, 2) + "AWAIT\n" +
                         receive("b") + receive("a") + receive("a") + close("a") +
                         guarded("PUSH_CONST extern \"channel_receive_async\"\nLOAD_GLOBAL a\n"
                                 "CALL 1\nAWAIT\n",
                                 "ValueError", "\"empty\"", "closed") +
                         "NEW_LIST 5\nRETURN"),
            "= [[1, nothing], 4, 1, 2, \"empty\"]");
  // The thread's select takes the same cases.
  EXPECT_EQ(eval(channels("2", "0", "0") + send("a", "1") + send("a", "2") +
                     select("channel_select", sends, 2) + receive("b") + "NEW_LIST 2\nRETURN",
                 kPrelude),
            "= [[1, nothing], 4]");
  EXPECT_EQ(eval(channels("0", "0", "0") + send("b", "5") +
                     select("channel_select",
                            "PUSH_CONST extern \"channel_receive_async\"\nLOAD_GLOBAL a\nCALL 1\n"
                            "LOAD_GLOBAL b\n",
                            2) +
                     "RETURN",
                 kPrelude),
            "= [1, 5]");
}

// A task waiting in a select wakes when any case can proceed — a value for
// its receive, or room for its send — while the other tasks run.
TEST_F(AsyncSelectTest, AWaitingTaskWakesOnEitherCase) {
  const std::string spawn =
      "  .local w type Any slot 0 scope 0 end\n"
      "  PUSH_CONST extern \"task_spawn\"\n  PUSH_CONST function waiter\n  PUSH_CONST 0\n"
      "  CALL 1\n  CALL 1\n  STORE_LOCAL w\n"
      "  PUSH_CONST extern \"task_yield\"\n  CALL 0\n  AWAIT\n  POP\n";  // it waits now
  // b full, a empty: a value on a wakes it.
  EXPECT_EQ(run_body(channels("0", "2", "0") + send("b", "1") + send("b", "2"),
                     spawn + send("a", "9") + "LOAD_LOCAL w\nAWAIT\nRETURN"),
            "= [0, 9]");
  // Room on b wakes it: its "x" follows b's two values.
  EXPECT_EQ(run_body(channels("0", "2", "0") + send("b", "1") + send("b", "2"),
                     spawn + receive("b") + "POP\nLOAD_LOCAL w\nAWAIT\n" + receive("b") +
                         receive("b") + "NEW_LIST 3\nRETURN"),
            "= [[1, nothing], 2, \"x\"]");
}

// The dump says a task waits in a select.
TEST_F(AsyncSelectTest, TheDumpShowsATaskWaitingInASelect) {
  EXPECT_EQ(run_body(channels("0", "2", "0") + send("b", "1") + send("b", "2"),
                     "PUSH_CONST extern \"task_spawn\"\nPUSH_CONST function waiter\n"
                     "PUSH_CONST 0\nCALL 1\nCALL 1\n"
                     "PUSH_CONST extern \"task_yield\"\nCALL 0\nAWAIT\nPOP\n"
                     "PUSH_CONST extern \"text_find\"\nPUSH_CONST extern \"runtime_dump\"\n"
                     "CALL 0\nPUSH_CONST \"waiter, waiting in a select\"\nCALL 2\n"
                     "PUSH_CONST 0\nGE\n" +
                         send("a", "4") + "SWAP\nAWAIT\nNEW_LIST 2\nRETURN"),
            "= [true, [0, 4]]");
}

// Cancelling a task waiting in a select withdraws every case: its send
// never happens and a value sent later is there for others. When the
// value came first, the value wins.
TEST_F(AsyncSelectTest, CancellingWithdrawsEveryCase) {
  const std::string spawn =
      std::string(kLocalR) +
      "  .local w type Any slot 0 scope 0 end\n"
      "  PUSH_CONST extern \"task_spawn\"\n  PUSH_CONST function waiter\n  PUSH_CONST 0\n"
      "  CALL 1\n  CALL 1\n  STORE_LOCAL w\n"
      "  PUSH_CONST extern \"task_yield\"\n  CALL 0\n  AWAIT\n  POP\n";
  const std::string cancel = "PUSH_CONST extern \"task_cancel\"\nLOAD_LOCAL w\nCALL 1\nPOP\n";
  const std::string outcome = guarded("LOAD_LOCAL w\nAWAIT\n", "Cancelled", "\"cancelled\"", "c1");
  const std::string full_b = channels("0", "2", "0") + send("b", "1") + send("b", "2");
  // b keeps its two values and no "x"; a's 5, sent after, is still there.
  EXPECT_EQ(
      run_body(full_b, spawn + cancel + outcome + send("a", "5") + receive("a") + receive("b") +
                           receive("b") + close("b") +
                           guarded(select("channel_select_async", "LOAD_GLOBAL b\n", 1) + "AWAIT\n",
                                   "ValueError", "\"b empty\"", "c2") +
                           "NEW_LIST 5\nRETURN"),
      "= [\"cancelled\", 5, 1, 2, \"b empty\"]");
  EXPECT_EQ(run_body(full_b, spawn + send("a", "6") + cancel + outcome + "RETURN"), "= [0, 6]");
}

// Closed channels: a receive from one closed and drained is left out while
// another case may proceed; every one closed raises, also for a task
// already waiting; a send to a closed channel raises.
TEST_F(AsyncSelectTest, ClosedChannels) {
  const std::string recv_abc = "LOAD_GLOBAL a\nLOAD_GLOBAL b\nLOAD_GLOBAL c\n";
  EXPECT_EQ(run_body(channels("0", "0", "0") + close("a") + send("c", "3"),
                     select("channel_select_async", recv_abc, 3) + "AWAIT\nRETURN"),
            "= [2, 3]");
  EXPECT_EQ(run_body(channels("0", "0", "0") + close("a") + close("b") + close("c"),
                     select("channel_select_async", recv_abc, 3) + "AWAIT\nRETURN"),
            "! ValueError: channel_select_async: every channel is closed and empty");
  EXPECT_EQ(run_body(channels("0", "2", "0") + close("b"),
                     select("channel_select_async", "LOAD_GLOBAL a\n" + send_op("b", "1"), 2) +
                         "AWAIT\nRETURN"),
            "! ValueError: channel_select_async: the channel of case 1 is closed");
  EXPECT_EQ(eval(channels("0", "2", "0") + close("b") +
                     select("channel_select", "LOAD_GLOBAL a\n" + send_op("b", "1"), 2) + "RETURN",
                 kPrelude),
            "! ValueError: channel_select: the channel of case 1 is closed");
  // A task waiting on a and b: the first close leaves a out, the second
  // wakes it with nothing left.
  EXPECT_EQ(run_body(channels("0", "0", "0"),
                     "PUSH_CONST extern \"task_spawn\"\nPUSH_CONST function selector\n"
                     "PUSH_CONST 0\nCALL 1\nCALL 1\n"
                     "PUSH_CONST extern \"task_yield\"\nCALL 0\nAWAIT\nPOP\n" +
                         close("c") + close("a") + send("b", "1") + close("b") + "AWAIT\nRETURN"),
            "= [1, 0]");
}

TEST_F(AsyncSelectTest, MisusesRaise) {
  const std::string wanted = "must be a non-empty List of Channels and ChannelOps, not ";
  EXPECT_EQ(
      eval("PUSH_CONST extern \"channel_select_async\"\nPUSH_CONST 3\nCALL 1\nRETURN", kPrelude),
      "! TypeError: channel_select_async: argument 1 " + wanted + "Integer 3");
  EXPECT_EQ(
      eval("PUSH_CONST extern \"channel_select_async\"\nNEW_LIST 0\nCALL 1\nRETURN", kPrelude),
      "! TypeError: channel_select_async: argument 1 " + wanted + "List[Any] []");
  EXPECT_EQ(eval(channels("0", "0", "0") +
                     select("channel_select_async", "LOAD_GLOBAL a\nPUSH_CONST 4\n", 2) + "RETURN",
                 kPrelude)
                .substr(0, 60),
            ("! TypeError: channel_select_async: argument 1 " + wanted).substr(0, 60));
  EXPECT_EQ(eval(channels("0", "0", "0") +
                     select("channel_select", "LOAD_GLOBAL a\nPUSH_CONST 4\n", 2) + "RETURN",
                 kPrelude)
                .substr(0, 54),
            ("! TypeError: channel_select: argument 1 " + wanted).substr(0, 54));
}

// Two threads fill a and b and close them; two tasks of one thread select
// over [a, b, c] (c closed): every value is received once, by one of them.
TEST_F(AsyncSelectTest, TwoThreadsRaceIntoSelectingTasks) {
  const std::string body = R"(
  .local t1 type Any slot 0 scope 0 end
  .local r1 type Any slot 1 scope 0 end
  .local r2 type Any slot 2 scope 0 end
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function selector
  PUSH_CONST 0
  CALL 1
  CALL 1
  STORE_LOCAL t1
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function fill_a
  CALL 1
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function fill_b
  CALL 1
  PUSH_CONST function selector
  PUSH_CONST 0
  CALL 1
  AWAIT
  STORE_LOCAL r2
  LOAD_LOCAL t1
  AWAIT
  STORE_LOCAL r1
  PUSH_CONST extern "thread_join"
  SWAP
  CALL 1
  POP
  PUSH_CONST extern "thread_join"
  SWAP
  CALL 1
  POP
  LOAD_LOCAL r1
  PUSH_CONST 0
  GET_ITEM
  LOAD_LOCAL r2
  PUSH_CONST 0
  GET_ITEM
  ADD
  LOAD_LOCAL r1
  PUSH_CONST 1
  GET_ITEM
  LOAD_LOCAL r2
  PUSH_CONST 1
  GET_ITEM
  ADD
  NEW_LIST 2
  RETURN
)";
  for (const char* capacity : {"0", "2"}) {
    for (int round = 0; round < 4; ++round) {
      EXPECT_EQ(run_body(channels(capacity, capacity, "0") + close("c"), body), "= [200, 100]")
          << "capacity " << capacity << ", round " << round;
    }
  }
}

// A task selects 0 .. 199 into whichever of a and b (bounded, 2) has room,
// while two threads drain them: each value arrives once (sum 19900 plus
// 1000 per value).
TEST_F(AsyncSelectTest, SelectedSendsRacingTwoConsumers) {
  const std::string body = R"(
  .local i type Any slot 0 scope 0 end
  .local ta type Any slot 1 scope 0 end
  .local tb type Any slot 2 scope 0 end
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function drain_a
  CALL 1
  STORE_LOCAL ta
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function drain_b
  CALL 1
  STORE_LOCAL tb
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 200
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_select_async"
  PUSH_CONST extern "channel_send_async"
  LOAD_GLOBAL a
  LOAD_LOCAL i
  CALL 2
  PUSH_CONST extern "channel_send_async"
  LOAD_GLOBAL b
  LOAD_LOCAL i
  CALL 2
  NEW_LIST 2
  CALL 1
  AWAIT
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST extern "channel_close"
  LOAD_GLOBAL a
  CALL 1
  POP
  PUSH_CONST extern "channel_close"
  LOAD_GLOBAL b
  CALL 1
  POP
  PUSH_CONST extern "thread_join"
  LOAD_LOCAL ta
  CALL 1
  PUSH_CONST extern "thread_join"
  LOAD_LOCAL tb
  CALL 1
  ADD
  RETURN
)";
  for (int round = 0; round < 10; ++round) {
    EXPECT_EQ(run_body(channels("2", "2", "0"), body), "= 219900") << "round " << round;
  }
}

// A thread sends 7 on a while the main task cancels a task waiting in a
// select on a: the 7 is received by the select or left in a, never both,
// never lost. Many rounds, so both orders happen.
TEST_F(AsyncSelectTest, CancelRacingASenderThread) {
  const std::string body = R"(
  .local w type Any slot 0 scope 0 end
  .local th type Any slot 1 scope 0 end
  .local i type Any slot 2 scope 0 end
  .local got type Any slot 3 scope 0 end
  .local r type Any slot 4 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
  PUSH_CONST 0
  STORE_LOCAL got
loop:
  LOAD_LOCAL i
  PUSH_CONST 100
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function waiter
  PUSH_CONST 0
  CALL 1
  CALL 1
  STORE_LOCAL w
  PUSH_CONST extern "task_yield"
  CALL 0
  AWAIT
  POP
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function send_a
  CALL 1
  STORE_LOCAL th
  PUSH_CONST extern "task_cancel"
  LOAD_LOCAL w
  CALL 1
  POP
  TRY_BEGIN cancelled none
  LOAD_LOCAL w
  AWAIT
  PUSH_CONST 1
  GET_ITEM
  STORE_LOCAL r
  TRY_END
cancelled:
  CATCH_BEGIN type Cancelled
  POP
  PUSH_CONST extern "channel_receive"
  LOAD_GLOBAL a
  CALL 1
  PUSH_CONST 100
  ADD
  STORE_LOCAL r
  CATCH_END
  LOAD_LOCAL r
  LOAD_LOCAL got
  ADD
  STORE_LOCAL got
  PUSH_CONST extern "thread_join"
  LOAD_LOCAL th
  CALL 1
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST extern "channel_close"
  LOAD_GLOBAL a
  CALL 1
  POP
  TRY_BEGIN empty none
  PUSH_CONST extern "channel_select_async"
  LOAD_GLOBAL a
  NEW_LIST 1
  CALL 1
  AWAIT
  RETURN
  TRY_END
empty:
  CATCH_BEGIN type ValueError
  POP
  CATCH_END
  LOAD_LOCAL got
  PUSH_CONST 100
  MOD
  RETURN
)";
  // b full, so the waiter's send case never proceeds: each round adds 7
  // (received by the select) or 107 (left in a).
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(run_body(channels("0", "2", "0") + send("b", "1") + send("b", "2"), body), "= 0")
        << "round " << round;
  }
}

}  // namespace
}  // namespace runa::tier0
