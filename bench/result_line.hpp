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
#include <optional>

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

// `program MODE [N]`: N when given (0 when absent); nullopt, with a message
// on stderr, when N is not a positive count.
inline std::optional<std::uint64_t> count_argument(const char* program, int argc, char** argv) {
  if (argc < 3) return 0;
  char* end = nullptr;
  std::uint64_t n = std::strtoull(argv[2], &end, 10);
  if (*end != '\0' || n == 0 || argv[2][0] == '-') {
    std::fprintf(stderr, "%s: %s is not a positive count\n", program, argv[2]);
    return std::nullopt;
  }
  return n;
}

}  // namespace runa::bench
