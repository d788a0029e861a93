// The event loop as the async executor's Driver (concurrency/driver.hpp),
// for both back ends: the executor's driver thread becomes the loop's owner
// and sleeps in wait() until the next timer, and tasks arming earlier
// timers, cancellation and shutdown reach it through wake() from pool
// threads. Every timer fires once and a cancelled sleeper is woken at once.
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/sleep.hpp"
#include "concurrency/pool/pool.hpp"
#include "loop_fixture.hpp"

namespace runa::io {
namespace {

using namespace std::chrono_literals;
using concurrency::Cancelled;
using concurrency::Executor;
using concurrency::JoinHandle;
using concurrency::Pool;
using concurrency::Task;

// The fixture's loop outlives the executors of the tests.
class ExecutorDriverTest : public testing::LoopTest {};

TEST_P(ExecutorDriverTest, EveryTimerFiresOnce) {
  Pool pool({.workers = 2});
  Executor ex(pool, loop.get());
  constexpr int kSleepers = 2000;
  std::atomic<int> fired{0};
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto sleeper = [&](int i) -> Task<void> {
    co_await concurrency::sleep_for(std::chrono::milliseconds(i % 25));
    fired.fetch_add(1);
  };
  std::vector<JoinHandle<void>> hs;
  hs.reserve(kSleepers);
  for (int i = 0; i < kSleepers; ++i) hs.push_back(ex.spawn(sleeper(i)));
  for (auto& h : hs) h.join();
  EXPECT_EQ(fired.load(), kSleepers);
}

TEST_P(ExecutorDriverTest, CancelWakesASleeperAtOnce) {
  Pool pool({.workers = 2});
  Executor ex(pool, loop.get());
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto sleeper = []() -> Task<void> { co_await concurrency::sleep_for(1h); };
  JoinHandle<void> h = ex.spawn(sleeper());
  h.cancel();
  EXPECT_THROW(h.join(), Cancelled);  // an hour early: the driver was woken
}

RUNA_IO_INSTANTIATE(ExecutorDriverTest);

}  // namespace
}  // namespace runa::io
