// The barrier's entry points inside the heap (the inline fast path and the
// public slow paths are in runatime/heap.hpp; barrier.cpp implements both).
#pragma once

#include "memory/mutators.hpp"

namespace runa::heap {

// Sets the header of `o`, just allocated old (large or pinned) by m's
// thread, and puts it in the remembered set if it has reference slots, so
// that the thread may initialise it with plain stores until it next may
// collect, as it may a young object (heap.hpp, "Initialising stores").
// `carded`: a reference array in the large-object space, with its length
// word set and room for its card table after its elements (cards.hpp):
// all its cards start dirty.
void born_old(MutatorRecord& m, Object* o, std::uint64_t header, bool carded);

}  // namespace runa::heap
