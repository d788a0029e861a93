// WorkerGang: every index runs exactly once per run(), each on its own
// thread (index 0 on the caller's), run after run; threads are named; a
// gang of one runs inline; the threads start at the first start() or run(),
// once however many threads call start() at the same time.
#include "concurrency/worker_gang.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "scale.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;

TEST(WorkerGang, RunsEveryIndexOnceOnDistinctThreads) {
  constexpr unsigned kWorkers = 4;
  WorkerGang gang(kWorkers);
  EXPECT_EQ(gang.size(), kWorkers);
  std::set<std::thread::id> all_gang_threads;
  for (unsigned run = 0; run < scaled(2000); ++run) {
    std::vector<std::atomic<unsigned>> calls(kWorkers);
    // Plain writes, each by one worker: run() must order them before it returns.
    std::vector<std::thread::id> ids(kWorkers);
    gang.run([&](unsigned i) {
      calls.at(i).fetch_add(1, std::memory_order_relaxed);
      ids[i] = std::this_thread::get_id();
    });
    for (unsigned i = 0; i < kWorkers; ++i) ASSERT_EQ(calls[i].load(), 1u) << "run " << run;
    EXPECT_EQ(ids[0], std::this_thread::get_id());
    EXPECT_EQ(std::set<std::thread::id>(ids.begin(), ids.end()).size(), kWorkers);
    all_gang_threads.insert(ids.begin(), ids.end());
  }
  // The same threads every time: the gang does not start new ones.
  EXPECT_EQ(all_gang_threads.size(), kWorkers);
}

TEST(WorkerGang, ASizeOfOneRunsInline) {
  WorkerGang gang(1);
  EXPECT_EQ(gang.size(), 1u);
  unsigned calls = 0;
  gang.run([&](unsigned i) {
    EXPECT_EQ(i, 0u);
    ++calls;
  });
  EXPECT_EQ(calls, 1u);
}

TEST(WorkerGang, DestroyedWhileIdle) {
  { WorkerGang never_ran(3); }
  std::atomic<unsigned> calls{0};
  {
    WorkerGang gang(3);
    gang.run([&](unsigned) { calls.fetch_add(1); });
  }
  EXPECT_EQ(calls.load(), 3u);
}

TEST(WorkerGang, ThreadsAreNamed) {
  WorkerGang gang(3, "test-gang");
  std::vector<std::string> names(3);
  gang.run([&](unsigned i) {
    std::array<char, 16> name{};
    if (i != 0 && pthread_getname_np(pthread_self(), name.data(), name.size()) == 0) {
      names[i] = name.data();
    }
  });
  EXPECT_EQ(names[1], "test-gang-1");
  EXPECT_EQ(names[2], "test-gang-2");
}

TEST(WorkerGang, LongNamesAreCutBeforeTheIndex) {
  WorkerGang gang(2, "a-very-long-gang-name");
  std::string name1;
  gang.run([&](unsigned i) {
    std::array<char, 16> name{};
    if (i == 1 && pthread_getname_np(pthread_self(), name.data(), name.size()) == 0) {
      name1 = name.data();
    }
  });
  EXPECT_EQ(name1, "a-very-long-g-1");
}

// The threads of this process whose name starts with `prefix`, from /proc.
// By name, not all of them: ThreadSanitizer starts a thread of its own
// when the first other thread starts. A worker names itself as it starts,
// so a count right after start() may be short (callers wait).
std::size_t threads_named(std::string_view prefix) {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

TEST(WorkerGang, StartsNoThreadBeforeItIsNeeded) {
  WorkerGang gang(4, "lazy-gang");
  EXPECT_EQ(threads_named("lazy-gang"), 0u);
  gang.start();
  EXPECT_TRUE(testing::eventually([] { return threads_named("lazy-gang") == 3; }));
  gang.start();  // a second start() starts nothing: each index runs once
  std::vector<std::atomic<unsigned>> calls(4);
  gang.run([&](unsigned i) { calls.at(i).fetch_add(1, std::memory_order_relaxed); });
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(calls[i].load(), 1u) << i;
  EXPECT_EQ(threads_named("lazy-gang"), 3u);
}

TEST(WorkerGang, ManyStartersStartTheThreadsOnce) {
  constexpr unsigned kWorkers = 4;
  constexpr unsigned kStarters = 8;
  for (unsigned round = 0; round < scaled(50); ++round) {
    WorkerGang gang(kWorkers);
    std::atomic<bool> go{false};
    std::vector<std::thread> starters;
    for (unsigned s = 0; s < kStarters; ++s) {
      starters.emplace_back([&] {
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        gang.start();
      });
    }
    go.store(true, std::memory_order_release);
    for (std::thread& t : starters) t.join();
    // Threads started twice would take each task twice.
    std::vector<std::atomic<unsigned>> calls(kWorkers);
    gang.run([&](unsigned i) { calls.at(i).fetch_add(1, std::memory_order_relaxed); });
    for (unsigned i = 0; i < kWorkers; ++i) ASSERT_EQ(calls[i].load(), 1u) << "round " << round;
  }
}

}  // namespace
}  // namespace runa::concurrency
