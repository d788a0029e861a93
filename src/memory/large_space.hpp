// LargeSpace: objects of kLargeObject bytes or more, each in its own run of
// whole blocks taken from the BlockSpace, so they count against max_heap
// like the old generation. They are never moved (the collector copies only
// nursery objects) and are born old and remembered (barrier.hpp); a
// reference array's run also holds its card table (cards.hpp).
// The major collector marks them in place and frees the unmarked ones,
// returning their whole runs to the BlockSpace (sweep()).
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "memory/block_space.hpp"

namespace runa::heap {

class LargeSpace {
 public:
  explicit LargeSpace(BlockSpace& blocks) : blocks_(blocks) {}

  // Zeroed memory for `bytes`, or nullptr when max_heap is used up.
  std::uint8_t* allocate(std::size_t bytes);

  // Major collector, world stopped: frees every object `live` rejects.
  template <class Live>
  void sweep(Live&& live) {
    std::lock_guard lock(mu_);
    std::erase_if(objects_, [&](Object* o) {
      if (live(o)) return false;
      std::size_t i = blocks_.index_of(o);
      bytes_ -= blocks_.info(i).run * kBlock;
      blocks_.release(i);
      return true;
    });
  }

  // Stable while the world is stopped.
  [[nodiscard]] const std::vector<Object*>& objects() const { return objects_; }
  [[nodiscard]] std::size_t bytes() const;  // whole blocks held

 private:
  BlockSpace& blocks_;
  mutable std::mutex mu_;
  std::vector<Object*> objects_;
  std::size_t bytes_ = 0;
};

}  // namespace runa::heap
