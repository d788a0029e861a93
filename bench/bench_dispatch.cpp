// Dispatch costs of the types part (docs/types.md, "Dispatch"), in ns per
// lookup: from the receiver's descriptor to the method to call. A call
// then costs what DirectCall measures on top.
//
//   bench_dispatch [Google Benchmark flags]
//
//   Vtable          receiver's vtable slot, known at the call site (a tier
//                   that resolved the slot once): load, load, call
//   InlineMono      a monomorphic inline cache hit
//   InlinePoly/4    a polymorphic site, four receiver types in turn, all hits
//   Megamorphic     eight receiver types: the global MethodCache's hit path
//   ByName          the descriptor's own selector map, no cache (the miss path)
//   SubtypeTest     is_struct_subtype over a mix of true and false pairs
//   SubtypeFloor    the same loop comparing the pair's pointers: its cost
//   DirectCall      the same indirect call with no lookup: the floor
//
// DirectCall's "method" is a C++ function indexed by MethodDesc::function,
// standing in for the entries the execution bridge binds. Lookups feed
// their result into the next iteration's data (a dependency chain), so the
// figures are latencies, not overlapped throughput. The inline cache is the
// public one (runatime/types.hpp); the descriptors and the global cache are
// read through the types part's internal headers, as a tier's fast paths are.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "dispatch_family.hpp"
#include "runatime/heap.hpp"
#include "runatime/module.hpp"
#include "runatime/types.hpp"
#include "types/method_cache.hpp"
#include "types/type_registry.hpp"

namespace {

using namespace runa::types;
namespace rt = runa::rt;

using Code = long (*)(long);
template <long K>
long add(long x) {
  return x + K;
}
constexpr Code kCode[] = {add<0>, add<1>, add<2>, add<3>, add<4>, add<5>, add<6>, add<7>, add<8>};

struct World {
  std::unique_ptr<runa::heap::Heap> heap;
  std::unique_ptr<TypeRegistry> registry;
  const ModuleTypes* mt = nullptr;
  std::vector<const TypeDesc*> s;      // S0..S7
  std::vector<const TypeDesc*> chain;  // R, S0, D0..D5
  std::uint32_t m = 0;

  World() {
    heap = std::move(runa::heap::Heap::create().value());
    registry = std::make_unique<TypeRegistry>(*heap);
    auto module = runa::module::assemble(runa::bench::dispatch_family(6), "family.runas");
    if (!module || !runa::module::verify(*module)) std::abort();
    mt = *registry->load(*module);
    for (int i = 0; i < 8; ++i) s.push_back(mt->type("S" + std::to_string(i)));
    chain = {mt->type("R"), s[0]};
    for (int d = 0; d < 6; ++d) chain.push_back(mt->type("D" + std::to_string(d)));
    m = registry->symbols().find("m");
  }
};

World& world() {
  static World w;
  return w;
}

long call(const MethodDesc* md, long x) {
  return kCode[md->function](x);
}

// Folds a lookup's answer into the accumulator the next receiver index
// depends on.
long use(const MethodDesc* md, long acc) {
  return acc + md->function;
}

// Receivers in turn, as a call site would see them.
std::vector<const TypeDesc*> receivers(std::size_t kinds) {
  std::vector<const TypeDesc*> out;
  for (std::size_t i = 0; i < 1024; ++i) out.push_back(world().s[i % kinds]);
  return out;
}

void DirectCall(benchmark::State& state) {
  long acc = 0;
  const MethodDesc* md = world().s[0]->method(world().m);
  for (auto _ : state) {
    benchmark::DoNotOptimize(md);
    acc = call(md, acc);
  }
  benchmark::DoNotOptimize(acc);
}

void Vtable(benchmark::State& state) {
  const auto rs = receivers(8);
  const std::uint32_t slot = world().s[0]->slots_by_selector.at(world().m);
  long acc = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const TypeDesc* t = rs[(i++ + static_cast<std::size_t>(acc & 0)) & 1023];
    benchmark::DoNotOptimize(t);
    acc = use(t->vtable[slot].method, acc);
  }
  benchmark::DoNotOptimize(acc);
}

void Inline(benchmark::State& state) {
  const auto rs = receivers(static_cast<std::size_t>(state.range(0)));
  rt::InlineCache site;
  for (const TypeDesc* t : rs) {
    site.record(rt::Type::of(t), reinterpret_cast<std::uintptr_t>(t->method(world().m)));
  }
  long acc = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const TypeDesc* t = rs[(i++ + static_cast<std::size_t>(acc & 0)) & 1023];
    benchmark::DoNotOptimize(t);
    acc = use(reinterpret_cast<const MethodDesc*>(site.find(rt::Type::of(t))), acc);
  }
  benchmark::DoNotOptimize(acc);
}

void Megamorphic(benchmark::State& state) {
  const auto rs = receivers(8);
  MethodCache cache;
  long acc = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const TypeDesc* t = rs[(i++ + static_cast<std::size_t>(acc & 0)) & 1023];
    benchmark::DoNotOptimize(t);
    acc = use(cache.lookup(t, world().m), acc);
  }
  benchmark::DoNotOptimize(acc);
}

void ByName(benchmark::State& state) {
  const auto rs = receivers(8);
  long acc = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const TypeDesc* t = rs[(i++ + static_cast<std::size_t>(acc & 0)) & 1023];
    benchmark::DoNotOptimize(t);
    acc = use(t->method(world().m), acc);
  }
  benchmark::DoNotOptimize(acc);
}

// SubtypeTest's loop with `test` in place of the subtype test: with
// identity as the test (SubtypeFloor), what the loop costs around it.
template <class Test>
void over_pairs(benchmark::State& state, Test test) {
  const auto& c = world().chain;
  std::vector<std::pair<const TypeDesc*, const TypeDesc*>> pairs;
  for (std::size_t i = 0; i < 1024; ++i)
    pairs.emplace_back(c[(i * 7) % c.size()], c[(i * 3) % c.size()]);
  const auto* const pair = pairs.data();  // held in a register, not reloaded from the vector
  long hits = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [s, t] = pair[i++ & 1023];
    hits += test(s, t) ? 1 : 0;
  }
  benchmark::DoNotOptimize(hits);
}

void SubtypeTest(benchmark::State& state) {
  over_pairs(state, is_struct_subtype);
}

void SubtypeFloor(benchmark::State& state) {
  over_pairs(state, [](const TypeDesc* s, const TypeDesc* t) { return s == t; });
}

BENCHMARK(DirectCall);
BENCHMARK(Vtable);
BENCHMARK(Inline)->Name("InlineMono")->Arg(1);
BENCHMARK(Inline)->Name("InlinePoly")->Arg(4);
BENCHMARK(Megamorphic);
BENCHMARK(ByName);
BENCHMARK(SubtypeTest);
BENCHMARK(SubtypeFloor);

}  // namespace

BENCHMARK_MAIN();
