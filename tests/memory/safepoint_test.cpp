// Safepoint: the handshake's states, checked directly on the registry.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

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

}  // namespace
}  // namespace runa::heap
