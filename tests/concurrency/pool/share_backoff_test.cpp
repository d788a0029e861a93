// Sharing that does not pay (pool.hpp): a worker whose asks bring it only
// short work asks less and less often, up to a limit, and asks again once
// its backoff ends even while it sleeps; a long busy period resets it. An
// actor that uses up its turn requeues on its own worker, behind the
// actors it woke (actor.hpp, "Scheduling").
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>

#include "concurrency/actor/actor.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/latch.hpp"
#include "pool_probe.hpp"

namespace runa::concurrency {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using testing::spin_until;
using testing::Step;

TEST(ShareBackoff, AskingBacksOffLongerAfterEachShortShareUpToALimit) {
  Pool pool({.workers = 1});
  pool.run([] {
    Pool::Worker& w = *Pool::current();
    w.share_misses = 0;  // whatever the worker judged before this job
    for (unsigned miss = 1; miss <= 9; ++miss) {
      w.judging = true;
      // A busy period that ends before it starts: a miss, however long the
      // machine takes between here and the judging.
      w.busy_from = Clock::now() + std::chrono::hours(1);
      const Clock::time_point before = Clock::now();
      PoolProbe::judge_share(w);
      const Clock::time_point after = Clock::now();
      const unsigned expected = std::min(miss, 7U);
      EXPECT_EQ(w.share_misses, expected);
      EXPECT_FALSE(w.judging);
      const microseconds backoff = microseconds(100) * (1U << (expected - 1));
      EXPECT_GE(w.ask_from, before + backoff) << "miss " << miss;
      EXPECT_LE(w.ask_from, after + backoff) << "miss " << miss;
    }
  });
}

TEST(ShareBackoff, AShareThatKeptTheWorkerBusyEndsTheBackoff) {
  Pool pool({.workers = 1});
  pool.run([] {
    Pool::Worker& w = *Pool::current();
    w.share_misses = 5;
    w.ask_from = Clock::now() + milliseconds(3);
    w.judging = true;
    w.busy_from = Clock::now() - milliseconds(1);
    PoolProbe::judge_share(w);
    EXPECT_EQ(w.share_misses, 0U);
    EXPECT_EQ(w.ask_from, Clock::time_point{});
  });
}

TEST(ShareBackoff, AWorkerBackingOffDoesNotAskUntilItsBackoffEnds) {
  Pool pool({.workers = 2});
  pool.run([&pool] {
    Pool::Worker& w = *Pool::current();
    Pool::Worker& other = PoolProbe::worker(pool, 1 - w.index);
    // An ask from before this job (w idle at the start, a slow machine, as
    // under TSan) is no part of the test: only w sets other's request, and
    // w runs this job.
    other.share_asked.store(false);
    w.judging = false;
    const Clock::time_point now = Clock::now();
    w.share_misses = 1;
    w.ask_from = now + std::chrono::hours(1);
    PoolProbe::ask_to_share(w, now);
    EXPECT_FALSE(other.share_asked.load());
    EXPECT_FALSE(w.judging);
    PoolProbe::ask_to_share(w, w.ask_from);
    EXPECT_TRUE(other.share_asked.load());
    EXPECT_TRUE(w.judging);
  });
}

TEST(ShareBackoff, ASleepingWorkerAsksAgainWhenItsBackoffEnds) {
  // `starter` runs on worker X, hands `waker` to worker Y and, once waker
  // runs there, puts X in backoff for 20 ms. Waker queues `waiter` and
  // `awaited` on Y and waits, busy, for an ask; then waiter runs on Y,
  // busy until awaited has run. X, out of work, skips its ask and parks:
  // only its own deadline wakes it to ask, and only that ask gets awaited
  // shared to X. Were X parked until woken, waker and then waiter would
  // give up after 10 s each.
  std::atomic<bool> waker_runs{false};
  std::atomic<bool> awaited_ran{false};
  std::atomic<bool> seen{false};
  std::atomic<Clock::rep> backoff_end{0};
  std::atomic<Clock::rep> asked_at{0};
  Latch finished(1);
  Step awaited([&] { awaited_ran = true; });
  Step waiter([&] {
    seen = spin_until([&] { return awaited_ran.load(); });
    finished.count_down();
  });
  Step waker([&] {
    // A request from before (both workers idle at the start) is no ask of
    // X's backoff: X is busy in starter until waker_runs.
    Pool::current()->share_asked.store(false);
    Pool::current()->pool.submit_next(&waiter);
    Pool::current()->pool.submit_next(&awaited);
    waker_runs = true;
    if (spin_until([] { return Pool::share_asked(); })) {
      asked_at = Clock::now().time_since_epoch().count();
    }
  });
  Step starter([&] {
    Pool::current()->pool.submit(&waker);  // this worker is busy: the other takes it
    ASSERT_TRUE(spin_until([&] { return waker_runs.load(); }));
    Pool::Worker& x = *Pool::current();
    x.share_misses = 1;
    x.judging = false;
    x.ask_from = Clock::now() + milliseconds(20);
    backoff_end = x.ask_from.time_since_epoch().count();
  });
  Pool pool({.workers = 2});
  pool.submit(&starter);
  finished.wait();
  EXPECT_TRUE(seen.load());
  EXPECT_GE(asked_at.load(), backoff_end.load());  // no ask before the backoff ended
}

TEST(ShareBackoff, ABusyActorsNextTurnWaitsOnItsWorkerBehindTheActorItWoke) {
  // A's mailbox holds two turns' worth of messages before its first turn
  // goes on. Its first message waits until the other worker has gone
  // idle, clears the request that worker made of this one (both were idle
  // at the start), and tells B, whose one message keeps B busy for 2 ms.
  // A's first turn ends with messages left: A requeues behind B on its
  // worker, so its second turn starts there once B is done. Through the
  // injector, where it went before, the other worker was woken and took A
  // while B ran.
  constexpr unsigned kMessages = 2 * ActorBase::kThroughput;
  std::atomic<bool> go{false};
  unsigned handled = 0;
  unsigned first_on = 0;
  unsigned second_on = 0;
  Clock::time_point second_from{};
  std::atomic<Clock::rep> b_done{0};
  Latch done(1);
  Pool pool({.workers = 2});
  ActorRef<int> b = spawn_actor<int>(pool, [&] {
    return [&](auto&, int&) {
      const Clock::time_point until = Clock::now() + milliseconds(2);
      spin_until([&] { return Clock::now() >= until; });
      b_done = Clock::now().time_since_epoch().count();
    };
  });
  ActorRef<int> a = spawn_actor<int>(pool, [&] {
    return [&](auto&, int&) {
      const unsigned on = Pool::current()->index;
      if (handled == 0) {
        spin_until([&] { return go.load(); });
        // The other worker has gone idle (listed: it asks no more), and
        // its earlier ask, if any, is cleared.
        spin_until([&] { return pool.idle() == 1; });
        Pool::current()->share_asked.store(false);
        first_on = on;
        b.tell(0);
      }
      if (handled == ActorBase::kThroughput) {
        second_on = on;
        second_from = Clock::now();
      }
      if (++handled == kMessages) done.count_down();
    };
  });
  for (unsigned i = 0; i < kMessages; ++i) a.tell(0);
  go = true;
  done.wait();
  EXPECT_EQ(second_on, first_on);
  EXPECT_GE(second_from.time_since_epoch().count(), b_done.load());
}

}  // namespace
}  // namespace runa::concurrency
