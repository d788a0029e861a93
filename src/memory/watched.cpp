// Watched: renaming and dropping entries after a collection (watched.hpp).
#include "memory/watched.hpp"

namespace runa::heap {

void Watched::settle(Tracer& t) {
  std::size_t keep = 0;
  for (Entry e : entries_) {
    std::optional<Value> now = t.reached(ref_value(e.object));
    if (!now) {
      if (died_ != nullptr) died_(ctx_, e.word);
      continue;
    }
    entries_[keep++] = {as_object(*now), e.word};
  }
  entries_.resize(keep);
}

}  // namespace runa::heap
