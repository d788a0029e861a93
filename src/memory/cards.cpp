// Cards: the mutator side of a large reference array's card table (see
// cards.hpp for the layout, the invariants and the protocol).
#include "memory/cards.hpp"

#include <cstring>

namespace runa::heap::cards {
namespace {

// Lists the array once: only the thread that moves `remembered` from 0 to 1.
void remember(MutatorRecord& m, Table& t, Object* array) {
  std::atomic_ref<std::uint64_t> r(t.remembered);
  if (r.load(std::memory_order_relaxed) == 0 && r.exchange(1, std::memory_order_relaxed) == 0) {
    m.modified.push_back(array);
  }
}

}  // namespace

void init_remembered(MutatorRecord& m, Object* array) {
  Table& t = table(array);
  t.count = card_count(array_length(array));
  std::memset(t.cards(), 1, t.count);
  t.remembered = 1;
  m.modified.push_back(array);
}

void mark(MutatorRecord& m, Object* array, std::size_t card) {
  Table& t = table(array);
  std::atomic_ref<std::uint8_t> c(t.cards()[card]);
  // Conditional: a dirty card's line is not written again by every store.
  if (c.load(std::memory_order_relaxed) == 0) c.store(1, std::memory_order_relaxed);
  remember(m, t, array);
}

void mark_all(MutatorRecord& m, Object* array) {
  Table& t = table(array);
  for (std::size_t k = 0; k < t.count; ++k) {
    std::atomic_ref<std::uint8_t>(t.cards()[k]).store(1, std::memory_order_relaxed);
  }
  remember(m, t, array);
}

}  // namespace runa::heap::cards
