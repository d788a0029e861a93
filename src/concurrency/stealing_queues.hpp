// StealingQueues: the work of one parallel phase — one WorkDeque per worker
// and the Terminator that ends the phase when they are all empty.
//
// Worker `self` pushes onto its own deque and takes from it (LIFO, depth
// first, which keeps a traversal's pending set small and its data in cache);
// when that is empty it steals from the others, beginning at a pseudo-random
// victim so that idle workers do not all queue up on the same one, and
// trying each other worker once; when every steal fails it offers
// termination, and steals again whenever the Terminator reports visible work.
//
// Invariants.
//  - Only worker `self` pushes onto or pops from deque `self` during a
//    phase. Before the phase starts (no worker active, and the start of the
//    workers ordered after, as WorkerGang::run() does), any thread may push
//    onto any deque: that is how a phase can be seeded.
//  - next() returns false to every worker at the end of the phase, and then
//    every deque is empty; a worker must not call next() again before
//    reset().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "concurrency/terminator.hpp"
#include "concurrency/work_deque.hpp"

namespace runa::concurrency {

template <class T>
class StealingQueues {
 public:
  // workers >= 1; each deque holds `capacity` items (rounded up to a power of two).
  explicit StealingQueues(unsigned workers, std::size_t capacity = 1024)
      : workers_(workers), lanes_(std::make_unique<Lane[]>(workers)), terminator_(workers) {
    for (unsigned i = 0; i < workers; ++i) {
      lanes_[i].deque.emplace(capacity);
      lanes_[i].rng = 2 * i + 1;  // xorshift needs non-zero
    }
  }

  [[nodiscard]] unsigned workers() const { return workers_; }

  // Onto self's deque; false when it is full (the deques never grow, see
  // work_deque.hpp): the worker then keeps the item itself and hands it
  // out through next()'s `more`.
  [[nodiscard]] bool push(unsigned self, T v) { return lanes_[self].deque->push(v); }
  // From self's own deque only.
  bool pop(unsigned self, T& out) {
    std::optional<T> v = lanes_[self].deque->pop();
    if (v) out = *v;
    return v.has_value();
  }

  // The next item for worker `self`: its own deque first, then more(out)
  // (the items it kept itself when its deque was full), then steals, then
  // the termination protocol. False once every worker is idle and every
  // deque empty: the phase is over for everyone. A worker whose kept items
  // are not all taken never offers termination, so the others, which cannot
  // see them, cannot end the phase without them.
  template <class More>
  bool next(unsigned self, T& out, More&& more) {
    if (pop(self, out) || more(out)) return true;
    for (;;) {
      if (steal(self, out)) return true;
      if (terminator_.offer([this] { return visible(); })) return false;
    }
  }

  bool next(unsigned self, T& out) {
    return next(self, out, [](T&) { return false; });
  }

  // Between phases, no worker active. Drops any items left (an abandoned
  // phase).
  void reset() {
    for (unsigned i = 0; i < workers_; ++i) lanes_[i].deque->reset();
    terminator_.reset(workers_);
  }

 private:
  struct Lane {
    std::optional<WorkDeque<T>> deque;  // built in place: a deque does not move
    std::uint32_t rng = 0;              // xorshift32 state, used only by this lane's worker
  };

  bool steal(unsigned self, T& out) {
    std::uint32_t& x = lanes_[self].rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    for (unsigned i = 0, victim = x % workers_; i < workers_;
         ++i, victim = (victim + 1) % workers_) {
      if (victim == self) continue;
      if (std::optional<T> v = lanes_[victim].deque->steal()) {
        out = *v;
        return true;
      }
    }
    return false;
  }

  // Whether some deque looks non-empty: the Terminator's hint.
  [[nodiscard]] bool visible() const {
    for (unsigned i = 0; i < workers_; ++i) {
      if (!lanes_[i].deque->empty()) return true;
    }
    return false;
  }

  unsigned workers_;
  std::unique_ptr<Lane[]> lanes_;  // cache-line aligned, as WorkDeque is
  Terminator terminator_;
};

}  // namespace runa::concurrency
