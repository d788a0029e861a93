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
// Spilled work goes back where it can be stolen. A worker whose deque is
// full spills to a list only it can read; when its deque runs dry and it
// takes from that list, it first moves up to kRefill spilled objects back
// onto its deque. Without this, one worker could end up copying most of a
// collection alone: in the pause workload, worker 0 scans the ring's
// dirty cards (one remembered object, so one worker), pushing an entry per
// card slot faster than the other worker can steal and copy their byte
// arrays; its deque filled, the rest spilled, and it then drained its
// spill list alone while the other worker found nothing to steal: 86% of
// the bytes copied were worker 0's (docs/memory.md, "Spilled work handed
// back").
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
// Spilled objects a worker moves back onto its (empty) deque at a time.
inline constexpr unsigned kRefill = 256;

// A collector worker `self`'s sources: its deque in `grey` and its spill
// list are its own; `grey.next` steals, and only when `parallel`.
// prefetch(o) asks for o's referents; scan(o) scans it.
template <class Grey, class Spilled, class Prefetch, class Scan>
void prefetching_drain(Grey& grey, unsigned self, Spilled& spilled, bool parallel,
                       Prefetch&& prefetch, Scan&& scan) {
  auto local = [&](Object*& o) {
    if (grey.pop(self, o)) return true;
    if (!spilled.pop(o)) return false;
    Object* more = nullptr;
    for (unsigned k = 0; parallel && k < kRefill && spilled.pop(more); ++k) {
      if (!grey.push(self, more)) {
        spilled.push(more);
        break;
      }
    }
    return true;
  };
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
