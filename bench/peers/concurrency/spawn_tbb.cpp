// spawn on oneTBB: one thread spawns N empty tasks into a task_group, then waits.
//
//   peer_spawn_tbb [N]    (default 1000000)
//
// Timed: inside a task_arena of default concurrency, task_group::run of an empty
// lambda N times, then wait(). Untimed afterwards, the same with tasks that count
// themselves: check = that count (N), proving N tasks run to completion.
// ops = N. An untimed round of 1,000 empty tasks first starts the worker threads.
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <atomic>
#include <cstdint>

#include "peer_common.hpp"

namespace {

void spawn_empty(std::uint64_t n) {
  tbb::task_group group;
  for (std::uint64_t i = 0; i < n; ++i) group.run([] {});
  group.wait();
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = peers::count_arg(argc, argv, 1, 1'000'000);
  tbb::task_arena arena;  // default concurrency
  arena.initialize();
  arena.execute([] { spawn_empty(1000); });

  const auto start = peers::Clock::now();
  arena.execute([&] { spawn_empty(n); });
  const double seconds = peers::seconds_since(start);

  std::atomic<std::uint64_t> ran{0};
  arena.execute([&] {
    tbb::task_group group;
    for (std::uint64_t i = 0; i < n; ++i)
      group.run([&] { ran.fetch_add(1, std::memory_order_relaxed); });
    group.wait();
  });
  peers::report("spawn", "tbb", seconds, n, ran.load());
}
