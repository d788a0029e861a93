// select: wait for the first of several channel operations that can
// proceed — receive from one channel or send to another, whichever is
// ready first — and perform exactly that one.
//
// Each Case is a type-erased operation on one channel: `attempt` tries it
// without blocking (and, on success, notifies the channel's other side);
// `list` is the WaitList to sit in while it cannot proceed (the receivers'
// list of a receive, the senders' list of a send).
//
// The algorithm (waiter.hpp gives the wake-up rules):
//  1. Attempt every case, starting at a random one (so that a channel that
//     is always ready does not starve the others).
//  2. None proceeds: register one Waiter in every case's list, fence, and
//     attempt them all once more (a change between 1 and 2 is seen here).
//  3. Still none: park until claimed (or the deadline). A claim by case j
//     means j may proceed now; deregister from every list and go to 1.
//  Leaving — with a case done, or on timeout — the waiter deregisters from
//  every list, absorbs a claim that raced with it (waiter.hpp: lifetime),
//  and if that claim came from a case it did not perform, passes the
//  notification on to that case's list.
//
// Parks in a BlockingRegion: MAY COLLECT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "concurrency/channel/array_queue.hpp"  // QueueStatus
#include "concurrency/channel/waiter.hpp"
#include "concurrency/sync/futex.hpp"  // Clock

namespace runa::concurrency {

struct SelectCase {
  // kOk: done; kClosed: the channel is closed (and, for a receive,
  // drained): also an outcome; kFull / kEmpty: cannot proceed now.
  QueueStatus (*attempt)(void* channel, void* item) = nullptr;
  void* channel = nullptr;
  void* item = nullptr;  // what to send (moved from on kOk), or where to receive
  WaitList* list = nullptr;
};

struct SelectResult {
  int index = -1;  // the case performed; -1 when the deadline passed
  QueueStatus status = QueueStatus::kEmpty;
};

SelectResult select(std::span<const SelectCase> cases,
                    std::optional<Clock::time_point> deadline = std::nullopt);

// Where a pass over n cases starts (0 <= result < n): a random case, so
// that one always ready does not starve the others. Also for selects that
// wait another way (the bridge's awaited selects). n > 0.
std::size_t random_start(std::size_t n);

}  // namespace runa::concurrency
