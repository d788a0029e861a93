// prefetching_drain: the loop both collectors drain their grey objects
// with, scanning each a few pops after it was taken so that the objects it
// points to have been prefetched by then.
//
// Why: scanning an object first reads the headers of the objects its slots
// point to, lines no thread has touched for a long while (eden since
// allocation, the old generation since the last major collection). In the
// pause workload the load of such a header was 88% of the minor
// collector's evacuate() samples. So a popped object waits in a FIFO of
// kAhead; entering it prefetches its referents, and it is scanned kAhead
// pops later (Cher, Hosking and Vijaykumar's prefetch buffer for tracing).
//
// Termination. The FIFO is filled only from the worker's own sources
// (its deque and spill list, which need no protocol). StealingQueues::next,
// which steals and may offer to terminate, is called
// only with the FIFO empty: a worker never offers to terminate while it
// holds grey objects the others cannot see. Scanning order does not matter
// to either collector: every grey object is scanned once, whenever.
#pragma once

#include <array>

#include "runatime/heap.hpp"

namespace runa::heap {

inline constexpr unsigned kPrefetchAhead = 8;

// A collector worker `self`'s sources: its deque in `grey` and its spill
// list are its own; `grey.next` steals, and only when `parallel`.
// prefetch(o) asks for o's referents; scan(o) scans it.
template <class Grey, class Spilled, class Prefetch, class Scan>
void prefetching_drain(Grey& grey, unsigned self, Spilled& spilled, bool parallel,
                       Prefetch&& prefetch, Scan&& scan) {
  auto local = [&](Object*& o) { return grey.pop(self, o) || spilled.pop(o); };
  auto global = [&](Object*& o) {
    return parallel && grey.next(self, o, [&](Object*& out) { return spilled.pop(out); });
  };
  std::array<Object*, kPrefetchAhead> ahead{};
  unsigned first = 0;
  unsigned held = 0;
  auto enter = [&](Object* o) {
    prefetch(o);
    ahead[(first + held) % kPrefetchAhead] = o;
    ++held;
  };
  for (;;) {
    Object* o = nullptr;
    while (held < kPrefetchAhead && local(o)) enter(o);
    if (held == 0) {
      if (!global(o)) return;
      enter(o);
    }
    Object* next = ahead[first];
    first = (first + 1) % kPrefetchAhead;
    --held;
    scan(next);
  }
}

}  // namespace runa::heap
