// Claims: the indices [0, n) of a list, handed out in chunks to the workers
// of a parallel phase, each index to exactly one worker.
//
// The counter can be relaxed: the list is complete before the phase starts
// (WorkerGang::run orders it), and a chunk's entries are then touched only
// by the worker that claimed it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>

namespace runa::heap {

class Claims {
 public:
  Claims(std::size_t n, std::size_t chunk) : n_(n), chunk_(chunk) {}

  // The next chunk [begin, end); false when every index is handed out.
  bool next(std::size_t& begin, std::size_t& end) {
    std::size_t b = next_.fetch_add(chunk_, std::memory_order_relaxed);
    if (b >= n_) return false;
    begin = b;
    end = std::min(b + chunk_, n_);
    return true;
  }

  template <class Fn>
  void for_each(Fn&& fn) {
    std::size_t begin = 0;
    std::size_t end = 0;
    while (next(begin, end)) {
      for (std::size_t i = begin; i < end; ++i) fn(i);
    }
  }

 private:
  std::size_t n_;
  std::size_t chunk_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace runa::heap
