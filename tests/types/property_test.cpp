// Property tests with a fixed seed: random operands through every operation
// against the models of arith_model.hpp, drawn so that every region is hit
// often (small Integers, both sides of the small range's edges, the whole
// 64-bit range; Floats from random bits, so every exponent, NaN payloads and
// subnormals included, and from the common range).
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>

#include "arith_model.hpp"
#include "runatime/values.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using testing::TypesHeap;

std::int64_t random_integer(std::mt19937_64& rng) {
  std::uint64_t r = rng();
  switch (r % 5) {
    case 0:
      return static_cast<std::int64_t>(rng() % 2001) - 1000;
    case 1:
      return kSmallIntMax - static_cast<std::int64_t>(rng() % 5) + 2;
    case 2:
      return kSmallIntMin + static_cast<std::int64_t>(rng() % 5) - 2;
    case 3:  // a random magnitude: products and shifts land on both sides
      return static_cast<std::int64_t>(rng()) >> (rng() % 64);
    default:
      return static_cast<std::int64_t>(rng());
  }
}

double random_double(std::mt19937_64& rng) {
  if (rng() % 2 == 0) return std::bit_cast<double>(rng());
  std::uniform_real_distribution<double> common(-1e6, 1e6);
  return common(rng);
}

// Enough operations to hit every region many times; fewer under RUNA_GC,
// where every fifth box collects and verifies the heap.
int rounds() {
  return testing::under_test_modes() ? 3000 : 100000;
}

TEST(Properties, IntegerOperationsMatchThe128BitModel) {
  TypesHeap t;
  std::mt19937_64 rng(12);
  for (int i = 0; i < rounds(); ++i) {
    heap::HandleScope scope(*t.m);
    Op op = testing::kAllOps[rng() % std::size(testing::kAllOps)];
    std::int64_t x = random_integer(rng);
    std::int64_t y = op == Op::kShl || op == Op::kShr ? static_cast<std::int64_t>(rng() % 70) - 2
                                                      : random_integer(rng);
    testing::check_int_op(t, op, x, y);
    if (HasFatalFailure()) return;
  }
}

TEST(Properties, FloatOperationsMatchPlainDoubles) {
  TypesHeap t;
  std::mt19937_64 rng(34);
  for (int i = 0; i < rounds(); ++i) {
    heap::HandleScope scope(*t.m);
    Op op = testing::kFloatOps[rng() % std::size(testing::kFloatOps)];
    testing::check_float_op(t, op, random_double(rng), random_double(rng));
    if (HasFatalFailure()) return;
  }
}

TEST(Properties, ComparisonMatchesTheModel) {
  TypesHeap t;
  std::mt19937_64 rng(56);
  for (int i = 0; i < rounds(); ++i) {
    heap::HandleScope scope(*t.m);
    std::int64_t x = random_integer(rng);
    std::int64_t y = random_integer(rng);
    heap::Handle hx(*t.m, make_int(*t.cx, *t.m, x));
    Value vy = make_int(*t.cx, *t.m, y);
    Order want = x < y ? Order::kLess : x == y ? Order::kEqual : Order::kGreater;
    ASSERT_EQ(compare(*t.cx, hx.value(), vy), want) << x << " " << y;
    double d = random_double(rng);
    heap::Handle hd(*t.m, make_float(*t.cx, *t.m, d));
    Value vx = make_int(*t.cx, *t.m, x);
    // The model: in 128 bits when d is integral and in range, else through
    // the long double's 64-bit mantissa, which holds every int64_t exactly.
    long double ld = d;
    long double lx = x;
    Order m = std::isnan(d) ? Order::kUnordered
              : lx < ld     ? Order::kLess
              : lx > ld     ? Order::kGreater
                            : Order::kEqual;
    ASSERT_EQ(compare(*t.cx, vx, hd.value()), m) << x << " " << d;
  }
}

}  // namespace
}  // namespace runa::types
