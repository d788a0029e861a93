// Driver: what the async executor's driver thread waits on when no timer is
// due — the source of outside events (file descriptors ready, I/O completed,
// signals). The executor knows only this interface; src/io/ implements it
// with the event loop (epoll, io_uring), so that the concurrency part stays
// below the I/O part (io depends on concurrency, never the other way).
//
// One thread, the driver's owner, calls wait(); any thread calls wake().
// Contract of wake(): a wake() that happens before or during a wait() makes
// that wait() return promptly (a wake() before the wait starts is not lost:
// the next wait() returns at once); several wake()s may collapse into one
// return. wait() dispatches the events it gathered to their callbacks on the
// owner thread before it returns.
#pragma once

#include <chrono>
#include <optional>

namespace runa::concurrency {

class Driver {
 public:
  Driver() = default;
  virtual ~Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  Driver(Driver&&) = delete;
  Driver& operator=(Driver&&) = delete;

  // Owner thread: waits until an event, a wake(), or `timeout` has passed
  // (nullopt: no limit; zero: poll without blocking), dispatches what came.
  virtual void wait(std::optional<std::chrono::nanoseconds> timeout) = 0;
  // Any thread.
  virtual void wake() = 0;
};

}  // namespace runa::concurrency
