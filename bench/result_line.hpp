// The command line and the result line shared by RunaTime's concurrency
// benchmarks (runa_concurrency, runa_savina) and, in format, by their peers
// in bench/peers/concurrency/: one line per run,
//   bench=<name> impl=<impl> seconds=<s> ops=<n> check=<value>
// which scripts/bench-concurrency reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

namespace runa::bench {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline void report(const char* bench, const char* impl, double seconds, std::uint64_t ops,
                   std::uint64_t check) {
  std::printf("bench=%s impl=%s seconds=%.4f ops=%llu check=%llu\n", bench, impl, seconds,
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(check));
}

// One workload of a program: `program NAME [N]` runs run(N), N defaulting
// to default_n and at most max_n.
struct Mode {
  const char* name;
  std::uint64_t default_n;
  std::uint64_t max_n;
  void (*run)(std::uint64_t n);
};

// `program MODE [N]` and `program --help`: the exit status (2 for anything
// it does not understand, with a message on stderr).
inline int run_mode(const char* program, const char* usage, std::span<const Mode> modes, int argc,
                    char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(usage, stdout);
    return 0;
  }
  const Mode* mode = nullptr;
  for (const Mode& m : modes) {
    if (argc >= 2 && std::strcmp(argv[1], m.name) == 0) mode = &m;
  }
  if (argc < 2 || argc > 3 || mode == nullptr) {
    std::fputs(usage, stderr);
    return 2;
  }
  std::uint64_t n = mode->default_n;
  if (argc == 3) {
    char* end = nullptr;
    n = std::strtoull(argv[2], &end, 10);
    if (*end != '\0' || n == 0 || argv[2][0] == '-' || n > mode->max_n) {
      std::fprintf(stderr, "%s: %s is not a count from 1 to %llu\n", program, argv[2],
                   static_cast<unsigned long long>(mode->max_n));
      return 2;
    }
  }
  mode->run(n);
  return 0;
}

}  // namespace runa::bench
