// The allocation fast path (runa::heap::allocate, inline in heap.hpp): ns per
// small allocation, everything dead at once (the nursery's best case: a minor
// collection finds nothing to copy).
//
//   bench_alloc_fast [Google Benchmark flags]
//
//   Alloc/<bytes>            allocate() of a plain object, TLAB refills and
//                            minor collections included (amortized)
//   AllocInTlab/<bytes>      only allocations that fit the current TLAB: the
//                            loop stops short of the limit, so the slow path
//                            is never taken inside the timed region
//   AllocWithHandle/24       allocate() and keep the object in a handle
//                            (scope per allocation), as natives do
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>

#include "runatime/heap.hpp"

namespace {

using runa::heap::Heap;
using runa::heap::Mutator;
using runa::heap::Object;

struct Fixture {
  std::unique_ptr<Heap> heap;
  Mutator* m = nullptr;
  std::uint32_t types[8] = {};  // by size / 8

  Fixture() {
    runa::heap::Options o;
    o.nursery = std::size_t{16} << 20;
    auto h = Heap::create(o);
    if (!h.ok()) {
      std::fprintf(stderr, "heap: %s\n", h.error().describe().c_str());
      std::abort();
    }
    heap = std::move(h.value());
    m = &heap->attach();
    for (std::uint32_t k = 2; k < 8; ++k) {
      runa::heap::Layout l;
      l.size = 8 * k;
      l.refs = 0;
      l.name = "blob";
      types[k] = heap->register_layout(l).value();
    }
  }
  ~Fixture() { heap->detach(*m); }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void Alloc(benchmark::State& state) {
  Fixture& f = fixture();
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const std::uint32_t type = f.types[bytes / 8];
  constexpr int kBatch = 1024;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      Object* o = runa::heap::allocate(*f.m, type, bytes);
      benchmark::DoNotOptimize(o);
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["ns/alloc"] = benchmark::Counter(
      kBatch * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void AllocInTlab(benchmark::State& state) {
  Fixture& f = fixture();
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const std::uint32_t type = f.types[bytes / 8];
  std::int64_t count = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // A fresh TLAB: one allocation through the slow path, untimed.
    Mutator& m = *f.m;
    std::size_t room = static_cast<std::size_t>(m.limit - m.cursor);
    if (room < 512 * bytes) {
      // Fill the tail; the allocation that does not fit takes a new buffer.
      for (std::size_t i = room / bytes + 1; i > 0; --i) {
        benchmark::DoNotOptimize(runa::heap::allocate(m, type, bytes));
      }
    }
    room = static_cast<std::size_t>(m.limit - m.cursor);
    const std::size_t n = room / bytes;
    state.ResumeTiming();
    for (std::size_t i = 0; i < n; ++i) {
      Object* o = runa::heap::allocate(m, type, bytes);
      benchmark::DoNotOptimize(o);
    }
    count += static_cast<std::int64_t>(n);
  }
  state.SetItemsProcessed(count);
  state.counters["ns/alloc"] = benchmark::Counter(
      static_cast<double>(count) * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void AllocWithHandle(benchmark::State& state) {
  Fixture& f = fixture();
  const std::uint32_t type = f.types[3];
  constexpr int kBatch = 1024;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      runa::heap::HandleScope scope(*f.m);
      runa::heap::Handle h(*f.m, runa::heap::allocate(*f.m, type, 24));
      benchmark::DoNotOptimize(h.slot());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["ns/alloc"] = benchmark::Counter(
      kBatch * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

BENCHMARK(Alloc)->Arg(16)->Arg(24)->Arg(32)->Arg(48);
BENCHMARK(AllocInTlab)->Arg(24);
BENCHMARK(AllocWithHandle);

}  // namespace

BENCHMARK_MAIN();
