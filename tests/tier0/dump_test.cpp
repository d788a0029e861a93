// The thread dump (Runtime::dump, the native runtime_dump): with the world
// stopped, every attached thread's Runa frames and its scheduler's tasks.
//
// The interleaving the dump must survive: another thread runs Runa code
// (its frame records change at every call) while the dump reads them. The
// dump stops the world first, and a stopped thread has written its frame
// back (tier 0's SYNC before every poll), so the dump sees the worker
// parked in `spin`, never half a frame.
#include <atomic>
#include <thread>

#include "bridge/scheduler.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kSpin = R"(
.type 1 primitive Integer
.type 2 primitive Any
.type 3 function "()->Any" params returns Any
.meta globals stop Any
; spin(): loops until the global `stop` is true
.function 1 spin type "()->Any"
loop:
  LOAD_GLOBAL stop
  JUMP_IF_FALSE loop
  PUSH_CONST 0
  RETURN
.end
.function 2 worker type "()->Any"
  PUSH_CONST function spin
  CALL 0
  RETURN
.end
; inner(): the dump, from one call down
.function 3 inner type "()->Any"
  PUSH_CONST extern "runtime_dump"
  CALL 0
  RETURN
.end
.function 4 dump type "()->Any"
  PUSH_CONST function inner
  CALL 0
  RETURN
.end
; waits(): a task sleeping a minute, spawned and left pending
.function 5 waits type "()->Any" flags ASYNC
  PUSH_CONST extern "task_sleep"
  PUSH_CONST 60000
  CALL 1
  AWAIT
  RETURN
.end
)";

TEST_F(Tier0Test, ADumpShowsTheCallersFrames) {
  auto m = runtime_->load(*t_, file("spin", kSpin));
  ASSERT_TRUE(m.ok()) << m.error().describe();
  heap::HandleScope scope(*t_->m);
  heap::Handle out(*t_->m, types::kNothing);
  ASSERT_TRUE(runtime_->call(*t_, (*m)->function("dump")->object, nullptr, 0, out.slot()));
  std::string text;
  types().strings().append_to(out.value(), text);
  EXPECT_EQ(text,
            "RunaTime thread dump: 1 thread\n"
            "thread 1 \"thread 1\"\n"
            "    at inner\n"
            "    at dump\n");
}

TEST_F(Tier0Test, ADumpStopsAThreadRunningRunaCode) {
  auto m = runtime_->load(*t_, file("spin", kSpin));
  ASSERT_TRUE(m.ok()) << m.error().describe();
  Value* stop = (*m)->globals;  // the only global
  *stop = types::kFalse;
  std::atomic<bool> attached{false};
  std::string text;
  {
    heap::NativeRegion region(*t_->m);  // the worker's collections never wait for us
    std::thread worker([&] {
      rt::Thread& t = runtime_->attach("worker");
      attached.store(true);
      {
        heap::HandleScope scope(*t.m);
        heap::Handle out(*t.m, types::kNothing);
        EXPECT_TRUE(runtime_->call(t, (*m)->function("worker")->object, nullptr, 0, out.slot()));
      }
      runtime_->detach(t);
    });
    while (!attached.load()) std::this_thread::yield();
    // Until the worker is inside spin, its dump shows fewer frames: retry.
    heap::Mutator& m2 = runtime_->heap().attach();
    for (int i = 0; i < 10000 && text.find("at spin") == std::string::npos; ++i) {
      text = runtime_->dump(m2);
    }
    // The flag is set with the world stopped, so the worker's next read of
    // it is ordered after the store by the handshake (no data race).
    runtime_->heap().stopped(
        m2, [](void* flag) { *static_cast<Value*>(flag) = types::kTrue; }, stop);
    runtime_->heap().detach(m2);
    worker.join();
  }
  EXPECT_NE(text.find("RunaTime thread dump: 2 threads\n"), std::string::npos) << text;
  EXPECT_NE(text.find("thread 2 \"worker\"\n    at spin\n    at worker\n"), std::string::npos)
      << text;
}

TEST_F(Tier0Test, ADumpListsPendingTasks) {
  auto m = runtime_->load(*t_, file("spin", kSpin));
  ASSERT_TRUE(m.ok()) << m.error().describe();
  heap::HandleScope scope(*t_->m);
  heap::Handle coroutine(*t_->m, types::kNothing);
  heap::Handle task(*t_->m, types::kNothing);
  ASSERT_TRUE(runtime_->call(*t_, (*m)->function("waits")->object, nullptr, 0, coroutine.slot()));
  ASSERT_TRUE(bridge::Scheduler::of(*t_).spawn(coroutine.slot(), task.slot()));
  std::string text = runtime_->dump(*t_->m);
  EXPECT_NE(text.find("  tasks:\n    task 1: waits, not started\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace runa::tier0
