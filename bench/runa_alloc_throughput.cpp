// Small-object allocation throughput on RunaTime's garbage-collected heap: the
// workload of bench/peers/alloc_throughput.cpp, with the same checksum output,
// for scripts/bench-gc-peers; and, with --scaling, how the heap scales with
// the number of mutator threads.
//
//   runa_alloc_throughput [--threads T] [--count N] [--window W] [heap options]
//   runa_alloc_throughput --scaling [--max-threads M] [--count N] [--window W] [heap options]
//
// N allocations in total (default 100,000,000) split evenly over T threads
// (default 1), each thread attached to one shared heap. Sizes are drawn from
// 16..48 bytes by the peers' xorshift generator (seeded by thread index). An
// object of `size` requested bytes carries the same payload as the peers'
// malloc(size): a plain object with no reference slots of round_up(size + 8,
// 8) bytes, the 8-byte header being the heap's own overhead, as malloc's chunk
// header is the peer's. The allocation index is written into the object's
// first word after the header; the last W objects (default 1024) stay alive
// in a ring of W handles, and the object allocated W allocations ago is
// checked when its handle is reused (nothing is freed: it becomes garbage).
//
// Output: a header line, "checksum: <sum of requested sizes> ok" (identical to
// the peers' for the same N, T and W), the elapsed seconds and
//   Mallocs/s: <allocations per second>
// Timing runs from the first thread's start to the last one's end, as in the peer.
//
// --scaling runs the workload on a fresh heap for T = 1, 2, 4, ... up to M
// (default 16) and prints one line per T: throughput, then per 100 M
// allocations the minor and major collections, the safepoint handshakes,
// the shared eden refills, the compare-and-swaps on eden that failed and the
// safepoint-lock acquisitions by mutators (all and contended), and the mean
// and longest time to safepoint. On a machine with fewer cores than threads
// the wall time says little; the counts say whether the design scales.
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
  bool scaling = false;
  int max_threads = 16;
};

[[noreturn]] void usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s [--threads T | --scaling [--max-threads M]] [--count N] [--window W] "
               "[heap options]\n",
               program);
  std::exit(2);
}

Workload parse(const std::vector<std::string>& args, const char* program) {
  Workload w;
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& arg = args[k];
    if (arg == "--scaling") {
      w.scaling = true;
      continue;
    }
    if (k + 1 >= args.size()) usage(program);
    const std::string& value = args[++k];
    char* end = nullptr;
    const unsigned long long number = std::strtoull(value.c_str(), &end, 10);
    if (end == value.c_str() || *end != '\0' || number == 0) usage(program);
    if (arg == "--threads" && number <= 4096) {
      w.threads = static_cast<int>(number);
    } else if (arg == "--max-threads" && number <= 4096) {
      w.max_threads = static_cast<int>(number);
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

// Type index of the object of `bytes` bytes (24, 32, 40, 48 or 56).
constexpr std::size_t kMinBytes = 24;
constexpr std::size_t kMaxBytes = 56;
std::uint32_t types[(kMaxBytes - kMinBytes) / 8 + 1] = {};

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
      const size_t bytes = (size + 8 + 7) & ~size_t{7};  // the header is extra
      Object* o = runa::heap::allocate(m, types[(bytes - kMinBytes) / 8], bytes);
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

struct Measurement {
  uint64_t checksum = 0;
  bool ok = true;
  double seconds = 0;
  runa::heap::Stats stats;
};

Measurement measure(const runa::heap::Options& options, const Workload& w, int thread_count) {
  auto heap = runa_bench::make_heap(options);
  for (std::size_t bytes = kMinBytes; bytes <= kMaxBytes; bytes += 8) {
    runa::heap::Layout l;
    l.size = static_cast<std::uint32_t>(bytes);
    l.refs = 0;
    l.name = "alloc object";
    types[(bytes - kMinBytes) / 8] = heap->register_layout(l).value();
  }
  const auto threads = static_cast<uint64_t>(thread_count);
  std::vector<ThreadResult> results(threads);
  std::barrier start(thread_count);
  std::vector<std::thread> workers;
  for (uint64_t t = 0; t < threads; ++t) {
    const uint64_t share = w.count / threads + (t < w.count % threads ? 1 : 0);
    workers.emplace_back([&, share, t] { run(*heap, start, share, w.window, t, results[t]); });
  }
  for (std::thread& worker : workers) worker.join();

  Measurement out;
  Clock::time_point begin = results[0].begin;
  Clock::time_point end = results[0].end;
  for (const ThreadResult& result : results) {
    out.checksum += result.checksum;
    out.ok &= result.ok;
    begin = std::min(begin, result.begin);
    end = std::max(end, result.end);
  }
  out.seconds = std::chrono::duration<double>(end - begin).count();
  out.stats = heap->stats();
  return out;
}

// One line of --scaling: counts per 100 M allocations.
void print_scaling_line(int threads, uint64_t count, const Measurement& r) {
  const runa::heap::Stats& s = r.stats;
  const double per = 1e8 / static_cast<double>(count);
  auto scaled = [&](uint64_t v) { return static_cast<double>(v) * per; };
  const double tts_mean = s.safepoint_handshakes == 0
                              ? 0.0
                              : static_cast<double>(s.time_to_safepoint_ns) /
                                    static_cast<double>(s.safepoint_handshakes);
  std::printf("%7d %12.4g %8.1f %7.1f %10.1f %12.1f %10.1f %10.1f %10.1f %10.1f %10.1f %9.1f %s\n",
              threads, static_cast<double>(count) / r.seconds, scaled(s.minor_collections),
              scaled(s.major_collections), scaled(s.safepoint_handshakes), scaled(s.eden_refills),
              scaled(s.eden_cas_retries), scaled(s.mutator_lock_acquisitions),
              scaled(s.mutator_lock_contended), tts_mean / 1e3,
              static_cast<double>(s.max_time_to_safepoint_ns) / 1e3,
              static_cast<double>(s.nursery_bytes) / 1048576.0, r.ok ? "ok" : "CORRUPT");
}

}  // namespace

int main(int argc, char** argv) {
  runa::heap::Options defaults;
  defaults.max_heap = std::size_t{256} << 20;
  runa_bench::BenchOptions opts = runa_bench::parse_options(argc, argv, defaults);
  const Workload w = parse(opts.rest, argv[0]);

  if (w.scaling) {
    std::printf(
        "alloc_throughput scaling: allocator=runatime allocations=%llu sizes=16..48 window=%llu "
        "max_heap=%zu nursery=%zu tlab=%zu\n",
        static_cast<unsigned long long>(w.count), static_cast<unsigned long long>(w.window),
        opts.heap.max_heap, opts.heap.nursery, opts.heap.tlab);
    std::printf(
        "# per 100 M allocations: minors, majors, handshakes, eden refills, eden CAS "
        "retries, mutator lock acquisitions, contended; time to safepoint (us): mean, "
        "max; nursery now (MiB)\n");
    std::printf("%7s %12s %8s %7s %10s %12s %10s %10s %10s %10s %10s %9s\n", "threads", "allocs/s",
                "minors", "majors", "handshakes", "eden_refill", "cas_retry", "locks", "contended",
                "tts_mean", "tts_max", "nursery");
    bool ok = true;
    for (int t = 1; t <= w.max_threads; t *= 2) {
      Measurement r = measure(opts.heap, w, t);
      ok &= r.ok;
      print_scaling_line(t, w.count, r);
      std::fflush(stdout);
    }
    return ok ? 0 : 1;
  }

  std::printf(
      "alloc_throughput: allocator=runatime threads=%d allocations=%llu sizes=16..48 "
      "window=%llu nursery=%zu\n",
      w.threads, static_cast<unsigned long long>(w.count),
      static_cast<unsigned long long>(w.window), opts.heap.nursery);
  Measurement r = measure(opts.heap, w, w.threads);
  std::printf("checksum: %llu %s\n", static_cast<unsigned long long>(r.checksum),
              r.ok ? "ok" : "CORRUPT");
  std::printf("seconds: %.3f\n", r.seconds);
  std::printf("Mallocs/s: %.0f\n", static_cast<double>(w.count) / r.seconds);
  if (opts.stats) runa_bench::print_stats(r.stats);
  return r.ok ? 0 : 1;
}
