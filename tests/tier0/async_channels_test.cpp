// Async functions awaiting channels (docs/bytecode.md §2.5.8, the
// ChannelOp natives): an AWAIT of channel_receive_async /
// channel_send_async suspends only its task while the channel is empty or
// full, and the task resumes when a value or room arrives — from a task of
// the same thread or from another thread — or when the channel closes.
//
// The interleavings that would break the protocol (scheduler.hpp,
// ops_await.cpp), and where each is exercised:
//   - a value arriving between the task's failed attempt and its
//     registration: the retry after registering sees it (its sender saw no
//     waiter) — ThreadsFeedManyTasks, run many times and under TSan;
//   - a claim of a task whose scheduler is running another task: the claim
//     only posts the number to the inbox, taken at the scheduler's next
//     turn — ThreadsFeedManyTasks (the claims come from threads while
//     other consumer tasks run) and ABoundedChannelBetweenTwoTasks (claims
//     posted by the running task itself);
//   - cancellation racing a value: a task woken by both proceeds with the
//     value, one woken by the cancel alone throws Cancelled and passes on
//     the claim it may have had — CancellingATaskThatAwaitsAChannel;
//   - the scheduler's thread idle while another thread collects: it sleeps
//     in a native region — every test here under tier0-stress (the
//     producer threads allocate a String per value).
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPrelude = R"(
.meta globals ch Any, go Any
.type 1 primitive Integer
.type 2 primitive String
.type 3 function "(Any)->Any" params Any returns Any
.type 5 external ValueError layout hex ""
.type 6 external Cancelled layout hex ""
; feeder(): a thread: sends "s0" .. "s199" on ch
.function 9 feeder type "()->Any"
  .local i type Any slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 200
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_send"
  LOAD_GLOBAL ch
  PUSH_CONST "s"
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
  PUSH_CONST null
  RETURN
end:
.end
; producer(): a thread: waits for a value on go, feeds ch, then closes it
.function 1 producer type "()->Any"
  PUSH_CONST extern "channel_receive"
  LOAD_GLOBAL go
  CALL 1
  POP
  PUSH_CONST function feeder
  CALL 0
  POP
  PUSH_CONST extern "channel_close"
  LOAD_GLOBAL ch
  CALL 1
  RETURN
.end
; consumer(log): receives from ch until it is closed: the total length of
; what it received
.function 2 consumer type "(Any)->Any" flags ASYNC
  .param log type Any
  PUSH_CONST ""
  TRY_BEGIN closed none
loop:
  PUSH_CONST extern "channel_receive_async"
  LOAD_GLOBAL ch
  CALL 1
  AWAIT
  TEXT_CONCAT 2
  JUMP loop
  TRY_END
closed:
  CATCH_BEGIN type ValueError
  POP
  CATCH_END
  PUSH_CONST extern "text_length"
  SWAP
  CALL 1
  RETURN
.end
; ticker(log): logs three ticks, a turn apart; after the first, lets the
; producer start
.function 3 ticker type "(Any)->Any" flags ASYNC
  .param log type Any
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  PUSH_CONST "tick0"
  CALL 2
  POP
  PUSH_CONST extern "channel_send"
  LOAD_GLOBAL go
  PUSH_CONST 1
  CALL 2
  POP
  PUSH_CONST extern "task_yield"
  CALL 0
  AWAIT
  POP
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  PUSH_CONST "tick1"
  CALL 2
  POP
  PUSH_CONST extern "task_yield"
  CALL 0
  AWAIT
  POP
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  PUSH_CONST "tick2"
  CALL 2
  RETURN
.end
; sender(log): sends 1, 2, 3 on ch, logging each
.function 4 sender type "(Any)->Any" flags ASYNC
  .param log type Any
  .local i type Any slot 1 scope 0 end
  PUSH_CONST 1
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 4
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "channel_send_async"
  LOAD_GLOBAL ch
  LOAD_LOCAL i
  CALL 2
  AWAIT
  POP
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  PUSH_CONST "sent"
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
  PUSH_CONST null
  RETURN
end:
.end
; receiver(log): lets the sender go first, then receives three values,
; logging each
.function 5 receiver type "(Any)->Any" flags ASYNC
  .param log type Any
  .local i type Any slot 1 scope 0 end
  PUSH_CONST extern "task_yield"
  CALL 0
  AWAIT
  POP
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 3
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  PUSH_CONST "got"
  PUSH_CONST extern "channel_receive_async"
  LOAD_GLOBAL ch
  CALL 1
  AWAIT
  TEXT_CONCAT 2
  CALL 2
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST null
  RETURN
end:
.end
; closer(): a thread: waits for a value on go, then closes ch
.function 6 closer type "()->Any"
  PUSH_CONST extern "channel_receive"
  LOAD_GLOBAL go
  CALL 1
  POP
  PUSH_CONST extern "channel_close"
  LOAD_GLOBAL ch
  CALL 1
  RETURN
.end
; waiter(x): one receive from ch
.function 7 waiter type "(Any)->Any" flags ASYNC
  .param x type Any
  PUSH_CONST extern "channel_receive_async"
  LOAD_GLOBAL ch
  CALL 1
  AWAIT
  RETURN
.end
)";

// A new ch of `capacity` and an unbounded go, then `body` as an ASYNC
// function run by task_run from main.
class AsyncChannelsTest : public Tier0Test {
 protected:
  std::string run_body(std::string_view capacity, std::string_view body,
                       std::string_view more = "") {
    const std::string main =
        "PUSH_CONST extern \"channel_new\"\nPUSH_CONST " + std::string(capacity) +
        "\nCALL 1\nSTORE_GLOBAL ch\n"
        "PUSH_CONST extern \"channel_new\"\nPUSH_CONST 0\nCALL 1\nSTORE_GLOBAL go\n"
        "PUSH_CONST extern \"task_run\"\nPUSH_CONST function body\nCALL 0\nCALL 1\nRETURN";
    return eval(main, std::string(kPrelude) + std::string(more) +
                          ".function 8 body type \"()->Any\" flags ASYNC\n" + std::string(body) +
                          "\n.end\n");
  }
};

// A producer thread feeds ch, which a task awaits, while another task on
// the same thread logs its ticks: the ticker starts the producer only
// after the consumer has suspended on the empty channel, so the thread was
// not blocked in it.
TEST_F(AsyncChannelsTest, AThreadFeedsATaskWhileAnotherRuns) {
  const std::string body = R"(
  .local log type Any slot 0 scope 0 end
  .local th type Any slot 1 scope 0 end
  .local c type Any slot 2 scope 0 end
  NEW_LIST 0
  STORE_LOCAL log
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function producer
  CALL 1
  STORE_LOCAL th
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function consumer
  LOAD_LOCAL log
  CALL 1
  CALL 1
  STORE_LOCAL c
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function ticker
  LOAD_LOCAL log
  CALL 1
  CALL 1
  AWAIT
  POP
  PUSH_CONST extern "list_append"
  LOAD_LOCAL log
  LOAD_LOCAL c
  AWAIT
  CALL 2
  POP
  PUSH_CONST extern "thread_join"
  LOAD_LOCAL th
  CALL 1
  POP
  LOAD_LOCAL log
  RETURN
end:
)";
  // "s0" .. "s9": 20 characters, "s10" .. "s99": 270, "s100" .. "s199": 400.
  for (const char* capacity : {"0", "1", "8"}) {
    EXPECT_EQ(run_body(capacity, body), "= [\"tick0\", \"tick1\", \"tick2\", 690]")
        << "capacity " << capacity;
  }
}

// A bounded channel of two between two tasks of one thread: the sender
// suspends on the full channel, the receiver on the empty one, and each
// wakes the other (a claim posted by the running task, taken at the next
// turn).
TEST_F(AsyncChannelsTest, ABoundedChannelBetweenTwoTasks) {
  const std::string body = R"(
  .local log type Any slot 0 scope 0 end
  .local s type Any slot 1 scope 0 end
  NEW_LIST 0
  STORE_LOCAL log
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function sender
  LOAD_LOCAL log
  CALL 1
  CALL 1
  STORE_LOCAL s
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function receiver
  LOAD_LOCAL log
  CALL 1
  CALL 1
  AWAIT
  POP
  LOAD_LOCAL s
  AWAIT
  POP
  LOAD_LOCAL log
  RETURN
end:
)";
  EXPECT_EQ(run_body("2", body),
            "= [\"sent1\", \"sent2\", \"got1\", \"got2\", \"sent3\", \"got3\"]");
  // Unbounded, the sender never waits.
  EXPECT_EQ(run_body("0", body),
            "= [\"sent1\", \"sent2\", \"sent3\", \"got1\", \"got2\", \"got3\"]");
}

// A task suspended on a channel wakes when the channel closes — closed by
// another task of its thread, or by another thread — and its AWAIT raises
// as channel_receive does; a send to a closed channel raises at once.
TEST_F(AsyncChannelsTest, ClosingWakesTheTasksAwaitingAChannel) {
  const std::string spawn_waiter =
      "  .local w type Any slot 0 scope 0 end\n"
      "  .local th type Any slot 1 scope 0 end\n"
      "  PUSH_CONST extern \"thread_spawn\"\n  PUSH_CONST function closer\n  CALL 1\n"
      "  STORE_LOCAL th\n"
      "  PUSH_CONST extern \"task_spawn\"\n  PUSH_CONST function waiter\n  PUSH_CONST 0\n"
      "  CALL 1\n  CALL 1\n  STORE_LOCAL w\n"
      "  PUSH_CONST extern \"task_yield\"\n  CALL 0\n  AWAIT\n  POP\n";  // it waits now
  const std::string await_waiter = "  LOAD_LOCAL w\n  AWAIT\n  RETURN\nend:\n";
  const std::string by_a_task =
      "  PUSH_CONST extern \"channel_close\"\n  LOAD_GLOBAL ch\n  CALL 1\n  POP\n"
      "  PUSH_CONST extern \"channel_send\"\n  LOAD_GLOBAL go\n  PUSH_CONST 1\n  CALL 2\n"
      "  POP\n";  // the closer thread may end
  const std::string by_a_thread =
      "  PUSH_CONST extern \"channel_send\"\n  LOAD_GLOBAL go\n  PUSH_CONST 1\n  CALL 2\n"
      "  POP\n";
  const std::string closed = "! ValueError: channel_receive_async: the channel is closed and empty";
  EXPECT_EQ(run_body("0", spawn_waiter + by_a_task + await_waiter), closed);
  EXPECT_EQ(run_body("0", spawn_waiter + by_a_thread + await_waiter), closed);
  EXPECT_EQ(run_body("4", spawn_waiter + by_a_thread + await_waiter), closed);
  // A value sent before the close is still received.
  EXPECT_EQ(run_body("0",
                     "PUSH_CONST extern \"channel_send\"\nLOAD_GLOBAL ch\nPUSH_CONST 5\nCALL 2\n"
                     "POP\nPUSH_CONST extern \"channel_close\"\nLOAD_GLOBAL ch\nCALL 1\nPOP\n"
                     "PUSH_CONST function waiter\nPUSH_CONST 0\nCALL 1\nAWAIT\nRETURN"),
            "= 5");
  EXPECT_EQ(run_body("0",
                     "PUSH_CONST extern \"channel_close\"\nLOAD_GLOBAL ch\nCALL 1\nPOP\n"
                     "PUSH_CONST extern \"channel_send_async\"\nLOAD_GLOBAL ch\nPUSH_CONST 1\n"
                     "CALL 2\nAWAIT\nRETURN"),
            "! ValueError: channel_send_async: the channel is closed");
}

// Cancelling a task suspended on a channel: with no value its AWAIT
// throws Cancelled; when a value came first (the claim and the cancel
// race), the value wins and the task ends with it.
TEST_F(AsyncChannelsTest, CancellingATaskThatAwaitsAChannel) {
  const std::string code = R"(
  .local w type Any slot 0 scope 0 end
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
  SEND_FIRST
  PUSH_CONST extern "task_cancel"
  LOAD_LOCAL w
  CALL 1
  POP
  LOAD_LOCAL w
  AWAIT
  RETURN
end:
)";
  auto with = [&](std::string_view send_first) {
    std::string c = code;
    c.replace(c.find("SEND_FIRST"), 10, send_first);
    return c;
  };
  EXPECT_EQ(run_body("0", with("")), "! Cancelled: task 2 was cancelled (task_cancel)");
  EXPECT_EQ(run_body("0", with("PUSH_CONST extern \"channel_send\"\nLOAD_GLOBAL ch\n"
                               "PUSH_CONST 9\nCALL 2\nPOP")),
            "= 9");
}

TEST_F(AsyncChannelsTest, MisusesRaise) {
  EXPECT_EQ(
      eval("PUSH_CONST extern \"channel_receive_async\"\nPUSH_CONST 3\nCALL 1\nRETURN", kPrelude)
          .substr(0, 51),
      "! TypeError: channel_receive_async: argument 1 must");
  EXPECT_EQ(eval("PUSH_CONST extern \"channel_send_async\"\nPUSH_CONST 3\nPUSH_CONST 3\n"
                 "CALL 2\nRETURN",
                 kPrelude)
                .substr(0, 48),
            "! TypeError: channel_send_async: argument 1 must");
}

// Three threads feed a bounded channel of two that three tasks of one
// thread drain: threads block on the full channel, tasks suspend on the
// empty one, and claims from the threads arrive while the scheduler runs
// another consumer or sleeps. Every value arrives once.
TEST_F(AsyncChannelsTest, ThreadsFeedManyTasks) {
  const std::string threads = R"(
.function 10 feed_then_close type "()->Any"
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function feeder
  CALL 1
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function feeder
  CALL 1
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function feeder
  CALL 1
  PUSH_CONST extern "thread_join"
  SWAP
  CALL 1
  POP
  PUSH_CONST extern "thread_join"
  SWAP
  CALL 1
  POP
  PUSH_CONST extern "thread_join"
  SWAP
  CALL 1
  POP
  PUSH_CONST extern "channel_close"
  LOAD_GLOBAL ch
  CALL 1
  RETURN
.end
)";
  const std::string body = R"(
  .local th type Any slot 0 scope 0 end
  PUSH_CONST extern "thread_spawn"
  PUSH_CONST function feed_then_close
  CALL 1
  STORE_LOCAL th
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function consumer
  PUSH_CONST 0
  CALL 1
  CALL 1
  PUSH_CONST extern "task_spawn"
  PUSH_CONST function consumer
  PUSH_CONST 0
  CALL 1
  CALL 1
  PUSH_CONST function consumer
  PUSH_CONST 0
  CALL 1
  AWAIT
  SWAP
  AWAIT
  ADD
  SWAP
  AWAIT
  ADD
  PUSH_CONST extern "thread_join"
  LOAD_LOCAL th
  CALL 1
  POP
  RETURN
end:
)";
  for (int round = 0; round < 5; ++round) {
    EXPECT_EQ(run_body("2", body, threads), "= 2070") << "round " << round;
  }
}

}  // namespace
}  // namespace runa::tier0
