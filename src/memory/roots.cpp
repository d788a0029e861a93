// Roots: the strong roots and the remembered set (see roots.hpp).
#include "memory/roots.hpp"

namespace runa::heap {

void visit_roots(HeapImpl& h, RootVisitor& v) {
  for (MutatorRecord* m : h.safepoint.mutators()) visit_mutator_roots(*m, v);
  h.persistents.visit(v);
  h.roots.visit(v);
  h.finalizers.visit(v);
}

std::vector<Object*> take_remembered(HeapImpl& h) {
  std::vector<Object*> out;
  out.swap(h.carried);
  for (MutatorRecord* m : h.safepoint.mutators()) {
    out.insert(out.end(), m->modified.begin(), m->modified.end());
    m->modified.clear();
  }
  return out;
}

}  // namespace runa::heap
