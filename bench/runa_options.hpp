// Heap options for RunaTime's memory benchmark programs (runa_binary_trees,
// runa_gcbench, runa_alloc_throughput, runa_pauses), in the text form of
// runatime/heap_options.hpp, applied in this order over the program's own
// defaults:
//
//   RUNA_GC=TEXT                 the environment variable, as everywhere
//   --gc=TEXT                    a whole list: --gc=nursery=64m,log
//   --NAME=VALUE, --NAME         one heap option: --max-heap=2g, --nursery=64m,
//                                --tlab=16k, --promotion-age=2, --log, --verify,
//                                --poison, --stress-every=1 (every name in
//                                runa::heap::options_help())
//   RUNA_GC_STATS=1, --gc-stats  benchmarks only: Heap::stats() on stderr at exit
//   --print-options              benchmarks only: print the options in force
//                                (describe_options) and exit 0 without running,
//                                so a runner can show that nothing was tuned
//
// The spellings from before RUNA_GC still work: --gc-log, --gc-verify,
// --gc-poison, --gc-stress=N.
//
// A bad option ends the program with status 2 and the parser's message.
// Arguments that are not options are left for the program (positional
// arguments such as a depth, and the program's own flags, --help among them);
// the program refuses those it does not know with usage_fail (status 2).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runatime/heap.hpp"
#include "runatime/heap_options.hpp"

namespace runa_bench {

struct BenchOptions {
  runa::heap::Options heap;
  bool stats = false;
  std::vector<std::string> rest;  // arguments that are not heap options
};

[[noreturn]] inline void option_fail(std::string_view what, std::string_view value) {
  std::fprintf(stderr, "bad %.*s: '%.*s'\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(value.size()), value.data());
  std::exit(2);
}

// The end of the program for an argument it does not understand: the
// argument, then the usage text (which ends with a newline), status 2.
[[noreturn]] inline void usage_fail(const char* program, std::string_view arg, const char* usage) {
  std::fprintf(stderr, "%s: unknown argument '%.*s'\n%s", program, static_cast<int>(arg.size()),
               arg.data(), usage);
  std::exit(2);
}

// The options, or the end of the program with the error.
inline runa::heap::Options checked(runa::Result<runa::heap::Options> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.error().describe().c_str());
    std::exit(2);
  }
  return std::move(r.value());
}

// `item` (an argument without its "--") in heap-option text, or "" when it is
// not a heap option.
inline std::string heap_option_item(std::string_view item) {
  constexpr std::pair<std::string_view, std::string_view> kOldSpellings[] = {
      {"gc-log", "log"},
      {"gc-verify", "verify"},
      {"gc-poison", "poison"},
      {"gc-stress", "stress_every"},
  };
  std::size_t eq = std::min(item.find('='), item.size());
  std::string_view name = item.substr(0, eq);
  for (auto [old, now] : kOldSpellings) {
    if (name == old) return std::string(now) + std::string(item.substr(eq));
  }
  return runa::heap::is_option_name(name) ? std::string(item) : std::string();
}

// `defaults` are the program's own choices; the environment and arguments override them.
inline BenchOptions parse_options(int argc, char** argv, const runa::heap::Options& defaults) {
  BenchOptions o;
  o.heap = checked(runa::heap::options_from_env(defaults));
  const char* stats = std::getenv("RUNA_GC_STATS");
  o.stats = stats != nullptr && *stats != '\0' && std::strcmp(stats, "0") != 0;
  bool print_options = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::string_view flag = a.starts_with("--") ? a.substr(2) : std::string_view{};
    if (flag == "gc-stats") {
      o.stats = true;
    } else if (flag == "print-options") {
      print_options = true;
    } else if (flag.starts_with("gc=")) {
      o.heap = checked(runa::heap::parse_options(flag.substr(3), o.heap));
    } else if (std::string item = heap_option_item(flag); !item.empty()) {
      o.heap = checked(runa::heap::parse_options(item, o.heap));
    } else {
      o.rest.emplace_back(a);
    }
  }
  if (print_options) {
    std::printf("%s\n", runa::heap::describe_options(o.heap).c_str());
    std::exit(0);
  }
  return o;
}

inline std::unique_ptr<runa::heap::Heap> make_heap(const runa::heap::Options& o) {
  auto h = runa::heap::Heap::create(o);
  if (!h.ok()) {
    std::fprintf(stderr, "cannot create the heap: %s\n", h.error().describe().c_str());
    std::exit(2);
  }
  return std::move(h.value());
}

[[noreturn]] inline void out_of_memory(const char* where) {
  std::fprintf(
      stderr,
      "%s: out of memory (the heap is exhausted; raise --max-heap or RUNA_GC=max_heap=...)\n",
      where);
  std::exit(3);
}

inline void print_stats(const runa::heap::Stats& s) {
  std::fprintf(
      stderr,
      "[gc stats] minor collections %llu, major %llu, pause total %.1f ms, p50 %.3f ms, p99 "
      "%.3f ms, max %.3f ms; allocated %.1f MiB, promoted %.1f MiB, old now %.1f MiB, large "
      "now %.1f MiB, nursery now %.1f MiB, committed now %.1f MiB\n",
      static_cast<unsigned long long>(s.minor_collections),
      static_cast<unsigned long long>(s.major_collections),
      static_cast<double>(s.total_pause_ns) / 1e6, static_cast<double>(s.p50_pause_ns) / 1e6,
      static_cast<double>(s.p99_pause_ns) / 1e6, static_cast<double>(s.max_pause_ns) / 1e6,
      static_cast<double>(s.allocated_bytes) / 1048576.0,
      static_cast<double>(s.promoted_bytes) / 1048576.0,
      static_cast<double>(s.old_bytes) / 1048576.0, static_cast<double>(s.large_bytes) / 1048576.0,
      static_cast<double>(s.nursery_bytes) / 1048576.0,
      static_cast<double>(s.committed_bytes) / 1048576.0);
}

inline void print_stats(const runa::heap::Heap& heap) {
  print_stats(heap.stats());
}

}  // namespace runa_bench
