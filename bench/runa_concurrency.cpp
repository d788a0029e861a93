// RunaTime's side of the concurrency benchmarks (scripts/bench-concurrency):
// the same work as the peers in bench/peers/concurrency/, printing the same
// one-line result:
//   bench=<name> impl=<impl> seconds=<s> ops=<n> check=<value>
//
//   runa_concurrency fib [N]        fork-join fib(N) (30), a task per call (join)
//   runa_concurrency spawn [N]      spawn and join N (1,000,000) empty tasks (TaskGroup)
//   runa_concurrency spawn-async [N]  the same with coroutine tasks (Executor::spawn)
//   runa_concurrency timers [N]     N (1,000,000) tasks sleeping 1..64 ms each
//   runa_concurrency channel-bounded [N]    2 producers, 2 consumers, N (10,000,000)
//   runa_concurrency channel-unbounded [N]  messages through a Bounded channel
//                                           (capacity 4096) or an Unbounded one; the
//                                           producers close it when both are done
//
// The pool has one worker per core, as users get it by default.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include "concurrency/channel/channel.hpp"
#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/sleep.hpp"
#include "concurrency/pool/join.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/pool/task_group.hpp"
#include "result_line.hpp"

namespace cc = runa::concurrency;

namespace {

using runa::bench::Clock;
using runa::bench::report;
using runa::bench::since;

std::uint64_t calls = 0;  // counted outside the timed run: fib's call count is known

std::uint64_t fib(cc::Pool& pool, unsigned n) {
  if (n < 2) return n;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  cc::join(
      pool, [&] { a = fib(pool, n - 1); }, [&] { b = fib(pool, n - 2); });
  return a + b;
}

std::uint64_t fib_calls(unsigned n) {
  return n < 2 ? 1 : 1 + fib_calls(n - 1) + fib_calls(n - 2);
}

void bench_fib(unsigned n) {
  cc::Pool pool;
  auto start = Clock::now();
  std::uint64_t value = pool.run([&] { return fib(pool, n); });
  double s = since(start);
  calls = fib_calls(n);
  report("fib", "runatime", s, calls, value);
}

void bench_spawn(std::uint64_t n) {
  cc::Pool pool;
  std::atomic<std::uint64_t> ran{0};
  auto start = Clock::now();
  pool.run([&] {
    cc::TaskGroup group(pool);
    for (std::uint64_t i = 0; i < n; ++i) group.run([] {});
    group.wait();
  });
  double s = since(start);
  // The check runs the same number of counting tasks, untimed.
  pool.run([&] {
    cc::TaskGroup group(pool);
    for (std::uint64_t i = 0; i < n; ++i)
      group.run([&] { ran.fetch_add(1, std::memory_order_relaxed); });
    group.wait();
  });
  report("spawn", "runatime", s, n, ran.load());
}

// The same with coroutine tasks: spawn N empty tasks on the executor and
// join them all (from one task).
void bench_spawn_async(std::uint64_t n) {
  cc::Pool pool;
  cc::Executor ex(pool);
  auto empty = []() -> cc::Task<int> { co_return 1; };
  auto root = [&]() -> cc::Task<std::uint64_t> {
    std::vector<cc::JoinHandle<int>> hs;
    hs.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) hs.push_back(ex.spawn(empty()));
    std::uint64_t done = 0;
    for (auto& h : hs) done += static_cast<std::uint64_t>(co_await h);
    co_return done;
  };
  auto start = Clock::now();
  std::uint64_t done = ex.block_on(root());
  report("spawn-async", "runatime", since(start), n, done);
}

// N tasks each sleep 1..64 ms (a fixed pseudo-random spread): N timers
// armed on the wheel and fired.
void bench_timers(std::uint64_t n) {
  cc::Pool pool;
  cc::Executor ex(pool);
  std::atomic<std::uint64_t> fired{0};
  auto sleeper = [&](std::uint64_t i) -> cc::Task<void> {
    co_await cc::sleep_for(std::chrono::milliseconds(1 + (i * 2654435761U) % 64));
    fired.fetch_add(1, std::memory_order_relaxed);
  };
  auto start = Clock::now();
  {
    std::vector<cc::JoinHandle<void>> hs;
    hs.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) hs.push_back(ex.spawn(sleeper(i)));
    for (auto& h : hs) h.join();
  }
  report("timers", "runatime", since(start), n, fired.load());
}

template <class Channel>
void bench_channel(const char* impl, Channel& ch, std::uint64_t n) {
  std::atomic<std::uint64_t> sum{0};
  std::atomic<int> producing{2};
  auto start = Clock::now();
  auto producer = [&](std::uint64_t from) {
    for (std::uint64_t i = from; i < from + n / 2; ++i) ch.send(i);
    if (producing.fetch_sub(1) == 1) ch.close();
  };
  auto consumer = [&] {
    std::uint64_t local = 0;
    std::uint64_t v = 0;
    while (ch.recv(v) == cc::ChannelStatus::kOk) local += v;
    sum.fetch_add(local);
  };
  std::thread p0(producer, 0);
  std::thread p1(producer, n / 2);
  std::thread c0(consumer);
  std::thread c1(consumer);
  p0.join();
  p1.join();
  c0.join();
  c1.join();
  report("channel", impl, since(start), n, sum.load());
}

void channel_bounded(std::uint64_t n) {
  cc::Bounded<std::uint64_t> ch(4096);
  bench_channel("runatime-bounded", ch, n);
}

void channel_unbounded(std::uint64_t n) {
  cc::Unbounded<std::uint64_t> ch;
  bench_channel("runatime-unbounded", ch, n);
}

constexpr const char* kUsage =
    "usage: runa_concurrency fib|spawn|spawn-async|timers|channel-bounded|channel-unbounded [N]\n"
    "  fib N:         fork-join fib(N), a task per call (default 30, at most 45)\n"
    "  spawn N:       spawn and join N empty pool tasks (default 1000000)\n"
    "  spawn-async N: spawn and join N empty coroutine tasks (default 1000000)\n"
    "  timers N:      N tasks sleeping 1..64 ms: timers armed and fired (default 1000000)\n"
    "  channel-bounded N, channel-unbounded N:\n"
    "                 2 producers, 2 consumers, N messages (default 10000000)\n";

constexpr std::uint64_t kMany = std::uint64_t{1} << 40;

}  // namespace

int main(int argc, char** argv) {
  const runa::bench::Mode modes[] = {
      {"fib", 30, 45, [](std::uint64_t n) { bench_fib(static_cast<unsigned>(n)); }},
      {"spawn", 1'000'000, kMany, bench_spawn},
      {"spawn-async", 1'000'000, kMany, bench_spawn_async},
      {"timers", 1'000'000, kMany, bench_timers},
      {"channel-bounded", 10'000'000, kMany, channel_bounded},
      {"channel-unbounded", 10'000'000, kMany, channel_unbounded},
  };
  return runa::bench::run_mode("runa_concurrency", kUsage, modes, argc, argv);
}
