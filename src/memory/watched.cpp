// Watched: renaming and dropping entries after a collection (watched.hpp).
#include "memory/watched.hpp"

#include <algorithm>
#include <new>

namespace runa::heap {

void Watched::keep_room() {
  std::size_t need = old_.size() + young_.size() + move_room_;
  if (old_.capacity() < need) old_.reserve(2 * need);
}

void Watched::add(Object* o, std::uint64_t word) {
  std::lock_guard lock(mu_);
  (young(o) ? young_ : old_).push_back({o, word});
  keep_room();
}

void Watched::settle(Tracer& t, std::vector<Entry>& list, bool from_young) {
  std::size_t keep = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    Entry e = list[i];
    std::optional<Value> now = t.reached(ref_value(e.object));
    if (!now) {
      if (died_ != nullptr) died_(ctx_, e.word);
      continue;
    }
    e.object = as_object(*now);
    if (from_young && !young(e.object)) {
      old_.push_back(e);  // promoted: room was kept (keep_room)
    } else {
      list[keep++] = e;
    }
  }
  list.resize(keep);
}

void Watched::settle(Tracer& t, bool major) {
  if (major) settle(t, old_, false);
  settle(t, young_, nursery_ != nullptr);
}

std::vector<Watched::Entry> Watched::take() {
  // Within old_'s capacity (the invariant): no allocation, so no failure
  // can lose entries half-way.
  old_.insert(old_.end(), young_.begin(), young_.end());
  young_.clear();  // keeps its capacity, for replace()
  std::vector<Entry> all = std::move(old_);
  old_ = {};
  return all;
}

void Watched::replace(std::vector<Entry>& entries) {
  // In place: the young entries (few, after a snapshot) move to the end and
  // out, and the vector becomes the old list with room for them to return
  // (its capacity holds them all: the invariant holds with no allocation).
  // The one allocation that can fail, the young list's, comes before any
  // change. The partition is stable: entries for one object keep their
  // order, the first being its id (stable_partition falls back to an
  // in-place algorithm when it finds no memory, and never throws).
  const auto is_old = [&](const Entry& e) { return !young(e.object); };
  const auto young_count = static_cast<std::size_t>(
      std::count_if(entries.begin(), entries.end(), [&](const Entry& e) { return !is_old(e); }));
  young_.reserve(young_count);  // may throw: nothing changed
  auto old_end = std::stable_partition(entries.begin(), entries.end(), is_old);
  young_.assign(old_end, entries.end());
  entries.erase(old_end, entries.end());
  old_ = std::move(entries);
  entries = {};
  try {
    keep_room();
  } catch (const std::bad_alloc&) {
    // Only the room for moves is missing (the invariant holds, above):
    // evacuations leave named objects where they are.
  }
}

void Watched::set_move_room(std::size_t entries) {
  std::lock_guard lock(mu_);
  move_room_ = entries;
}

void Watched::make_room() {
  std::lock_guard lock(mu_);
  try {
    keep_room();
  } catch (const std::bad_alloc&) {
    // Without room, evacuations leave named objects where they are.
  }
}

void Watched::open_moves() {
  std::size_t used = old_.size() + young_.size();
  moves_left_.store(
      static_cast<std::ptrdiff_t>(old_.capacity() > used ? old_.capacity() - used : 0),
      std::memory_order_relaxed);
}

bool Watched::claim_move() {
  return moves_left_.fetch_sub(1, std::memory_order_relaxed) > 0;
}

void Watched::add_moved(Object* copy, std::uint64_t word) {
  std::lock_guard lock(mu_);
  old_.push_back({copy, word});  // claimed: within the capacity
}

}  // namespace runa::heap
