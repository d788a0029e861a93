// Semaphore, Latch, Barrier, Once and Parker.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../scale.hpp"
#include "concurrency/sync/latch.hpp"
#include "concurrency/sync/once.hpp"
#include "concurrency/sync/parker.hpp"
#include "concurrency/sync/semaphore.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;

TEST(Semaphore, BoundsConcurrency) {
  Semaphore sem(2);
  std::atomic<int> inside{0};
  std::atomic<bool> violated{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (unsigned i = 0; i < scaled(5'000); ++i) {
        sem.acquire();
        if (inside.fetch_add(1) + 1 > 2) violated = true;
        inside.fetch_sub(1);
        sem.release();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(violated.load());
  EXPECT_EQ(sem.available(), 2U);
}

TEST(Semaphore, ReleaseWakesASleeper) {
  Semaphore sem(0);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    sem.acquire();
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(got.load());
  sem.release();
  waiter.join();
  EXPECT_TRUE(got.load());
}

TEST(Semaphore, DeadlineWithoutPermit) {
  Semaphore sem(0);
  EXPECT_FALSE(sem.acquire_until(Clock::now() + std::chrono::milliseconds(2)));
  EXPECT_FALSE(sem.try_acquire());
  sem.release(3);
  EXPECT_TRUE(sem.try_acquire());
  EXPECT_EQ(sem.available(), 2U);
}

TEST(Latch, WaitersLeaveAtZero) {
  Latch latch(3);
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      latch.wait();
      passed.fetch_add(1);
    });
  }
  EXPECT_FALSE(latch.try_wait());
  latch.count_down(2);
  EXPECT_EQ(passed.load(), 0);
  latch.count_down();
  for (auto& t : threads) t.join();
  EXPECT_EQ(passed.load(), 3);
  EXPECT_TRUE(latch.try_wait());
}

// A timed wait gives up at its deadline while the count is not 0, and
// returns true once a count_down from another thread opens the latch while
// it sleeps (the wake is not lost between its read of the count and its
// futex sleep: the futex compares the count it read).
TEST(Latch, WaitUntilGivesUpOrSeesTheOpening) {
  Latch latch(1);
  const auto start = Clock::now();
  EXPECT_FALSE(latch.wait_until(start + std::chrono::milliseconds(5)));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(5));
  EXPECT_FALSE(latch.wait_until(start)) << "a deadline already past does not wait";
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    latch.count_down();
  });
  EXPECT_TRUE(latch.wait_until(Clock::now() + std::chrono::seconds(30)));
  opener.join();
  EXPECT_TRUE(latch.wait_until(start)) << "an open latch answers at once";
}

TEST(Barrier, PhasesStayInStep) {
  constexpr unsigned kThreads = 4;
  const unsigned phases = scaled(2'000);
  Barrier barrier(kThreads);
  std::vector<std::atomic<unsigned>> reached(phases);
  std::atomic<unsigned> serial{0};
  std::atomic<bool> ahead{false};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (unsigned p = 0; p < phases; ++p) {
        reached[p].fetch_add(1);
        if (barrier.arrive_and_wait()) serial.fetch_add(1);
        // Past the barrier of phase p, all threads have reached it.
        if (reached[p].load() != kThreads) ahead = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(ahead.load());
  EXPECT_EQ(serial.load(), phases);  // one serial thread per phase
}

TEST(Once, RunsOnceForManyCallers) {
  Once once;
  std::atomic<int> runs{0};
  std::atomic<int> after{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      once.call([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        runs.fetch_add(1);
      });
      // Everyone returns only after the function has.
      if (runs.load() == 1) after.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(after.load(), 8);
  EXPECT_TRUE(once.done());
}

TEST(Once, ThrowLetsTheNextCallerRunIt) {
  Once once;
  EXPECT_THROW(once.call([] { throw std::runtime_error("first"); }), std::runtime_error);
  EXPECT_FALSE(once.done());
  int runs = 0;
  once.call([&] { ++runs; });
  once.call([&] { ++runs; });
  EXPECT_EQ(runs, 1);
}

TEST(Parker, UnparkBeforeParkIsKept) {
  // Deterministic: the permit given first makes the park return at once,
  // and exactly one permit is kept however many unparks came.
  Parker p;
  p.unpark();
  p.unpark();
  EXPECT_TRUE(p.park());
  EXPECT_FALSE(p.park(Clock::now() + std::chrono::milliseconds(1)));
}

TEST(Parker, ParkedThreadIsWoken) {
  Parker p;
  std::atomic<int> rounds{0};
  const int n = static_cast<int>(scaled(20'000));
  std::thread sleeper([&] {
    for (int i = 0; i < n; ++i) {
      p.park();
      rounds.fetch_add(1);
    }
  });
  // Each round: wait until the sleeper consumed the last permit, then give
  // the next one — sometimes before it parks, sometimes while it sleeps.
  for (int i = 0; i < n; ++i) {
    while (rounds.load() < i) std::this_thread::yield();
    p.unpark();
  }
  sleeper.join();
  EXPECT_EQ(rounds.load(), n);
}

}  // namespace
}  // namespace runa::concurrency
