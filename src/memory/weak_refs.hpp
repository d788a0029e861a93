// WeakRefs: the rules for weak references and ephemerons, shared by the
// minor (copying) and major (marking) collectors.
//
// Each worker of a parallel collection records into a WeakRefs of its own;
// they are merged into one before resolution, which runs on one thread.
//
// A collector describes itself through Tracer: which values it has reached
// (and where they are now), how to trace one slot, and how to drain its
// grey objects. With that:
//
//  - Scanning a weak reference records it and skips its referent slot.
//    Scanning an object whose layout has weak fields records it, traces
//    its strong slots up to the last weak field and skips the weak ones;
//    from then on it is handled as a weak reference with several referents.
//  - Scanning an ephemeron whose key is reached traces its value at once;
//    one whose key is not reached yet is held back (pending).
//  - resolve_ephemerons() drains, then traces the value of every pending
//    ephemeron whose key got reached, and repeats until a round makes no
//    progress (the fixpoint): the keys still unreached are reachable only
//    through ephemeron values of dead keys, or not at all, so key and value
//    are cleared.
//  - clear_weak_refs() then clears every recorded referent (weak field)
//    left unreached and updates the others (they may have moved).
//
// Tracer::trace must only reach (copy or mark and queue), never scan: the
// pending list is compacted in place while values are traced, and only the
// next drain() may add to it.
#pragma once

#include <optional>
#include <vector>

#include "memory/layouts.hpp"

namespace runa::heap {

class Tracer {
 public:
  // What v becomes when the collection keeps its referent (v, or the new
  // address); nullopt when v refers to an object this collection decides
  // on and has not reached yet. Values it does not decide on (0,
  // immediates, objects in spaces it does not collect) come back unchanged.
  virtual std::optional<Value> reached(Value v) = 0;
  // Reaches *slot's referent and updates the slot; scans nothing.
  virtual void trace(Value* slot) = 0;
  // Scans queued objects until none is left.
  virtual void drain() = 0;

 protected:
  Tracer() = default;
  Tracer(const Tracer&) = default;
  Tracer& operator=(const Tracer&) = default;
  Tracer(Tracer&&) = default;
  Tracer& operator=(Tracer&&) = default;
  ~Tracer() = default;
};

class WeakRefs {
 public:
  explicit WeakRefs(const Layouts& layouts) : layouts_(layouts) {}

  // For an object of kind kWeakRef or kEphemeron, or with weak fields,
  // being scanned: applies the rules above to its special slots and narrows
  // `r` to the slots left to trace as ordinary strong references. Other
  // objects are left alone.
  void scan(const Layout& l, Object* o, RefRange& r, Tracer& t);
  void resolve_ephemerons(Tracer& t);
  void clear_weak_refs(Tracer& t);
  // Takes over what another worker's WeakRefs recorded (between the
  // parallel scan and the serial resolution).
  void merge(WeakRefs& other);

 private:
  const Layouts& layouts_;
  std::vector<Object*> weak_;     // weak references and objects with weak fields seen
  std::vector<Object*> pending_;  // ephemerons with an unreached key
};

}  // namespace runa::heap
