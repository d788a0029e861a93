// prefetching_drain: every grey object is scanned once, and work a worker
// spilled (its deque was full) becomes stealable once it drains it.
#include "memory/prefetching_drain.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/stealing_queues.hpp"
#include "memory/pause_reserve.hpp"

namespace runa::heap {
namespace {

using Queues = concurrency::StealingQueues<Object*>;

// Stand-ins for objects, numbered by position: the drain never reads them,
// only the callbacks do.
struct FakeObjects {
  std::vector<Object> storage;
  explicit FakeObjects(std::size_t n) : storage(n, Object{0}) {}
  [[nodiscard]] std::size_t size() const { return storage.size(); }
  Object* at(std::size_t i) { return &storage[i]; }
  std::size_t index(const Object* o) const { return static_cast<std::size_t>(o - storage.data()); }
};

struct Reserve {
  PauseReserve r;
  Reserve() {
    std::string error;
    EXPECT_TRUE(r.init(std::size_t{1} << 20, error)) << error;
    EXPECT_TRUE(r.ensure(std::size_t{1} << 20));
  }
};

TEST(PrefetchingDrain, ScansEveryObjectOnceFromDequeAndSpillList) {
  Reserve reserve;
  Queues grey(1, 16);
  PauseList<Object*> spilled(reserve.r);
  FakeObjects objects(100);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (!grey.push(0, objects.at(i))) spilled.push(objects.at(i));
  }
  std::vector<int> prefetched(objects.size(), 0);
  std::vector<int> scanned(objects.size(), 0);
  auto index = [&](const Object* o) { return objects.index(o); };
  prefetching_drain(
      grey, 0, spilled, false, [&](Object* o) { ++prefetched[index(o)]; },
      [&](Object* o) {
        EXPECT_EQ(prefetched[index(o)], 1) << "scanned before it was prefetched";
        ++scanned[index(o)];
      });
  for (std::size_t i = 0; i < objects.size(); ++i) EXPECT_EQ(scanned[i], 1) << i;
  spilled.clear();
}

// The interleaving that broke the balance (docs/memory.md, "Spilled work
// handed back"): worker 0 holds every grey object, most of them in its
// spill list, which worker 1 cannot see. Worker 0's scan number
// kCapacity + 1 (by then it has taken from its spill list) waits until
// worker 1 has scanned an object that had been spilled. Before spilled work
// went back onto the deque, worker 1 could only ever steal the first
// kCapacity objects, the wait timed out and worker 0 scanned the rest alone.
TEST(PrefetchingDrain, SpilledWorkBecomesStealable) {
  Reserve reserve;
  constexpr std::size_t kCapacity = 16;
  Queues grey(2, kCapacity);
  PauseList<Object*> spilled0(reserve.r);
  PauseList<Object*> spilled1(reserve.r);
  FakeObjects objects(2000);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (!grey.push(0, objects.at(i))) spilled0.push(objects.at(i));
  }
  std::atomic<std::size_t> spilled_by_worker1{0};
  std::atomic<std::size_t> total{0};
  std::size_t by_worker0 = 0;
  std::thread worker1([&] {
    prefetching_drain(
        grey, 1, spilled1, true, [](Object*) {},
        [&](Object* o) {
          if (objects.index(o) >= kCapacity) {
            spilled_by_worker1.fetch_add(1, std::memory_order_relaxed);
          }
          total.fetch_add(1, std::memory_order_relaxed);
        });
  });
  prefetching_drain(
      grey, 0, spilled0, true, [](Object*) {},
      [&](Object*) {
        total.fetch_add(1, std::memory_order_relaxed);
        if (++by_worker0 != kCapacity + 1) return;
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (spilled_by_worker1.load(std::memory_order_relaxed) == 0 &&
               std::chrono::steady_clock::now() < until) {
          std::this_thread::yield();
        }
      });
  worker1.join();
  EXPECT_EQ(total.load(), objects.size());
  EXPECT_GT(spilled_by_worker1.load(), 0U) << "worker 1 never got spilled work";
  spilled0.clear();
  spilled1.clear();
}

}  // namespace
}  // namespace runa::heap
