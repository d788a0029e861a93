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
  std::vector<Entry> all = std::move(old_);
  all.insert(all.end(), young_.begin(), young_.end());
  old_.clear();
  young_.clear();
  return all;
}

void Watched::replace(std::vector<Entry> entries) {
  // In place: the young entries (few, after a snapshot) move to the end and
  // out, and the vector becomes the old list with room for them to return.
  auto old_end = std::partition(entries.begin(), entries.end(),
                                [&](const Entry& e) { return !young(e.object); });
  young_.assign(old_end, entries.end());
  entries.erase(old_end, entries.end());
  old_ = std::move(entries);
  keep_room();
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
