// MinorGC: one serial minor collection (Cheney copying) of the nursery.
//
// From-space is eden plus the survivors' half; to-space is the empty half,
// plus the old generation for promoted objects. With the world stopped:
//
//  1. Roots: every root slot (handles, frames, persistents, root sets) is
//     evacuated: a from-space object is copied (or its forwarding address
//     taken) and the slot updated. Then every logged old object (the
//     mutators' modified-object buffers and `carried`) is scanned.
//  2. Cheney: to-space objects are scanned in address order between a scan
//     pointer and the allocation top; promoted objects, which land in
//     blocks, are scanned from a work list. Copying an object writes its
//     forwarding word (new address | 1) into the old header.
//  3. Ephemerons whose key was young and not yet copied are held back; after
//     each drain, those whose key got copied have their value traced; the
//     rest, at the fixpoint, have key and value cleared (weak_refs.hpp).
//  4. Weak references whose young referent was not copied are cleared.
//  5. Every old object that was scanned (promoted or logged) gets kUnlogged
//     back, unless one of its slots still points into the nursery (a
//     survivor): it stays logged and goes to `carried`, so the next minor
//     collection scans it again. (Setting the bit unconditionally, as the
//     first sketch of the design said, would lose that old-to-young edge.)
//
// An object is promoted when its new age reaches promotion_age or it does
// not fit the to-half. A promoted object gets the heap's current mark
// polarity (major_gc.hpp), like every object in the old generation. Promotion cannot fail: the
// collection starts only if BlockSpace::can_promote() holds for every young byte.
#pragma once

#include <vector>

#include "memory/heap.hpp"
#include "memory/weak_refs.hpp"

namespace runa::heap {

// Final and never deleted through a base pointer.
class MinorGC final  // NOLINT(cppcoreguidelines-virtual-class-destructor)
    : public RootVisitor,
      public Tracer {
 public:
  explicit MinorGC(HeapImpl& h) : h_(h) {}

  // Collects; the world must be stopped. Fills the copy counts of `rec`.
  void run(CollectionRecord& rec);

  void visit(Value* slot) override;
  std::optional<Value> reached(Value v) override;
  void trace(Value* slot) override { visit(slot); }
  void drain() override;

 private:
  Value evacuate(Value v);
  void scan(Object* o);
  void relog(Object* o);
  [[nodiscard]] bool young_from(Value v) const {
    return is_ref(v) && h_.nursery.in_from(as_object(v));
  }

  HeapImpl& h_;
  std::uint8_t* scan_ = nullptr;   // Cheney scan pointer in the to-half
  std::vector<Object*> promoted_;  // promoted objects; scanned from promoted_scan_
  std::size_t promoted_scan_ = 0;
  std::vector<Object*> logged_;  // logged old objects scanned as roots
  WeakRefs weak_;
  std::uint64_t promoted_bytes_ = 0;
  std::uint64_t survived_bytes_ = 0;
};

}  // namespace runa::heap
