// Small-object allocation throughput of a malloc, as a peer for RunaTime's memory
// benchmarks (scripts/bench-gc-peers). Compiled once per allocator: PEER_ALLOC selects
// glibc malloc/free or mimalloc's mi_malloc/mi_free (peer_alloc_glibc, _mimalloc).
//
//   peer_alloc_<allocator> [--threads T] [--count N] [--window W]
//
// Makes N allocations in total (default 100,000,000), split evenly over T threads
// (default 1). Each thread draws sizes uniformly from 16..48 bytes with its own
// xorshift generator (seeded by thread index, so the work is identical for every
// allocator), writes a word into each object and keeps the last W objects (default
// 1024, ~32 KiB) in a ring: the object allocated W allocations ago is freed (FIFO)
// after checking that its word is intact. Objects never cross threads.
//
// Output: a header line, a checksum line that depends only on N, T and W (the runner
// compares it across allocators), then the elapsed seconds and the aggregate rate:
//   Mallocs/s: 123456789
// Timing covers the allocation loops only: threads start together on a barrier, and
// the elapsed time runs from the first thread's start to the last one's end (each
// thread reads the clock itself, so a descheduled main thread cannot shorten it).
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#define PEER_ALLOC_GLIBC 1
#define PEER_ALLOC_MIMALLOC 2

#if PEER_ALLOC == PEER_ALLOC_GLIBC
namespace {
constexpr const char* kAllocator = "glibc";
void* allocate(size_t size) {
  return std::malloc(size);
}
void release(void* block) {
  std::free(block);
}
}  // namespace
#elif PEER_ALLOC == PEER_ALLOC_MIMALLOC
#include <mimalloc.h>
namespace {
constexpr const char* kAllocator = "mimalloc";
void* allocate(size_t size) {
  return mi_malloc(size);
}
void release(void* block) {
  mi_free(block);
}
}  // namespace
#else
#error "compile with -DPEER_ALLOC=PEER_ALLOC_GLIBC or PEER_ALLOC_MIMALLOC"
#endif

namespace {

struct Options {
  int threads = 1;
  uint64_t count = 100'000'000;
  uint64_t window = 1024;
};

[[noreturn]] void usage(const char* program) {
  std::fprintf(stderr, "usage: %s [--threads T] [--count N] [--window W]\n", program);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    if (k + 1 >= argc) usage(argv[0]);
    const char* value = argv[++k];
    char* end = nullptr;
    const unsigned long long number = std::strtoull(value, &end, 10);
    if (end == value || *end != '\0' || number == 0) usage(argv[0]);
    if (arg == "--threads") {
      options.threads = static_cast<int>(number);
    } else if (arg == "--count") {
      options.count = number;
    } else if (arg == "--window") {
      options.window = number;
    } else {
      usage(argv[0]);
    }
  }
  return options;
}

using Clock = std::chrono::steady_clock;

struct alignas(64) ThreadResult {
  uint64_t checksum = 0;
  bool ok = true;
  Clock::time_point begin;
  Clock::time_point end;
};

// One thread's loop: `count` allocations, the last `window` of them alive.
void run(uint64_t count, uint64_t window, uint64_t seed, ThreadResult& result) {
  std::vector<void*> ring(window, nullptr);
  result.begin = Clock::now();
  uint64_t state = 0x9E3779B97F4A7C15ULL * (seed + 1);
  uint64_t checksum = 0;
  bool ok = true;
  uint64_t slot = 0;
  for (uint64_t n = 0; n < count; ++n) {
    // xorshift64
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const size_t size = 16 + static_cast<size_t>(state % 33);
    void* block = allocate(size);
    if (block == nullptr) {
      ok = false;
      break;
    }
    std::memcpy(block, &n, sizeof n);
    checksum += size;

    void* old = ring[slot];
    if (old != nullptr) {
      uint64_t stamp;
      std::memcpy(&stamp, old, sizeof stamp);
      ok &= stamp == n - window;
      release(old);
    }
    ring[slot] = block;
    if (++slot == window) slot = 0;
  }
  for (void* block : ring) {
    if (block != nullptr) release(block);
  }
  result.end = Clock::now();
  result.checksum = checksum;
  result.ok = ok;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const auto threads = static_cast<uint64_t>(options.threads);
  std::printf(
      "alloc_throughput: allocator=%s threads=%d allocations=%llu sizes=16..48 window=%llu\n",
      kAllocator, options.threads, static_cast<unsigned long long>(options.count),
      static_cast<unsigned long long>(options.window));

  std::vector<ThreadResult> results(threads);
  std::barrier start(options.threads);
  std::vector<std::thread> workers;
  for (uint64_t t = 0; t < threads; ++t) {
    // The first count % threads threads take one extra allocation.
    const uint64_t share = options.count / threads + (t < options.count % threads ? 1 : 0);
    workers.emplace_back([&, share, t] {
      start.arrive_and_wait();
      run(share, options.window, t, results[t]);
    });
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
  std::printf("Mallocs/s: %.0f\n", static_cast<double>(options.count) / seconds);
  return ok ? 0 : 1;
}
