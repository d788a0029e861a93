// The async executor: tasks, joins, timers, cancellation and its spread
// through scopes, and cooperative budgeting.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../scale.hpp"
#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/scope.hpp"
#include "concurrency/executor/sleep.hpp"
#include "concurrency/pool/pool.hpp"

namespace runa::concurrency {
namespace {

using namespace std::chrono_literals;
using testing::scaled;

Task<int> add(int a, int b) {
  co_return a + b;
}

Task<int> depth(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await depth(n - 1);
}

// Yields `hops` times (each time it may move to another worker), then
// returns i.
Task<int> hop(int i, int hops) {
  for (int k = 0; k < hops; ++k) co_await yield_now();
  co_return i;
}

Task<void> fail_with(const char* what) {
  co_await yield_now();
  throw std::runtime_error(what);
}

TEST(Executor, SpawnAndJoin) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  EXPECT_EQ(ex.block_on(add(2, 3)), 5);
  JoinHandle<int> h = ex.spawn(add(40, 2));
  EXPECT_EQ(h.join(), 42);
}

// Symmetric transfer becomes a tail call only when the compiler optimizes:
// GCC at -O1 with AddressSanitizer's instrumentation keeps the calls, so
// the sanitizer build nests fewer awaits (the chain's results are still
// checked).
#if defined(__SANITIZE_ADDRESS__)
constexpr int kDeepAwaits = 5'000;
#else
constexpr int kDeepAwaits = 200'000;
#endif

TEST(Executor, DeepAwaitChainsUseNoStack) {
  // Symmetric transfer: 200,000 nested awaits would overflow a native
  // stack if each resumed the next by a call.
  Pool pool({.workers = 1});
  Executor ex(pool);
  EXPECT_EQ(ex.block_on(depth(kDeepAwaits)), kDeepAwaits);
}

TEST(Executor, ExceptionsReachTheJoiner) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  EXPECT_THROW(ex.block_on(fail_with("boom")), std::runtime_error);
}

TEST(Executor, TasksAwaitEachOther) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  auto outer = [&]() -> Task<int> {
    JoinHandle<int> a = ex.spawn(add(1, 2));
    JoinHandle<int> b = ex.spawn(depth(1000));
    int x = co_await a;
    int y = co_await b;
    co_return x + y;
  };
  EXPECT_EQ(ex.block_on(outer()), 1003);
}

TEST(Executor, SleepNeverWakesEarly) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  auto nap = []() -> Task<std::chrono::nanoseconds> {
    auto start = Executor::Clock::now();
    co_await sleep_for(15ms);
    co_return Executor::Clock::now() - start;
  };
  EXPECT_GE(ex.block_on(nap()), 15ms);
}

TEST(Executor, ManyTimersAllFireOnce) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  const int n = static_cast<int>(scaled(20'000));
  std::atomic<int> fired{0};
  auto sleeper = [&](int i) -> Task<void> {
    co_await sleep_for(std::chrono::milliseconds(i % 25));
    fired.fetch_add(1);
  };
  std::vector<JoinHandle<void>> hs;
  hs.reserve(n);
  for (int i = 0; i < n; ++i) hs.push_back(ex.spawn(sleeper(i)));
  for (auto& h : hs) h.join();
  EXPECT_EQ(fired.load(), n);
}

TEST(Executor, CancelWakesASleeperAtOnce) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  std::atomic<bool> unwound{false};
  auto sleeper = [&]() -> Task<void> {
    struct Guard {
      std::atomic<bool>& flag;
      ~Guard() { flag = true; }
    } guard{unwound};
    co_await sleep_for(1h);
  };
  JoinHandle<void> h = ex.spawn(sleeper());
  std::this_thread::sleep_for(5ms);
  h.cancel();
  EXPECT_THROW(h.join(), Cancelled);  // an hour early: only cancellation ends it
  EXPECT_TRUE(unwound.load());
}

TEST(Executor, CancellingATaskCancelsItsScope) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  std::atomic<int> children_cancelled{0};
  auto child = [&]() -> Task<void> {
    try {
      co_await sleep_for(1h);
    } catch (const Cancelled&) {
      children_cancelled.fetch_add(1);
      throw;
    }
  };
  auto parent = [&]() -> Task<void> {
    Scope scope(ex);
    for (int i = 0; i < 3; ++i) scope.spawn(child());
    co_await scope.join();
  };
  JoinHandle<void> h = ex.spawn(parent());
  std::this_thread::sleep_for(5ms);
  h.cancel();
  EXPECT_THROW(h.join(), Cancelled);
  EXPECT_EQ(children_cancelled.load(), 3);  // join returned only after all three
}

TEST(Executor, AFailingChildCancelsItsSiblings) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  std::atomic<int> cancelled{0};
  auto sibling = [&]() -> Task<void> {
    try {
      co_await sleep_for(1h);
    } catch (const Cancelled&) {
      cancelled.fetch_add(1);
      throw;
    }
  };
  auto parent = [&]() -> Task<void> {
    Scope scope(ex);
    scope.spawn(sibling());
    scope.spawn(sibling());
    scope.spawn(fail_with("child failed"));
    co_await scope.join();
  };
  try {
    ex.block_on(parent());
    ADD_FAILURE() << "join did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "child failed");
  }
  EXPECT_EQ(cancelled.load(), 2);
}

TEST(Executor, ABusyTaskCannotStarveOthers) {
  // One worker: a task that never waits must yield when its budget is
  // spent, or the task that stops it never runs.
  Pool pool({.workers = 1});
  Executor ex(pool);
  std::atomic<bool> stop{false};
  std::atomic<unsigned> yields{0};
  auto busy = [&]() -> Task<void> {
    while (!stop.load()) {
      if (!within_budget()) {
        yields.fetch_add(1);
        co_await yield_now();
      }
    }
  };
  auto stopper = [&]() -> Task<void> {
    stop = true;
    co_return;
  };
  JoinHandle<void> b = ex.spawn(busy());
  JoinHandle<void> s = ex.spawn(stopper());
  s.join();
  b.join();
  EXPECT_GE(yields.load(), 1U);
}

TEST(Executor, JoiningFromManyTasksAndThreads) {
  Pool pool({.workers = 3});
  Executor ex(pool);
  const int n = static_cast<int>(scaled(2'000));
  auto root = [&]() -> Task<long> {
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < n; ++i) hs.push_back(ex.spawn(hop(i, i % 3 == 0 ? 1 : 0)));
    long sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  };
  EXPECT_EQ(ex.block_on(root()), static_cast<long>(n) * (n - 1) / 2);
}

// A joiner that leaves its await without the lock (JoinHandle::await_resume
// sees `done`) must not leave while finish() still wakes it: joiners that
// are cancelled while their child finishes, and joiners of children that
// finish at once, race finish() on every worker. Under ThreadSanitizer a
// wake-up that touched a freed record would show as a race (and under
// ASan as a use after free).
TEST(Executor, JoinersRacingFinishAndCancellation) {
  Pool pool({.workers = 3});
  Executor ex(pool);
  const int n = static_cast<int>(scaled(3'000));
  std::atomic<int> finished{0};
  std::atomic<int> cancelled{0};
  auto child = [](int i) -> Task<int> {
    if (i % 2 == 0) co_await yield_now();
    co_return i;
  };
  // The children's handles stay here, so that the test can wait for the
  // children of cancelled joiners too before the executor goes.
  std::vector<JoinHandle<int>> kids;
  kids.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) kids.push_back(ex.spawn(child(-1)));
  for (auto& k : kids) k.join();
  auto joiner = [&](int i) -> Task<void> {
    try {
      JoinHandle<int>& kid = kids[static_cast<std::size_t>(i)];
      kid = ex.spawn(child(i));
      int v = co_await kid;
      EXPECT_EQ(v, i);
      finished.fetch_add(1);
    } catch (const Cancelled&) {
      cancelled.fetch_add(1);
    }
  };
  std::vector<JoinHandle<void>> hs;
  hs.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    hs.push_back(ex.spawn(joiner(i)));
    if (i % 4 == 1) hs.back().cancel();
  }
  for (auto& h : hs) h.join();
  for (auto& k : kids) {
    while (!k.done()) std::this_thread::yield();
  }
  EXPECT_EQ(finished.load() + cancelled.load(), n);
  EXPECT_GE(finished.load(), n - (n + 2) / 4);
}

// A spawned task's frame and record are made by its spawner's thread and
// freed by whichever thread finishes it or lets go last, round after
// round: tasks spawned from a plain thread (the frame freed on a worker),
// tasks that move between workers (yield_now) before they end, and handles
// dropped before their task ends (the task frees its own record). Under
// ASan a block freed to the wrong cache or twice shows, under TSan a
// reuse that races its last touch.
TEST(Executor, FramesAndRecordsFreedOnOtherThreadsRoundAfterRound) {
  Pool pool({.workers = 3});
  Executor ex(pool);
  const int rounds = static_cast<int>(scaled(20));
  const int n = static_cast<int>(scaled(500));
  std::atomic<int> detached_ran{0};
  auto detached = [&](int i) -> Task<void> {
    if (i % 2 == 0) co_await yield_now();
    detached_ran.fetch_add(1);
  };
  auto spawner = [&]() -> Task<long> {
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < n; ++i) hs.push_back(ex.spawn(hop(i, i % 3)));
    long sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  };
  const long expected = static_cast<long>(n) * (n - 1) / 2;
  for (int r = 0; r < rounds; ++r) {
    std::vector<JoinHandle<int>> from_thread;
    for (int i = 0; i < n; ++i) from_thread.push_back(ex.spawn(hop(i, i % 3)));
    for (int i = 0; i < n; ++i) (void)ex.spawn(detached(i));  // dropped at once
    JoinHandle<long> s = ex.spawn(spawner());
    long sum = 0;
    for (auto& h : from_thread) sum += h.join();
    EXPECT_EQ(sum, expected);
    EXPECT_EQ(s.join(), expected);
  }
  // The detached tasks of the last round may still run: wait for them.
  while (detached_ran.load() != rounds * n) std::this_thread::yield();
}

// Plain threads joining tasks as they finish: the blocked joiner's flag and
// the finisher's futex wake race on the join word (join_handle.hpp).
TEST(Executor, ThreadsJoiningTasksAsTheyFinish) {
  Pool pool({.workers = 2});
  Executor ex(pool);
  const int n = static_cast<int>(scaled(2'000));
  std::vector<JoinHandle<int>> hs;
  hs.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) hs.push_back(ex.spawn(hop(i, i % 2 == 0 ? 1 : 0)));
  std::atomic<long> sum{0};
  auto joiner = [&](int parity) {
    for (int i = parity; i < n; i += 2) sum.fetch_add(hs[static_cast<std::size_t>(i)].join());
  };
  std::thread a(joiner, 0);
  std::thread b(joiner, 1);
  a.join();
  b.join();
  EXPECT_EQ(sum.load(), static_cast<long>(n) * (n - 1) / 2);
}

// Past a full deque, spawned tasks queue in the injector: each runs once,
// and the spawner stays the running task throughout (spawn() never runs
// another task inside it: a task may spawn while it holds a lock its
// children take).
TEST(Executor, SpawningPastAFullDequeQueuesTheRestInTheInjector) {
  Pool pool({.workers = 1, .deque_capacity = 4});
  Executor ex(pool);
  const int n = 200;
  auto root = [&]() -> Task<long> {
    TaskRecord* self = TaskRecord::current();
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < n; ++i) {
      hs.push_back(ex.spawn(hop(i, i % 5 == 0 ? 1 : 0)));
      EXPECT_EQ(TaskRecord::current(), self);
    }
    co_await yield_now();
    long sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  };
  EXPECT_EQ(ex.block_on(root()), static_cast<long>(n) * (n - 1) / 2);
}

}  // namespace
}  // namespace runa::concurrency
