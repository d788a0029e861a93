// The inline cases of tier 0's arithmetic: ADD, SUB and MUL on two small
// Integers (with the overflow check) or two immediate Floats (whose result
// stays immediate), DIV and MOD, the order of two small Integers, and
// INT_TO_DOUBLE of a small Integer. One definition
// serves the plain instructions and the superinstructions that take an
// operand from a local or a constant, or store the result to a local
// (interp.cpp); everything else goes to ops::binary.
#pragma once

#include "runatime/values.hpp"

namespace runa::tier0 {

enum class Arith : std::uint8_t { kAdd, kSub, kMul };

// a OP b into *out when an inline case applies; false (and *out untouched)
// otherwise: other kinds, an overflow, a Float result that needs a box.
template <Arith K>
[[gnu::always_inline]] inline bool arith(heap::Value a, heap::Value b, heap::Value* out) {
  if (types::both_small_ints(a, b)) [[likely]] {
    // The tagged words themselves: a + (b - 1) keeps the tag, and the
    // 64-bit overflow is exactly leaving the small range.
    const auto x = static_cast<std::int64_t>(a);
    const auto y = static_cast<std::int64_t>(b - 1);
    std::int64_t r = 0;
    bool overflow = false;
    if constexpr (K == Arith::kAdd) {
      overflow = __builtin_add_overflow(x, y, &r);
    } else if constexpr (K == Arith::kSub) {
      overflow = __builtin_sub_overflow(x, y, &r);
    } else {
      overflow = __builtin_mul_overflow(types::small_int_value(a), y, &r);
      r = static_cast<std::int64_t>(static_cast<heap::Value>(r) | types::kSmallIntTag);
    }
    if (overflow) return false;
    *out = static_cast<heap::Value>(r);
    return true;
  }
  if (!types::both_immediate_floats(a, b)) return false;
  const double x = types::immediate_float_value(a);
  const double y = types::immediate_float_value(b);
  double d = 0;
  if constexpr (K == Arith::kAdd) {
    d = x + y;
  } else if constexpr (K == Arith::kSub) {
    d = x - y;
  } else {
    d = x * y;
  }
  if (!types::float_fits_immediate(d)) return false;
  *out = types::make_immediate_float(d);
  return true;
}

// DIV (truncating, as C's) or MOD of two small Integers, not by zero, whose
// result is small; or DIV of two immediate Floats whose quotient is
// immediate. False otherwise, *out untouched: ops::binary decides.
template <bool kDivide>
[[gnu::always_inline]] inline bool divide(heap::Value a, heap::Value b, heap::Value* out) {
  if (types::both_small_ints(a, b) && b != types::kSmallIntTag) [[likely]] {
    const std::int64_t x = types::small_int_value(a);
    const std::int64_t y = types::small_int_value(b);
    const std::int64_t r = kDivide ? x / y : x % y;
    if (!types::fits_small_int(r)) return false;
    *out = types::make_small_int(r);
    return true;
  }
  if (!kDivide || !types::both_immediate_floats(a, b)) return false;
  const double d = types::immediate_float_value(a) / types::immediate_float_value(b);
  if (!types::float_fits_immediate(d)) return false;
  *out = types::make_immediate_float(d);
  return true;
}

// LT, LE, GT or GE (`kind` 0 to 3, bytecode order) of two small Integers:
// their tagged words order as their values do.
[[gnu::always_inline]] inline bool order_small(heap::Value a, heap::Value b, unsigned kind) {
  const auto x = static_cast<std::int64_t>(a);
  const auto y = static_cast<std::int64_t>(b);
  switch (kind) {
    case 0:
      return x < y;
    case 1:
      return x <= y;
    case 2:
      return x > y;
    default:
      return x >= y;
  }
}

// INT_TO_DOUBLE of a small Integer whose Float is immediate.
[[gnu::always_inline]] inline bool int_to_double(heap::Value v, heap::Value* out) {
  if (!types::is_small_int(v)) return false;
  const auto d = static_cast<double>(types::small_int_value(v));
  if (!types::float_fits_immediate(d)) return false;
  *out = types::make_immediate_float(d);
  return true;
}

}  // namespace runa::tier0
