// Small-object allocation throughput on RunaTime's garbage-collected heap: the
// workload of bench/peers/alloc_throughput.cpp, with the same checksum output,
// for scripts/bench-gc-peers.
//
//   runa_alloc_throughput [--threads T] [--count N] [--window W] [heap options]
//
// N allocations in total (default 100,000,000) split evenly over T threads
// (default 1), each thread attached to one shared heap. Sizes are drawn from
// 16..48 bytes by the peers' xorshift generator (seeded by thread index). An
// object of `size` requested bytes is a plain object with no reference slots
// of round_up(size, 8) bytes, header included (the peers' malloc adds its own
// chunk header on top of `size`). The allocation index is written into the
// object's first word after the header; the last W objects (default 1024) stay
// alive in a ring of W handles, and the object allocated W allocations ago is
// checked when its handle is reused (nothing is freed: it becomes garbage).
//
// Output: a header line, "checksum: <sum of requested sizes> ok" (identical to
// the peers' for the same N, T and W), the elapsed seconds and
//   Mallocs/s: <allocations per second>
// Timing runs from the first thread's start to the last one's end, as in the peer.
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "runa_options.hpp"

namespace {

using runa::heap::Heap;
using runa::heap::Mutator;
using runa::heap::Object;
using runa::heap::Value;

struct Workload {
  int threads = 1;
  uint64_t count = 100'000'000;
  uint64_t window = 1024;
};

[[noreturn]] void usage(const char* program) {
  std::fprintf(stderr, "usage: %s [--threads T] [--count N] [--window W] [heap options]\n",
               program);
  std::exit(2);
}

Workload parse(const std::vector<std::string>& args, const char* program) {
  Workload w;
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& arg = args[k];
    if (k + 1 >= args.size()) usage(program);
    const std::string& value = args[++k];
    char* end = nullptr;
    const unsigned long long number = std::strtoull(value.c_str(), &end, 10);
    if (end == value.c_str() || *end != '\0' || number == 0) usage(program);
    if (arg == "--threads") {
      w.threads = static_cast<int>(number);
    } else if (arg == "--count") {
      w.count = number;
    } else if (arg == "--window") {
      w.window = number;
    } else {
      usage(program);
    }
  }
  return w;
}

using Clock = std::chrono::steady_clock;

struct alignas(64) ThreadResult {
  uint64_t checksum = 0;
  bool ok = true;
  Clock::time_point begin;
  Clock::time_point end;
};

// Type index of the object of `bytes` bytes (16, 24, 32, 40 or 48).
std::uint32_t types[7] = {};

void run(Heap& heap, std::barrier<>& start, uint64_t count, uint64_t window, uint64_t seed,
         ThreadResult& result) {
  Mutator& m = heap.attach();
  {
    runa::heap::HandleScope scope(m);
    std::vector<Value*> ring(window);
    for (Value*& slot : ring) slot = runa::heap::new_handle(m);
    for (Value* slot : ring) *slot = 0;
    {
      // Waiting for the other threads: nothing to collect here, stay out of their way.
      runa::heap::NativeRegion native(m);
      start.arrive_and_wait();
    }
    result.begin = Clock::now();
    uint64_t state = 0x9E3779B97F4A7C15ULL * (seed + 1);
    uint64_t checksum = 0;
    bool ok = true;
    uint64_t slot = 0;
    for (uint64_t n = 0; n < count; ++n) {
      // xorshift64, as in the peer
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      const size_t size = 16 + static_cast<size_t>(state % 33);
      const size_t bytes = (size + 7) & ~size_t{7};
      Object* o = runa::heap::allocate(m, types[bytes / 8 - 2], bytes);
      if (o == nullptr) {
        ok = false;
        break;
      }
      o->slots()[0] = n;  // raw data: the layouts have no reference slots
      checksum += size;

      Value old = *ring[slot];
      if (old != 0) ok &= runa::heap::as_object(old)->slots()[0] == n - window;
      *ring[slot] = runa::heap::ref_value(o);
      if (++slot == window) slot = 0;
    }
    result.end = Clock::now();
    result.checksum = checksum;
    result.ok = ok;
  }
  heap.detach(m);
}

}  // namespace

int main(int argc, char** argv) {
  runa::heap::Options defaults;
  defaults.max_heap = std::size_t{256} << 20;
  runa_bench::BenchOptions opts = runa_bench::parse_options(argc, argv, defaults);
  const Workload w = parse(opts.rest, argv[0]);
  const auto threads = static_cast<uint64_t>(w.threads);
  std::printf(
      "alloc_throughput: allocator=runatime threads=%d allocations=%llu sizes=16..48 "
      "window=%llu nursery=%zu\n",
      w.threads, static_cast<unsigned long long>(w.count),
      static_cast<unsigned long long>(w.window), opts.heap.nursery);

  auto heap = runa_bench::make_heap(opts.heap);
  for (std::uint32_t bytes = 16; bytes <= 48; bytes += 8) {
    runa::heap::Layout l;
    l.size = bytes;
    l.refs = 0;
    l.name = "alloc object";
    types[bytes / 8 - 2] = heap->register_layout(l).value();
  }

  std::vector<ThreadResult> results(threads);
  std::barrier start(w.threads);
  std::vector<std::thread> workers;
  for (uint64_t t = 0; t < threads; ++t) {
    const uint64_t share = w.count / threads + (t < w.count % threads ? 1 : 0);
    workers.emplace_back([&, share, t] { run(*heap, start, share, w.window, t, results[t]); });
  }
  for (std::thread& worker : workers) worker.join();

  uint64_t checksum = 0;
  bool ok = true;
  Clock::time_point begin = results[0].begin;
  Clock::time_point end = results[0].end;
  for (const ThreadResult& result : results) {
    checksum += result.checksum;
    ok &= result.ok;
    begin = std::min(begin, result.begin);
    end = std::max(end, result.end);
  }
  const double seconds = std::chrono::duration<double>(end - begin).count();
  std::printf("checksum: %llu %s\n", static_cast<unsigned long long>(checksum),
              ok ? "ok" : "CORRUPT");
  std::printf("seconds: %.3f\n", seconds);
  std::printf("Mallocs/s: %.0f\n", static_cast<double>(w.count) / seconds);
  if (opts.stats) runa_bench::print_stats(*heap);
  return ok ? 0 : 1;
}
