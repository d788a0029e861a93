// The models the arithmetic tests check runatime/values.hpp against: the
// operations of docs/bytecode.md §2.5.1 computed independently (Integers in
// 128 bits, Floats as plain doubles), and one check that runs an operation
// on values made from operands and compares it with the model, result,
// fault and canonical form.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>

#include "runatime/values.hpp"
#include "types_fixture.hpp"

namespace runa::types::testing {

__extension__ using Int128 = __int128;

struct IntExpected {
  Fault fault = Fault::kNone;
  std::int64_t value = 0;
};

inline IntExpected in_range(Int128 r) {
  if (r < INT64_MIN || r > INT64_MAX) return {Fault::kOverflow, 0};
  return {Fault::kNone, static_cast<std::int64_t>(r)};
}

inline IntExpected int_model(Op op, std::int64_t x, std::int64_t y) {
  Int128 a = x;
  Int128 b = y;
  switch (op) {
    case Op::kAdd:
      return in_range(a + b);
    case Op::kSub:
      return in_range(a - b);
    case Op::kMul:
      return in_range(a * b);
    case Op::kDiv:
      if (y == 0) return {Fault::kDivisionByZero, 0};
      return in_range(a / b);
    case Op::kMod:
      if (y == 0) return {Fault::kDivisionByZero, 0};
      return in_range(a % b);
    case Op::kShl:
      if (y < 0) return {Fault::kValue, 0};
      if (x == 0) return {Fault::kNone, 0};
      if (y >= 64) return {Fault::kOverflow, 0};
      return in_range(a * (Int128{1} << y));
    case Op::kShr: {
      if (y < 0) return {Fault::kValue, 0};
      if (y >= 64) return {Fault::kNone, x < 0 ? -1 : 0};
      Int128 p = Int128{1} << y;
      Int128 q = a / p;
      if (a < 0 && q * p != a) q -= 1;  // floor, not truncation
      return in_range(q);
    }
    case Op::kAnd:
      return {Fault::kNone, x & y};
    case Op::kOr:
      return {Fault::kNone, x | y};
  }
  return {Fault::kType, 0};
}

inline double float_model(Op op, double x, double y) {
  switch (op) {
    case Op::kAdd:
      return x + y;
    case Op::kSub:
      return x - y;
    case Op::kMul:
      return x * y;
    case Op::kDiv:
      return x / y;
    case Op::kMod:
      return std::fmod(x, y);
    default:
      return 0;
  }
}

// The inline entry point of each operation, as a tier calls it.
inline Outcome apply(const Context& cx, heap::Mutator& m, Op op, Value a, Value b) {
  switch (op) {
    case Op::kAdd:
      return add(cx, m, a, b);
    case Op::kSub:
      return sub(cx, m, a, b);
    case Op::kMul:
      return mul(cx, m, a, b);
    case Op::kDiv:
      return div(cx, m, a, b);
    case Op::kMod:
      return mod(cx, m, a, b);
    case Op::kShl:
      return shl(cx, m, a, b);
    case Op::kShr:
      return shr(cx, m, a, b);
    case Op::kAnd:
      return bit_and(cx, m, a, b);
    case Op::kOr:
      return bit_or(cx, m, a, b);
  }
  return {};
}

inline constexpr Op kAllOps[] = {Op::kAdd, Op::kSub, Op::kMul, Op::kDiv, Op::kMod,
                                 Op::kShl, Op::kShr, Op::kAnd, Op::kOr};
inline constexpr Op kFloatOps[] = {Op::kAdd, Op::kSub, Op::kMul, Op::kDiv, Op::kMod};

// Both results the same double, or both a NaN (the sign and payload of a
// NaN an operation makes are the hardware's; the model runs on it too).
inline bool same_double(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  return std::bit_cast<std::uint64_t>(got) == std::bit_cast<std::uint64_t>(want);
}

// Runs `op` on the Integers x and y, checks it against the model. The test
// heap's handle scope is the caller's.
inline void check_int_op(TypesHeap& t, Op op, std::int64_t x, std::int64_t y) {
  heap::Handle hb(*t.m, make_int(*t.cx, *t.m, y));
  Value a = make_int(*t.cx, *t.m, x);
  ASSERT_NE(a, kNothing);
  ASSERT_NE(hb.value(), kNothing);
  IntExpected want = int_model(op, x, y);
  Outcome got = apply(*t.cx, *t.m, op, a, hb.value());
  ASSERT_EQ(static_cast<int>(got.fault), static_cast<int>(want.fault))
      << "op " << static_cast<int>(op) << " x " << x << " y " << y;
  if (want.fault != Fault::kNone) {
    EXPECT_EQ(got.value, kNothing);
    return;
  }
  ASSERT_TRUE(is_int(*t.cx, got.value));
  EXPECT_EQ(as_int(got.value), want.value)
      << "op " << static_cast<int>(op) << " x " << x << " y " << y;
  EXPECT_EQ(is_small_int(got.value), fits_small_int(want.value));  // canonical
}

// Runs `op` on two Floats (or, with x_int, the Integer xi and the Float y).
inline void check_float_op(TypesHeap& t, Op op, double x, double y) {
  heap::Handle hb(*t.m, make_float(*t.cx, *t.m, y));
  Value a = make_float(*t.cx, *t.m, x);
  ASSERT_NE(a, kNothing);
  Outcome got = apply(*t.cx, *t.m, op, a, hb.value());
  ASSERT_EQ(got.fault, Fault::kNone) << x << " " << y;
  ASSERT_TRUE(is_float(*t.cx, got.value));
  double want = float_model(op, x, y);
  EXPECT_TRUE(same_double(as_double(got.value), want))
      << "op " << static_cast<int>(op) << " " << x << " " << y << " got " << as_double(got.value)
      << " want " << want;
  EXPECT_EQ(is_immediate_float(got.value), float_fits_immediate(as_double(got.value)));
}

}  // namespace runa::types::testing
