// The pool's next slot (pool.hpp, "The next slot"): a job submitted with
// submit_next() on a worker runs next on that worker, before its deque; a
// displaced job becomes visible work; a worker about to block hands the
// slot's job to the others; two jobs feeding each other through the slot
// cannot starve the worker's other work.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "../eventually.hpp"
#include "../scale.hpp"
#include "concurrency/actor/actor.hpp"
#include "concurrency/blocking.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/latch.hpp"

namespace runa::concurrency {
namespace {

using testing::eventually;
using testing::scaled;

// Every test declares its pool last: ~Pool runs what is queued and joins
// the workers before the jobs, latches and counters they use are gone.
// Jobs reach the pool through the worker they run on.
Pool& here() {
  return Pool::current()->pool;
}

// A job that runs a callable once, owned by the test.
template <class F>
struct Step final : Job {
  explicit Step(F fn) : Job(&run), f(std::move(fn)) {}
  static void run(Job* job) { static_cast<Step*>(job)->f(); }
  F f;
};

TEST(NextSlot, RunsBeforeTheDequeOnTheSameWorker) {
  std::vector<int> order;
  Step later([&] { order.push_back(2); });
  Step next([&] { order.push_back(1); });
  Pool pool({.workers = 1});
  pool.run([&] {
    ASSERT_TRUE(Pool::push_local(*Pool::current(), &later));
    pool.submit_next(&next);
  });
  ASSERT_TRUE(eventually([&] { return pool.run([&] { return order.size(); }) == 2; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(NextSlot, ADisplacedJobIsStolenByAnotherWorker) {
  // The first job put in the slot is pushed out by the second into the
  // deque, where the other worker can take it while this one stays busy
  // until the displaced job has run.
  std::atomic<bool> first_ran{false};
  std::atomic<int> first_on{-1};
  Step first([&] {
    first_on = here().worker_index();
    first_ran = true;
  });
  Step second([] {});
  Pool pool({.workers = 2});
  int submitter = pool.run([&] {
    pool.submit_next(&first);
    pool.submit_next(&second);
    // Busy here (no BlockingRegion): only a thief can run `first` now.
    while (!first_ran.load()) std::this_thread::yield();
    return pool.worker_index();
  });
  EXPECT_NE(first_on.load(), submitter);
}

TEST(NextSlot, AWorkerThatBlocksHandsTheSlotToAnother) {
  // A job schedules the job it then waits for: without the hand-over at
  // the BlockingRegion, the awaited job would sit in the slot of the
  // blocked worker forever (the wait gives up after 10 s and the test
  // fails).
  Latch done(1);
  Step awaited([&] { done.count_down(); });
  Pool pool({.workers = 2});
  bool in_time = pool.run([&] {
    pool.submit_next(&awaited);
    return done.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  });
  EXPECT_TRUE(in_time);
}

TEST(NextSlot, AnActorsTurnHandsTheSlotOverBeforeItsSecondMessage) {
  // A's turn handles three messages: `hold` (until the test has queued the
  // other two, so that all three are in one turn), `poke` (tells B, which
  // goes to this worker's slot) and `await_b` (busy until B has run, with
  // no BlockingRegion). Without the hand-over before the second and later
  // messages, B would sit in the slot behind A's turn: await_b gives up
  // after 10 s and the test fails.
  enum Msg : int { kHold, kPoke, kAwaitB };
  std::atomic<bool> go{false};
  std::atomic<bool> b_ran{false};
  std::atomic<bool> b_seen_in_turn{false};
  Latch finished(1);
  Pool pool({.workers = 2});
  ActorRef<int> b = spawn_actor<int>(pool, [&] { return [&](auto&, int&) { b_ran = true; }; });
  ActorRef<int> a = spawn_actor<int>(pool, [&] {
    return [&](auto&, int& m) {
      if (m == kHold) {
        while (!go.load()) std::this_thread::yield();
      } else if (m == kPoke) {
        b.tell(0);
      } else {
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!b_ran.load() && std::chrono::steady_clock::now() < give_up)
          std::this_thread::yield();
        b_seen_in_turn = b_ran.load();
        finished.count_down();
      }
    };
  });
  a.tell(kHold);
  a.tell(kPoke);
  a.tell(kAwaitB);
  go = true;
  finished.wait();
  EXPECT_TRUE(b_seen_in_turn.load());
}

TEST(NextSlot, TwoJobsFeedingEachOtherDoNotStarveTheWorker) {
  // One worker; a and b submit each other through the slot until `stop`;
  // the job that sets `stop` waits in the worker's deque. Without the
  // streak limit it would never run and the rounds would run out.
  std::atomic<bool> stop{false};
  std::atomic<unsigned> rounds{0};
  const unsigned limit = 1'000'000;
  Latch finished(1);
  struct PingPong {
    std::atomic<bool>& stop;
    std::atomic<unsigned>& rounds;
    Latch& finished;
    Job* other = nullptr;
    void operator()() const {
      if (stop.load() || rounds.fetch_add(1) >= limit) {
        finished.count_down();
        return;
      }
      here().submit_next(other);
    }
    unsigned limit;
  };
  Step a(PingPong{stop, rounds, finished, nullptr, limit});
  Step b(PingPong{stop, rounds, finished, &a, limit});
  a.f.other = &b;
  Step stopper([&] { stop = true; });
  Pool pool({.workers = 1});
  pool.run([&] {
    pool.submit_next(&a);
    pool.submit(&stopper);
  });
  finished.wait();
  EXPECT_TRUE(stop.load());
  EXPECT_LT(rounds.load(), limit);
}

TEST(NextSlot, StressChainsAcrossWorkersRunEveryJobOnce) {
  // Chains of jobs each scheduling the next through the slot, started from
  // several workers at once, some links blocking briefly (a hand-over):
  // every link runs exactly once.
  const unsigned chains = 64;
  const unsigned links = scaled(2'000);
  std::vector<std::atomic<unsigned>> ran(chains);
  struct Link final : Job {
    Link() : Job(&run) {}
    static void run(Job* job) {
      auto* l = static_cast<Link*>(job);  // NOLINT(*-static-cast-downcast): its own job
      l->count->fetch_add(1);
      if (l->left == 0) return;
      --l->left;
      if (l->left % 97 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
      if (l->left % 89 == 0) {
        BlockingRegion blocked;  // where a worker hands its slot over
      }
      here().submit_next(l);
    }
    std::atomic<unsigned>* count = nullptr;
    unsigned left = 0;
  };
  std::vector<Link> chain(chains);
  Pool pool({.workers = 3});
  for (unsigned c = 0; c < chains; ++c) {
    chain[c].count = &ran[c];
    chain[c].left = links - 1;
    pool.submit(&chain[c]);
  }
  EXPECT_TRUE(eventually([&] {
    return std::ranges::all_of(ran,
                               [&](const std::atomic<unsigned>& r) { return r.load() == links; });
  }));
  for (auto& r : ran) EXPECT_EQ(r.load(), links);
}

}  // namespace
}  // namespace runa::concurrency
