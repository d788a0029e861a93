// runatime/values.hpp — what a Runa value is: the encoding of the heap's
// 64-bit value word (runatime/heap.hpp), the boxed Integer and Float objects
// behind it, and the inline fast paths of arithmetic and comparison that an
// execution tier calls for ADD ... GE (docs/bytecode.md §2.5.1).
// docs/types.md, "Value representation", explains every choice and the
// measurements behind it; this header is its contract.
//
// The word's low three bits (the tag):
//   000  a reference to a heap object, or the word 0: `nothing`
//   001  a small Integer: the 61-bit two's-complement value in bits 63..3
//   010, 011, 110, 111  an immediate Float (bit 1 set, "self-tagged": the
//        tag is made of the double's own top exponent bits, see below)
//   100  a Boolean: bit 3 is the value
//   101  a Character: the Unicode scalar value in bits 63..3
//
// Invariants (every function below keeps them; code that builds words by
// hand must too):
//   - Canonical numbers: an Integer is a small Integer exactly when its value
//     fits 61 bits, otherwise a boxed Integer; a Float is immediate exactly
//     when its encoding exists (float_fits_immediate), otherwise boxed. So an
//     Integer or a Float has one representation, and two small Integers are
//     equal exactly when their words are.
//   - Boxed Integers and Floats are immutable heap objects of the layouts a
//     Context registers; they are never shared on purpose and never compared
//     by identity.
//   - Nothing here collects except where a comment says MAY COLLECT: making
//     a boxed number allocates. After a call that may collect, every raw
//     reference the caller holds outside a handle is stale (heap.hpp), the
//     operands of the call included.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"

namespace runa::types {

using heap::Value;

// ---- tags -------------------------------------------------------------------

inline constexpr Value kTagMask = 7;
inline constexpr Value kSmallIntTag = 1;
inline constexpr Value kBooleanTag = 4;
inline constexpr Value kCharacterTag = 5;
// Set in the tag of every immediate Float and of no other word.
inline constexpr Value kImmediateFloatBit = 2;

inline constexpr Value kNothing = 0;
inline constexpr Value kFalse = kBooleanTag;
inline constexpr Value kTrue = kBooleanTag | 8;

inline constexpr bool is_nothing(Value v) {
  return v == kNothing;
}

// ---- Booleans and Characters --------------------------------------------------

inline constexpr bool is_boolean(Value v) {
  return (v & ~Value{8}) == kBooleanTag;
}
inline constexpr Value make_boolean(bool b) {
  return b ? kTrue : kFalse;
}
inline constexpr bool as_boolean(Value v) {  // v is a Boolean
  return v == kTrue;
}

// A Unicode scalar value: a code point that is not a surrogate.
inline constexpr bool is_scalar_value(std::uint32_t c) {
  return c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF);
}
inline constexpr bool is_character(Value v) {
  return (v & kTagMask) == kCharacterTag;
}
inline constexpr Value make_character(std::uint32_t c) {  // is_scalar_value(c)
  return (Value{c} << 3) | kCharacterTag;
}
inline constexpr std::uint32_t as_character(Value v) {  // v is a Character
  return static_cast<std::uint32_t>(v >> 3);
}

// ---- small Integers -------------------------------------------------------------

inline constexpr std::int64_t kSmallIntMin = -(std::int64_t{1} << 60);
inline constexpr std::int64_t kSmallIntMax = (std::int64_t{1} << 60) - 1;

inline constexpr bool is_small_int(Value v) {
  return (v & kTagMask) == kSmallIntTag;
}
inline constexpr bool fits_small_int(std::int64_t i) {
  return i >= kSmallIntMin && i <= kSmallIntMax;
}
inline constexpr Value make_small_int(std::int64_t i) {  // fits_small_int(i)
  return (static_cast<Value>(i) << 3) | kSmallIntTag;
}
inline constexpr std::int64_t small_int_value(Value v) {  // v is a small Integer
  return static_cast<std::int64_t>(v) >> 3;
}

// ---- immediate Floats -------------------------------------------------------------
//
// A double's bits b (sign, 11 exponent bits, 52 fraction bits) become the
// word rotl(b + kFloatOffset, 4) when bit 61 of b + kFloatOffset is set: the
// rotation brings the sign and the top three exponent bits to bits 3..0, so
// the tag is (the top three exponent bits + 3) mod 8, and bit 61 set means
// that tag has bit 1 set. That holds for the top exponent bits 000, 011, 100
// and 111: biased exponents 0..255 (±0, subnormals, below 2^-767),
// 768..1279 (2^-255 <= |x| < 2^257) and 1792..2047 (from 2^769 on,
// infinities and every NaN). Decoding undoes both steps; the two are
// bijections, so every double in those ranges, every NaN payload included,
// round-trips exactly. Other doubles are boxed.
inline constexpr std::uint64_t kFloatOffset = std::uint64_t{3} << 60;

inline constexpr bool is_immediate_float(Value v) {
  return (v & kImmediateFloatBit) != 0;
}
inline constexpr bool float_fits_immediate(double d) {
  return ((std::bit_cast<std::uint64_t>(d) + kFloatOffset) & (std::uint64_t{1} << 61)) != 0;
}
inline constexpr Value make_immediate_float(double d) {  // float_fits_immediate(d)
  return std::rotl(std::bit_cast<std::uint64_t>(d) + kFloatOffset, 4);
}
inline constexpr double immediate_float_value(Value v) {  // v is an immediate Float
  return std::bit_cast<double>(std::rotr(v, 4) - kFloatOffset);
}

// ---- the types context: boxed numbers ---------------------------------------------
//
// What the types layer registered with one heap. Create one per heap (the
// boxed layouts of another context are other types: its boxed numbers would
// not be numbers here). It keeps no heap memory; destroy it before its heap.
// Later parts (descriptors, built-in types) add their per-heap state here.
class Context {
 public:
  // Registers the boxed Integer and Float layouts with `heap`. Never collects.
  static Result<std::unique_ptr<Context>> create(heap::Heap& heap);

  [[nodiscard]] heap::Heap& heap() const { return heap_; }
  [[nodiscard]] std::uint32_t boxed_integer_type() const { return boxed_integer_; }
  [[nodiscard]] std::uint32_t boxed_float_type() const { return boxed_float_; }

 private:
  Context(heap::Heap& heap, std::uint32_t boxed_integer, std::uint32_t boxed_float)
      : heap_(heap), boxed_integer_(boxed_integer), boxed_float_(boxed_float) {}
  heap::Heap& heap_;
  std::uint32_t boxed_integer_;
  std::uint32_t boxed_float_;
};

// A boxed number: the header, then the int64_t or the double's bits.
inline constexpr std::size_t kBoxedBytes = 16;

inline bool is_boxed(Value v, std::uint32_t type) {
  return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type;
}
inline bool is_boxed_int(const Context& cx, Value v) {
  return is_boxed(v, cx.boxed_integer_type());
}
inline bool is_boxed_float(const Context& cx, Value v) {
  return is_boxed(v, cx.boxed_float_type());
}
inline std::uint64_t boxed_bits(Value v) {  // v is a boxed number
  return heap::as_object(v)->slots()[0];
}

inline bool is_int(const Context& cx, Value v) {
  return is_small_int(v) || is_boxed_int(cx, v);
}
inline bool is_float(const Context& cx, Value v) {
  return is_immediate_float(v) || is_boxed_float(cx, v);
}
inline bool is_number(const Context& cx, Value v) {
  return is_int(cx, v) || is_float(cx, v);
}
inline std::int64_t as_int(Value v) {  // v is an Integer
  return is_small_int(v) ? small_int_value(v) : static_cast<std::int64_t>(boxed_bits(v));
}
inline double as_double(Value v) {  // v is a Float
  return is_immediate_float(v) ? immediate_float_value(v) : std::bit_cast<double>(boxed_bits(v));
}

// Out of line: a boxed number of `type` holding `bits`; kNothing when the
// heap is exhausted. MAY COLLECT.
Value box(heap::Mutator& m, std::uint32_t type, std::uint64_t bits);

// The Integer i (boxed outside the small range) or the Float d (boxed
// outside the immediate ranges); kNothing when the heap is exhausted.
// MAY COLLECT only when the result is boxed.
inline Value make_int(const Context& cx, heap::Mutator& m, std::int64_t i) {
  if (fits_small_int(i)) [[likely]]
    return make_small_int(i);
  return box(m, cx.boxed_integer_type(), static_cast<std::uint64_t>(i));
}
inline Value make_float(const Context& cx, heap::Mutator& m, double d) {
  if (float_fits_immediate(d)) [[likely]]
    return make_immediate_float(d);
  return box(m, cx.boxed_float_type(), std::bit_cast<std::uint64_t>(d));
}

// ---- arithmetic -----------------------------------------------------------------------
//
// Each operation returns the result or the error docs/bytecode.md §2.5.1
// defines; the tier raises it. A result is canonical, so it may be boxed:
// every operation MAY COLLECT (only on its way to boxing a result).

enum class Fault : std::uint8_t {
  kNone,
  kType,            // TypeError: an operand of the wrong kind
  kOverflow,        // OverflowError: the exact Integer result is not 64-bit
  kDivisionByZero,  // DivisionByZero: Integer DIV or MOD by 0
  kValue,           // ValueError: a negative shift count
  kOutOfMemory,     // OutOfMemory: boxing the result found the heap exhausted
};

// Two 64-bit words: returned in registers on x86-64 and AArch64.
struct Outcome {
  Value value = kNothing;  // kNothing unless fault is kNone
  Fault fault = Fault::kNone;
};

enum class Op : std::uint8_t { kAdd, kSub, kMul, kDiv, kMod, kShl, kShr, kAnd, kOr };

// The general case of every binary operation: boxed operands, a mixed
// Integer and Float (the Integer is converted first), results out of the
// immediate ranges, the faults. The inline functions below decide only the
// common immediate cases and call it for the rest. MAY COLLECT.
Outcome binary_slow(const Context& cx, heap::Mutator& m, Op op, Value a, Value b);
Outcome negate_slow(const Context& cx, heap::Mutator& m, Value a);

inline bool both_small_ints(Value a, Value b) {
  return (((a ^ kSmallIntTag) | (b ^ kSmallIntTag)) & kTagMask) == 0;
}
inline bool both_immediate_floats(Value a, Value b) {
  return (a & b & kImmediateFloatBit) != 0;
}

// A Float result: immediate, or boxed by the slow path.
inline Outcome float_result(const Context& cx, heap::Mutator& m, double d) {
  if (float_fits_immediate(d)) [[likely]]
    return {make_immediate_float(d), Fault::kNone};
  Value v = box(m, cx.boxed_float_type(), std::bit_cast<std::uint64_t>(d));
  return v == kNothing ? Outcome{kNothing, Fault::kOutOfMemory} : Outcome{v, Fault::kNone};
}

// ADD, SUB, MUL: on two small Integers the tagged words themselves are
// added (a + (b - 1) keeps the tag), so the overflow of the 64-bit
// operation is exactly "the result leaves the small range".
inline Outcome add(const Context& cx, heap::Mutator& m, Value a, Value b) {
  std::int64_t r = 0;
  if (both_small_ints(a, b) &&
      !__builtin_add_overflow(static_cast<std::int64_t>(a), static_cast<std::int64_t>(b - 1), &r))
      [[likely]]
    return {static_cast<Value>(r), Fault::kNone};
  if (both_immediate_floats(a, b))
    return float_result(cx, m, immediate_float_value(a) + immediate_float_value(b));
  return binary_slow(cx, m, Op::kAdd, a, b);
}
inline Outcome sub(const Context& cx, heap::Mutator& m, Value a, Value b) {
  std::int64_t r = 0;
  if (both_small_ints(a, b) &&
      !__builtin_sub_overflow(static_cast<std::int64_t>(a), static_cast<std::int64_t>(b - 1), &r))
      [[likely]]
    return {static_cast<Value>(r), Fault::kNone};
  if (both_immediate_floats(a, b))
    return float_result(cx, m, immediate_float_value(a) - immediate_float_value(b));
  return binary_slow(cx, m, Op::kSub, a, b);
}
inline Outcome mul(const Context& cx, heap::Mutator& m, Value a, Value b) {
  std::int64_t r = 0;
  if (both_small_ints(a, b) &&
      !__builtin_mul_overflow(small_int_value(a), static_cast<std::int64_t>(b - 1), &r)) [[likely]]
    return {static_cast<Value>(r) | kSmallIntTag, Fault::kNone};
  if (both_immediate_floats(a, b))
    return float_result(cx, m, immediate_float_value(a) * immediate_float_value(b));
  return binary_slow(cx, m, Op::kMul, a, b);
}
// DIV truncates toward zero; on two small Integers only a zero divisor and
// kSmallIntMin / -1 (a boxed 2^60) leave the fast path. Float DIV is IEEE.
inline Outcome div(const Context& cx, heap::Mutator& m, Value a, Value b) {
  if (both_small_ints(a, b) && b != kSmallIntTag) [[likely]] {
    std::int64_t q = small_int_value(a) / small_int_value(b);
    if (fits_small_int(q)) [[likely]]
      return {make_small_int(q), Fault::kNone};
  }
  if (both_immediate_floats(a, b))
    return float_result(cx, m, immediate_float_value(a) / immediate_float_value(b));
  return binary_slow(cx, m, Op::kDiv, a, b);
}
// MOD takes the dividend's sign (Float: fmod, in the slow path).
inline Outcome mod(const Context& cx, heap::Mutator& m, Value a, Value b) {
  if (both_small_ints(a, b) && b != kSmallIntTag) [[likely]]
    return {make_small_int(small_int_value(a) % small_int_value(b)), Fault::kNone};
  return binary_slow(cx, m, Op::kMod, a, b);
}
// NEG: an immediate Float's sign is bit 3 of its word; the immediate ranges
// are symmetric, so its negation is immediate too.
inline Outcome neg(const Context& cx, heap::Mutator& m, Value a) {
  if (is_small_int(a) && a != make_small_int(kSmallIntMin)) [[likely]]
    return {make_small_int(-small_int_value(a)), Fault::kNone};
  if (is_immediate_float(a)) return {a ^ 8, Fault::kNone};
  return negate_slow(cx, m, a);
}

// Shifts of Integers by an Integer count: SHL is multiplication by 2^n,
// OverflowError when the exact result is not 64-bit; SHR is arithmetic
// (floor of a / 2^n; from n = 64 on, 0 or -1). A negative count is a
// ValueError.
inline Outcome shl(const Context& cx, heap::Mutator& m, Value a, Value b) {
  return binary_slow(cx, m, Op::kShl, a, b);
}
inline Outcome shr(const Context& cx, heap::Mutator& m, Value a, Value b) {
  // Unsigned: a negative count's word is above make_small_int(63).
  if (both_small_ints(a, b) && b <= make_small_int(63)) [[likely]]
    return {make_small_int(small_int_value(a) >> small_int_value(b)), Fault::kNone};
  return binary_slow(cx, m, Op::kShr, a, b);
}

// AND, OR: bitwise on two Integers, logical on two Booleans (both encodings
// are closed under the word's own & and |); NOT: complement or negation.
inline Outcome bit_and(const Context& cx, heap::Mutator& m, Value a, Value b) {
  if (both_small_ints(a, b) || (is_boolean(a) && is_boolean(b))) [[likely]]
    return {a & b, Fault::kNone};
  return binary_slow(cx, m, Op::kAnd, a, b);
}
inline Outcome bit_or(const Context& cx, heap::Mutator& m, Value a, Value b) {
  if (both_small_ints(a, b) || (is_boolean(a) && is_boolean(b))) [[likely]]
    return {a | b, Fault::kNone};
  return binary_slow(cx, m, Op::kOr, a, b);
}
Outcome not_slow(const Context& cx, heap::Mutator& m, Value a);
inline Outcome bit_not(const Context& cx, heap::Mutator& m, Value a) {
  if (is_small_int(a)) [[likely]]
    return {a ^ ~kTagMask, Fault::kNone};
  if (is_boolean(a)) return {a ^ 8, Fault::kNone};
  return not_slow(cx, m, a);
}

// ---- comparison -----------------------------------------------------------------------

// How two numbers compare: exactly, an Integer with a Float included (never
// through a rounding conversion). kUnordered: a NaN. kNotNumbers: LT and
// the others raise TypeError (Strings are ordered by the String type).
enum class Order : std::uint8_t { kLess, kEqual, kGreater, kUnordered, kNotNumbers };

Order compare_slow(const Context& cx, Value a, Value b);

// Never collects.
inline Order compare(const Context& cx, Value a, Value b) {
  if (both_small_ints(a, b)) [[likely]] {
    auto x = static_cast<std::int64_t>(a);
    auto y = static_cast<std::int64_t>(b);
    return x < y ? Order::kLess : x == y ? Order::kEqual : Order::kGreater;
  }
  return compare_slow(cx, a, b);
}

}  // namespace runa::types
