// fib on OpenMP tasks (libgomp): fork-join fib(N) with one task per call and no
// sequential cutoff.
//
//   peer_fib_openmp [N]   (default 30)
//
// fib(n) = n < 2 ? n : `omp task shared(x)` computes x = fib(n-1), fib(n-2) is
// computed inline, `omp taskwait`, add. The root call runs inside `omp parallel` +
// `omp single`, with the default team (one thread per core). An untimed fib(15)
// first starts the team's threads.
// ops = the number of fib calls, check = fib(N) (832040 for 30).
#include <cstdint>

#include "peer_common.hpp"

namespace {

std::uint64_t fib(unsigned n) {
  if (n < 2) return n;
  std::uint64_t x = 0;
#pragma omp task shared(x)
  x = fib(n - 1);
  const std::uint64_t y = fib(n - 2);
#pragma omp taskwait
  return x + y;
}

std::uint64_t parallel_fib(unsigned n) {
  std::uint64_t value = 0;
#pragma omp parallel
#pragma omp single
  value = fib(n);
  return value;
}

std::uint64_t calls(unsigned n) {
  return n < 2 ? 1 : 1 + calls(n - 1) + calls(n - 2);
}

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<unsigned>(peers::count_arg(argc, argv, 1, 30));
  parallel_fib(15);
  const auto start = peers::Clock::now();
  const std::uint64_t value = parallel_fib(n);
  const double seconds = peers::seconds_since(start);
  peers::report("fib", "openmp", seconds, calls(n), value);
}
