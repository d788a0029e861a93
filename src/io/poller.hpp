// Poller: the back-end interface of the event loop — the one place where
// epoll (epoll_poller.hpp) and io_uring (uring_poller.hpp) differ.
//
// The interface is per operation, not per fd: the loop submits Operations
// (operation.hpp) — a one-shot readiness interest (registering, re-arming
// and dropping interest in an fd are submit and cancel of kPoll operations),
// or a completion operation (read, write, accept) — and later collects one
// Completion for each. Per-fd registration is an epoll detail (one
// registration per fd carries the interests of all its waiters), and
// io_uring has none, so it stays inside the epoll back end.
//
// Owner thread only: the loop calls a Poller from the thread that calls
// EventLoop::wait() (and from callbacks, which run there). Nothing here is
// thread-safe; wake-ups from other threads reach the loop through an
// eventfd that the loop waits on with an ordinary kPoll operation.
//
// Contract (every back end):
// - submit() returns 0 when the Operation is taken: exactly one Completion
//   for it follows, from a later wait(), never from inside submit() or
//   cancel() (so callbacks never run inside the call that registered them).
//   Errors about the fd itself (EBADF, a closed socket) are reported through
//   that Completion, so both back ends report them the same way. submit()
//   returns -errno only when the back end cannot take the Operation at all
//   (its queue cannot be flushed); then no Completion follows.
// - cancel() asks for an early end; the Completion then carries -ECANCELED
//   unless the operation had already finished (its real result is then
//   reported: a read whose bytes were consumed is not turned into a cancel).
//   It returns false when the Completion is already decided.
// - wait() appends the Completions it gathered to `out`. It returns
//   kGathered (possibly with nothing in `out`: the kernel reported only
//   back-end internal events), kTimedOut, or -errno (-EINTR: interrupted).
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "io/events.hpp"
#include "io/operation.hpp"

namespace runa::io {

class Poller {
 public:
  static constexpr int kGathered = 0;
  static constexpr int kTimedOut = 1;

  Poller() = default;
  virtual ~Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  Poller(Poller&&) = delete;
  Poller& operator=(Poller&&) = delete;

  [[nodiscard]] virtual Backend backend() const = 0;
  virtual int submit(Operation& op) = 0;
  virtual bool cancel(Operation& op) = 0;
  // nullopt: no limit; zero or less: do not block.
  virtual int wait(std::optional<std::chrono::nanoseconds> timeout,
                   std::vector<Completion>& out) = 0;
};

}  // namespace runa::io
