// Arithmetic on values (runatime/values.hpp) at every edge: each operation
// on every pair of edge Integers (the 64-bit limits, both sides of the small
// range, around 0) and of edge Floats (±0, subnormals, infinities, NaNs,
// both sides of every immediate range boundary), against the models of
// arith_model.hpp; the faults of docs/bytecode.md §2.5.1 one by one; mixed
// Integer and Float operands; exact comparison.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "arith_model.hpp"
#include "runatime/values.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using testing::TypesHeap;

std::vector<double> edge_doubles() {
  std::vector<double> v = {0.0,
                           -0.0,
                           1.0,
                           -1.5,
                           0.1,
                           3.0,
                           std::numeric_limits<double>::denorm_min(),
                           -std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN(),
                           std::bit_cast<double>(std::uint64_t{0xFFF8000000000123}),
                           0x1p63,
                           -0x1p63,
                           9007199254740993.0};
  for (double b : {0x1p-767, 0x1p-255, 0x1p257, 0x1p769}) {
    v.push_back(b);
    v.push_back(std::nextafter(b, 0.0));
    v.push_back(-b);
  }
  return v;
}

TEST(IntegerArithmetic, EveryOperationOnEveryPairOfEdgeIntegers) {
  TypesHeap t;
  auto edges = testing::edge_integers();
  for (std::int64_t n : {-1, 0, 1, 3, 59, 60, 61, 62, 63, 64, 65, 1000}) edges.push_back(n);
  for (Op op : testing::kAllOps) {
    for (std::int64_t x : edges) {
      for (std::int64_t y : edges) {
        heap::HandleScope scope(*t.m);
        testing::check_int_op(t, op, x, y);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
}

TEST(IntegerArithmetic, FaultsOneByOne) {
  TypesHeap t;
  heap::HandleScope scope(*t.m);
  auto& cx = *t.cx;
  auto& m = *t.m;
  auto i = [&](std::int64_t x) { return make_int(cx, m, x); };
  EXPECT_EQ(add(cx, m, i(INT64_MAX), i(1)).fault, Fault::kOverflow);
  EXPECT_EQ(sub(cx, m, i(INT64_MIN), i(1)).fault, Fault::kOverflow);
  EXPECT_EQ(mul(cx, m, i(std::int64_t{1} << 32), i(std::int64_t{1} << 31)).fault, Fault::kOverflow);
  EXPECT_EQ(div(cx, m, i(INT64_MIN), i(-1)).fault, Fault::kOverflow);
  EXPECT_EQ(as_int(mod(cx, m, i(INT64_MIN), i(-1)).value), 0);
  EXPECT_EQ(div(cx, m, i(7), i(0)).fault, Fault::kDivisionByZero);
  EXPECT_EQ(mod(cx, m, i(7), i(0)).fault, Fault::kDivisionByZero);
  EXPECT_EQ(neg(cx, m, i(INT64_MIN)).fault, Fault::kOverflow);
  EXPECT_EQ(shl(cx, m, i(1), i(63)).fault, Fault::kOverflow);
  EXPECT_EQ(as_int(shl(cx, m, i(-1), i(63)).value), INT64_MIN);
  EXPECT_EQ(shl(cx, m, i(1), i(-1)).fault, Fault::kValue);
  EXPECT_EQ(shr(cx, m, i(1), i(-1)).fault, Fault::kValue);
  // The sign rules: DIV truncates, MOD takes the dividend's sign.
  EXPECT_EQ(as_int(div(cx, m, i(-7), i(2)).value), -3);
  EXPECT_EQ(as_int(mod(cx, m, i(-7), i(2)).value), -1);
  EXPECT_EQ(as_int(mod(cx, m, i(7), i(-2)).value), 1);
  // The small range's own edges move to boxes and back, without a fault.
  Outcome big = add(cx, m, i(kSmallIntMax), i(1));
  ASSERT_EQ(big.fault, Fault::kNone);
  EXPECT_TRUE(is_boxed_int(cx, big.value));
  Outcome back = sub(cx, m, big.value, i(1));
  EXPECT_EQ(back.value, make_small_int(kSmallIntMax));
  EXPECT_TRUE(is_boxed_int(cx, neg(cx, m, i(kSmallIntMin)).value));
  EXPECT_TRUE(is_boxed_int(cx, div(cx, m, i(kSmallIntMin), i(-1)).value));
}

TEST(IntegerArithmetic, NegationAndComplement) {
  TypesHeap t;
  heap::HandleScope scope(*t.m);
  for (std::int64_t x : testing::edge_integers()) {
    Value v = make_int(*t.cx, *t.m, x);
    Outcome n = neg(*t.cx, *t.m, v);
    if (x == INT64_MIN) {
      EXPECT_EQ(n.fault, Fault::kOverflow);
    } else {
      ASSERT_EQ(n.fault, Fault::kNone);
      EXPECT_EQ(as_int(n.value), -x);
      EXPECT_EQ(is_small_int(n.value), fits_small_int(-x));
    }
    v = make_int(*t.cx, *t.m, x);
    Outcome c = bit_not(*t.cx, *t.m, v);
    ASSERT_EQ(c.fault, Fault::kNone);
    EXPECT_EQ(as_int(c.value), ~x);
    EXPECT_EQ(is_small_int(c.value), fits_small_int(~x));
  }
}

TEST(Booleans, AndOrNotAndWrongKinds) {
  TypesHeap t;
  auto& cx = *t.cx;
  auto& m = *t.m;
  for (bool a : {false, true}) {
    EXPECT_EQ(bit_not(cx, m, make_boolean(a)).value, make_boolean(!a));
    for (bool b : {false, true}) {
      EXPECT_EQ(bit_and(cx, m, make_boolean(a), make_boolean(b)).value, make_boolean(a && b));
      EXPECT_EQ(bit_or(cx, m, make_boolean(a), make_boolean(b)).value, make_boolean(a || b));
    }
  }
  EXPECT_EQ(bit_and(cx, m, kTrue, make_small_int(1)).fault, Fault::kType);
  EXPECT_EQ(bit_or(cx, m, make_immediate_float(1.0), make_small_int(1)).fault, Fault::kType);
  EXPECT_EQ(add(cx, m, kTrue, make_small_int(1)).fault, Fault::kType);
  EXPECT_EQ(add(cx, m, make_character(65), make_small_int(1)).fault, Fault::kType);
  EXPECT_EQ(mul(cx, m, kNothing, make_small_int(1)).fault, Fault::kType);
  EXPECT_EQ(neg(cx, m, kFalse).fault, Fault::kType);
  EXPECT_EQ(bit_not(cx, m, make_immediate_float(1.0)).fault, Fault::kType);
  EXPECT_EQ(shl(cx, m, make_immediate_float(1.0), make_small_int(1)).fault, Fault::kType);
  EXPECT_EQ(compare(cx, kTrue, make_small_int(1)), Order::kNotNumbers);
  EXPECT_EQ(compare(cx, kNothing, kNothing), Order::kNotNumbers);
  // An object of another type is not a number.
  heap::HandleScope scope(m);
  heap::Handle arr(m, t.new_ref_array(1));
  EXPECT_EQ(add(cx, m, arr.value(), make_small_int(1)).fault, Fault::kType);
}

TEST(FloatArithmetic, EveryOperationOnEveryPairOfEdgeFloats) {
  TypesHeap t;
  auto edges = edge_doubles();
  for (Op op : testing::kFloatOps) {
    for (double x : edges) {
      for (double y : edges) {
        heap::HandleScope scope(*t.m);
        testing::check_float_op(t, op, x, y);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
}

TEST(FloatArithmetic, DivisionByZeroIsIeeeAndNegationFlipsTheSign) {
  TypesHeap t;
  heap::HandleScope scope(*t.m);
  auto& cx = *t.cx;
  auto& m = *t.m;
  auto f = [&](double d) { return make_float(cx, m, d); };
  EXPECT_EQ(as_double(div(cx, m, f(1.0), f(0.0)).value), std::numeric_limits<double>::infinity());
  EXPECT_EQ(as_double(div(cx, m, f(1.0), f(-0.0)).value), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(as_double(div(cx, m, f(0.0), f(0.0)).value)));
  EXPECT_TRUE(std::isnan(as_double(mod(cx, m, f(1.0), f(0.0)).value)));
  for (double d : edge_doubles()) {
    Outcome n = neg(cx, m, f(d));
    ASSERT_EQ(n.fault, Fault::kNone);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(as_double(n.value)),
              std::bit_cast<std::uint64_t>(d) ^ (std::uint64_t{1} << 63));
  }
  // A result out of the immediate ranges is boxed, and comes back.
  Outcome big = mul(cx, m, f(0x1p200), f(0x1p100));
  ASSERT_EQ(big.fault, Fault::kNone);
  EXPECT_TRUE(is_boxed_float(cx, big.value));
  EXPECT_EQ(as_double(big.value), 0x1p300);
  Outcome small = div(cx, m, big.value, f(0x1p100));
  EXPECT_TRUE(is_immediate_float(small.value));
  EXPECT_EQ(as_double(small.value), 0x1p200);
}

TEST(MixedArithmetic, TheIntegerIsConvertedToFloatFirst) {
  TypesHeap t;
  auto edges = edge_doubles();
  for (Op op : testing::kFloatOps) {
    for (std::int64_t x : testing::edge_integers()) {
      for (double y : edges) {
        heap::HandleScope scope(*t.m);
        heap::Handle hy(*t.m, make_float(*t.cx, *t.m, y));
        Value a = make_int(*t.cx, *t.m, x);
        Outcome r1 = testing::apply(*t.cx, *t.m, op, a, hy.value());
        ASSERT_EQ(r1.fault, Fault::kNone);
        EXPECT_TRUE(testing::same_double(as_double(r1.value),
                                         testing::float_model(op, static_cast<double>(x), y)));
        a = make_int(*t.cx, *t.m, x);
        Outcome r2 = testing::apply(*t.cx, *t.m, op, hy.value(), a);
        ASSERT_EQ(r2.fault, Fault::kNone);
        EXPECT_TRUE(testing::same_double(as_double(r2.value),
                                         testing::float_model(op, y, static_cast<double>(x))));
      }
    }
  }
}

TEST(Comparison, IntegersAndFloatsCompareExactly) {
  TypesHeap t;
  heap::HandleScope scope(*t.m);
  auto& cx = *t.cx;
  auto& m = *t.m;
  // Numbers as values; the first is kept in a handle while the second is
  // made (boxing it may move the first).
  struct Int {
    std::int64_t x;
  };
  struct Flt {
    double d;
  };
  auto make = [&](auto n) {
    if constexpr (std::is_same_v<decltype(n), Int>)
      return make_int(cx, m, n.x);
    else
      return make_float(cx, m, n.d);
  };
  auto order = [&](auto a, auto b) {
    heap::Handle ha(m, make(a));
    Value vb = make(b);
    return compare(cx, ha.value(), vb);
  };
  auto i = [](std::int64_t x) { return Int{x}; };
  auto f = [](double d) { return Flt{d}; };
  // 2^53 + 1 is no double: through a conversion it would equal 2^53.
  EXPECT_EQ(order(i(9007199254740993), f(9007199254740992.0)), Order::kGreater);
  EXPECT_EQ(order(f(9007199254740992.0), i(9007199254740993)), Order::kLess);
  EXPECT_EQ(order(i(INT64_MAX), f(0x1p63)), Order::kLess);
  EXPECT_EQ(order(i(INT64_MIN), f(-0x1p63)), Order::kEqual);
  EXPECT_EQ(order(i(INT64_MIN), f(std::nextafter(-0x1p63, -1e300))), Order::kGreater);
  EXPECT_EQ(order(i(0), f(-0.0)), Order::kEqual);
  EXPECT_EQ(order(i(-1), f(-0.5)), Order::kLess);
  EXPECT_EQ(order(i(0), f(-0.5)), Order::kGreater);
  EXPECT_EQ(order(i(1), f(std::numeric_limits<double>::infinity())), Order::kLess);
  EXPECT_EQ(order(i(1), f(std::nan(""))), Order::kUnordered);
  EXPECT_EQ(order(f(std::nan("")), f(std::nan(""))), Order::kUnordered);
  EXPECT_EQ(order(f(0.0), f(-0.0)), Order::kEqual);
  EXPECT_EQ(order(f(0x1p300), f(0x1p299)), Order::kGreater);
  for (std::int64_t x : testing::edge_integers()) {
    for (std::int64_t y : testing::edge_integers()) {
      Order want = x < y ? Order::kLess : x == y ? Order::kEqual : Order::kGreater;
      EXPECT_EQ(order(i(x), i(y)), want) << x << " " << y;
    }
  }
}

}  // namespace
}  // namespace runa::types
