// RunaTime's side of the concurrency benchmarks (scripts/bench-concurrency):
// the same work as the peers in bench/peers/concurrency/, printing the same
// one-line result:
//   bench=<name> impl=<impl> seconds=<s> ops=<n> check=<value>
//
//   runa_concurrency fib [N]        fork-join fib(N) (30), a task per call (join)
//   runa_concurrency spawn [N]      spawn and join N (1,000,000) empty tasks (TaskGroup)
//   runa_concurrency channel [N]    2 producers, 2 consumers, N (10,000,000) messages,
//                                   through a Bounded channel (capacity 4096) and an
//                                   Unbounded one: two result lines
//
// The pool has one worker per core, as users get it by default.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "concurrency/channel/channel.hpp"
#include "concurrency/pool/join.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/pool/task_group.hpp"

namespace cc = runa::concurrency;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(const char* bench, const char* impl, double seconds, std::uint64_t ops,
            std::uint64_t check) {
  std::printf("bench=%s impl=%s seconds=%.4f ops=%llu check=%llu\n", bench, impl, seconds,
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(check));
}

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

int usage(int status) {
  std::fputs(
      "usage: runa_concurrency fib [N] | spawn [N] | channel [N]\n"
      "  fib N:     fork-join fib(N), a task per call (default 30)\n"
      "  spawn N:   spawn and join N empty tasks (default 1000000)\n"
      "  channel N: 2 producers, 2 consumers, N messages (default 10000000)\n",
      status == 0 ? stdout : stderr);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) return usage(2);
  std::string mode = argv[1];
  if (mode == "--help" || mode == "-h") return usage(0);
  std::uint64_t n = 0;
  if (argc == 3) {
    char* end = nullptr;
    n = std::strtoull(argv[2], &end, 10);
    if (*end != '\0' || n == 0 || argv[2][0] == '-') {
      std::fprintf(stderr, "runa_concurrency: %s is not a positive count\n", argv[2]);
      return 2;
    }
  }
  if (mode == "fib") {
    if (n > 45) {
      std::fputs("runa_concurrency: fib above 45 takes too long\n", stderr);
      return 2;
    }
    bench_fib(n == 0 ? 30 : static_cast<unsigned>(n));
  } else if (mode == "spawn") {
    bench_spawn(n == 0 ? 1'000'000 : n);
  } else if (mode == "channel") {
    n = n == 0 ? 10'000'000 : n;
    {
      cc::Bounded<std::uint64_t> ch(4096);
      bench_channel("runatime-bounded", ch, n);
    }
    cc::Unbounded<std::uint64_t> ch;
    bench_channel("runatime-unbounded", ch, n);
  } else {
    return usage(2);
  }
  return 0;
}
