// Operations on values: the slow paths of arithmetic and comparison
// (docs/bytecode.md §2.5.1; the exact rules of docs/types.md), EQ on
// anything, conversions, TEXT_CONCAT, and the type questions (INSTANCEOF,
// TYPE_CHECK, CAST, TYPEOF).
#include <cmath>
#include <string>

#include "bridge/runtime_impl.hpp"
#include "types/text.hpp"

namespace runa::rt::ops {

// Operands are root slots (Value*) throughout, also where an operation only
// reads one: the collector writes every one of them (runatime/ops.hpp).
// NOLINTBEGIN(readability-non-const-parameter)

namespace {

using bytecode::Op;

const types::TypeSystem& types_of(Thread& t) {
  return impl_of(t).types();
}

std::string_view op_name(Op op) {
  return bytecode::info(static_cast<std::uint8_t>(op))->name;
}

std::string kinds(Thread& t, Value a, Value b) {
  const types::TypeSystem& ts = types_of(t);
  return ts.describe(a) + " and " + ts.describe(b);
}

bool fault(Thread& t, Op op, types::Fault f, Value a, Value b) {
  const std::string name(op_name(op));
  switch (f) {
    case types::Fault::kOverflow:
      return raise(
          t, "OverflowError",
          name + ": the result of " + kinds(t, a, b) + " is outside the 64-bit Integer range");
    case types::Fault::kDivisionByZero:
      return raise(t, "DivisionByZero", name + ": " + types_of(t).describe(a) + " by zero");
    case types::Fault::kValue:
      return raise(t, "ValueError", name + ": a negative count");
    case types::Fault::kOutOfMemory:
      return out_of_memory(t);
    case types::Fault::kType:
    case types::Fault::kNone:
      break;
  }
  return raise(t, "TypeError", name + " cannot take " + kinds(t, a, b));
}

types::Op arith_op(Op op) {
  switch (op) {
    case Op::kSub:
      return types::Op::kSub;
    case Op::kMul:
      return types::Op::kMul;
    case Op::kDiv:
      return types::Op::kDiv;
    case Op::kMod:
      return types::Op::kMod;
    case Op::kAnd:
      return types::Op::kAnd;
    case Op::kOr:
      return types::Op::kOr;
    default:
      return types::Op::kAdd;
  }
}

bool is_text(const types::TypeSystem& ts, Value v) {
  return ts.strings().is_string(v);
}

std::string text_bytes(const types::TypeSystem& ts, Value v) {
  std::string out;
  ts.strings().append_to(v, out);
  return out;
}

bool is_nan(const types::Context& cx, Value v) {
  return types::is_float(cx, v) && std::isnan(types::as_double(v));
}

}  // namespace

bool binary(Thread& t, Op op, Value* a, Value* b, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  if (op == Op::kAdd && is_text(ts, *a) && is_text(ts, *b)) {
    const Value s = ts.strings().concat(*t.m, heap::Handle(a), heap::Handle(b));
    if (s == types::kNothing) return out_of_memory(t);
    *out = s;
    return true;
  }
  const types::Outcome o = types::binary_slow(ts.context(), *t.m, arith_op(op), *a, *b);
  if (o.fault != types::Fault::kNone) return fault(t, op, o.fault, *a, *b);
  *out = o.value;
  return true;
}

bool unary(Thread& t, Op op, Value* a, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  const types::Outcome o = op == Op::kNeg ? types::negate_slow(ts.context(), *t.m, *a)
                                          : types::not_slow(ts.context(), *t.m, *a);
  if (o.fault == types::Fault::kType) {
    return raise(t, "TypeError", std::string(op_name(op)) + " cannot take " + ts.describe(*a));
  }
  if (o.fault != types::Fault::kNone) return fault(t, op, o.fault, *a, *a);
  *out = o.value;
  return true;
}

namespace {

// EQ on everything but two flat Strings: apart, so that the Strings' path
// has no frame for the std::string compare of ropes below.
[[gnu::noinline]] bool equal_other(const types::TypeSystem& ts, Value a, Value b) {
  const types::Context& cx = ts.context();
  if (types::is_number(cx, a) && types::is_number(cx, b)) {
    return types::compare(cx, a, b) == types::Order::kEqual;
  }
  if (a == b) return !is_nan(cx, a);
  const bool sa = is_text(ts, a);
  const bool sb = is_text(ts, b);
  if (sa && sb && !(ts.strings().is_flat(a) && ts.strings().is_flat(b))) {
    return text_bytes(ts, a) == text_bytes(ts, b);  // a rope: compare without flattening
  }
  return ts.keys().equal(a, b);
}

}  // namespace

bool equal(Thread& t, Value a, Value b) {
  const types::TypeSystem& ts = types_of(t);
  // Two flat Strings, the commonest case here (tiers inline the numbers).
  if (ts.strings().is_flat(a) && ts.strings().is_flat(b)) return types::Strings::equal(a, b);
  return equal_other(ts, a, b);
}

bool order(Thread& t, Op op, Value* a, Value* b, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  int c = 0;
  const bool ta = is_text(ts, *a) || types::is_character(*a);
  const bool tb = is_text(ts, *b) || types::is_character(*b);
  if (ts.strings().is_flat(*a) && ts.strings().is_flat(*b)) {
    c = types::Strings::compare(*a, *b);  // code-point order, in place
  } else if (ta && tb && (is_text(ts, *a) || is_text(ts, *b))) {
    std::string x;
    std::string y;
    ts.text().append_text(*a, x);
    ts.text().append_text(*b, y);
    c = x.compare(y);  // UTF-8 byte order is code-point order
  } else {
    switch (types::compare(ts.context(), *a, *b)) {
      case types::Order::kLess:
        c = -1;
        break;
      case types::Order::kEqual:
        c = 0;
        break;
      case types::Order::kGreater:
        c = 1;
        break;
      case types::Order::kUnordered:
        *out = types::kFalse;
        return true;
      case types::Order::kNotNumbers:
        if (types::is_character(*a) && types::is_character(*b)) {
          c = types::as_character(*a) < types::as_character(*b)   ? -1
              : types::as_character(*a) > types::as_character(*b) ? 1
                                                                  : 0;
          break;
        }
        return raise(
            t, "TypeError",
            std::string(op_name(op)) + " orders numbers and Strings, not " + kinds(t, *a, *b));
    }
  }
  bool r = false;
  switch (op) {
    case Op::kLt:
      r = c < 0;
      break;
    case Op::kLe:
      r = c <= 0;
      break;
    case Op::kGt:
      r = c > 0;
      break;
    default:
      r = c >= 0;
      break;
  }
  *out = types::make_boolean(r);
  return true;
}

bool not_boolean(Thread& t, Op op, Value v) {
  return raise(t, "TypeError",
               std::string(op_name(op)) + " needs a Boolean, not " + types_of(t).describe(v));
}

bool int_to_double(Thread& t, Value* v, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  if (!types::is_int(ts.context(), *v)) {
    return raise(t, "TypeError", "INT_TO_DOUBLE needs an Integer, not " + ts.describe(*v));
  }
  const Value f = types::make_float(ts.context(), *t.m, static_cast<double>(types::as_int(*v)));
  if (f == types::kNothing) return out_of_memory(t);
  *out = f;
  return true;
}

bool double_to_int(Thread& t, Value* v, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  if (!types::is_float(ts.context(), *v)) {
    return raise(t, "TypeError", "DOUBLE_TO_INT needs a Float, not " + ts.describe(*v));
  }
  const double d = types::as_double(*v);
  // Exactly the doubles whose truncation is a 64-bit Integer: -2^63 <= d < 2^63.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
    return raise(t, "ArithmeticError",
                 "DOUBLE_TO_INT: " + ts.describe(*v) + " has no 64-bit Integer value");
  }
  const Value i = types::make_int(ts.context(), *t.m, static_cast<std::int64_t>(d));
  if (i == types::kNothing) return out_of_memory(t);
  *out = i;
  return true;
}

bool text_concat(Thread& t, Value* items, std::uint32_t n, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  std::string text;
  for (std::uint32_t i = 0; i < n; ++i) ts.text().append_text(items[i], text);
  const Value s = ts.strings().make(*t.m, text);
  if (s == types::kNothing) return out_of_memory(t);
  *out = s;
  return true;
}

// ---- types ---------------------------------------------------------------------------------

const void* type(const ModuleInfo& m, std::uint32_t type_id) {
  const auto* r = static_cast<const ModuleRecord*>(m.internal);
  return r->loaded->types->by_id.at(type_id);
}

bool instance_of(Runtime& r, Value v, const void* type) {
  return r.impl().types().instance_of(v, static_cast<const types::TypeDesc*>(type));
}

bool cast(Thread& t, Value* v, const void* type, Value* out) {
  const types::TypeSystem& ts = types_of(t);
  const auto* desc = static_cast<const types::TypeDesc*>(type);
  const std::optional<Value> r = ts.cast(*t.m, heap::Handle(v), desc);
  if (!r) return raise(t, "TypeError", "CAST: " + ts.cast_error(*v, desc));
  if (*r == types::kNothing && *v != types::kNothing) return out_of_memory(t);
  *out = *r;
  return true;
}

bool type_of(Thread& t, Value* v, Value* out) {
  types::TypeSystem& ts = impl_of(t).types();
  const types::TypeDesc* desc = ts.type_of(*v);
  if (desc == nullptr) desc = ts.registry().primitive(types::Kind::kAny);
  const Value tv = ts.type_values().get(*t.m, desc);
  if (tv == types::kNothing) return out_of_memory(t);
  *out = tv;
  return true;
}

// NOLINTEND(readability-non-const-parameter)

}  // namespace runa::rt::ops
