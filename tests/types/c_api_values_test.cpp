// The values' C ABI (include/runatime/c/values.h): numbers made and read
// back on both sides of the boxing boundaries, arithmetic with its program
// faults reported beside RT_OK, exact comparison, and every check of a bad
// argument returning an error with a message instead of crashing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "runatime.h"
#include "runatime/heap_options.hpp"
#include "types_fixture.hpp"

namespace {

struct CValues {
  CValues() {
    rt_heap_options o;
    rt_heap_options_init(&o);
    EXPECT_EQ(rt_heap_options_parse(std::getenv("RUNA_GC") ? std::getenv("RUNA_GC") : "", &o),
              RT_OK);
    EXPECT_EQ(rt_heap_create(&o, &heap), RT_OK);
    EXPECT_EQ(rt_types_create(heap, &types), RT_OK);
    EXPECT_EQ(rt_attach(heap, &m), RT_OK);
  }
  ~CValues() {
    rt_detach(heap, m);
    rt_types_destroy(types);
    rt_heap_destroy(heap);
  }
  CValues(const CValues&) = delete;
  CValues& operator=(const CValues&) = delete;

  rt_heap* heap = nullptr;
  rt_types* types = nullptr;
  rt_mutator* m = nullptr;
};

TEST(CValues, NumbersRoundTripAcrossTheBoxingBoundaries) {
  CValues c;
  for (int64_t i : runa::types::testing::edge_integers()) {
    rt_value v = 0;
    ASSERT_EQ(rt_value_from_integer(c.types, c.m, i, &v), RT_OK);
    rt_value_kind k;
    ASSERT_EQ(rt_value_kind_of(c.types, v, &k), RT_OK);
    EXPECT_EQ(k, RT_VALUE_KIND_INTEGER);
    int64_t back = 0;
    ASSERT_EQ(rt_value_to_integer(c.types, v, &back), RT_OK);
    EXPECT_EQ(back, i);
    double d = 0;
    EXPECT_EQ(rt_value_to_float(c.types, v, &d), RT_ERROR_INVALID_ARGUMENT);
  }
  for (double d : {0.0, -0.0, 1.5, 0x1p300, -0x1p-500, double{INFINITY}, 0x1p-1074}) {
    rt_value v = 0;
    ASSERT_EQ(rt_value_from_float(c.types, c.m, d, &v), RT_OK);
    rt_value_kind k;
    ASSERT_EQ(rt_value_kind_of(c.types, v, &k), RT_OK);
    EXPECT_EQ(k, RT_VALUE_KIND_FLOAT);
    double back = 0;
    ASSERT_EQ(rt_value_to_float(c.types, v, &back), RT_OK);
    EXPECT_EQ(std::signbit(back), std::signbit(d));
    EXPECT_EQ(back, d);
  }
  rt_value_kind k;
  ASSERT_EQ(rt_value_kind_of(c.types, RT_VALUE_NOTHING, &k), RT_OK);
  EXPECT_EQ(k, RT_VALUE_KIND_NOTHING);
  ASSERT_EQ(rt_value_kind_of(c.types, RT_VALUE_TRUE, &k), RT_OK);
  EXPECT_EQ(k, RT_VALUE_KIND_BOOLEAN);
}

TEST(CValues, Characters) {
  rt_value v = 0;
  ASSERT_EQ(rt_value_from_character(0x1F600, &v), RT_OK);
  uint32_t c = 0;
  ASSERT_EQ(rt_value_to_character(v, &c), RT_OK);
  EXPECT_EQ(c, 0x1F600U);
  EXPECT_EQ(rt_value_from_character(0xD800, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(rt_last_error()).find("scalar value"), std::string::npos);
  EXPECT_EQ(rt_value_from_character(0x110000, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_value_to_character(RT_VALUE_TRUE, &c), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_value_to_character((UINT64_C(0xD800) << 3) | 5, &c), RT_ERROR_INVALID_ARGUMENT);
}

TEST(CValues, ArithmeticReportsProgramFaultsBesideOk) {
  CValues c;
  rt_value max = 0;
  rt_value one = 0;
  ASSERT_EQ(rt_value_from_integer(c.types, c.m, INT64_MAX, &max), RT_OK);
  ASSERT_EQ(rt_value_from_integer(c.types, c.m, 1, &one), RT_OK);
  rt_value r = 0;
  rt_value_fault f = RT_VALUE_FAULT_NONE;
  ASSERT_EQ(rt_value_binary(c.types, c.m, RT_VALUE_OP_ADD, max, one, &r, &f), RT_OK);
  EXPECT_EQ(f, RT_VALUE_FAULT_OVERFLOW);
  ASSERT_EQ(rt_value_from_integer(c.types, c.m, INT64_MAX, &max), RT_OK);
  ASSERT_EQ(rt_value_binary(c.types, c.m, RT_VALUE_OP_SUB, max, one, &r, &f), RT_OK);
  EXPECT_EQ(f, RT_VALUE_FAULT_NONE);
  int64_t i = 0;
  ASSERT_EQ(rt_value_to_integer(c.types, r, &i), RT_OK);
  EXPECT_EQ(i, INT64_MAX - 1);
  rt_value zero = 0;
  ASSERT_EQ(rt_value_from_integer(c.types, c.m, 0, &zero), RT_OK);
  ASSERT_EQ(rt_value_binary(c.types, c.m, RT_VALUE_OP_DIV, one, zero, &r, &f), RT_OK);
  EXPECT_EQ(f, RT_VALUE_FAULT_DIVISION_BY_ZERO);
  ASSERT_EQ(rt_value_binary(c.types, c.m, RT_VALUE_OP_ADD, one, RT_VALUE_TRUE, &r, &f), RT_OK);
  EXPECT_EQ(f, RT_VALUE_FAULT_TYPE);
  ASSERT_EQ(rt_value_unary(c.types, c.m, RT_VALUE_OP_NEG, one, &r, &f), RT_OK);
  ASSERT_EQ(rt_value_to_integer(c.types, r, &i), RT_OK);
  EXPECT_EQ(i, -1);
  ASSERT_EQ(rt_value_unary(c.types, c.m, RT_VALUE_OP_NOT, RT_VALUE_TRUE, &r, &f), RT_OK);
  EXPECT_EQ(r, RT_VALUE_FALSE);
  rt_value half = 0;
  ASSERT_EQ(rt_value_from_float(c.types, c.m, 0.5, &half), RT_OK);
  rt_value_order o;
  ASSERT_EQ(rt_value_compare(c.types, one, half, &o), RT_OK);
  EXPECT_EQ(o, RT_VALUE_GREATER);
  ASSERT_EQ(rt_value_compare(c.types, one, RT_VALUE_TRUE, &o), RT_OK);
  EXPECT_EQ(o, RT_VALUE_NOT_NUMBERS);
}

TEST(CValues, BadArgumentsAreErrors) {
  CValues c;
  rt_value v = 0;
  rt_value_fault f;
  EXPECT_EQ(rt_types_create(nullptr, &c.types), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_value_from_integer(nullptr, c.m, 1, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_value_from_integer(c.types, nullptr, 1, &v), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_value_from_integer(c.types, c.m, 1, nullptr), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_value_binary(c.types, c.m, 9, RT_VALUE_TRUE, RT_VALUE_TRUE, &v, &f),
            RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(rt_last_error()).find("no binary operation"), std::string::npos);
  EXPECT_EQ(rt_value_binary(c.types, c.m, -1, RT_VALUE_TRUE, RT_VALUE_TRUE, &v, &f),
            RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_value_unary(c.types, c.m, RT_VALUE_OP_ADD, RT_VALUE_TRUE, &v, &f),
            RT_ERROR_INVALID_ARGUMENT);
  // A reference that is not into this heap.
  static std::uint64_t outside[2] = {0, 0};
  rt_value stray = reinterpret_cast<rt_value>(&outside[0]);
  rt_value_kind k;
  EXPECT_EQ(rt_value_kind_of(c.types, stray, &k), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(rt_last_error()).find("not in this heap"), std::string::npos);
  int64_t i;
  EXPECT_EQ(rt_value_to_integer(c.types, stray, &i), RT_ERROR_INVALID_ARGUMENT);
  // A mutator of another heap.
  CValues other;
  EXPECT_EQ(rt_value_from_integer(c.types, other.m, INT64_MAX, &v), RT_ERROR_INVALID_ARGUMENT);
}

}  // namespace
