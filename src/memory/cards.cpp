// Cards: the mutator side of a large reference array's card table (see
// cards.hpp for the layout, the invariants and the protocol).
#include "memory/cards.hpp"

#include <cstring>

namespace runa::heap::cards {

// Only the thread that moves `remembered` from 0 to 1 lists the array.
void remember(MutatorRecord& m, Object* array) {
  std::atomic_ref<std::uint64_t> r(table(array).remembered);
  if (r.load(std::memory_order_relaxed) == 0 && r.exchange(1, std::memory_order_relaxed) == 0) {
    m.modified.push_back(array);
  }
}

void init_remembered(MutatorRecord& m, Object* array) {
  Table& t = table(array);
  t.count = card_count(array_length(array));
  std::memset(t.cards(), 1, t.count);
  t.remembered = 1;
  m.modified.push_back(array);
}

void mark_all(MutatorRecord& m, Object* array) {
  Table& t = table(array);
  for (std::size_t k = 0; k < t.count; ++k) {
    std::atomic_ref<std::uint8_t>(t.cards()[k]).store(1, std::memory_order_relaxed);
  }
  remember(m, array);
}

}  // namespace runa::heap::cards
