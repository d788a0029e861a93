// PieceCache: piece_cache.hpp has the design and its invariants.
#include "bridge/piece_cache.hpp"

#include <string_view>

#include "types/flat_string.hpp"

namespace runa::bridge {

PieceCache::PieceCache(heap::Heap& heap)
    : heap_(heap), roots_(heap.add_roots(slots_.data(), slots_.size())) {}

PieceCache::~PieceCache() {
  heap_.remove_roots(roots_);
}

PieceCache* PieceCache::of(rt::Thread* t) {
  if (t == nullptr) return nullptr;
  if (t->pieces == nullptr) t->pieces = new PieceCache(t->runtime->heap());
  return static_cast<PieceCache*>(t->pieces);
}

void PieceCache::release(rt::Thread& t) {
  delete static_cast<PieceCache*>(t.pieces);
  t.pieces = nullptr;
}

Value PieceCache::piece(heap::Mutator& m, const types::Strings& strings, const heap::Handle& source,
                        std::uint64_t offset, std::uint64_t bytes) {
  if (bytes > kMaxBytes) return strings.slice(m, source, offset, bytes);
  const std::uint64_t hash = types::Strings::hash_of(source.value(), offset, bytes);
  Value& slot = slots_[hash & (kSlots - 1)];
  if (slot != 0 && types::flat::cached_hash(slot) == hash &&
      types::Strings::view(slot) == types::Strings::view(source.value()).substr(offset, bytes)) {
    return slot;
  }
  // slice may collect: `slot` is a root the collector updates in place.
  const Value made = strings.slice(m, source, offset, bytes);
  if (made == 0) return made;
  types::flat::cache_hash(made, hash);  // hash_of's hash is the slice's
  slot = made;
  return made;
}

}  // namespace runa::bridge
