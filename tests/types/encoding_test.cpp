// The value word's encoding (runatime/values.hpp): every kind is recognised
// by its own predicate only, immediates decode to what was encoded, and the
// immediate Float ranges are exactly those documented, at every exponent
// boundary, with every double (NaN payloads, -0.0, subnormals, infinities)
// round-tripping bit for bit, boxed or not.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "runatime/values.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using testing::TypesHeap;

std::uint64_t bits(double d) {
  return std::bit_cast<std::uint64_t>(d);
}
double from_bits(std::uint64_t b) {
  return std::bit_cast<double>(b);
}
double with_exponent(std::uint64_t sign, std::uint64_t e, std::uint64_t fraction) {
  return from_bits((sign << 63) | (e << 52) | fraction);
}
// The documented immediate ranges: top three exponent bits 000, 011, 100, 111.
bool documented_immediate(std::uint64_t e) {
  std::uint64_t t = e >> 8;
  return t == 0 || t == 3 || t == 4 || t == 7;
}

// What kind each predicate says the word is; exactly one must say so.
int kinds(const Context& cx, Value v) {
  return int{is_nothing(v)} + int{is_boolean(v)} + int{is_character(v)} + int{is_int(cx, v)} +
         int{is_float(cx, v)} + int{heap::is_ref(v) && !is_int(cx, v) && !is_float(cx, v)};
}

TEST(Encoding, NothingIsTheZeroWordAndNothingElseIsZero) {
  TypesHeap t;
  EXPECT_EQ(kNothing, Value{0});
  EXPECT_TRUE(is_nothing(0));
  EXPECT_FALSE(heap::is_ref(kNothing));
  EXPECT_EQ(kinds(*t.cx, kNothing), 1);
  EXPECT_NE(make_small_int(0), kNothing);
  EXPECT_NE(make_immediate_float(0.0), kNothing);
  EXPECT_NE(make_immediate_float(-0.0), kNothing);
  EXPECT_NE(kFalse, kNothing);
  EXPECT_NE(make_character(0), kNothing);
}

TEST(Encoding, BooleansAreTwoWords) {
  TypesHeap t;
  EXPECT_TRUE(is_boolean(kTrue));
  EXPECT_TRUE(is_boolean(kFalse));
  EXPECT_TRUE(as_boolean(make_boolean(true)));
  EXPECT_FALSE(as_boolean(make_boolean(false)));
  EXPECT_EQ(kinds(*t.cx, kTrue), 1);
  EXPECT_EQ(kinds(*t.cx, kFalse), 1);
  // No other word with the Boolean tag is a Boolean.
  EXPECT_FALSE(is_boolean(kBooleanTag | 16));
}

TEST(Encoding, CharactersAreTheUnicodeScalarValues) {
  TypesHeap t;
  for (std::uint32_t c : {0U, 0x41U, 0x7FU, 0xD7FFU, 0xE000U, 0xFFFFU, 0x10000U, 0x10FFFFU}) {
    ASSERT_TRUE(is_scalar_value(c)) << c;
    Value v = make_character(c);
    EXPECT_TRUE(is_character(v));
    EXPECT_EQ(as_character(v), c);
    EXPECT_EQ(kinds(*t.cx, v), 1) << c;
  }
  for (std::uint32_t c : {0xD800U, 0xDBFFU, 0xDC00U, 0xDFFFU, 0x110000U, 0xFFFFFFFFU})
    EXPECT_FALSE(is_scalar_value(c)) << c;
}

TEST(Encoding, SmallIntegersCoverExactly61Bits) {
  EXPECT_EQ(kSmallIntMin, -(std::int64_t{1} << 60));
  EXPECT_EQ(kSmallIntMax, (std::int64_t{1} << 60) - 1);
  EXPECT_TRUE(fits_small_int(kSmallIntMin));
  EXPECT_TRUE(fits_small_int(kSmallIntMax));
  EXPECT_FALSE(fits_small_int(kSmallIntMin - 1));
  EXPECT_FALSE(fits_small_int(kSmallIntMax + 1));
  EXPECT_FALSE(fits_small_int(INT64_MIN));
  EXPECT_FALSE(fits_small_int(INT64_MAX));
  for (std::int64_t i : {kSmallIntMin, kSmallIntMin + 1, std::int64_t{-1}, std::int64_t{0},
                         std::int64_t{1}, kSmallIntMax - 1, kSmallIntMax}) {
    Value v = make_small_int(i);
    EXPECT_TRUE(is_small_int(v));
    EXPECT_EQ(small_int_value(v), i);
  }
}

TEST(Encoding, IntegersAreBoxedExactlyOutsideTheSmallRange) {
  TypesHeap t;
  heap::HandleScope scope(*t.m);
  for (std::int64_t i : testing::edge_integers()) {
    Value v = make_int(*t.cx, *t.m, i);
    ASSERT_NE(v, kNothing);
    EXPECT_EQ(is_small_int(v), fits_small_int(i)) << i;
    EXPECT_EQ(is_boxed_int(*t.cx, v), !fits_small_int(i)) << i;
    EXPECT_TRUE(is_int(*t.cx, v));
    EXPECT_FALSE(is_float(*t.cx, v));
    EXPECT_EQ(kinds(*t.cx, v), 1);
    EXPECT_EQ(as_int(v), i);
  }
}

TEST(Encoding, TheImmediateFloatRangesAreTheDocumentedExponents) {
  // Every biased exponent, both signs, the smallest, a middle and the
  // largest fraction: the boundaries 255/256, 767/768, 1279/1280 and
  // 1791/1792 are among them.
  for (std::uint64_t sign = 0; sign < 2; ++sign) {
    for (std::uint64_t e = 0; e < 2048; ++e) {
      for (std::uint64_t f : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 51,
                              (std::uint64_t{1} << 52) - 1}) {
        double d = with_exponent(sign, e, f);
        ASSERT_EQ(float_fits_immediate(d), documented_immediate(e)) << e << " " << f;
        if (!float_fits_immediate(d)) continue;
        Value v = make_immediate_float(d);
        ASSERT_TRUE(is_immediate_float(v));
        ASSERT_FALSE(is_small_int(v) || is_boolean(v) || is_character(v) || heap::is_ref(v) ||
                     is_nothing(v));
        ASSERT_EQ(bits(immediate_float_value(v)), bits(d)) << e << " " << f;
      }
    }
  }
}

TEST(Encoding, NamedFloatRangeBoundaries) {
  // The documented magnitudes: immediate below 2^-767, from 2^-255 to below
  // 2^257, and from 2^769 on.
  EXPECT_TRUE(float_fits_immediate(std::nextafter(0x1p-767, 0.0)));
  EXPECT_FALSE(float_fits_immediate(0x1p-767));
  EXPECT_FALSE(float_fits_immediate(std::nextafter(0x1p-255, 0.0)));
  EXPECT_TRUE(float_fits_immediate(0x1p-255));
  EXPECT_TRUE(float_fits_immediate(std::nextafter(0x1p257, 0.0)));
  EXPECT_FALSE(float_fits_immediate(0x1p257));
  EXPECT_FALSE(float_fits_immediate(std::nextafter(0x1p769, 0.0)));
  EXPECT_TRUE(float_fits_immediate(0x1p769));
  for (double d :
       {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.141592653589793, 1e-300, 1e300,
        std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
        std::numeric_limits<double>::min(), std::numeric_limits<double>::denorm_min(),
        -std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
        std::numeric_limits<double>::signaling_NaN()})
    EXPECT_TRUE(float_fits_immediate(d)) << d;
  for (double d : {1e-200, -1e-100, 1e100, -1e200, 0x1p300})
    EXPECT_FALSE(float_fits_immediate(d)) << d;
}

TEST(Encoding, EveryDoubleRoundTripsBoxedOrNot) {
  TypesHeap t;
  heap::HandleScope scope(*t.m);
  std::mt19937_64 rng(20261204);
  std::vector<std::uint64_t> cases = {bits(0.0),          bits(-0.0),
                                      0x7FF0000000000001,  // signalling NaN, smallest payload
                                      0x7FF8000000000000,  // the default quiet NaN
                                      0xFFF8000000000000,  // negative quiet NaN
                                      0x7FFFFFFFFFFFFFFF,  // largest payload
                                      0xFFF0000000000001,
                                      0x0000000000000001,   // smallest subnormal
                                      0x000FFFFFFFFFFFFF,   // largest subnormal
                                      0x8000000000000001};  // negative subnormal
  for (int i = 0; i < 20000; ++i) cases.push_back(rng());
  for (std::uint64_t b : cases) {
    double d = from_bits(b);
    Value v = make_float(*t.cx, *t.m, d);
    ASSERT_NE(v, kNothing);
    EXPECT_EQ(is_immediate_float(v), float_fits_immediate(d));
    EXPECT_EQ(is_boxed_float(*t.cx, v), !float_fits_immediate(d));
    EXPECT_TRUE(is_float(*t.cx, v));
    EXPECT_FALSE(is_int(*t.cx, v));
    ASSERT_EQ(bits(as_double(v)), b);
  }
}

TEST(Encoding, NegatingAnImmediateFloatFlipsOnlyItsSign) {
  for (std::uint64_t e : {0ULL, 255ULL, 768ULL, 1023ULL, 1279ULL, 1792ULL, 2047ULL}) {
    double d = with_exponent(0, e, 12345);
    Value v = make_immediate_float(d);
    EXPECT_EQ(bits(immediate_float_value(v ^ 8)), bits(d) ^ (1ULL << 63)) << e;
  }
}

}  // namespace
}  // namespace runa::types
