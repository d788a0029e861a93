// Safepoint: the handshake's states, checked directly on the registry.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "memory/safepoint.hpp"

namespace runa::heap {
namespace {

using namespace std::chrono_literals;

TEST(Safepoint, ThreadsInNativeAreSuspendedAndRestored) {
  Safepoint sp;
  MutatorRecord self(nullptr);
  MutatorRecord other(nullptr);
  sp.add(self);
  sp.add(other);
  sp.enter_native(other);
  EXPECT_EQ(other.state.load(), kInNative);
  ASSERT_TRUE(sp.stop(self, Safepoint::kAnyEpoch));
  EXPECT_EQ(other.state.load(), kSuspended);
  EXPECT_EQ(other.poll.load(), 1u);
  EXPECT_EQ(self.poll.load(), 0u);
  sp.resume(true);
  EXPECT_EQ(other.state.load(), kInNative);
  EXPECT_EQ(other.poll.load(), 0u);
  EXPECT_EQ(sp.epoch(), 1u);
  sp.leave_native(other);
  EXPECT_EQ(other.state.load(), kRunning);
  sp.remove(other, [] {});
  sp.remove(self, [] {});
  EXPECT_EQ(sp.count(), 0u);
}

TEST(Safepoint, StopWaitsForARunningThreadToPark) {
  Safepoint sp;
  MutatorRecord self(nullptr);
  MutatorRecord other(nullptr);
  sp.add(self);
  sp.add(other);
  std::atomic<bool> stopped{false};
  std::atomic<bool> quit{false};
  std::thread t([&] {
    while (!quit.load()) {
      if (other.poll.load(std::memory_order_relaxed) != 0) sp.park(other);
      std::this_thread::sleep_for(1ms);
    }
  });
  ASSERT_TRUE(sp.stop(self, Safepoint::kAnyEpoch));
  stopped = true;
  EXPECT_EQ(other.state.load(), kParked);
  sp.resume(true);
  quit = true;
  t.join();
  EXPECT_EQ(other.state.load(), kRunning);
  sp.remove(other, [] {});
  sp.remove(self, [] {});
}

TEST(Safepoint, AStaleEpochDoesNotStop) {
  Safepoint sp;
  MutatorRecord self(nullptr);
  sp.add(self);
  std::uint64_t seen = sp.epoch();
  ASSERT_TRUE(sp.stop(self, seen));
  sp.resume(true);
  EXPECT_FALSE(sp.stop(self, seen));  // someone collected since `seen`
  ASSERT_TRUE(sp.stop(self, sp.epoch()));
  sp.resume(false);  // nothing collected: the epoch stays
  EXPECT_EQ(sp.epoch(), 1u);
  sp.remove(self, [] {});
}

// The requester waits while the other thread runs; that thread then enters
// native and stays there until a collection has passed. No other thread
// parks afterwards, so only enter_native's own signal can wake the
// requester (without it, this test fails on its deadline).
TEST(Safepoint, EnteringNativeWakesAWaitingRequester) {
  Safepoint sp;
  MutatorRecord self(nullptr);
  MutatorRecord other(nullptr);
  sp.add(self);
  sp.add(other);
  constexpr int kRounds = 50;
  std::atomic<int> stuck{0};
  std::atomic<bool> done{false};
  std::thread t([&] {
    while (!done.load() && stuck.load() == 0) {
      if (other.poll.load() == 0) {
        std::this_thread::yield();
        continue;
      }
      std::this_thread::sleep_for(200us);  // the requester is asleep by now
      const std::uint64_t before = sp.epoch();
      sp.enter_native(other);
      const auto deadline = std::chrono::steady_clock::now() + 2s;
      while (sp.epoch() == before) {
        if (std::chrono::steady_clock::now() > deadline) {
          stuck.fetch_add(1);
          break;
        }
        std::this_thread::yield();
      }
      sp.leave_native(other);
      if (other.poll.load() != 0) sp.park(other);  // lets a stuck requester go
    }
  });
  for (int r = 0; r < kRounds && stuck.load() == 0; ++r) {
    ASSERT_TRUE(sp.stop(self, Safepoint::kAnyEpoch));
    sp.resume(true);
  }
  done = true;
  t.join();
  EXPECT_EQ(stuck.load(), 0);
  sp.remove(other, [] {});
  sp.remove(self, [] {});
}

// Eight threads: four poll, park and take turns stopping the world; four
// enter native between polls and stay there until a collection has passed.
// A parking thread signals the requester only when it is the last one
// running (safepoint.hpp); the interleaving that would lose the wake-up is
// a thread still running at the requester's check that then enters native
// and stays: only enter_native's own signal lets the requester see it
// (without that signal this test stops making progress and fails on its
// deadline). Every stop must see no other thread running.
TEST(Safepoint, ThreadsParkEnterNativeAndStopInTurn) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 200;
  Safepoint sp;
  std::vector<std::unique_ptr<MutatorRecord>> records;
  for (int i = 0; i < kThreads; ++i) {
    records.push_back(std::make_unique<MutatorRecord>(nullptr));
    sp.add(*records.back());
  }
  std::atomic<int> running_seen{0};
  std::atomic<int> stops{0};
  std::atomic<int> requesters_done{0};
  std::atomic<int> stuck{0};
  auto stopper = [&](MutatorRecord& me) {
    for (int done = 0; done < kRounds;) {
      if (me.poll.load(std::memory_order_relaxed) != 0) sp.park(me);
      if (!sp.stop(me, sp.epoch())) continue;  // another thread collected first
      ++done;
      for (const MutatorRecord* m : sp.mutators()) {
        if (m != &me && m->state.load() == kRunning) running_seen.fetch_add(1);
      }
      stops.fetch_add(1);
      sp.resume(true);
    }
    requesters_done.fetch_add(1);
  };
  auto native = [&](MutatorRecord& me) {
    while (requesters_done.load() < kThreads / 2) {
      if (me.poll.load(std::memory_order_relaxed) != 0) sp.park(me);
      const std::uint64_t before = sp.epoch();
      sp.enter_native(me);
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (sp.epoch() == before && requesters_done.load() < kThreads / 2) {
        if (std::chrono::steady_clock::now() > deadline) {
          stuck.fetch_add(1);
          break;
        }
        std::this_thread::yield();
      }
      sp.leave_native(me);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    MutatorRecord& me = *records[static_cast<std::size_t>(i)];
    threads.emplace_back([&, i] {
      if (i % 2 == 0) {
        stopper(me);
      } else {
        native(me);
      }
      sp.remove(me, [] {});
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stuck.load(), 0);
  EXPECT_EQ(running_seen.load(), 0);
  EXPECT_EQ(stops.load(), kThreads / 2 * kRounds);
  EXPECT_EQ(sp.epoch(), static_cast<std::uint64_t>(stops.load()));
  EXPECT_EQ(sp.count(), 0u);
}

}  // namespace
}  // namespace runa::heap
