// The general case of arithmetic and comparison on values
// (runatime/values.hpp): what the inline fast paths leave over. Boxed
// operands, a mixed Integer and Float, results that leave the immediate
// ranges, and every fault of docs/bytecode.md §2.5.1.
//
// Operands are read completely before a result is boxed: boxing may collect
// and move a boxed operand, so nothing here touches an operand after it.
// Integer results are computed on int64_t with __builtin_*_overflow, never
// with an operation whose overflow would be undefined.
#include <cmath>
#include <cstdint>

#include "runatime/values.hpp"

namespace runa::types {
namespace {

// An operand read out of its value word.
struct Number {
  enum Kind : std::uint8_t { kInteger, kFloat, kOther } kind = kOther;
  std::int64_t i = 0;
  double d = 0;
};

Number read(const Context& cx, Value v) {
  if (is_int(cx, v)) return {Number::kInteger, as_int(v), 0};
  if (is_float(cx, v)) return {Number::kFloat, 0, as_double(v)};
  return {};
}

Outcome fault(Fault f) {
  return {kNothing, f};
}

Outcome int_result(const Context& cx, heap::Mutator& m, std::int64_t i) {
  Value v = make_int(cx, m, i);
  return v == kNothing ? fault(Fault::kOutOfMemory) : Outcome{v, Fault::kNone};
}

// `op` is a __builtin_*_overflow; its result is read after it ran (as an
// argument beside the call it could be read first).
template <class F>
Outcome checked(const Context& cx, heap::Mutator& m, std::int64_t x, std::int64_t y, F op) {
  std::int64_t r = 0;
  if (op(x, y, &r)) return fault(Fault::kOverflow);
  return int_result(cx, m, r);
}

Outcome integer_op(const Context& cx, heap::Mutator& m, Op op, std::int64_t x, std::int64_t y) {
  switch (op) {
    case Op::kAdd:
      return checked(cx, m, x, y,
                     [](auto p, auto q, auto* r) { return __builtin_add_overflow(p, q, r); });
    case Op::kSub:
      return checked(cx, m, x, y,
                     [](auto p, auto q, auto* r) { return __builtin_sub_overflow(p, q, r); });
    case Op::kMul:
      return checked(cx, m, x, y,
                     [](auto p, auto q, auto* r) { return __builtin_mul_overflow(p, q, r); });
    case Op::kDiv:
      if (y == 0) return fault(Fault::kDivisionByZero);
      if (x == INT64_MIN && y == -1) return fault(Fault::kOverflow);
      return int_result(cx, m, x / y);
    case Op::kMod:
      if (y == 0) return fault(Fault::kDivisionByZero);
      return int_result(cx, m, y == -1 ? 0 : x % y);
    case Op::kShl: {
      if (y < 0) return fault(Fault::kValue);
      if (x == 0) return int_result(cx, m, 0);
      if (y >= 64) return fault(Fault::kOverflow);
      auto r = static_cast<std::int64_t>(static_cast<std::uint64_t>(x) << y);
      if ((r >> y) != x) return fault(Fault::kOverflow);
      return int_result(cx, m, r);
    }
    case Op::kShr:
      if (y < 0) return fault(Fault::kValue);
      return int_result(cx, m, y >= 64 ? (x < 0 ? -1 : 0) : x >> y);
    case Op::kAnd:
      return int_result(cx, m, x & y);
    case Op::kOr:
      return int_result(cx, m, x | y);
  }
  return fault(Fault::kType);
}

Outcome float_op(const Context& cx, heap::Mutator& m, Op op, double x, double y) {
  switch (op) {
    case Op::kAdd:
      return float_result(cx, m, x + y);
    case Op::kSub:
      return float_result(cx, m, x - y);
    case Op::kMul:
      return float_result(cx, m, x * y);
    case Op::kDiv:
      return float_result(cx, m, x / y);
    case Op::kMod:
      return float_result(cx, m, std::fmod(x, y));
    case Op::kShl:
    case Op::kShr:
    case Op::kAnd:
    case Op::kOr:
      break;
  }
  return fault(Fault::kType);
}

Order order_of(auto x, auto y) {
  return x < y ? Order::kLess : x > y ? Order::kGreater : Order::kEqual;
}

// i against d exactly: below 2^63 in magnitude d's integral part is an
// int64_t, compared first; only when they are equal does d's fraction
// decide.
Order compare_mixed(std::int64_t i, double d) {
  if (std::isnan(d)) return Order::kUnordered;
  if (d >= 0x1p63) return Order::kLess;
  if (d < -0x1p63) return Order::kGreater;
  double t = std::trunc(d);
  auto ti = static_cast<std::int64_t>(t);
  if (i != ti) return order_of(i, ti);
  return order_of(t, d);
}

}  // namespace

Outcome binary_slow(const Context& cx, heap::Mutator& m, Op op, Value a, Value b) {
  if ((op == Op::kAnd || op == Op::kOr) && is_boolean(a) && is_boolean(b))
    return {op == Op::kAnd ? a & b : a | b, Fault::kNone};
  Number x = read(cx, a);
  Number y = read(cx, b);
  if (x.kind == Number::kOther || y.kind == Number::kOther) return fault(Fault::kType);
  if (x.kind == Number::kInteger && y.kind == Number::kInteger)
    return integer_op(cx, m, op, x.i, y.i);
  // Shifts, AND and OR take Integers only; float_op refuses them.
  double dx = x.kind == Number::kFloat ? x.d : static_cast<double>(x.i);
  double dy = y.kind == Number::kFloat ? y.d : static_cast<double>(y.i);
  return float_op(cx, m, op, dx, dy);
}

Outcome negate_slow(const Context& cx, heap::Mutator& m, Value a) {
  Number x = read(cx, a);
  if (x.kind == Number::kFloat) return float_result(cx, m, -x.d);
  if (x.kind == Number::kOther) return fault(Fault::kType);
  if (x.i == INT64_MIN) return fault(Fault::kOverflow);
  return int_result(cx, m, -x.i);
}

Outcome not_slow(const Context& cx, heap::Mutator& m, Value a) {
  if (!is_int(cx, a)) return fault(Fault::kType);
  return int_result(cx, m, ~as_int(a));
}

Order compare_slow(const Context& cx, Value a, Value b) {
  Number x = read(cx, a);
  Number y = read(cx, b);
  if (x.kind == Number::kOther || y.kind == Number::kOther) return Order::kNotNumbers;
  if (x.kind == Number::kInteger && y.kind == Number::kInteger) return order_of(x.i, y.i);
  if (x.kind == Number::kFloat && y.kind == Number::kFloat) {
    if (std::isnan(x.d) || std::isnan(y.d)) return Order::kUnordered;
    return order_of(x.d, y.d);
  }
  if (x.kind == Number::kInteger) return compare_mixed(x.i, y.d);
  Order o = compare_mixed(y.i, x.d);
  return o == Order::kLess ? Order::kGreater : o == Order::kGreater ? Order::kLess : o;
}

}  // namespace runa::types
