// The pool's next queue (pool.hpp, "The next queue"): jobs submitted with
// submit_next() on a worker run on that worker, in the order queued,
// before its deque; the oldest job pushed out of a full queue becomes
// visible work; a worker about to block hands the queue to the others; a
// worker that an idle one asked shares its queue between two jobs and
// between two messages of an actor's turn; two jobs feeding each other
// through the queue cannot starve the worker's other work.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "../eventually.hpp"
#include "../scale.hpp"
#include "concurrency/actor/actor.hpp"
#include "concurrency/blocking.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/latch.hpp"
#include "concurrency/sync/mutex.hpp"
#include "pool_probe.hpp"

namespace runa::concurrency {

namespace {

using testing::eventually;
using testing::here;
using testing::scaled;
using testing::spin_until;
using testing::Step;

// Every test declares its pool last: ~Pool runs what is queued and joins
// the workers before the jobs, latches and counters they use are gone.

// Two jobs: `waiter` is busy until `awaited` has run (seen: it had, before
// 10 s). Queued waiter first, awaited second on one worker, awaited runs
// in time only if the queue is shared.
struct WaiterAndAwaited {
  std::atomic<bool> awaited_ran{false};
  std::atomic<bool> seen{false};
  Latch finished{1};
  Step<std::function<void()>> awaited{[this] { awaited_ran = true; }};
  Step<std::function<void()>> waiter{[this] {
    seen = spin_until([this] { return awaited_ran.load(); });
    finished.count_down();
  }};
  void queue_both_here() {
    here().submit_next(&waiter);
    here().submit_next(&awaited);
  }
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

TEST(NextSlot, RunsInTheOrderQueued) {
  std::vector<int> order;
  Step a([&] { order.push_back(1); });
  Step b([&] { order.push_back(2); });
  Step c([&] { order.push_back(3); });
  Pool pool({.workers = 1});
  pool.run([&] {
    pool.submit_next(&a);
    pool.submit_next(&b);
    pool.submit_next(&c);
  });
  ASSERT_TRUE(eventually([&] { return pool.run([&] { return order.size(); }) == 3; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(NextSlot, TheOldestJobPushedOutOfAFullQueueIsStolenByAnotherWorker) {
  // The first job queued is pushed out by the kNextJobs-th into the
  // deque, where the other worker can take it while this one stays busy
  // until the pushed-out job has run (busy in one job: it reaches no
  // point where it would share its queue when asked).
  std::atomic<bool> first_ran{false};
  std::atomic<int> first_on{-1};
  Step first([&] {
    first_on = here().worker_index();
    first_ran = true;
  });
  std::vector<Step<void (*)()>> rest(Pool::kNextJobs, Step<void (*)()>(+[] {}));
  Pool pool({.workers = 2});
  int submitter = pool.run([&] {
    pool.submit_next(&first);
    for (auto& r : rest) pool.submit_next(&r);
    while (!first_ran.load()) std::this_thread::yield();
    return pool.worker_index();
  });
  EXPECT_NE(first_on.load(), submitter);
}

TEST(NextSlot, AQueuedJobIsSharedBetweenJobsWhenAnIdleWorkerAsks) {
  // `waker` queues `waiter` and then `awaited` on its worker, and returns
  // once the idle worker has asked for work. `waiter` runs next and is
  // busy (no BlockingRegion) until `awaited` has run: without the look at
  // the request between `waker` and `waiter` (take_next), `awaited` would
  // sit behind `waiter` in the queue, and `waiter` gives up after 10 s.
  WaiterAndAwaited jobs;
  Step waker([&] {
    jobs.queue_both_here();
    spin_until([] { return Pool::share_asked(); });
  });
  Pool pool({.workers = 2});
  pool.submit(&waker);
  jobs.finished.wait();
  EXPECT_TRUE(jobs.seen.load());
}

TEST(NextSlot, AChainOfJobsStaysOnItsWorkerWhileTheOtherAsks) {
  // One job at a time schedules the next through the queue (thread-ring's
  // shape) while the other worker is idle and asks; the chain goes on for
  // 1,000 links after its worker has seen the request (or gives up after
  // 10 s). Between jobs a worker asked keeps the job it takes: were its
  // only job shared, the chain would move to the worker that asked.
  struct Link final : Job {
    Link() : Job(&run) {}
    static void run(Job* job) {
      auto* l = static_cast<Link*>(job);  // NOLINT(*-static-cast-downcast): its own job
      const int on = here().worker_index();
      if (l->first_on < 0) l->first_on = on;
      l->moved = l->moved || on != l->first_on;
      l->asked = l->asked || Pool::share_asked();
      if ((l->asked && --l->left == 0) || std::chrono::steady_clock::now() > l->give_up) {
        l->done.count_down();
        return;
      }
      here().submit_next(l);
    }
    unsigned left = 1'000;
    std::chrono::steady_clock::time_point give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int first_on = -1;
    bool moved = false;
    bool asked = false;
    Latch done{1};
  } chain;
  Pool pool({.workers = 2});
  pool.submit(&chain);
  chain.done.wait();
  EXPECT_TRUE(chain.asked);
  EXPECT_FALSE(chain.moved);
}

TEST(NextSlot, ARequestMetWithAnEmptyQueueStaysPending) {
  // `waker` waits until the idle worker has asked, then blocks (its queue
  // empty: the hand-over before blocking finds nothing), then queues
  // `waiter` and `awaited` and returns. The other worker has asked once
  // and sleeps. Were the request cleared by the empty hand-over, `awaited`
  // would sit behind `waiter`, which is busy until `awaited` has run, and
  // gives up after 10 s.
  WaiterAndAwaited jobs;
  Step waker([&] {
    spin_until([] { return Pool::share_asked(); });
    {
      BlockingRegion blocked;  // the hand-over, with nothing queued
    }
    jobs.queue_both_here();
  });
  Pool pool({.workers = 2});
  pool.submit(&waker);
  jobs.finished.wait();
  EXPECT_TRUE(jobs.seen.load());
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

TEST(NextSlot, AnActorsTurnSharesItsQueueWhenAnIdleWorkerAsks) {
  // A's turn handles four messages: `hold` (until the test has queued the
  // others, so that all four are in one turn), `poke` (tells B, which goes
  // to this worker's next queue), `await_ask` (busy until the idle worker
  // has asked for work, or B has run) and `await_b` (busy until B has run,
  // with no BlockingRegion). Without the look at the request between two
  // messages, B would sit in the queue behind A's turn: await_b gives up
  // after 10 s and the test fails.
  enum Msg : int { kHold, kPoke, kAwaitAsk, kAwaitB };
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
      } else if (m == kAwaitAsk) {
        spin_until([&] { return Pool::share_asked() || b_ran.load(); });
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
  a.tell(kAwaitAsk);
  a.tell(kAwaitB);
  go = true;
  finished.wait();
  EXPECT_TRUE(b_seen_in_turn.load());
}

TEST(NextSlot, TwoJobsFeedingEachOtherDoNotStarveTheWorker) {
  // One worker; a and b submit each other through the queue until `stop`;
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

TEST(NextSlot, AStreakThatWaitsForTheInjectorFindsItsQueueHandedOver) {
  // What hung Savina's chameneos about one run in ten on a quiet machine.
  // A worker has spent its streak with a and b queued, so take_next first
  // looks in the injector, which holds x; another worker holds the
  // injector's lock (here the test, as the idle worker taking x for a
  // moment). Waiting for the lock is a BlockingRegion, where the worker
  // hands its queue to its deque (flush_next); the other worker takes x.
  // take_next then found the injector empty and took the queue's front
  // all the same, from an empty queue: a slot past its end (a stale job
  // run again, or none), and the next job queued (c) counted as taken and
  // never ran. Every job must run once (c gives up after 10 s).
  std::array<std::atomic<int>, 4> ran{};
  Step a([&] { ++ran[0]; });
  Step b([&] { ++ran[1]; });
  Step c([&] { ++ran[2]; });
  Step x([&] { ++ran[3]; });
  std::atomic<Pool::Worker*> worker{nullptr};
  std::atomic<bool> locked{false};
  std::atomic<bool> taken_next{false};
  Step driver([&] {
    Pool::Worker& w = *Pool::current();
    here().submit_next(&a);
    here().submit_next(&b);
    here().submit_last(&x);
    w.next_streak = Pool::kNextStreak - 1;  // the next take from the queue spends it
    worker = &w;
    spin_until([&] { return locked.load(); });
    Job* job = Pool::pop_local(w);
    taken_next = true;
    if (job != nullptr) Pool::run_job(job);
    here().submit_next(&c);
  });
  Pool pool({.workers = 1});
  Mutex& lock = PoolProbe::injector_lock(pool);
  pool.submit(&driver);
  ASSERT_TRUE(eventually([&] { return worker.load() != nullptr; }));
  lock.lock();
  locked = true;
  // a and b in the deque: the worker waits for the lock, its queue handed over.
  const bool handed_over = eventually([&] { return worker.load()->deque.size() == 2; });
  Job* taken = PoolProbe::take_injected(pool);
  lock.unlock();
  ASSERT_TRUE(handed_over);
  ASSERT_EQ(taken, &x);
  ASSERT_TRUE(eventually([&] { return taken_next.load(); }));
  pool.submit(taken);  // x runs after all, once the worker has found the injector empty
  EXPECT_TRUE(eventually([&] {
    return std::ranges::all_of(ran, [](const std::atomic<int>& r) { return r.load() != 0; });
  }));
  for (const std::atomic<int>& r : ran) EXPECT_EQ(r.load(), 1);
}

TEST(NextSlot, StressChainsAcrossWorkersRunEveryJobOnce) {
  // Chains of jobs each scheduling the next through the queue, started from
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
        BlockingRegion blocked;  // where a worker hands its queue over
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

TEST(NextSlot, StressAHubAndItsClientsExchangeEveryMessageOnce) {
  // Savina's chameneos in small: clients on every worker ask one hub, the
  // hub's turn wakes a client per message into its worker's queue, and
  // idle workers ask for those queues while turns run. Every request and
  // every reply is handled exactly once, whoever ran it.
  const unsigned clients = 40;
  const unsigned rounds = scaled(500);
  Latch done(clients);
  std::atomic<unsigned> requests{0};
  std::vector<unsigned> replies(clients, 0);  // each only on its client's turns
  std::vector<ActorRef<unsigned>> client(clients);
  Pool pool({.workers = 3});
  ActorRef<unsigned> hub = spawn_actor<unsigned>(pool, [&] {
    return [&](auto&, unsigned& from) {
      requests.fetch_add(1, std::memory_order_relaxed);
      client[from].tell(unsigned{from});
    };
  });
  for (unsigned i = 0; i < clients; ++i) {
    client[i] = spawn_actor<unsigned>(pool, [&, i] {
      return [&, i](auto&, unsigned&) {
        if (++replies[i] == rounds) {
          done.count_down();
        } else {
          hub.tell(unsigned{i});
        }
      };
    });
  }
  for (unsigned i = 0; i < clients; ++i) hub.tell(unsigned{i});
  done.wait();
  EXPECT_EQ(requests.load(), clients * rounds);
  for (unsigned i = 0; i < clients; ++i) EXPECT_EQ(replies[i], rounds) << "client " << i;
}

}  // namespace
}  // namespace runa::concurrency
