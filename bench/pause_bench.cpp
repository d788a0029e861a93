// The pause workload ("message buffers") on RunaTime's heap through its C++ API:
// the program of bench/peers/PauseRing.java and bench/peers/pause_ring.go (that
// Java file's header has the specification: a ring of 200,000 entries owning byte
// arrays of 512..1535 bytes, about 210 MB live; per operation one entry replaced
// and a holder of 8 byte arrays of 16..271 bytes parked in a 256-slot sink; the
// same xorshift64 sizes; the first 200,000 operations fill the ring untimed).
//
//   runa_pauses [--seconds=N] [heap options]     (default 20 s; --help)
//
// Heap options: bench/runa_options.hpp. The program sets none of its own: the
// heap's defaults, which scripts/bench-gc-peers overrides only with --max-heap.
//
// Layouts: an entry is a plain object (header, one reference to its byte
// array, one raw word holding the operation number: 24 bytes); a holder a
// plain object with 8 reference slots; the ring a 200,000-slot reference array
// (1.6 MB: born in the large-object space) and the sink a 256-slot one. Every
// store of a reference goes through the write barrier (set_slot). References
// held across an allocation live in a two-slot root range (`frame`), as an
// execution tier keeps them in frame slots it reports.
//
// Output: the lines of PauseRing.java (ops, seconds, ops/s, max gap per 1024
// ops ms, ring check), then the heap's pauses of the timed phase, one line each:
//   pause minor <ms>      pause major <ms>
// A pause is the wall time of an allocation during which a collection ran: a
// frame enumerator counts collections (the program is the only mutator, so
// every collection runs inside one of its allocations), and a pause during
// which Heap::stats().major_collections grew is a major one. Last, the heap's
// own Stats for the whole run (fill included) and the options in force.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "runa_options.hpp"

namespace {

using runa::heap::as_object;
using runa::heap::Handle;
using runa::heap::HandleScope;
using runa::heap::Mutator;
using runa::heap::Object;
using runa::heap::ref_value;
using runa::heap::set_slot;
using runa::heap::Value;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRing = 200'000;
constexpr std::size_t kSink = 256;
constexpr std::size_t kHolderArrays = 8;
constexpr std::size_t kEntryBytes = 24;                      // header, data, seq
constexpr std::size_t kHolderBytes = 8 + 8 * kHolderArrays;  // header, parts

struct Types {
  std::uint32_t entry = 0;
  std::uint32_t holder = 0;
  std::uint32_t bytes = 0;
  std::uint32_t refs = 0;
};

// The collector's pauses during the timed phase.
struct Pauses {
  runa::heap::Heap* heap = nullptr;
  std::uint64_t collections = 0;  // bumped by the frame enumerator
  std::uint64_t majors = 0;       // Stats::major_collections at the last pause
  bool recording = false;
  std::vector<std::uint64_t> minor_ns;
  std::vector<std::uint64_t> major_ns;
};

void count_collection(void* ctx, runa::heap::RootVisitor& /*v*/) {
  ++static_cast<Pauses*>(ctx)->collections;
}

class Workload {
 public:
  Workload(runa::heap::Heap& heap, Mutator& m, Types types, Pauses& pauses)
      : heap_(heap),
        m_(m),
        types_(types),
        pauses_(pauses),
        frame_roots_(heap_.add_roots(frame_, 2)) {}
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;
  Workload(Workload&&) = delete;
  Workload& operator=(Workload&&) = delete;
  ~Workload() { heap_.remove_roots(frame_roots_); }

  // An object, timing the allocation when it may collect (no TLAB room left).
  Object* allocate(std::uint32_t type, std::size_t bytes, std::uint64_t array_length) {
    auto take = [&] {
      return array_length != 0 ? runa::heap::allocate_array(m_, type, bytes, array_length)
                               : runa::heap::allocate(m_, type, bytes);
    };
    Object* o = nullptr;
    if (static_cast<std::size_t>(m_.limit - m_.cursor) >= bytes) {
      o = take();
    } else {
      const std::uint64_t before = pauses_.collections;
      const auto start = Clock::now();
      o = take();
      const auto end = Clock::now();
      if (pauses_.recording && pauses_.collections != before) {
        const auto ns = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
        // Heap::stats() only when a collection ran: it takes a lock.
        const std::uint64_t majors = heap_.stats().major_collections;
        (majors != pauses_.majors ? pauses_.major_ns : pauses_.minor_ns).push_back(ns);
        pauses_.majors = majors;
      }
    }
    if (o == nullptr) runa_bench::out_of_memory("runa_pauses");
    return o;
  }

  Object* bytes(std::size_t length) {
    return allocate(types_.bytes, runa::heap::byte_array_bytes(length), length);
  }

  void operation(std::uint64_t i, Handle& ring, Handle& sink) {
    const std::size_t length = 512 + static_cast<std::size_t>((next() >> 32) & 1023);
    Object* data = bytes(length);
    runa::heap::array_bytes(data)[0] = static_cast<std::uint8_t>(i);
    runa::heap::array_bytes(data)[length - 1] = static_cast<std::uint8_t>(i);
    frame_[0] = ref_value(data);
    Object* entry = allocate(types_.entry, kEntryBytes, 0);
    set_slot(m_, entry, 0, frame_[0]);
    entry->slots()[1] = i;
    set_slot(m_, ring.get(), 1 + i % kRing, ref_value(entry));

    frame_[0] = ref_value(allocate(types_.holder, kHolderBytes, 0));
    for (std::size_t k = 0; k < kHolderArrays; ++k) {
      Object* part = bytes(16 + static_cast<std::size_t>((next() >> 32) & 255));
      runa::heap::array_bytes(part)[0] = static_cast<std::uint8_t>(k);
      set_slot(m_, as_object(frame_[0]), k, ref_value(part));
    }
    set_slot(m_, sink.get(), 1 + i % kSink, frame_[0]);
    frame_[0] = 0;
  }

 private:
  std::uint64_t next() {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
  }

  runa::heap::Heap& heap_;
  Mutator& m_;
  Types types_;
  Pauses& pauses_;
  std::uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  Value frame_[2] = {0, 0};  // declared before frame_roots_: registered in the initializer
  std::uint64_t frame_roots_;
};

bool ring_ok(Object* ring) {
  for (std::size_t k = 0; k < kRing; ++k) {
    const Value v = runa::heap::array_slots(ring)[k];
    if (v == 0) return false;
    Object* e = as_object(v);
    const std::uint64_t seq = e->slots()[1];
    Object* data = as_object(e->slots()[0]);
    const std::uint64_t length = runa::heap::array_length(data);
    const auto mark = static_cast<std::uint8_t>(seq);
    if (seq % kRing != k || length < 512 || length > 1535 ||
        runa::heap::array_bytes(data)[0] != mark ||
        runa::heap::array_bytes(data)[length - 1] != mark) {
      return false;
    }
  }
  return true;
}

double ms(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

constexpr const char* kUsage =
    "usage: runa_pauses [--seconds=N] [heap options]\n"
    "  --seconds=N   length of the timed phase, N >= 1 (default 20)\n"
    "  heap options  --NAME=VALUE or --gc=TEXT (bench/runa_options.hpp):\n";

}  // namespace

int main(int argc, char** argv) {
  runa_bench::BenchOptions opts = runa_bench::parse_options(argc, argv, runa::heap::Options{});
  long seconds = 20;
  for (const std::string& a : opts.rest) {
    const std::string_view arg = a;
    if (arg == "--help" || arg == "-h") {
      std::printf("%s%s", kUsage, runa::heap::options_help());
      return 0;
    }
    constexpr std::string_view kSeconds = "--seconds=";
    if (!arg.starts_with(kSeconds)) runa_bench::usage_fail("runa_pauses", a, kUsage);
    char* end = nullptr;
    seconds = std::strtol(a.c_str() + kSeconds.size(), &end, 10);
    if (end == a.c_str() + kSeconds.size() || *end != '\0' || seconds < 1) {
      runa_bench::option_fail("--seconds", a);
    }
  }

  auto heap = runa_bench::make_heap(opts.heap);
  Types types;
  runa::heap::Layout layout;
  layout.size = kEntryBytes;
  layout.refs = 1;
  layout.name = "ring entry";
  types.entry = heap->register_layout(layout).value();
  layout.size = kHolderBytes;
  layout.refs = kHolderArrays;
  layout.name = "holder";
  types.holder = heap->register_layout(layout).value();
  runa::heap::Layout bytes_layout;
  bytes_layout.kind = runa::heap::LayoutKind::kByteArray;
  bytes_layout.name = "bytes";
  types.bytes = heap->register_layout(bytes_layout).value();
  runa::heap::Layout refs_layout;
  refs_layout.kind = runa::heap::LayoutKind::kRefArray;
  refs_layout.name = "refs";
  types.refs = heap->register_layout(refs_layout).value();

  Mutator& m = heap->attach();
  Pauses pauses;
  pauses.heap = heap.get();
  const std::uint64_t enumerator = heap->add_frame_enumerator(m, count_collection, &pauses);
  bool ok = false;
  {
    HandleScope scope(m);
    Workload work(*heap, m, types, pauses);
    Handle ring(m, work.allocate(types.refs, runa::heap::ref_array_bytes(kRing), kRing));
    Handle sink(m, work.allocate(types.refs, runa::heap::ref_array_bytes(kSink), kSink));
    std::uint64_t i = 0;
    for (; i < kRing; ++i) work.operation(i, ring, sink);

    pauses.majors = heap->stats().major_collections;
    pauses.recording = true;
    const std::uint64_t first = i;
    const auto start = Clock::now();
    const auto stop = start + std::chrono::seconds(seconds);
    auto last = start;
    Clock::duration max_gap{};
    for (;;) {
      for (int k = 0; k < 1024; ++k) work.operation(i++, ring, sink);
      const auto now = Clock::now();
      max_gap = std::max(max_gap, now - last);
      last = now;
      if (now >= stop) break;
    }
    pauses.recording = false;
    const double elapsed = std::chrono::duration<double>(last - start).count();
    const std::uint64_t ops = i - first;
    std::printf("ops: %llu\n", static_cast<unsigned long long>(ops));
    std::printf("seconds: %.3f\n", elapsed);
    std::printf("ops/s: %.0f\n", static_cast<double>(ops) / elapsed);
    std::printf("max gap per 1024 ops ms: %.3f\n",
                std::chrono::duration<double, std::milli>(max_gap).count());
    ok = ring_ok(ring.get());
    std::printf("ring check: %s\n", ok ? "ok" : "FAILED");
  }
  for (std::uint64_t ns : pauses.minor_ns) std::printf("pause minor %.3f\n", ms(ns));
  for (std::uint64_t ns : pauses.major_ns) std::printf("pause major %.3f\n", ms(ns));
  const runa::heap::Stats s = heap->stats();
  std::printf(
      "Heap::stats() (whole run, fill included): %llu minor and %llu major collections, pauses "
      "p50 %.3f ms, p99 %.3f ms, max %.3f ms, total %.1f ms; promoted %.1f MB, old now %.1f MB, "
      "large now %.1f MB, committed %.1f MB\n",
      static_cast<unsigned long long>(s.minor_collections),
      static_cast<unsigned long long>(s.major_collections), ms(s.p50_pause_ns), ms(s.p99_pause_ns),
      ms(s.max_pause_ns), ms(s.total_pause_ns), static_cast<double>(s.promoted_bytes) / 1e6,
      static_cast<double>(s.old_bytes) / 1e6, static_cast<double>(s.large_bytes) / 1e6,
      static_cast<double>(s.committed_bytes) / 1e6);
  std::printf("options: %s\n", runa::heap::describe_options(heap->options()).c_str());
  if (opts.stats) runa_bench::print_stats(*heap);
  heap->remove_frame_enumerator(m, enumerator);
  heap->detach(m);
  return ok ? 0 : 1;
}
