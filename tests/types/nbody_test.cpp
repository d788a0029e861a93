// The n-body kernel on values (bench/nbody_values.hpp): its steps allocate
// nothing (the thread's allocation cursor and the heap's collection counts
// do not move) and compute exactly what the same arithmetic on plain
// doubles computes, bit for bit.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>

#include "../../bench/nbody_values.hpp"
#include "runatime/values.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using testing::TypesHeap;
namespace nb = bench::nbody;

// The same system in plain doubles, the operations in the kernel's order.
struct PlainSystem {
  double x[nb::kBodies][3];
  double v[nb::kBodies][3];
  double mass[nb::kBodies];

  PlainSystem() {
    for (std::size_t i = 0; i < nb::kBodies; ++i) {
      for (std::size_t k = 0; k < 3; ++k) {
        x[i][k] = nb::kInitial[i].x[k];
        v[i][k] = nb::kInitial[i].v[k] * nb::kDaysPerYear;
      }
      mass[i] = nb::kInitial[i].mass * nb::kSolarMass;
    }
    double p[3] = {0, 0, 0};
    for (std::size_t i = 0; i < nb::kBodies; ++i) {
      for (std::size_t k = 0; k < 3; ++k) p[k] += v[i][k] * mass[i];
    }
    for (std::size_t k = 0; k < 3; ++k) v[0][k] = -p[k] / nb::kSolarMass;
  }

  void advance(double dt) {
    for (std::size_t i = 0; i < nb::kBodies; ++i) {
      for (std::size_t j = i + 1; j < nb::kBodies; ++j) {
        double d[3];
        for (std::size_t k = 0; k < 3; ++k) d[k] = x[i][k] - x[j][k];
        double d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        double mag = dt / (d2 * std::sqrt(d2));
        for (std::size_t k = 0; k < 3; ++k) {
          v[i][k] -= d[k] * mass[j] * mag;
          v[j][k] += d[k] * mass[i] * mag;
        }
      }
    }
    for (std::size_t i = 0; i < nb::kBodies; ++i) {
      for (std::size_t k = 0; k < 3; ++k) x[i][k] += dt * v[i][k];
    }
  }
};

TEST(NBody, StepsAllocateNothingAndMatchPlainDoubles) {
  TypesHeap t;
  bench::NBody sys(*t.heap, *t.m, *t.cx);
  ASSERT_TRUE(sys.ok());
  PlainSystem plain;
  const heap::Value dt = make_float(*t.cx, *t.m, 0.01);
  ASSERT_TRUE(is_immediate_float(dt));

  heap::Stats before = t.heap->stats();
  const std::uint8_t* cursor = t.m->cursor;
  const std::uint8_t* limit = t.m->limit;
  constexpr int kSteps = 2000;
  for (int s = 0; s < kSteps; ++s) {
    ASSERT_TRUE(sys.advance(dt)) << static_cast<int>(sys.fault());
    plain.advance(0.01);
  }
  heap::Stats after = t.heap->stats();
  // Not one byte allocated: the allocation buffer is where it was, and
  // nothing collected (under RUNA_GC, which collects every fifth allocation,
  // too).
  EXPECT_EQ(t.m->cursor, cursor);
  EXPECT_EQ(t.m->limit, limit);
  EXPECT_EQ(after.minor_collections, before.minor_collections);
  EXPECT_EQ(after.major_collections, before.major_collections);
  EXPECT_EQ(after.tlab_refills, before.tlab_refills);

  for (std::size_t i = 0; i < nb::kBodies; ++i) {
    for (std::size_t k = 0; k < 3; ++k) {
      heap::Value x = sys.field(i, nb::kX + k);
      heap::Value v = sys.field(i, nb::kV + k);
      ASSERT_TRUE(is_immediate_float(x));
      ASSERT_TRUE(is_immediate_float(v));
      EXPECT_EQ(std::bit_cast<std::uint64_t>(as_double(x)),
                std::bit_cast<std::uint64_t>(plain.x[i][k]))
          << i << " " << k;
      EXPECT_EQ(std::bit_cast<std::uint64_t>(as_double(v)),
                std::bit_cast<std::uint64_t>(plain.v[i][k]))
          << i << " " << k;
    }
  }
}

// The system survives collections between steps (bodies move; the kernel
// re-reads them), and a step that has to box (a time step beyond the
// immediate range makes the products huge) still computes what doubles do.
TEST(NBody, CollectionsBetweenStepsAndBoxedIntermediates) {
  TypesHeap t;
  bench::NBody sys(*t.heap, *t.m, *t.cx);
  ASSERT_TRUE(sys.ok());
  PlainSystem plain;
  heap::Persistent dt(*t.heap, make_float(*t.cx, *t.m, 0.01));
  for (int s = 0; s < 50; ++s) {
    ASSERT_TRUE(sys.advance(dt.value()));
    plain.advance(0.01);
    ASSERT_TRUE(t.heap->collect(*t.m, s % 10 == 9));
  }
  dt.set(make_float(*t.cx, *t.m, 0x1p300));
  ASSERT_TRUE(is_boxed_float(*t.cx, dt.value()));
  ASSERT_TRUE(sys.advance(dt.value()));
  plain.advance(0x1p300);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
  for (std::size_t i = 0; i < nb::kBodies; ++i) {
    for (std::size_t k = 0; k < 3; ++k) {
      double x = as_double(sys.field(i, nb::kX + k));
      EXPECT_TRUE(x == plain.x[i][k] || (std::isnan(x) && std::isnan(plain.x[i][k])))
          << i << " " << k << " " << x << " " << plain.x[i][k];
    }
  }
}

}  // namespace
}  // namespace runa::types
