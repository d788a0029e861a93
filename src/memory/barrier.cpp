// The write barrier's slow path: log an old object on its first store.
//
// Several mutators may store into the same old object at once; each sees
// kUnlogged set in the fast path. fetch_and clears the bit atomically and
// returns the old word, so exactly one of them observes the bit still set
// and appends the object to its modified-object buffer: every logged object
// is in exactly one buffer. Relaxed suffices: the buffers and the slots are
// read only by the collector, after the stop-the-world handshake has
// ordered every mutator's writes before it.
#include "memory/mutators.hpp"

namespace runa::heap {

void log_object(Mutator& m, Object* o) {
  std::uint64_t old = std::atomic_ref<std::uint64_t>(o->header).fetch_and(
      ~hdr::kUnlogged, std::memory_order_relaxed);
  if ((old & hdr::kUnlogged) != 0) record(m).modified.push_back(o);
}

}  // namespace runa::heap
