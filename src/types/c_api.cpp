// The values' C ABI (include/runatime/c/values.h) over runatime/values.hpp,
// built from the machinery every part's C ABI shares (services/c_abi.hpp)
// and the heap C ABI's checks of mutators (memory/c_api.hpp).
//
// Every entry point is noexcept and runs inside guarded(). What the C++ API
// leaves to its caller is checked here first: the mutator must be the
// calling thread's, running, of the types' heap; a reference must point
// into that heap; an operation code must be one the enum names. Program
// errors (TypeError, OverflowError...) are not failures of the call: they
// come back as an rt_value_fault with RT_OK.
#include <cstdint>
#include <memory>
#include <string>

#include "memory/c_api.hpp"
#include "memory/heap.hpp"
#include "runatime.h"
#include "runatime/values.hpp"
#include "services/c_abi.hpp"

struct rt_types {
  rt_heap* heap;
  std::unique_ptr<runa::types::Context> cx;
};

namespace {

namespace rt = runa::types;
namespace rh = runa::heap;

// The C enums are the C++ ones, value for value.
static_assert(RT_VALUE_OP_ADD == static_cast<int>(rt::Op::kAdd) &&
              RT_VALUE_OP_SUB == static_cast<int>(rt::Op::kSub) &&
              RT_VALUE_OP_MUL == static_cast<int>(rt::Op::kMul) &&
              RT_VALUE_OP_DIV == static_cast<int>(rt::Op::kDiv) &&
              RT_VALUE_OP_MOD == static_cast<int>(rt::Op::kMod) &&
              RT_VALUE_OP_SHL == static_cast<int>(rt::Op::kShl) &&
              RT_VALUE_OP_SHR == static_cast<int>(rt::Op::kShr) &&
              RT_VALUE_OP_AND == static_cast<int>(rt::Op::kAnd) &&
              RT_VALUE_OP_OR == static_cast<int>(rt::Op::kOr));
static_assert(RT_VALUE_LESS == static_cast<int>(rt::Order::kLess) &&
              RT_VALUE_EQUAL == static_cast<int>(rt::Order::kEqual) &&
              RT_VALUE_GREATER == static_cast<int>(rt::Order::kGreater) &&
              RT_VALUE_UNORDERED == static_cast<int>(rt::Order::kUnordered) &&
              RT_VALUE_NOT_NUMBERS == static_cast<int>(rt::Order::kNotNumbers));
static_assert(RT_VALUE_NOTHING == rt::kNothing && RT_VALUE_FALSE == rt::kFalse &&
              RT_VALUE_TRUE == rt::kTrue);
using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::hex;
using runa::c_abi::null_argument;

// v is an immediate, or a reference into the types' heap.
rt_status check_value(const char* fn, const rt_types* t, rt_value v) {
  if (rh::is_ref(v) && !rh::impl_of(*t->heap->heap).region.contains(rh::as_object(v))) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn, "value " + hex(v) + " is not in this heap");
  }
  return RT_OK;
}

rt_status check_types(const char* fn, const rt_types* t) {
  return t == nullptr ? null_argument(fn, "types") : RT_OK;
}

// The calling thread's running mutator of the types' heap, as the heap's
// own entry points require it.
rt_status check_mutator(const char* fn, const rt_types* t, rt_mutator* m) {
  rh::MutatorRecord* r = nullptr;
  return rh::capi::own(fn, m, t->heap, true, r);
}

// An Outcome as the C ABI reports it.
rt_status report(const char* fn, rt::Outcome o, rt_value* out, rt_value_fault* fault) {
  switch (o.fault) {
    case rt::Fault::kNone:
      *fault = RT_VALUE_FAULT_NONE;
      break;
    case rt::Fault::kType:
      *fault = RT_VALUE_FAULT_TYPE;
      break;
    case rt::Fault::kOverflow:
      *fault = RT_VALUE_FAULT_OVERFLOW;
      break;
    case rt::Fault::kDivisionByZero:
      *fault = RT_VALUE_FAULT_DIVISION_BY_ZERO;
      break;
    case rt::Fault::kValue:
      *fault = RT_VALUE_FAULT_VALUE;
      break;
    case rt::Fault::kOutOfMemory:
      return fail(RT_ERROR_OUT_OF_MEMORY, fn, "the heap is exhausted (boxing the result)");
  }
  *out = o.value;
  return RT_OK;
}

rt_status made(const char* fn, rt_value v, rt_value* out) {
  if (v == rt::kNothing) return fail(RT_ERROR_OUT_OF_MEMORY, fn, "the heap is exhausted");
  *out = v;
  return RT_OK;
}

// rt_value_from_integer and _float: `make` boxes when needed (kNothing:
// the heap is exhausted).
template <class Make>
rt_status make_number(const char* fn, rt_types* types, rt_mutator* m, rt_value* out, Make make) {
  return guarded(fn, [&] {
    if (rt_status s = check_types(fn, types); s != RT_OK) return s;
    if (out == nullptr) return null_argument(fn, "out");
    if (rt_status s = check_mutator(fn, types, m); s != RT_OK) return s;
    return made(fn, make(*reinterpret_cast<rh::Mutator*>(m)), out);
  });
}

// rt_value_to_integer and _float.
template <class T>
rt_status read_number(const char* fn, const rt_types* types, rt_value v, T* out,
                      bool (*is)(const rt::Context&, rt::Value), T (*as)(rt::Value),
                      const char* what) {
  return guarded(fn, [&] {
    if (rt_status s = check_types(fn, types); s != RT_OK) return s;
    if (out == nullptr) return null_argument(fn, "out");
    if (rt_status s = check_value(fn, types, v); s != RT_OK) return s;
    if (!is(*types->cx, v)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "value " + hex(v) + " is not " + what);
    }
    *out = as(v);
    return RT_OK;
  });
}

}  // namespace

extern "C" {

rt_status rt_types_create(rt_heap* heap, rt_types** out) noexcept {
  constexpr const char* fn = "rt_types_create";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (out == nullptr) return null_argument(fn, "out");
    auto cx = rt::Context::create(*heap->heap);
    if (!cx.ok()) return fail(RT_ERROR_INVALID_STATE, fn, cx.error().describe());
    auto types = std::make_unique<rt_types>(rt_types{heap, std::move(cx.value())});
    *out = types.release();
    return RT_OK;
  });
}

void rt_types_destroy(rt_types* types) noexcept {
  delete types;
}

rt_status rt_value_kind_of(const rt_types* types, rt_value v, rt_value_kind* out) noexcept {
  constexpr const char* fn = "rt_value_kind_of";
  return guarded(fn, [&] {
    if (rt_status s = check_types(fn, types); s != RT_OK) return s;
    if (out == nullptr) return null_argument(fn, "out");
    if (rt_status s = check_value(fn, types, v); s != RT_OK) return s;
    const rt::Context& cx = *types->cx;
    if (rt::is_nothing(v)) {
      *out = RT_VALUE_KIND_NOTHING;
    } else if (rt::is_boolean(v)) {
      *out = RT_VALUE_KIND_BOOLEAN;
    } else if (rt::is_character(v)) {
      *out = RT_VALUE_KIND_CHARACTER;
    } else if (rt::is_int(cx, v)) {
      *out = RT_VALUE_KIND_INTEGER;
    } else if (rt::is_float(cx, v)) {
      *out = RT_VALUE_KIND_FLOAT;
    } else if (rh::is_ref(v)) {
      *out = RT_VALUE_KIND_OBJECT;
    } else {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "value " + hex(v) + " is no value word");
    }
    return RT_OK;
  });
}

rt_status rt_value_from_integer(rt_types* types, rt_mutator* m, int64_t i, rt_value* out) noexcept {
  return make_number("rt_value_from_integer", types, m, out,
                     [&](rh::Mutator& mu) { return rt::make_int(*types->cx, mu, i); });
}

rt_status rt_value_from_float(rt_types* types, rt_mutator* m, double d, rt_value* out) noexcept {
  return make_number("rt_value_from_float", types, m, out,
                     [&](rh::Mutator& mu) { return rt::make_float(*types->cx, mu, d); });
}

rt_status rt_value_from_character(uint32_t c, rt_value* out) noexcept {
  constexpr const char* fn = "rt_value_from_character";
  return guarded(fn, [&] {
    if (out == nullptr) return null_argument(fn, "out");
    if (!rt::is_scalar_value(c)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  hex(c) + " is not a Unicode scalar value (a surrogate, or above 0x10ffff)");
    }
    *out = rt::make_character(c);
    return RT_OK;
  });
}

rt_status rt_value_to_integer(const rt_types* types, rt_value v, int64_t* out) noexcept {
  return read_number("rt_value_to_integer", types, v, out, rt::is_int, rt::as_int, "an Integer");
}

rt_status rt_value_to_float(const rt_types* types, rt_value v, double* out) noexcept {
  return read_number("rt_value_to_float", types, v, out, rt::is_float, rt::as_double, "a Float");
}

rt_status rt_value_to_character(rt_value v, uint32_t* out) noexcept {
  constexpr const char* fn = "rt_value_to_character";
  return guarded(fn, [&] {
    if (out == nullptr) return null_argument(fn, "out");
    if (!rt::is_character(v) || (v >> 3) > 0x10FFFF || !rt::is_scalar_value(rt::as_character(v))) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "value " + hex(v) + " is not a Character");
    }
    *out = rt::as_character(v);
    return RT_OK;
  });
}

rt_status rt_value_binary(rt_types* types, rt_mutator* m, int op, rt_value a, rt_value b,
                          rt_value* out, rt_value_fault* fault) noexcept {
  constexpr const char* fn = "rt_value_binary";
  return guarded(fn, [&] {
    if (rt_status s = check_types(fn, types); s != RT_OK) return s;
    if (out == nullptr) return null_argument(fn, "out");
    if (fault == nullptr) return null_argument(fn, "fault");
    if (op < RT_VALUE_OP_ADD || op > RT_VALUE_OP_OR) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "op " + std::to_string(op) + " is no binary operation (ADD..OR, 0..8)");
    }
    if (rt_status s = check_mutator(fn, types, m); s != RT_OK) return s;
    if (rt_status s = check_value(fn, types, a); s != RT_OK) return s;
    if (rt_status s = check_value(fn, types, b); s != RT_OK) return s;
    return report(fn,
                  rt::binary_slow(*types->cx, *reinterpret_cast<rh::Mutator*>(m),
                                  static_cast<rt::Op>(op), a, b),
                  out, fault);
  });
}

rt_status rt_value_unary(rt_types* types, rt_mutator* m, int op, rt_value a, rt_value* out,
                         rt_value_fault* fault) noexcept {
  constexpr const char* fn = "rt_value_unary";
  return guarded(fn, [&] {
    if (rt_status s = check_types(fn, types); s != RT_OK) return s;
    if (out == nullptr) return null_argument(fn, "out");
    if (fault == nullptr) return null_argument(fn, "fault");
    if (op != RT_VALUE_OP_NEG && op != RT_VALUE_OP_NOT) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "op " + std::to_string(op) + " is no unary operation (NEG 9, NOT 10)");
    }
    if (rt_status s = check_mutator(fn, types, m); s != RT_OK) return s;
    if (rt_status s = check_value(fn, types, a); s != RT_OK) return s;
    auto& mu = *reinterpret_cast<rh::Mutator*>(m);
    return report(
        fn, op == RT_VALUE_OP_NEG ? rt::neg(*types->cx, mu, a) : rt::bit_not(*types->cx, mu, a),
        out, fault);
  });
}

rt_status rt_value_compare(const rt_types* types, rt_value a, rt_value b,
                           rt_value_order* out) noexcept {
  constexpr const char* fn = "rt_value_compare";
  return guarded(fn, [&] {
    if (rt_status s = check_types(fn, types); s != RT_OK) return s;
    if (out == nullptr) return null_argument(fn, "out");
    if (rt_status s = check_value(fn, types, a); s != RT_OK) return s;
    if (rt_status s = check_value(fn, types, b); s != RT_OK) return s;
    *out = static_cast<rt_value_order>(rt::compare(*types->cx, a, b));
    return RT_OK;
  });
}

}  // extern "C"
