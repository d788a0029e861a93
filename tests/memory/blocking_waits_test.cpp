// The concurrency part's waits as the heap sees them: a mutator blocked in
// a lock, a condition variable, a semaphore, a latch, or idle in the pool
// never holds up a collection (concurrency/blocking.hpp; the heap installs
// the thread hooks at attach). Each test makes a collection that can only
// finish if the blocked thread counts as stopped.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "concurrency/blocking.hpp"
#include "concurrency/channel/channel.hpp"
#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/sleep.hpp"
#include "concurrency/pool/join.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/condvar.hpp"
#include "concurrency/sync/latch.hpp"
#include "concurrency/sync/mutex.hpp"
#include "concurrency/sync/semaphore.hpp"
#include "heap_fixture.hpp"

namespace runa::heap::testing {
namespace {

namespace cc = runa::concurrency;

// Runs `block` on a second attached mutator, which then blocks until
// `release` is called; meanwhile this thread collects twice.
template <class Block, class Release>
void collect_while_blocked(TestHeap& t, Block block, Release release) {
  std::atomic<bool> about_to_block{false};
  std::atomic<bool> returned{false};
  std::thread other([&] {
    Mutator& m = t.heap->attach();
    about_to_block = true;
    block();
    returned = true;
    t.heap->detach(m);
  });
  while (!about_to_block) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let it reach the wait
  std::uint64_t before = t.heap->stats().minor_collections;
  EXPECT_TRUE(t.heap->collect(*t.m));
  EXPECT_TRUE(t.heap->collect(*t.m));
  EXPECT_GE(t.heap->stats().minor_collections, before + 2);
  EXPECT_FALSE(returned.load());
  release();
  other.join();
  EXPECT_TRUE(returned.load());
}

TEST(BlockingWaits, AttachInstallsTheHooksAndDetachRemovesThem) {
  EXPECT_EQ(cc::thread_hooks(), nullptr);
  {
    TestHeap t;
    ASSERT_NE(cc::thread_hooks(), nullptr);
    // Nested waits: a BlockingRegion inside a NativeRegion changes nothing.
    NativeRegion native(*t.m);
    cc::BlockingRegion inner;
  }
  EXPECT_EQ(cc::thread_hooks(), nullptr);
}

TEST(BlockingWaits, MutexWaiter) {
  TestHeap t;
  cc::Mutex mu;
  {
    NativeRegion native(*t.m);  // this thread takes the lock outside the heap
    mu.lock();
  }
  collect_while_blocked(
      t, [&] { std::lock_guard lock(mu); }, [&] { mu.unlock(); });
}

TEST(BlockingWaits, CondVarWaiter) {
  TestHeap t;
  cc::Mutex mu;
  cc::CondVar cv;
  bool go = false;
  collect_while_blocked(
      t,
      [&] {
        std::unique_lock lock(mu);
        cv.wait(mu, [&] { return go; });
      },
      [&] {
        {
          std::lock_guard lock(mu);
          go = true;
        }
        cv.notify_all();
      });
}

TEST(BlockingWaits, SemaphoreAndLatchWaiters) {
  TestHeap t;
  cc::Semaphore sem(0);
  collect_while_blocked(
      t, [&] { sem.acquire(); }, [&] { sem.release(); });
  cc::Latch latch(1);
  collect_while_blocked(
      t, [&] { latch.wait(); }, [&] { latch.count_down(); });
}

TEST(BlockingWaits, PoolWorkersAreMutatorsThatNeverHoldUpACollection) {
  // Workers attached as mutators allocate in their jobs while this thread
  // collects; between bursts they go idle (parked in a BlockingRegion) and
  // collections must still complete.
  TestHeap t;
  std::vector<Mutator*> mutators(2, nullptr);
  std::atomic<std::uint64_t> made{0};
  {
    cc::Pool pool({.workers = 2,
                   .on_start = [&](unsigned i) { mutators[i] = &t.heap->attach(); },
                   .on_stop = [&](unsigned i) { t.heap->detach(*mutators[i]); }});
    const int rounds = 20;
    for (int round = 0; round < rounds; ++round) {
      {
        NativeRegion native(*t.m);  // waits for the pool: no collection waits for us
        cc::parallel_for(pool, 0, 2'000, 50, [&](std::size_t i) {
          Mutator& m = *mutators[static_cast<unsigned>(pool.worker_index())];
          HandleScope scope(m);
          Handle keep(m, ref_value(t.new_node_on(m, 1, i)));
          for (int k = 0; k < 4; ++k) t.new_node_on(m, 0, k);  // garbage
          EXPECT_EQ(TestHeap::node_id(keep.get(), 1), i);
          made.fetch_add(1, std::memory_order_relaxed);
        });
      }
      EXPECT_TRUE(t.heap->collect(*t.m, round % 5 == 4));  // workers idle now
    }
  }
  EXPECT_EQ(made.load(), 40'000U);
}

TEST(BlockingWaits, TasksSleepingAndWaitingOnChannelsNeverHoldUpACollection) {
  // Coroutine tasks on mutator workers: some sleep, some wait on a channel
  // (suspended: their workers park), while this thread collects.
  TestHeap t;
  std::vector<Mutator*> mutators(2, nullptr);
  cc::Pool pool({.workers = 2,
                 .on_start = [&](unsigned i) { mutators[i] = &t.heap->attach(); },
                 .on_stop = [&](unsigned i) { t.heap->detach(*mutators[i]); }});
  {
    cc::Executor ex(pool);
    cc::Unbounded<int> ch;
    std::atomic<int> done{0};
    auto sleeper = [&]() -> cc::Task<void> {
      co_await cc::sleep_for(std::chrono::milliseconds(20));
      done.fetch_add(1);
    };
    auto receiver = [&]() -> cc::Task<void> {
      int v = 0;
      while (co_await ch.recv_async(v) == cc::ChannelStatus::kOk) done.fetch_add(v);
    };
    std::vector<cc::JoinHandle<void>> hs;
    for (int i = 0; i < 8; ++i) hs.push_back(ex.spawn(sleeper()));
    hs.push_back(ex.spawn(receiver()));
    for (int round = 0; round < 5; ++round) EXPECT_TRUE(t.heap->collect(*t.m, round == 4));
    {
      NativeRegion native(*t.m);
      ch.send(100);
      ch.close();
      for (auto& h : hs) h.join();
    }
    EXPECT_EQ(done.load(), 108);
  }
}

}  // namespace
}  // namespace runa::heap::testing
