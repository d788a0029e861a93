// WeakRefs: weak-reference clearing and the ephemeron fixpoint (see
// weak_refs.hpp). Runs with the world stopped, inside a collection.
#include "memory/weak_refs.hpp"

namespace runa::heap {

void WeakRefs::scan(const Layout& l, Object* o, RefRange& r, Tracer& t) {
  if (l.weak_count != 0) {
    weak_.push_back(o);
    std::uint32_t next = 0;  // the first field not traced yet
    for (std::uint32_t i = 0; i < l.weak_count; ++i) {
      for (; next < l.weak_fields[i]; ++next) t.trace(r.begin + next);
      ++next;  // the weak field itself
    }
    r.begin += next;
  } else if (l.kind == LayoutKind::kWeakRef) {
    weak_.push_back(o);
    r.begin += 1;  // the referent is not traced
  } else if (l.kind == LayoutKind::kEphemeron) {
    Value* s = o->slots();
    r.begin += 2;
    if (auto key = t.reached(s[0])) {
      s[0] = *key;
      t.trace(&s[1]);
    } else {
      pending_.push_back(o);  // decided at the fixpoint
    }
  }
}

void WeakRefs::resolve_ephemerons(Tracer& t) {
  for (;;) {
    t.drain();
    bool progress = false;
    std::size_t keep = 0;
    for (Object* e : pending_) {
      Value* s = e->slots();
      if (auto key = t.reached(s[0])) {
        s[0] = *key;
        t.trace(&s[1]);
        progress = true;
      } else {
        pending_[keep++] = e;
      }
    }
    pending_.resize(keep);
    if (!progress) break;
  }
  for (Object* e : pending_) {
    e->slots()[0] = 0;
    e->slots()[1] = 0;
  }
  pending_.clear();
}

void WeakRefs::merge(WeakRefs& other) {
  weak_.insert(weak_.end(), other.weak_.begin(), other.weak_.end());
  pending_.insert(pending_.end(), other.pending_.begin(), other.pending_.end());
  other.weak_.clear();
  other.pending_.clear();
}

void WeakRefs::clear_weak_refs(Tracer& t) {
  for (Object* w : weak_) {
    const Layout& l = layouts_.at(hdr::type_of(w->load_header()));
    if (l.weak_count == 0) {  // a weak reference
      Value& referent = w->slots()[0];
      referent = t.reached(referent).value_or(0);
      continue;
    }
    Value* fields = ref_slots(l, w).begin;
    for (std::uint32_t i = 0; i < l.weak_count; ++i) {
      Value& referent = fields[l.weak_fields[i]];
      referent = t.reached(referent).value_or(0);
    }
  }
  weak_.clear();
}

}  // namespace runa::heap
