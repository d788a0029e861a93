// Tier 0 shared by threads: one module's functions run on several attached
// threads at once. What is shared — a function's translation (published
// once by compare-and-swap: two threads translating at once keep the
// first), the method sites' caches (records published by one release
// store, read with acquire), the field sites' caches (one word) and the
// profile counters (relaxed, may lose counts) — must give every thread
// the right answers while collections move the objects.
//
// The interleaving the translation protocol rules out: thread A publishes
// code C1 while B, which translated C2 meanwhile, also publishes and frees
// C1 under A's feet. B's compare-and-swap fails, B keeps A's C1 and drops
// its own C2, which no thread has seen.
#include <atomic>
#include <thread>
#include <vector>

#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kShapes = R"(
.type 1 primitive Integer
.type 2 primitive Any
.type 3 struct Square
  .field side type Integer
.type 4 struct Rect
  .field w type Integer
  .field h type Integer
.type 5 function "(Square)->Integer" params Square returns Integer
.type 6 function "(Rect)->Integer" params Rect returns Integer
.type 7 function "(Integer)->Integer" params Integer returns Integer
.function 1 area type "(Square)->Integer" flags METHOD
  .param self type Square
  LOAD_LOCAL self
  LOAD_FIELD Square.side
  DUP
  MUL
  RETURN
.end
.function 2 area type "(Rect)->Integer" flags METHOD
  .param self type Rect
  LOAD_LOCAL self
  LOAD_FIELD Rect.w
  LOAD_LOCAL self
  LOAD_FIELD Rect.h
  MUL
  RETURN
.end
; total(n): the sum of the areas of n Squares of side 2 and n Rects 2 x 3,
; made as it goes (so collections happen while other threads run).
.function 3 total type "(Integer)->Integer"
  .param n type Integer flags MUTABLE
  .local sum type Integer slot 1 scope 0 end
  .local s type Any slot 2 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL sum
loop:
  LOAD_LOCAL n
  PUSH_CONST 0
  GT
  JUMP_IF_FALSE done
  NEW Square
  DUP
  PUSH_CONST 2
  STORE_FIELD Square.side
  STORE_LOCAL s
  NEW Rect
  DUP
  PUSH_CONST 2
  STORE_FIELD Rect.w
  DUP
  PUSH_CONST 3
  STORE_FIELD Rect.h
  CALL_METHOD "area" 0
  LOAD_LOCAL s
  CALL_METHOD "area" 0
  ADD
  LOAD_LOCAL sum
  ADD
  STORE_LOCAL sum
  LOAD_LOCAL n
  PUSH_CONST 1
  SUB
  STORE_LOCAL n
  JUMP loop
done:
  LOAD_LOCAL sum
  RETURN
end:
.end
)";

TEST_F(Tier0Test, ThreadsShareCodeAndCaches) {
  auto m = runtime_->load(*t_, file("shapes", kShapes));
  ASSERT_TRUE(m.ok()) << m.error().describe();
  const rt::FunctionInfo* total = (*m)->function("total");
  constexpr int kThreads = 4;
  constexpr std::int64_t kRounds = 2000;
  std::vector<std::int64_t> results(kThreads, 0);
  {
    // The test's own thread stays attached: it waits in a native region.
    heap::NativeRegion region(*t_->m);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        rt::Thread& t = runtime_->attach();
        {
          heap::HandleScope scope(*t.m);
          heap::Handle arg(*t.m, types::make_small_int(kRounds));
          heap::Handle out(*t.m, types::kNothing);
          if (runtime_->call(t, total->object, arg.slot(), 1, out.slot())) {
            results[static_cast<std::size_t>(i)] = types::as_int(out.value());
          }
        }
        runtime_->detach(t);
      });
    }
    for (auto& th : threads) th.join();
  }
  for (std::int64_t r : results) EXPECT_EQ(r, kRounds * (4 + 6));
  EXPECT_LE(total->profile.calls.load(), static_cast<std::uint32_t>(kThreads))
      << "counts may be lost between threads, never invented";
  EXPECT_GE(total->profile.calls.load(), 1u);
}

// Attaching while another thread holds the runtime's lock and collects:
// a module's __init__ runs under that lock, and this one collects 300
// times. A thread attaching meanwhile waits for the lock; it must wait in
// a native region, or the initializer's next collection waits for it while
// it waits for the lock (a hang, first seen with an actor's worker).
TEST_F(Tier0Test, AThreadAttachesWhileAnInitializerCollects) {
  constexpr std::string_view kCollecting = R"(
.type 1 primitive Integer
.type 2 function "()->Integer" params returns Integer
.function 1 __init__ type "()->Integer"
  .local n type Integer slot 0 scope 0 end
  PUSH_CONST 300
  STORE_LOCAL n
loop:
  LOAD_LOCAL n
  PUSH_CONST 0
  GT
  JUMP_IF_FALSE done
  PUSH_CONST extern "gc_collect"
  PUSH_CONST false
  CALL 1
  POP
  LOAD_LOCAL n
  PUSH_CONST 1
  SUB
  STORE_LOCAL n
  JUMP loop
done:
  PUSH_CONST null
  RETURN
end:
.end
)";
  std::atomic<bool> loaded{false};
  std::atomic<int> attaches{0};
  std::thread attacher([&] {
    while (!loaded.load()) {
      rt::Thread& t = runtime_->attach("attacher");
      runtime_->detach(t);
      attaches.fetch_add(1);
    }
  });
  {
    heap::NativeRegion region(*t_->m);  // the attacher's first attach may need this thread stopped
    while (attaches.load() == 0) std::this_thread::yield();
  }
  EXPECT_EQ(eval("PUSH_CONST 7\nRETURN", kCollecting), "= 7");
  loaded.store(true);
  {
    heap::NativeRegion region(*t_->m);
    attacher.join();
  }
}

}  // namespace
}  // namespace runa::tier0
