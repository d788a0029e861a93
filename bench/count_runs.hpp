// The command line and the statistics the side-by-side programs of
// `make bench-types` share: `--count N --runs R`, and medians.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

namespace runa::bench {

struct CountRuns {
  std::size_t count = 1000000;
  int runs = 3;
};

// The options, or nullopt after printing the usage (to stdout for --help,
// setting *status to 0; to stderr for anything else, setting it to 2).
inline std::optional<CountRuns> parse_count_runs(int argc, char** argv, int* status) {
  CountRuns o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const std::string_view v = i + 1 < argc ? std::string_view(argv[i + 1]) : std::string_view();
    bool ok = false;
    if (a == "--count") {
      ok = std::from_chars(v.data(), v.data() + v.size(), o.count).ec == std::errc() && o.count > 0;
    } else if (a == "--runs") {
      ok = std::from_chars(v.data(), v.data() + v.size(), o.runs).ec == std::errc() && o.runs > 0;
    }
    if (!ok) {
      std::fprintf(a == "--help" ? stdout : stderr, "usage: %s [--count N] [--runs R]\n", argv[0]);
      *status = a == "--help" ? 0 : 2;
      return std::nullopt;
    }
    ++i;
  }
  return o;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace runa::bench
