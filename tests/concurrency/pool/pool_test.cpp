// The work-stealing pool: every job runs exactly once, fork-join and task
// groups compute the right answers under stealing, exceptions and
// cancellation reach the waiter, idle workers sleep (no spinning), and
// shutdown runs what was submitted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../eventually.hpp"
#include "../scale.hpp"
#include "concurrency/pool/join.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/pool/task_group.hpp"

namespace runa::concurrency {
namespace {

using testing::eventually;
using testing::scaled;

std::uint64_t fib(Pool& pool, unsigned n) {
  if (n < 2) return n;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  join(
      pool, [&] { a = fib(pool, n - 1); }, [&] { b = fib(pool, n - 2); });
  return a + b;
}

TEST(Pool, SpawnedJobsRunExactlyOnce) {
  constexpr unsigned kJobs = 20'000;
  std::vector<std::atomic<int>> runs(kJobs);
  {
    Pool pool({.workers = 4});
    for (unsigned i = 0; i < kJobs; ++i) pool.spawn([&runs, i] { runs[i].fetch_add(1); });
  }  // the destructor runs everything submitted
  for (unsigned i = 0; i < kJobs; ++i) ASSERT_EQ(runs[i].load(), 1) << i;
}

TEST(Pool, JobsSpawnedFromJobsRun) {
  std::atomic<unsigned> leaves{0};
  {
    Pool pool({.workers = 3});
    // A tree of spawns, each level from inside a job (own deque, stolen).
    std::function<void(unsigned)> grow = [&](unsigned depth) {
      if (depth == 0) {
        leaves.fetch_add(1);
        return;
      }
      pool.spawn([&grow, depth] { grow(depth - 1); });
      pool.spawn([&grow, depth] { grow(depth - 1); });
    };
    pool.spawn([&] { grow(12); });
    ASSERT_TRUE(eventually([&] { return leaves.load() == 4096; }));
  }
  EXPECT_EQ(leaves.load(), 4096U);
}

TEST(Pool, JoinComputesFib) {
  Pool pool({.workers = 4});
  EXPECT_EQ(fib(pool, 25), 75025U);                            // from outside: moved onto the pool
  EXPECT_EQ(pool.run([&] { return fib(pool, 22); }), 17711U);  // from a worker
}

TEST(Pool, JoinWithOneWorkerRunsBothInline) {
  Pool pool({.workers = 1});
  EXPECT_EQ(fib(pool, 18), 2584U);
}

TEST(Pool, JoinRethrowsAndWaitsForAStolenHalf) {
  Pool pool({.workers = 4});
  for (int round = 0; round < 50; ++round) {
    std::atomic<bool> b_done{false};
    EXPECT_THROW(join(
                     pool, [] { throw std::runtime_error("a"); },
                     [&] {
                       std::this_thread::sleep_for(std::chrono::microseconds(50));
                       b_done = true;
                     }),
                 std::runtime_error);
    // If b ran at all (stolen), join returned only after it finished.
    (void)b_done.load();
  }
  // A throwing b reaches the caller too.
  EXPECT_THROW(join(
                   pool, [] {}, [] { throw std::logic_error("b"); }),
               std::logic_error);
}

TEST(Pool, JoinRunsJobsLeftQueuedAboveItsOwn) {
  // a() spawns jobs onto this worker's deque, above b; join's pop meets
  // them first and must run them, never drop them.
  Pool pool({.workers = 2});
  std::atomic<unsigned> ran{0};
  pool.run([&] {
    for (int round = 0; round < 1000; ++round) {
      join(
          pool,
          [&] {
            for (int k = 0; k < 3; ++k) pool.spawn([&] { ran.fetch_add(1); });
          },
          [] {});
    }
  });
  EXPECT_TRUE(eventually([&] { return ran.load() == 3000; }));
}

TEST(Pool, ParallelForVisitsEveryIndexOnce) {
  Pool pool({.workers = 4});
  const std::size_t n = scaled(1'000'000);
  std::vector<std::uint8_t> seen(n, 0);
  parallel_for(pool, 0, n, 0, [&](std::size_t i) { ++seen[i]; });
  EXPECT_EQ(std::accumulate(seen.begin(), seen.end(), std::size_t{0}), n);
  EXPECT_EQ(*std::max_element(seen.begin(), seen.end()), 1);
}

TEST(Pool, TaskGroupWaitsForAll) {
  Pool pool({.workers = 4});
  std::atomic<unsigned> done{0};
  const unsigned n = scaled(100'000);
  pool.run([&] {
    TaskGroup group(pool);
    for (unsigned i = 0; i < n; ++i) group.run([&] { done.fetch_add(1); });
    group.wait();
    EXPECT_EQ(done.load(), n);
  });
  // And from a thread outside the pool.
  TaskGroup outside(pool);
  for (unsigned i = 0; i < 1000; ++i) outside.run([&] { done.fetch_add(1); });
  outside.wait();
  EXPECT_EQ(done.load(), n + 1000);
}

TEST(Pool, TaskGroupOnAFullDequeRunsEveryJobOnceAndCountsExactly) {
  // A tiny deque is full after a few spawns: run() then runs the new job
  // itself, uncounted (task_group.hpp), and queues again (counted) once
  // thieves made room. Every job must run once, and wait() must not return
  // before the last queued one has: a job counted in but never out would
  // make it hang, one queued uncounted would let it return early (the
  // checks right after wait() would see jobs missing).
  Pool pool({.workers = 3, .deque_capacity = 4});
  const unsigned n = scaled(200'000);
  std::vector<std::atomic<int>> runs(n);
  for (int round = 0; round < 3; ++round) {
    pool.run([&] {
      TaskGroup group(pool);
      for (unsigned i = 0; i < n; ++i) group.run([&runs, i] { runs[i].fetch_add(1); });
      group.wait();
    });
    for (unsigned i = 0; i < n; ++i) ASSERT_EQ(runs[i].exchange(0), 1) << i;
  }
}

TEST(Pool, TaskGroupOnAFullDequeRunsOtherJobsAndNestedSpawns) {
  // Two groups share the spawner's full deque (each counts only the jobs
  // it queued), and a job of the first spawns into it while the deque is
  // full again: those run inside the job's run() calls, before the job
  // counts itself out, so first.wait() sees all of them.
  Pool pool({.workers = 2, .deque_capacity = 4});
  const unsigned n = scaled(50'000);
  std::atomic<unsigned> ones{0};
  std::atomic<unsigned> twos{0};
  std::atomic<unsigned> children{0};
  pool.run([&] {
    TaskGroup first(pool);
    TaskGroup second(pool);
    for (unsigned i = 0; i < n; ++i) {
      first.run([&] { ones.fetch_add(1); });
      second.run([&] { twos.fetch_add(1); });
      if (i % 8 == 0) {
        first.run([&] {
          for (int k = 0; k < 6; ++k) first.run([&] { children.fetch_add(1); });
        });
      }
    }
    first.wait();
    EXPECT_EQ(ones.load(), n);
    EXPECT_EQ(children.load(), 6 * ((n + 7) / 8));
    second.wait();
    EXPECT_EQ(twos.load(), n);
  });
}

// A job that spawns two jobs of its own type until `depth` is spent.
struct SpawnTree {
  TaskGroup* group;
  std::atomic<unsigned>* leaves;
  int depth;
  void operator()() const {
    if (depth == 0) {
      leaves->fetch_add(1);
      return;
    }
    group->run(SpawnTree{group, leaves, depth - 1});
    group->run(SpawnTree{group, leaves, depth - 1});
  }
};

TEST(Pool, TaskGroupOnAFullDequeCountsJobsThatSpawnExactly) {
  // A tree of jobs that spawn into the group, on deques that fill and
  // empty as the two workers steal from each other: a job queued, run
  // inside run() (nested as deep as the tree) or stolen, each counted once,
  // or wait() returns with leaves missing or never returns.
  Pool pool({.workers = 2, .deque_capacity = 4});
  for (int round = 0; round < 20; ++round) {
    std::atomic<unsigned> leaves{0};
    pool.run([&] {
      TaskGroup group(pool);
      group.run(SpawnTree{&group, &leaves, 12});
      group.wait();
      EXPECT_EQ(leaves.load(), 1U << 12);
    });
  }
}

TEST(Pool, TaskGroupOnAFullDequeRunsTheNewJobInsideRun) {
  // One worker, so no thief: after four jobs the deque is full, and each
  // further run() runs its job before it returns (task_group.hpp, "A full
  // deque"), with the group's rules: its exception goes to wait(), not out
  // of run(), and a cancelled group skips it. The queued jobs are still
  // counted: wait() runs them.
  Pool pool({.workers = 1, .deque_capacity = 4});
  pool.run([&] {
    TaskGroup group(pool);
    std::atomic<unsigned> queued{0};
    for (int i = 0; i < 4; ++i) group.run([&] { queued.fetch_add(1); });
    bool ran = false;
    group.run([&] { ran = true; });
    EXPECT_TRUE(ran);
    EXPECT_EQ(queued.load(), 0U);
    EXPECT_NO_THROW(group.run([] { throw std::runtime_error("inline"); }));
    bool skipped = true;
    group.run([&] { skipped = false; });  // the failure cancelled the group
    EXPECT_TRUE(skipped);
    EXPECT_THROW(group.wait(), std::runtime_error);
    EXPECT_EQ(queued.load(), 0U);  // cancelled before they started
    for (int i = 0; i < 4; ++i) group.run([&] { queued.fetch_add(1); });
    group.wait();
    EXPECT_EQ(queued.load(), 4U);
  });
}

TEST(Pool, TaskGroupKeepsTheFirstExceptionAndCancelsTheRest) {
  // One worker and the injector's FIFO order: the throwing job runs first.
  Pool pool({.workers = 1});
  TaskGroup group(pool);
  std::atomic<unsigned> ran{0};
  group.run([] { throw std::runtime_error("first"); });
  for (unsigned i = 0; i < 1'000; ++i) group.run([&] { ran.fetch_add(1); });
  EXPECT_THROW(group.wait(), std::runtime_error);
  EXPECT_EQ(ran.load(), 0U);  // a failure cancels what has not started
  // The group is usable again after wait().
  group.run([&] { ran.store(12345); });
  group.wait();
  EXPECT_EQ(ran.load(), 12345U);
}

TEST(Pool, CancelledGroupSkipsUnstartedJobs) {
  Pool pool({.workers = 1});
  TaskGroup group(pool);
  std::atomic<bool> release{false};
  std::atomic<unsigned> ran{0};
  group.run([&] {
    while (!release) std::this_thread::yield();
  });
  for (unsigned i = 0; i < 100; ++i) group.run([&] { ran.fetch_add(1); });
  group.cancel();
  release = true;
  group.wait();
  EXPECT_EQ(ran.load(), 0U);
}

TEST(Pool, InjectedJobsTakenInABatchRunInTheOrderQueued) {
  // A worker takes up to a batch of jobs from the injector at once, runs
  // the oldest and puts the rest on its deque newest first (pool.cpp,
  // take_injected), so that popping them keeps the injector's FIFO order.
  // One worker, held by a first job while ten more queue behind it.
  Pool pool({.workers = 1});
  std::atomic<bool> release{false};
  std::atomic<bool> holding{false};
  std::vector<int> order;
  std::atomic<int> ran{0};
  pool.spawn([&] {
    holding = true;
    while (!release) std::this_thread::yield();
  });
  ASSERT_TRUE(eventually([&] { return holding.load(); }));
  for (int i = 0; i < 10; ++i) {
    pool.spawn([&, i] {
      order.push_back(i);  // one worker: no race
      ran.fetch_add(1, std::memory_order_release);
    });
  }
  release = true;
  ASSERT_TRUE(eventually([&] { return ran.load(std::memory_order_acquire) == 10; }));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Pool, StressSpillsOfFullDequesRunEveryJobOnce) {
  // Jobs on a worker spawn past their tiny deque: each full deque moves
  // its oldest half and the new job to the injector in one chain (spill),
  // while the other workers steal from it and take batches from the
  // injector. A job lost between the deque and the injector, or taken
  // twice (the spill's take of the oldest racing a thief), shows in the
  // counts.
  Pool pool({.workers = 3, .deque_capacity = 8});
  const std::size_t spawners = 64;
  const std::size_t per = scaled(2000);
  std::vector<std::atomic<int>> runs(spawners * per);
  std::atomic<std::size_t> done{0};
  for (std::size_t s = 0; s < spawners; ++s) {
    pool.spawn([&, s] {
      for (std::size_t j = 0; j < per; ++j) {
        pool.spawn([&, k = s * per + j] {
          runs[k].fetch_add(1);
          done.fetch_add(1, std::memory_order_release);
        });
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return done.load(std::memory_order_acquire) == spawners * per; }));
  for (std::size_t k = 0; k < spawners * per; ++k) ASSERT_EQ(runs[k].load(), 1) << k;
}

TEST(Pool, IdleWorkersSleep) {
  // No busy spinning when idle: once the work is done, every worker ends up
  // counted asleep and none searching.
  Pool pool({.workers = 4});
  EXPECT_EQ(fib(pool, 20), 6765U);
  EXPECT_TRUE(eventually([&] { return pool.idle() == 4 && pool.searching() == 0; }));
  // And a new job wakes one up.
  std::atomic<bool> ran{false};
  pool.spawn([&] { ran = true; });
  EXPECT_TRUE(eventually([&] { return ran.load(); }));
}

TEST(Pool, StressManyProducersNoLostWakeups) {
  // Threads outside the pool submit in bursts with pauses, so workers go to
  // sleep between bursts again and again; a lost wake-up leaves a job
  // unrun and the count short (the check below would time out). No
  // spinning: every worker that finds nothing goes straight to sleep.
  Pool pool({.workers = 3, .spin = std::chrono::microseconds(0)});
  std::atomic<unsigned> done{0};
  const unsigned bursts = scaled(400);
  std::vector<std::thread> producers;
  for (int p = 0; p < 3; ++p) {
    producers.emplace_back([&] {
      for (unsigned b = 0; b < bursts; ++b) {
        for (int j = 0; j < 5; ++j) pool.spawn([&] { done.fetch_add(1); });
        if (b % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  for (auto& t : producers) t.join();
  EXPECT_TRUE(eventually([&] { return done.load() == 3 * bursts * 5; }));
}

TEST(Pool, StressPushesAroundTheEndOfASpinAreNotLost) {
  // A worker that finds nothing spins for tens of microseconds, counted as
  // searching, so a push meanwhile wakes nobody (pool.hpp, "Spinning").
  // One job at a time, each pushed 0..120 us after the previous one ran:
  // pushes land during a spin, just as it ends (the spinner is announcing
  // itself idle: rule 3's last look must see the job, as no later push
  // will come to wake anyone) and after it (a sleeper must be woken). A
  // lost wake-up leaves that job unrun for good. The windows are narrow,
  // so this only stresses them; sleep_test.cpp plays each interleaving
  // step by step.
  Pool pool({.workers = 2});
  std::atomic<unsigned> done{0};
  const unsigned jobs = scaled(2000);
  std::uint64_t rng = 42;
  for (unsigned j = 0; j < jobs; ++j) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    std::this_thread::sleep_for(std::chrono::microseconds((rng >> 33) % 120));
    pool.spawn([&] { done.fetch_add(1); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (done.load() != j + 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    ASSERT_EQ(done.load(), j + 1) << "job " << j << " was never run";
  }
}

TEST(Pool, HooksRunOnEveryWorker) {
  std::atomic<unsigned> started{0};
  std::atomic<unsigned> stopped{0};
  {
    Pool pool({.workers = 3,
               .on_start = [&](unsigned) { started.fetch_add(1); },
               .on_stop = [&](unsigned) { stopped.fetch_add(1); }});
    EXPECT_EQ(pool.size(), 3U);
    EXPECT_TRUE(eventually([&] { return started.load() == 3; }));
  }
  EXPECT_EQ(stopped.load(), 3U);
}

TEST(Pool, WorkerIndexIsKnownOnlyOnWorkers) {
  Pool pool({.workers = 2});
  EXPECT_EQ(pool.worker_index(), -1);
  int index = pool.run([&] { return pool.worker_index(); });
  EXPECT_GE(index, 0);
  EXPECT_LT(index, 2);
}

}  // namespace
}  // namespace runa::concurrency
