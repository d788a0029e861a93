// Roots: what every collection starts from, walked the same way by the
// minor collector, the major collector and the verifier.
//
//  - visit_roots: the strong roots (each mutator's handle scopes and frame
//    enumerators, persistent slots, registered root sets, the objects
//    waiting for their finalizer).
//  - The remembered set: every mutator's modified-object buffer plus
//    `carried`. The minor collector takes it whole (take_remembered); the
//    major collector drops the objects it found dead and renames those it
//    moved (update_remembered), so that no later minor collection scans a
//    freed object.
//  - The nursery's objects, for the major collector, which treats every
//    young object as a root (for_each_young_object): eden up to its top
//    (skipping the zero words of TLAB tails never used) and the survivor
//    half, or, after a promotion failure, both halves (Nursery, "Kept").
//
// All of it runs with the world stopped.
#pragma once

#include <span>
#include <vector>

#include "memory/heap.hpp"

namespace runa::heap {

void visit_roots(HeapImpl& h, RootVisitor& v);

// Empties the remembered set into an array taken from h.pause_reserve
// (each object once; the lists keep their capacity). The caller holds
// h.carried_mu.
std::span<Object*> take_remembered(HeapImpl& h);

// Replaces each remembered object o by `now(o)`: its address after the
// collection, or nullptr to drop it.
template <class Now>
void update_remembered(HeapImpl& h, Now&& now) {
  auto update = [&](std::vector<Object*>& v) {
    std::size_t keep = 0;
    for (Object* o : v) {
      if (Object* n = now(o)) v[keep++] = n;
    }
    v.resize(keep);
  };
  std::lock_guard lock(h.carried_mu);
  update(h.carried);
  for (MutatorRecord* m : h.safepoint.mutators()) update(m->modified);
}

template <class Fn>
void for_each_young_object(HeapImpl& h, Fn&& fn) {
  auto walk = [&](std::uint8_t* p, const std::uint8_t* end) {
    while (p < end) {
      auto* o = reinterpret_cast<Object*>(p);
      if (o->header == 0) {
        p += 8;
        continue;
      }
      std::size_t n = object_size(h.layouts.at(hdr::type_of(o->header)), o);
      fn(o);
      p += n;
    }
  };
  h.nursery.for_each_part(walk);
}

}  // namespace runa::heap
