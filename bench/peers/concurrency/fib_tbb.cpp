// fib on oneTBB: fork-join fib(N) with one task per call and no sequential cutoff.
//
//   peer_fib_tbb [N]      (default 30)
//
// fib(n) = n < 2 ? n : a task_group runs fib(n-1) as a task, fib(n-2) is computed
// inline, then wait() and add. Everything runs in a task_arena of default concurrency
// (one slot per core). An untimed fib(15) first starts the worker threads.
// ops = the number of fib calls, check = fib(N) (832040 for 30).
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <cstdint>

#include "peer_common.hpp"

namespace {

std::uint64_t fib(unsigned n) {
  if (n < 2) return n;
  std::uint64_t x = 0;
  tbb::task_group group;
  group.run([&] { x = fib(n - 1); });
  const std::uint64_t y = fib(n - 2);
  group.wait();
  return x + y;
}

std::uint64_t calls(unsigned n) {
  return n < 2 ? 1 : 1 + calls(n - 1) + calls(n - 2);
}

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<unsigned>(peers::count_arg(argc, argv, 1, 30));
  tbb::task_arena arena;  // default concurrency
  arena.initialize();
  arena.execute([] { fib(15); });
  std::uint64_t value = 0;
  const auto start = peers::Clock::now();
  arena.execute([&] { value = fib(n); });
  const double seconds = peers::seconds_since(start);
  peers::report("fib", "tbb", seconds, calls(n), value);
}
