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
  copy->header = (h & ~(hdr::kAgeMask | hdr::kUnlogged)) | (age << hdr::kAgeShift);
  o->header = ref_value(copy) | hdr::kForwarded;
  if (promoted) {
    promoted_.push_back(copy);
    promoted_bytes_ += n;
  } else {
    survived_bytes_ += n;
  }
  return ref_value(copy);
}

void MinorGC::scan(Object* o) {
  const Layout& l = h_.layouts.at(hdr::type_of(o->header));
  RefRange r = ref_slots(l, o);
  if (l.kind == LayoutKind::kWeakRef) {
    weak_.push_back(o);
    r.begin += 1;  // the referent is not traced
  } else if (l.kind == LayoutKind::kEphemeron) {
    Value* s = o->slots();
    r.begin += 2;
    if (!young_from(s[0])) {
      visit(&s[1]);  // the key is old, a survivor, or not a reference: it lives
    } else if ((as_object(s[0])->header & hdr::kForwarded) != 0) {
      s[0] = as_object(s[0])->header & ~hdr::kForwarded;
      visit(&s[1]);
    } else {
      pending_.push_back(o);  // decided at the fixpoint
    }
  }
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

void MinorGC::ephemerons() {
  for (;;) {
    drain();
    // visit() below only copies; scanning (which may add to pending_)
    // happens in the next drain(), so compacting pending_ in place is safe.
    bool progress = false;
    std::size_t keep = 0;
    for (Object* e : pending_) {
      Value* s = e->slots();
      std::uint64_t kh = as_object(s[0])->header;
      if ((kh & hdr::kForwarded) != 0) {
        s[0] = kh & ~hdr::kForwarded;
        visit(&s[1]);
        progress = true;
      } else {
        pending_[keep++] = e;
      }
    }
    pending_.resize(keep);
    if (!progress) break;
  }
  // The fixpoint: these keys are reachable only through ephemeron values
  // of dead keys, or not at all. The entries die.
  for (Object* e : pending_) {
    e->slots()[0] = 0;
    e->slots()[1] = 0;
  }
}

void MinorGC::weak_refs() {
  for (Object* w : weak_) {
    Value& referent = w->slots()[0];
    if (!young_from(referent)) continue;
    std::uint64_t rh = as_object(referent)->header;
    referent = (rh & hdr::kForwarded) != 0 ? rh & ~hdr::kForwarded : 0;
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
  h_.visit_roots(*this);

  // The remembered set, taken out of the buffers: the carried objects and
  // every mutator's log. Each object is in exactly one of them.
  {
    std::lock_guard lock(h_.carried_mu);
    logged_.swap(h_.carried);
    for (MutatorRecord* m : h_.safepoint.mutators()) {
      logged_.insert(logged_.end(), m->modified.begin(), m->modified.end());
      m->modified.clear();
    }
  }
  for (Object* o : logged_) scan(o);

  ephemerons();
  weak_refs();

  std::lock_guard lock(h_.carried_mu);
  for (Object* o : promoted_) relog(o);
  for (Object* o : logged_) relog(o);
  rec.promoted = promoted_bytes_;
  rec.survived = survived_bytes_;
}

}  // namespace runa::heap
