// The write barrier's cost on a pointer-store-heavy loop (docs/memory.md, "The
// write barrier"): stores of references into the slots of old objects and of
// young objects, through runa::heap::write() (set_slot) and as a plain store,
// in ns per store; at the end, the barrier/plain ratio of each pair.
//
//   bench_barrier [Google Benchmark flags]
//
// Benchmarks (N = 4096 objects of two reference slots, one store per object
// and iteration, values are references to old objects):
//   StoreOld/{barrier,plain}     into old objects already logged: the barrier's
//                                steady state (header load, bit test, branch)
//   StoreYoung/{barrier,plain}   into young objects (born logged)
//   StoreOldFirst/barrier        the first store into each old object after a
//                                minor collection: the logging slow path
//                                (a minor collection per iteration, untimed)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runatime/heap.hpp"

namespace {

using runa::heap::as_object;
using runa::heap::Heap;
using runa::heap::Mutator;
using runa::heap::Object;
using runa::heap::Value;

constexpr std::size_t kObjects = 4096;

struct Fixture {
  std::unique_ptr<Heap> heap;
  Mutator* m = nullptr;
  std::uint32_t node = 0;
  std::vector<Value> old_objects;    // a registered root set
  std::vector<Value> young_objects;  // likewise
  std::uint64_t old_roots = 0;
  std::uint64_t young_roots = 0;

  Fixture() {
    runa::heap::Options o;
    o.nursery = std::size_t{64} << 20;
    o.promotion_age = 1;
    o.max_heap = std::size_t{1} << 30;
    auto h = Heap::create(o);
    if (!h.ok()) {
      std::fprintf(stderr, "heap: %s\n", h.error().describe().c_str());
      std::abort();
    }
    heap = std::move(h.value());
    m = &heap->attach();
    runa::heap::Layout l;
    l.size = 24;
    l.refs = 2;
    l.name = "node";
    node = heap->register_layout(l).value();
    old_objects.assign(kObjects, 0);
    young_objects.assign(kObjects, 0);
    old_roots = heap->add_roots(old_objects.data(), kObjects);
    young_roots = heap->add_roots(young_objects.data(), kObjects);
    for (Value& v : old_objects) v = runa::heap::ref_value(allocate_node());
    heap->collect(*m);  // promotion_age 1: every survivor is promoted
    for (Value& v : young_objects) v = runa::heap::ref_value(allocate_node());
  }
  ~Fixture() {
    heap->remove_roots(old_roots);
    heap->remove_roots(young_roots);
    heap->detach(*m);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  Object* allocate_node() const {
    Object* o = runa::heap::allocate(*m, node, 24);
    if (o == nullptr) std::abort();
    return o;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Raw pointers to the targets: valid while nothing collects.
std::vector<Object*> targets(const std::vector<Value>& roots) {
  std::vector<Object*> out;
  out.reserve(roots.size());
  for (Value v : roots) out.push_back(as_object(v));
  return out;
}

void set_rate(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kObjects));
  state.counters["ns/store"] = benchmark::Counter(
      static_cast<double>(kObjects) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

template <bool kBarrier>
void store_loop(benchmark::State& state, const std::vector<Value>& into) {
  Fixture& f = fixture();
  std::vector<Object*> objs = targets(into);
  const std::vector<Value>& values = f.old_objects;
  Mutator& m = *f.m;
  std::size_t round = 0;
  for (auto _ : state) {
    // A different value and slot each round, so no store is redundant.
    const std::size_t shift = ++round;
    for (std::size_t i = 0; i < kObjects; ++i) {
      Value v = values[(i + shift) & (kObjects - 1)];
      if constexpr (kBarrier) {
        runa::heap::set_slot(m, objs[i], (i + shift) & 1, v);
      } else {
        objs[i]->slots()[(i + shift) & 1] = v;
      }
    }
    benchmark::ClobberMemory();
  }
  set_rate(state);
}

void StoreOld_barrier(benchmark::State& state) {
  store_loop<true>(state, fixture().old_objects);
}
void StoreOld_plain(benchmark::State& state) {
  store_loop<false>(state, fixture().old_objects);
}
void StoreYoung_barrier(benchmark::State& state) {
  store_loop<true>(state, fixture().young_objects);
}
void StoreYoung_plain(benchmark::State& state) {
  store_loop<false>(state, fixture().young_objects);
}

// Every store takes the slow path: a minor collection (untimed) sets the
// unlogged bit of each old object again, since none points into the nursery.
void StoreOldFirst_barrier(benchmark::State& state) {
  Fixture& f = fixture();
  Mutator& m = *f.m;
  for (auto _ : state) {
    state.PauseTiming();
    for (Value& v : f.young_objects) v = 0;  // young targets would be promoted, keep them out
    f.heap->collect(m);
    std::vector<Object*> objs = targets(f.old_objects);
    state.ResumeTiming();
    for (std::size_t i = 0; i < kObjects; ++i) {
      runa::heap::set_slot(m, objs[i], i & 1, f.old_objects[(i + 1) & (kObjects - 1)]);
    }
    benchmark::ClobberMemory();
  }
  set_rate(state);
  // Fresh young targets for any benchmark that runs after this one.
  for (Value& v : f.young_objects) v = runa::heap::ref_value(f.allocate_node());
}

BENCHMARK(StoreOld_barrier);
BENCHMARK(StoreOld_plain);
BENCHMARK(StoreYoung_barrier);
BENCHMARK(StoreYoung_plain);
BENCHMARK(StoreOldFirst_barrier);

// Keeps each benchmark's time per store, for the ratios printed at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      // With repetitions, the median aggregate wins over single runs.
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      const double ns = r.GetAdjustedRealTime() *
                        (r.time_unit == benchmark::kNanosecond    ? 1.0
                         : r.time_unit == benchmark::kMicrosecond ? 1e3
                         : r.time_unit == benchmark::kMillisecond ? 1e6
                                                                  : 1e9) /
                        static_cast<double>(kObjects);
      ns_per_store_[r.run_name.function_name] = ns;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void print_ratios() const {
    std::printf("\nns per store (barrier vs plain store, ratio = barrier / plain):\n");
    for (const char* group : {"StoreOld", "StoreYoung"}) {
      auto b = ns_per_store_.find(std::string(group) + "_barrier");
      auto p = ns_per_store_.find(std::string(group) + "_plain");
      if (b == ns_per_store_.end() || p == ns_per_store_.end()) continue;
      std::printf("  %-12s barrier %6.3f ns  plain %6.3f ns  ratio %.2f\n", group, b->second,
                  p->second, b->second / p->second);
    }
    auto first = ns_per_store_.find("StoreOldFirst_barrier");
    auto plain = ns_per_store_.find("StoreOld_plain");
    if (first != ns_per_store_.end() && plain != ns_per_store_.end()) {
      std::printf("  %-12s barrier %6.3f ns  (logging slow path; ratio to plain %.2f)\n",
                  "OldFirst", first->second, first->second / plain->second);
    }
  }

 private:
  std::map<std::string, double> ns_per_store_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
