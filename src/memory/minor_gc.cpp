// MinorGC: the serial Cheney copy of the nursery (the phases are described
// in minor_gc.hpp).
//
// Everything here runs with the world stopped, so headers and slots are
// read and written with plain accesses: the safepoint handshake orders them
// with every mutator's accesses before and after.
#include "memory/minor_gc.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "memory/roots.hpp"

namespace runa::heap {
namespace {

[[noreturn]] void fatal(const char* what, const Object* o, std::uint64_t word) {
  std::fprintf(stderr, "runatime: minor collection: %s (object %p, header 0x%016llx)\n", what,
               static_cast<const void*>(o), static_cast<unsigned long long>(word));
  std::abort();
}

}  // namespace

void MinorGC::visit(Value* slot) {
  Value v = *slot;
  if (young_from(v)) *slot = evacuate(v);
}

Value MinorGC::evacuate(Value v) {
  Object* o = as_object(v);
  std::uint64_t h = o->header;
  if ((h & hdr::kForwarded) != 0) return h & ~hdr::kForwarded;
  const Layout* l = h_.layouts.find(hdr::type_of(h));
  // A reference to something that is not an object: a stale raw pointer
  // kept across an allocation, or a slot written without the barrier.
  if (l == nullptr) fatal("reference to a word with no registered type", o, h);
  std::size_t n = object_size(*l, o);

  std::uint64_t age = (h & hdr::kAgeMask) >> hdr::kAgeShift;
  if (age < 15) ++age;
  std::uint8_t* to = nullptr;
  if (age < h_.opt.promotion_age) to = h_.nursery.to_alloc(n);
  bool promoted = to == nullptr;
  if (promoted) {
    to = h_.blocks.promote(n);
    if (to == nullptr) fatal("promotion failed although room was checked first", o, h);
  }
  std::memcpy(to, o, n);
  auto* copy = reinterpret_cast<Object*>(to);
  // Promoted objects stay logged (kUnlogged clear) until relog() decides.
  copy->header = (h & ~(hdr::kAgeMask | hdr::kUnlogged | hdr::kMark)) | (age << hdr::kAgeShift) |
                 h_.mark_bit();
  o->header = ref_value(copy) | hdr::kForwarded;
  if (promoted) {
    promoted_.push_back(copy);
    promoted_bytes_ += n;
  } else {
    survived_bytes_ += n;
  }
  return ref_value(copy);
}

std::optional<Value> MinorGC::reached(Value v) {
  if (!young_from(v)) return v;  // old, a survivor already copied, or not a reference
  std::uint64_t h = as_object(v)->header;
  if ((h & hdr::kForwarded) != 0) return h & ~hdr::kForwarded;
  return std::nullopt;
}

void MinorGC::scan(Object* o) {
  const Layout& l = h_.layouts.at(hdr::type_of(o->header));
  RefRange r = ref_slots(l, o);
  weak_.scan(l, o, r, *this);
  for (Value* s = r.begin; s < r.end; ++s) visit(s);
}

void MinorGC::drain() {
  for (;;) {
    if (scan_ < h_.nursery.to_top()) {
      auto* o = reinterpret_cast<Object*>(scan_);
      scan(o);
      scan_ += object_size(h_.layouts.at(hdr::type_of(o->header)), o);
    } else if (promoted_scan_ < promoted_.size()) {
      Object* o = promoted_[promoted_scan_++];
      scan(o);
    } else {
      return;
    }
  }
}

void MinorGC::relog(Object* o) {
  RefRange r = ref_slots(h_.layouts.at(hdr::type_of(o->header)), o);
  for (Value* s = r.begin; s < r.end; ++s) {
    if (is_ref(*s) && h_.nursery.contains(as_object(*s))) {
      h_.carried.push_back(o);  // still points at a survivor: stays logged
      return;
    }
  }
  o->header |= hdr::kUnlogged;
}

void MinorGC::run(CollectionRecord& rec) {
  scan_ = h_.nursery.to_begin();
  visit_roots(h_, *this);

  // The remembered set, taken out of the buffers: the carried objects and
  // every mutator's log. Each object is in exactly one of them.
  {
    std::lock_guard lock(h_.carried_mu);
    logged_ = take_remembered(h_);
  }
  for (Object* o : logged_) scan(o);

  weak_.resolve_ephemerons(*this);
  weak_.clear_weak_refs(*this);
  if (h_.finalizers.resurrect(*this, false)) {
    weak_.resolve_ephemerons(*this);
    weak_.clear_weak_refs(*this);
  }

  std::lock_guard lock(h_.carried_mu);
  for (Object* o : promoted_) relog(o);
  for (Object* o : logged_) relog(o);
  rec.promoted = promoted_bytes_;
  rec.survived = survived_bytes_;
}

}  // namespace runa::heap
