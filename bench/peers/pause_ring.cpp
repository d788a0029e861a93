// The pause workload ("message buffers") on malloc-style allocators, as a peer of
// bench/pause_bench.cpp (runa_pauses), PauseRing.java and pause_ring.go: the same
// operations, the same sizes from the same generator, the same output lines
// (PauseRing.java's header has the specification). Compiled once per allocation
// policy (peer_alloc.hpp): peer_pause_ring_glibc, _mimalloc, _boehm.
//
//   peer_pause_ring [--seconds=N]      (default 20; --help)
//
// With glibc and mimalloc the replaced entry and the holder a sink slot held are
// freed explicitly, with their arrays, at the moment they are replaced (what a C++
// program would do); with Boehm they are dropped for its collector. There is no
// collector account to read here: the runner reports ops/s, max gap and peak RSS.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "peer_alloc.hpp"

namespace {

using peers::Alloc;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRing = 200'000;
constexpr std::size_t kSink = 256;
constexpr std::size_t kHolderArrays = 8;

struct Entry {
  unsigned char* data;
  std::size_t length;
  std::uint64_t seq;
};

struct Holder {
  unsigned char* parts[kHolderArrays];
};

Entry* ring[kRing];
Holder* sink[kSink];
std::uint64_t rng = 0x9E3779B97F4A7C15ULL;

std::uint64_t next() {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

void operation(std::uint64_t i) {
  const std::size_t length = 512 + static_cast<std::size_t>((next() >> 32) & 1023);
  unsigned char* data = Alloc::make_bytes(length);
  data[0] = static_cast<unsigned char>(i);
  data[length - 1] = static_cast<unsigned char>(i);
  Entry*& slot = ring[i % kRing];
  if (Alloc::kFrees && slot != nullptr) {
    Alloc::destroy_bytes(slot->data);
    Alloc::destroy(slot);
  }
  slot = Alloc::make<Entry>(data, length, i);

  Holder* h = Alloc::make<Holder>();
  for (std::size_t k = 0; k < kHolderArrays; ++k) {
    unsigned char* part = Alloc::make_bytes(16 + static_cast<std::size_t>((next() >> 32) & 255));
    part[0] = static_cast<unsigned char>(k);
    h->parts[k] = part;
  }
  Holder*& parked = sink[i % kSink];
  if (Alloc::kFrees && parked != nullptr) {
    for (unsigned char* part : parked->parts) Alloc::destroy_bytes(part);
    Alloc::destroy(parked);
  }
  parked = h;
}

bool ring_ok() {
  for (std::size_t k = 0; k < kRing; ++k) {
    const Entry* e = ring[k];
    const auto mark = static_cast<unsigned char>(e == nullptr ? 0 : e->seq);
    if (e == nullptr || e->seq % kRing != k || e->length < 512 || e->length > 1535 ||
        e->data[0] != mark || e->data[e->length - 1] != mark) {
      return false;
    }
  }
  return true;
}

constexpr const char* kUsage = "usage: peer_pause_ring [--seconds=N]   (N >= 1, default 20)\n";

}  // namespace

int main(int argc, char** argv) {
  Alloc::init();
  long seconds = 20;
  for (int a = 1; a < argc; ++a) {
    const std::string_view arg = argv[a];
    if (arg == "--help" || arg == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    constexpr std::string_view kSeconds = "--seconds=";
    char* end = nullptr;
    if (arg.starts_with(kSeconds)) seconds = std::strtol(argv[a] + kSeconds.size(), &end, 10);
    if (!arg.starts_with(kSeconds) || end == argv[a] + kSeconds.size() || *end != '\0' ||
        seconds < 1) {
      std::fprintf(stderr, "peer_pause_ring: bad argument '%s'\n%s", argv[a], kUsage);
      return 2;
    }
  }
  std::uint64_t i = 0;
  for (; i < kRing; ++i) operation(i);
  const std::uint64_t first = i;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::seconds(seconds);
  auto last = start;
  Clock::duration max_gap{};
  for (;;) {
    for (int k = 0; k < 1024; ++k) operation(i++);
    const auto now = Clock::now();
    max_gap = std::max(max_gap, now - last);
    last = now;
    if (now >= stop) break;
  }
  const double elapsed = std::chrono::duration<double>(last - start).count();
  const std::uint64_t ops = i - first;
  std::printf("ops: %llu\n", static_cast<unsigned long long>(ops));
  std::printf("seconds: %.3f\n", elapsed);
  std::printf("ops/s: %.0f\n", static_cast<double>(ops) / elapsed);
  std::printf("max gap per 1024 ops ms: %.3f\n",
              std::chrono::duration<double, std::milli>(max_gap).count());
  const bool ok = ring_ok();
  std::printf("ring check: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
