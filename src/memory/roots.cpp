// Roots: the strong roots and the remembered set (see roots.hpp).
#include "memory/roots.hpp"

#include <algorithm>

namespace runa::heap {

void visit_roots(HeapImpl& h, RootVisitor& v) {
  for (MutatorRecord* m : h.safepoint.mutators()) visit_mutator_roots(*m, v);
  h.persistents.visit(v);
  h.roots.visit(v);
  h.finalizers.visit(v);
}

std::span<Object*> take_remembered(HeapImpl& h) {
  std::size_t n = h.carried.size();
  for (MutatorRecord* m : h.safepoint.mutators()) n += m->modified.size();
  auto* out = static_cast<Object**>(h.pause_reserve.take(n * sizeof(Object*)));
  std::size_t at = 0;
  auto move = [&](std::vector<Object*>& v) {
    std::copy(v.begin(), v.end(), out + at);
    at += v.size();
    v.clear();
  };
  move(h.carried);
  for (MutatorRecord* m : h.safepoint.mutators()) move(m->modified);
  return {out, n};
}

}  // namespace runa::heap
