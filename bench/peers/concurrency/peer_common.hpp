// Shared helpers of the concurrency peers (bench/peers/concurrency/README.md):
// the size argument, the steady clock, the one result line every program prints,
// and the xorshift32 generator the `big` benchmark uses in every implementation.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace peers {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// argv[index] as a positive count, or `fallback` when absent; exits on garbage.
inline std::uint64_t count_arg(int argc, char** argv, int index, std::uint64_t fallback) {
  if (argc <= index) return fallback;
  char* end = nullptr;
  const std::uint64_t n = std::strtoull(argv[index], &end, 10);
  if (argv[index][0] == '-' || *end != '\0' || n == 0) {
    std::fprintf(stderr, "%s: '%s' is not a positive count\n", argv[0], argv[index]);
    std::exit(2);
  }
  return n;
}

// The one line on stdout: bench=<name> impl=<impl> seconds=<s> ops=<n> check=<value>.
inline void report(const char* bench, const char* impl, double seconds, std::uint64_t ops,
                   std::uint64_t check) {
  std::printf("bench=%s impl=%s seconds=%.4f ops=%llu check=%llu\n", bench, impl, seconds,
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(check));
}

// Marsaglia's xorshift32 (13, 17, 5). A state is never 0; see seed().
inline std::uint32_t xorshift32(std::uint32_t x) {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

// The seed of actor `id` (0-based): (id + 1) * 2654435761 mod 2^32, never 0.
inline std::uint32_t seed(std::uint32_t id) {
  return (id + 1U) * 2654435761U;
}

}  // namespace peers
