// The n-body kernel on Runa values: five bodies (the Sun and the outer
// planets), each a heap object whose seven slots hold Float values (x, y, z,
// vx, vy, vz, mass), advanced by the arithmetic of runatime/values.hpp and
// written back with the write barrier, as a tier would run the bytecode of
// the classic benchmark. Shared by bench/bench_values.cpp (instruction
// counts) and tests/types/nbody_test.cpp (no allocation per step, results
// identical to plain doubles).
//
// GC safety as a tier would keep it: intermediate values live in a frame of
// registers the heap knows as a root range, the system in a persistent slot,
// and a body is re-read from the system after every operation that may
// collect. In the usual ranges no operation boxes, so none collects; the
// point of the test is that this holds.
#pragma once

#include <cmath>
#include <cstdint>

#include "runatime/heap.hpp"
#include "runatime/values.hpp"

namespace runa::bench {

namespace nbody {
using heap::Value;
inline constexpr std::size_t kBodies = 5;
inline constexpr std::size_t kX = 0;     // x, y, z: slots 0..2
inline constexpr std::size_t kV = 3;     // vx, vy, vz: slots 3..5
inline constexpr std::size_t kMass = 6;  // slot 6
inline constexpr std::size_t kFields = 7;
inline constexpr double kPi = 3.141592653589793;
inline constexpr double kSolarMass = 4 * kPi * kPi;
inline constexpr double kDaysPerYear = 365.24;

// The initial state, in plain doubles: position, velocity (per day), mass
// (in solar masses).
struct Initial {
  double x[3];
  double v[3];
  double mass;
};
inline constexpr Initial kInitial[kBodies] = {
    {{0, 0, 0}, {0, 0, 0}, 1},
    {{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01},
     {1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05},
     9.54791938424326609e-04},
    {{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01},
     {-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05},
     2.85885980666130812e-04},
    {{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01},
     {2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05},
     4.36624404335156298e-05},
    {{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01},
     {2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05},
     5.15138902420039770e-05},
};
}  // namespace nbody

using heap::Value;

class NBody {
 public:
  // Registers the body layout and the system's array with `heap`, makes the
  // system (momentum offset, so the centre of mass stays still) and keeps it
  // in a persistent slot. `ok()` is false when the heap was exhausted.
  NBody(heap::Heap& heap, heap::Mutator& m, const types::Context& cx)
      : heap_(heap), m_(m), cx_(cx) {
    heap::Layout body;
    body.size = 8 + 8 * nbody::kFields;
    body.refs = nbody::kFields;
    body.name = "nbody body";
    heap::Layout array;
    array.kind = heap::LayoutKind::kRefArray;
    array.name = "nbody system";
    auto bt = heap.register_layout(body);
    auto at = heap.register_layout(array);
    if (!bt.ok() || !at.ok()) return;
    roots_ = heap.add_roots(r_, kRegs);
    heap::HandleScope scope(m);
    heap::Object* sys =
        heap::allocate_array(m, *at, heap::ref_array_bytes(nbody::kBodies), nbody::kBodies);
    if (sys == nullptr) return;
    system_ = heap::Persistent(heap, heap::ref_value(sys));
    heap::Handle system(m, sys);
    for (std::size_t i = 0; i < nbody::kBodies; ++i) {
      if (heap::allocate_into(m, system, i + 1, *bt, body.size) == nullptr) return;
      const nbody::Initial& in = nbody::kInitial[i];
      for (std::size_t k = 0; k < 3; ++k) {
        if (!set_double(i, nbody::kX + k, in.x[k]) ||
            !set_double(i, nbody::kV + k, in.v[k] * nbody::kDaysPerYear))
          return;
      }
      if (!set_double(i, nbody::kMass, in.mass * nbody::kSolarMass)) return;
    }
    ok_ = offset_momentum();
  }
  ~NBody() {
    if (roots_ != 0) heap_.remove_roots(roots_);
  }
  NBody(const NBody&) = delete;
  NBody& operator=(const NBody&) = delete;
  NBody(NBody&&) = delete;
  NBody& operator=(NBody&&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] heap::Object* body(std::size_t i) const {
    return heap::as_object(heap::array_slots(system_.get())[i]);
  }
  [[nodiscard]] Value field(std::size_t i, std::size_t k) const { return body(i)->slots()[k]; }

  // One step of `dt` (a Float value); false on a fault (recorded in fault()).
  bool advance(Value dt) {
    using namespace nbody;
    r_[kDt] = dt;
    for (std::size_t i = 0; i < kBodies; ++i) {
      for (std::size_t j = i + 1; j < kBodies; ++j) {
        for (std::size_t k = 0; k < 3; ++k)
          op<types::sub>(r_[kDx + k], field(i, kX + k), field(j, kX + k));
        op<types::mul>(r_[kT0], r_[kDx], r_[kDx]);
        op<types::mul>(r_[kT1], r_[kDx + 1], r_[kDx + 1]);
        op<types::add>(r_[kT0], r_[kT0], r_[kT1]);
        op<types::mul>(r_[kT1], r_[kDx + 2], r_[kDx + 2]);
        op<types::add>(r_[kD2], r_[kT0], r_[kT1]);
        r_[kT0] = types::make_float(cx_, m_, std::sqrt(types::as_double(r_[kD2])));
        op<types::mul>(r_[kT0], r_[kD2], r_[kT0]);
        op<types::div>(r_[kMag], r_[kDt], r_[kT0]);
        for (std::size_t k = 0; k < 3; ++k) {
          op<types::mul>(r_[kT0], r_[kDx + k], field(j, kMass));
          op<types::mul>(r_[kT0], r_[kT0], r_[kMag]);
          op<types::sub>(r_[kT1], field(i, kV + k), r_[kT0]);
          heap::set_slot(m_, body(i), kV + k, r_[kT1]);
          op<types::mul>(r_[kT0], r_[kDx + k], field(i, kMass));
          op<types::mul>(r_[kT0], r_[kT0], r_[kMag]);
          op<types::add>(r_[kT1], field(j, kV + k), r_[kT0]);
          heap::set_slot(m_, body(j), kV + k, r_[kT1]);
        }
      }
    }
    for (std::size_t i = 0; i < kBodies; ++i) {
      for (std::size_t k = 0; k < 3; ++k) {
        op<types::mul>(r_[kT0], r_[kDt], field(i, kV + k));
        op<types::add>(r_[kT1], field(i, kX + k), r_[kT0]);
        heap::set_slot(m_, body(i), kX + k, r_[kT1]);
      }
    }
    return fault_ == types::Fault::kNone;
  }

  [[nodiscard]] types::Fault fault() const { return fault_; }

 private:
  // The frame's registers.
  enum : std::size_t { kDx, kDy, kDz, kD2, kMag, kT0, kT1, kDt, kRegs };

  // dst = Fn(a, b): a and b are read before the call, dst written after it,
  // so an operation that boxes (and collects) leaves no stale word behind.
  template <types::Outcome (*Fn)(const types::Context&, heap::Mutator&, Value, Value)>
  void op(Value& dst, Value a, Value b) {
    types::Outcome o = Fn(cx_, m_, a, b);
    if (o.fault != types::Fault::kNone) [[unlikely]]
      fault_ = o.fault;
    dst = o.value;
  }

  bool set_double(std::size_t i, std::size_t k, double d) {
    Value v = types::make_float(cx_, m_, d);
    if (v == types::kNothing) return false;
    heap::set_slot(m_, body(i), k, v);
    return true;
  }

  // The Sun's velocity cancels the planets' momentum (plain doubles: setup).
  bool offset_momentum() {
    using namespace nbody;
    double p[3] = {0, 0, 0};
    for (std::size_t i = 0; i < kBodies; ++i) {
      for (std::size_t k = 0; k < 3; ++k)
        p[k] += types::as_double(field(i, kV + k)) * types::as_double(field(i, kMass));
    }
    for (std::size_t k = 0; k < 3; ++k) {
      if (!set_double(0, kV + k, -p[k] / kSolarMass)) return false;
    }
    return true;
  }

  heap::Heap& heap_;
  heap::Mutator& m_;
  const types::Context& cx_;
  Value r_[kRegs] = {};
  std::uint64_t roots_ = 0;
  heap::Persistent system_;
  types::Fault fault_ = types::Fault::kNone;
  bool ok_ = false;
};

}  // namespace runa::bench
