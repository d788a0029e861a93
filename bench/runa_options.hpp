// Heap options for RunaTime's memory benchmark programs (runa_binary_trees,
// runa_gcbench, runa_alloc_throughput, runa_pauses), from the environment and
// from --key=value arguments (arguments win):
//
//   RUNA_MAX_HEAP   / --max-heap=BYTES     old generation + large objects
//   RUNA_NURSERY    / --nursery=BYTES      eden + both survivor halves
//   RUNA_TLAB       / --tlab=BYTES         allocation buffer
//   RUNA_PROMOTION_AGE / --promotion-age=N
//   RUNA_GC_LOG     / --gc-log             one line per collection on stderr
//   RUNA_GC_STATS   / --gc-stats           Heap::stats() summary on stderr at exit
//   RUNA_GC_VERIFY  / --gc-verify          verify the heap after each collection
//   RUNA_GC_POISON  / --gc-poison          poison evacuated memory
//   RUNA_GC_STRESS  / --gc-stress=N        collect every N allocations (checks handle use)
//
// BYTES accepts a K, M or G suffix (powers of 1024). Arguments that are not
// options are left for the program (positional arguments such as a depth).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/heap.hpp"

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

inline std::size_t parse_bytes(std::string_view what, const std::string& text) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str()) option_fail(what, text);
  std::string_view suffix(end);
  if (suffix == "K" || suffix == "k") {
    v <<= 10;
  } else if (suffix == "M" || suffix == "m") {
    v <<= 20;
  } else if (suffix == "G" || suffix == "g") {
    v <<= 30;
  } else if (!suffix.empty()) {
    option_fail(what, text);
  }
  return static_cast<std::size_t>(v);
}

inline bool truthy(const char* v) {
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

// `defaults` are the program's own choices; the environment and arguments override them.
inline BenchOptions parse_options(int argc, char** argv, const runa::heap::Options& defaults) {
  BenchOptions o;
  o.heap = defaults;
  struct Key {
    const char* env;
    const char* arg;
    int kind;  // 0: bytes into a size_t, 1: unsigned, 2: flag
    void* target;
  };
  const Key keys[] = {
      {"RUNA_MAX_HEAP", "--max-heap", 0, &o.heap.max_heap},
      {"RUNA_NURSERY", "--nursery", 0, &o.heap.nursery},
      {"RUNA_TLAB", "--tlab", 0, &o.heap.tlab},
      {"RUNA_PROMOTION_AGE", "--promotion-age", 1, &o.heap.promotion_age},
      {"RUNA_GC_LOG", "--gc-log", 2, &o.heap.log},
      {"RUNA_GC_STATS", "--gc-stats", 2, &o.stats},
      {"RUNA_GC_VERIFY", "--gc-verify", 2, &o.heap.verify},
      {"RUNA_GC_POISON", "--gc-poison", 2, &o.heap.poison},
      {"RUNA_GC_STRESS", "--gc-stress", 1, &o.heap.stress_every},
      {"RUNA_GC_THREADS", "--gc-threads", 1, &o.heap.gc_threads},
  };
  auto apply = [](const Key& k, const std::string& value) {
    switch (k.kind) {
      case 0:
        *static_cast<std::size_t*>(k.target) = parse_bytes(k.arg, value);
        break;
      case 1:
        *static_cast<unsigned*>(k.target) = static_cast<unsigned>(parse_bytes(k.arg, value));
        break;
      default:
        *static_cast<bool*>(k.target) = truthy(value.c_str());
        break;
    }
  };
  for (const Key& k : keys) {
    if (const char* v = std::getenv(k.env)) apply(k, v);
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool used = false;
    for (const Key& k : keys) {
      std::string_view name(k.arg);
      if (a.compare(0, name.size(), name) != 0) continue;
      if (a.size() == name.size() && k.kind == 2) {
        apply(k, "1");
        used = true;
      } else if (a.size() > name.size() && a[name.size()] == '=') {
        apply(k, a.substr(name.size() + 1));
        used = true;
      }
      if (used) break;
    }
    if (!used) o.rest.push_back(a);
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
  std::fprintf(stderr,
               "%s: out of memory (the heap is exhausted; raise --max-heap / RUNA_MAX_HEAP)\n",
               where);
  std::exit(3);
}

inline void print_stats(const runa::heap::Heap& heap) {
  runa::heap::Stats s = heap.stats();
  std::fprintf(
      stderr,
      "[gc stats] minor collections %llu, pause total %.1f ms, p50 %.3f ms, p99 %.3f ms, "
      "max %.3f ms; allocated %.1f MiB, promoted %.1f MiB, old now %.1f MiB, large "
      "now %.1f MiB\n",
      static_cast<unsigned long long>(s.minor_collections),
      static_cast<double>(s.total_pause_ns) / 1e6, static_cast<double>(s.p50_pause_ns) / 1e6,
      static_cast<double>(s.p99_pause_ns) / 1e6, static_cast<double>(s.max_pause_ns) / 1e6,
      static_cast<double>(s.allocated_bytes) / 1048576.0,
      static_cast<double>(s.promoted_bytes) / 1048576.0,
      static_cast<double>(s.old_bytes) / 1048576.0, static_cast<double>(s.large_bytes) / 1048576.0);
}

}  // namespace runa_bench
