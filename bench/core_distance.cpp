// runa_core_distance: how long a cache line takes to go from one core to
// another and back, between the first two CPUs this process may run on.
//
// Why. On a virtual machine the host decides where the vCPUs run: on this
// project's 2-vCPU VM one line's round trip took 100-130 ns in some minutes
// and 450-520 ns in others (docs/concurrency.md, "What decides chameneos'
// mode"), and every benchmark whose messages cross between the cores moves
// with it. scripts/bench-concurrency prints this figure before each rep so
// that a table can be read with it.
//
// Two threads, pinned one per CPU, pass a counter back and forth through
// one atomic word (each waits, spinning, for the other's increment):
// `rounds` round trips, the mean in nanoseconds.
//
//   runa_core_distance [rounds]   (default 200000)
// Prints "round_trip_ns=<n> cpus=<a>,<b>", or "round_trip_ns=- cpus=<a>"
// when the process may run on one CPU only.
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

alignas(64) std::atomic<long> turn{0};

constexpr const char* kUsage =
    "usage: runa_core_distance [rounds]   (rounds > 0, default 200000)\n";

}  // namespace

int main(int argc, char** argv) {
  long rounds = 200'000;
  if (argc == 2 && std::string(argv[1]) == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc == 2) {
    char* end = nullptr;
    rounds = std::strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || rounds <= 0) {
      std::fprintf(stderr, "runa_core_distance: '%s' is not a number of rounds\n%s", argv[1],
                   kUsage);
      return 2;
    }
  }
  if (argc > 2) {
    std::fprintf(stderr, "runa_core_distance: one argument at most\n%s", kUsage);
    return 2;
  }
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    std::perror("runa_core_distance: sched_getaffinity");
    return 1;
  }
  int cpus[2] = {-1, -1};
  for (int c = 0, found = 0; c < CPU_SETSIZE && found < 2; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus[found++] = c;
  }
  if (cpus[1] < 0) {
    std::printf("round_trip_ns=- cpus=%d\n", cpus[0]);
    return 0;
  }
  std::thread other([&] {
    pin(cpus[1]);
    for (long i = 0; i < rounds; ++i) {
      while (turn.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      turn.store(2 * i + 2, std::memory_order_release);
    }
  });
  pin(cpus[0]);
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < rounds; ++i) {
    turn.store(2 * i + 1, std::memory_order_release);
    while (turn.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  other.join();
  std::printf("round_trip_ns=%.0f cpus=%d,%d\n", took.count() / static_cast<double>(rounds),
              cpus[0], cpus[1]);
  return 0;
}
