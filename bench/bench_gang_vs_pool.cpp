// The collector's worker gang against the work-stealing pool as the runner
// of a parallel phase (docs/concurrency.md, "The collector keeps its own
// gang"): the cost to start a phase on every worker and wait for its end,
// with an empty phase and with a phase of ~20 us of work per worker.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>

#include "concurrency/pool/join.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/worker_gang.hpp"

namespace cc = runa::concurrency;

namespace {

constexpr unsigned kWorkers = 2;

std::uint64_t spin(std::int64_t iterations) {
  std::uint64_t x = 1;
  for (std::int64_t i = 0; i < iterations; ++i) x = x * 6364136223846793005ULL + 1;
  return x;
}

void GangPhase(benchmark::State& state) {
  cc::WorkerGang gang(kWorkers, "bench-gang");
  std::atomic<std::uint64_t> sink{0};
  for (auto _ : state) {
    gang.run([&](unsigned) { sink.fetch_add(spin(state.range(0)), std::memory_order_relaxed); });
  }
  benchmark::DoNotOptimize(sink.load());
}
BENCHMARK(GangPhase)->Arg(0)->Arg(20'000)->UseRealTime();

void PoolPhase(benchmark::State& state) {
  cc::Pool pool({.workers = kWorkers});
  std::atomic<std::uint64_t> sink{0};
  for (auto _ : state) {
    // One piece per worker, as the gang runs; the caller waits outside the pool.
    cc::parallel_for(pool, 0, kWorkers, 1, [&](std::size_t) {
      sink.fetch_add(spin(state.range(0)), std::memory_order_relaxed);
    });
  }
  benchmark::DoNotOptimize(sink.load());
}
BENCHMARK(PoolPhase)->Arg(0)->Arg(20'000)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
