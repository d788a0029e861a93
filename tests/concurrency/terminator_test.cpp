// Terminator: the phase ends only when every worker has offered, and an
// offer is withdrawn when work shows up.
#include "concurrency/terminator.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "scale.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;

TEST(Terminator, ASingleWorkerFinishesAtOnce) {
  Terminator t(1);
  EXPECT_TRUE(t.offer([] { return true; }));
  t.reset(1);
  EXPECT_TRUE(t.offer([] { return false; }));
}

TEST(Terminator, EveryWorkerOfferingEndsThePhaseForAll) {
  constexpr unsigned kWorkers = 4;
  Terminator t(kWorkers);
  for (unsigned round = 0; round < scaled(100); ++round) {
    std::atomic<unsigned> finished{0};
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < kWorkers; ++i) {
      threads.emplace_back([&] {
        if (t.offer([] { return false; })) finished.fetch_add(1);
      });
    }
    for (std::thread& th : threads) th.join();
    ASSERT_EQ(finished.load(), kWorkers) << "round " << round;
    t.reset(kWorkers);
  }
}

TEST(Terminator, VisibleWorkWithdrawsTheOffer) {
  Terminator t(2);
  std::atomic<bool> work{false};
  std::atomic<bool> offered_false{false};
  std::thread other([&] {
    // Returns only once it sees work: the other worker has not offered.
    offered_false = !t.offer([&] { return work.load(); });
    work = false;
    EXPECT_TRUE(t.offer([&] { return work.load(); }));
  });
  work = true;
  while (work.load()) std::this_thread::yield();
  EXPECT_TRUE(offered_false.load());
  EXPECT_TRUE(t.offer([] { return false; }));
  other.join();
}

// One worker keeps producing for a while; the others must not finish
// before it offers, however long they wait (including their sleeps).
TEST(Terminator, NoWorkerFinishesWhileOneIsBusy) {
  constexpr unsigned kWorkers = 3;
  Terminator t(kWorkers);
  std::atomic<bool> busy{true};
  std::atomic<unsigned> finished_early{0};
  std::vector<std::thread> idle;
  for (unsigned i = 1; i < kWorkers; ++i) {
    idle.emplace_back([&] {
      // With no work visible, offer() returns only when the phase ends.
      if (!t.offer([] { return false; }) || busy.load()) finished_early.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  busy = false;
  EXPECT_TRUE(t.offer([] { return false; }));
  for (std::thread& th : idle) th.join();
  EXPECT_EQ(finished_early.load(), 0u);
}

}  // namespace
}  // namespace runa::concurrency
