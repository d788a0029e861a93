// The cost of Runa values (runatime/values.hpp, docs/types.md "Value
// representation"): an Integer ADD and a Float MUL with their checks, beside
// the same operation on a plain int64_t (with its overflow check) and a plain
// double, and one step of the n-body kernel on values
// (bench/nbody_values.hpp).
//
//   bench_values                   Google Benchmark times (a loaded machine
//                                  makes them noisy)
//   bench_values --count=<kernel>/<n>
//                                  runs count_<kernel> over n operations (n
//                                  steps for nbody) and nothing else, for
//                                  bench/count_value_instructions.sh, which
//                                  counts instructions under callgrind
// Kernels: int_add, plain_int_add, float_mul, spur_float_mul (Spur's
// immediate floats, for comparison), plain_float_mul, nbody.
//
// Each count_* loop carries its result from one iteration to the next and
// hides both operands from the optimiser in every iteration (an empty asm),
// so that every operation is executed with both operands' checks, as an
// interpreter taking them from its stack would, and none is folded or
// hoisted; plain and value loops get the same treatment, so their
// difference is the price of the values.
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "nbody_values.hpp"
#include "runatime/heap.hpp"
#include "runatime/values.hpp"

namespace {

using runa::heap::Value;
namespace types = runa::types;

struct Setup {
  Setup() {
    heap = runa::heap::Heap::create().value();
    cx = types::Context::create(*heap).value();
    m = &heap->attach();
  }
  ~Setup() {
    heap->detach(*m);
    cx.reset();
  }
  Setup(const Setup&) = delete;
  Setup& operator=(const Setup&) = delete;
  Setup(Setup&&) = delete;
  Setup& operator=(Setup&&) = delete;
  std::unique_ptr<runa::heap::Heap> heap;
  std::unique_ptr<types::Context> cx;
  runa::heap::Mutator* m = nullptr;
};

template <class T>
void opaque(T& v) {
  asm volatile("" : "+r"(v));
}

[[gnu::noinline]] Value count_int_add(const types::Context& cx, runa::heap::Mutator& m,
                                      std::uint64_t n) {
  Value acc = types::make_small_int(0);
  Value one = types::make_small_int(1);
  for (std::uint64_t i = 0; i < n; ++i) {
    types::Outcome r = types::add(cx, m, acc, one);
    if (r.fault != types::Fault::kNone) [[unlikely]]
      std::abort();
    acc = r.value;
    opaque(acc);
    opaque(one);
  }
  return acc;
}

[[gnu::noinline]] std::int64_t count_plain_int_add(std::uint64_t n) {
  std::int64_t acc = 0;
  std::int64_t one = 1;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (__builtin_add_overflow(acc, one, &acc)) [[unlikely]]
      std::abort();
    opaque(acc);
    opaque(one);
  }
  return acc;
}

[[gnu::noinline]] Value count_float_mul(const types::Context& cx, runa::heap::Mutator& m,
                                        std::uint64_t n) {
  Value acc = types::make_immediate_float(1.0);
  Value factor = types::make_immediate_float(1.0000001);
  for (std::uint64_t i = 0; i < n; ++i) {
    types::Outcome r = types::mul(cx, m, acc, factor);
    if (r.fault != types::Fault::kNone) [[unlikely]]
      std::abort();
    acc = r.value;
    opaque(acc);
    opaque(factor);
  }
  return acc;
}

[[gnu::noinline]] double count_plain_float_mul(std::uint64_t n) {
  double acc = 1.0;
  double factor = 1.0000001;
  for (std::uint64_t i = 0; i < n; ++i) {
    acc *= factor;
    asm volatile("" : "+x"(acc), "+x"(factor));
  }
  return acc;
}

// For comparison only: Spur's 64-bit immediate floats (Squeak/Pharo), the
// alternative docs/types.md measures ours against. Tag 100 in bits 2..0,
// then the double rotated left by one (sign lowest) with its exponent
// re-biased to 8 bits (biased exponents 896..1151, about 2^-127..2^128), ±0
// special-cased. Multiplication in the shape of types::mul: the small
// Integer check first, then both tags, decode, multiply, range check,
// encode.
namespace spur {
constexpr std::uint64_t kTag = 4;
constexpr std::uint64_t kBias = std::uint64_t{896} << 53;
inline double decode(std::uint64_t w) {
  std::uint64_t r = w >> 3;
  if (r > 1) r += kBias;
  return std::bit_cast<double>(std::rotr(r, 1));
}
inline bool fits(double d) {
  auto b = std::bit_cast<std::uint64_t>(d);
  return ((b >> 52) & 0x7FF) - 896 < 256 || (b << 1) == 0;
}
inline std::uint64_t encode(double d) {
  std::uint64_t r = std::rotl(std::bit_cast<std::uint64_t>(d), 1);
  if (r > 1) r -= kBias;
  return (r << 3) | kTag;
}
}  // namespace spur

[[gnu::noinline]] std::uint64_t count_spur_float_mul(std::uint64_t n) {
  std::uint64_t acc = spur::encode(1.0);
  std::uint64_t factor = spur::encode(1.0000001);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::int64_t r;
    if (types::both_small_ints(acc, factor) &&
        !__builtin_mul_overflow(types::small_int_value(acc), static_cast<std::int64_t>(factor - 1),
                                &r)) {
      acc = static_cast<Value>(r) | types::kSmallIntTag;
    } else if ((acc & 7) == spur::kTag && (factor & 7) == spur::kTag) {
      double d = spur::decode(acc) * spur::decode(factor);
      if (!spur::fits(d)) [[unlikely]]
        std::abort();
      acc = spur::encode(d);
    } else {
      std::abort();
    }
    opaque(acc);
    opaque(factor);
  }
  return acc;
}

[[gnu::noinline]] bool count_nbody(runa::bench::NBody& sys, Value dt, std::uint64_t steps) {
  for (std::uint64_t i = 0; i < steps; ++i) {
    if (!sys.advance(dt)) return false;
  }
  return true;
}

void BM_IntegerAdd(benchmark::State& state) {
  Setup s;
  for (auto _ : state) benchmark::DoNotOptimize(count_int_add(*s.cx, *s.m, 1000));
  state.SetItemsProcessed(state.iterations() * 1000);
}
void BM_PlainIntegerAdd(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(count_plain_int_add(1000));
  state.SetItemsProcessed(state.iterations() * 1000);
}
void BM_FloatMul(benchmark::State& state) {
  Setup s;
  for (auto _ : state) benchmark::DoNotOptimize(count_float_mul(*s.cx, *s.m, 1000));
  state.SetItemsProcessed(state.iterations() * 1000);
}
void BM_PlainFloatMul(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(count_plain_float_mul(1000));
  state.SetItemsProcessed(state.iterations() * 1000);
}
void BM_NBodyStep(benchmark::State& state) {
  Setup s;
  runa::bench::NBody sys(*s.heap, *s.m, *s.cx);
  if (!sys.ok()) {
    state.SkipWithError("the heap is exhausted");
    return;
  }
  Value dt = types::make_immediate_float(0.01);
  for (auto _ : state) {
    if (!count_nbody(sys, dt, 1)) {
      state.SkipWithError("a fault in the kernel");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IntegerAdd);
BENCHMARK(BM_PlainIntegerAdd);
BENCHMARK(BM_FloatMul);
BENCHMARK(BM_PlainFloatMul);
BENCHMARK(BM_NBodyStep);

int count(std::string_view spec) {
  const std::size_t slash = spec.find('/');
  if (slash == std::string_view::npos) return 2;
  const std::string_view kernel = spec.substr(0, slash);
  char* end = nullptr;
  const std::string digits(spec.substr(slash + 1));
  const std::uint64_t n = std::strtoull(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || n == 0) return 2;
  Setup s;
  if (kernel == "int_add") {
    std::printf("%lld\n", static_cast<long long>(types::as_int(count_int_add(*s.cx, *s.m, n))));
  } else if (kernel == "plain_int_add") {
    std::printf("%lld\n", static_cast<long long>(count_plain_int_add(n)));
  } else if (kernel == "float_mul") {
    std::printf("%g\n", types::as_double(count_float_mul(*s.cx, *s.m, n)));
  } else if (kernel == "spur_float_mul") {
    std::printf("%g\n", spur::decode(count_spur_float_mul(n)));
  } else if (kernel == "plain_float_mul") {
    std::printf("%g\n", count_plain_float_mul(n));
  } else if (kernel == "nbody") {
    runa::bench::NBody sys(*s.heap, *s.m, *s.cx);
    if (!sys.ok() || !count_nbody(sys, types::make_immediate_float(0.01), n)) return 1;
    std::printf("%g\n", types::as_double(sys.field(0, 0)));
  } else {
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr std::string_view kCount = "--count=";
  if (argc == 2 && std::string_view(argv[1]).starts_with(kCount)) {
    const int rc = count(std::string_view(argv[1]).substr(kCount.size()));
    if (rc == 2) {
      std::fprintf(
          stderr,
          "usage: %s "
          "--count=<int_add|plain_int_add|float_mul|spur_float_mul|plain_float_mul|nbody>/<n>\n",
          argv[0]);
    }
    return rc;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
