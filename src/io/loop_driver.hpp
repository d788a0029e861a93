// LoopDriver: an EventLoop as the async executor's Driver, with the funnel
// that carries requests from pool threads to the loop's owner thread.
//
// The event loop is single-threaded (event_loop.hpp): only its owner may
// register or cancel requests, and the owner is the executor's driver
// thread, which calls wait(). Tasks run on pool workers, so an await of a
// file descriptor (fd_await.hpp) cannot call the loop itself; it post()s a
// Post — a function and a context, linked intrusively, living in the
// awaiting coroutine's frame — and the driver thread runs every Post it
// finds at the start of its next wait(), then waits on the loop. Executor
// timers with an on_fire hook (executor.hpp) run on the same thread, so
// they may use the loop too.
//
// Invariants:
// - A Post runs exactly once, on the owner thread, before the loop waits
//   again; Posts from one thread run in the order they were posted (the
//   inbox is a Treiber stack that the owner takes whole and reverses).
// - A Post is never touched by the driver after its function has been
//   entered: the function may end the await that owns it (whose frame then
//   goes away), so the driver reads `next` first.
// - A post() is never lost: the poster that finds the inbox empty calls
//   the loop's wake(), after its push, and the owner takes the inbox after
//   every wake-up (driver.hpp: a wake() before a wait() is not lost).
//   Posters that find it non-empty skip the wake: the one that filled it
//   woke the owner, or will, and the owner has not taken the inbox since
//   (it would be empty), so their Posts go with that one.
// - No Post is pending when the LoopDriver is destroyed (every await has
//   ended: the executor's tasks finish before the executor goes).
//
// It does not own the loop: the loop outlives the LoopDriver, which must
// outlive the executor that waits on it.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>

#include "concurrency/driver.hpp"
#include "io/event_loop.hpp"

namespace runa::io {

struct Post {
  void (*run)(void* ctx) noexcept = nullptr;  // on the owner thread
  void* ctx = nullptr;
  Post* next = nullptr;  // the inbox's link
};

class LoopDriver final : public concurrency::Driver {
 public:
  explicit LoopDriver(EventLoop& loop) : loop_(loop) {}
  ~LoopDriver() override;
  LoopDriver(const LoopDriver&) = delete;
  LoopDriver& operator=(const LoopDriver&) = delete;
  LoopDriver(LoopDriver&&) = delete;
  LoopDriver& operator=(LoopDriver&&) = delete;

  // Any thread: runs p.run(p.ctx) on the owner thread soon. `p` stays
  // valid and unchanged until then.
  void post(Post& p);

  // Any thread: Posts are waiting for the owner (a snapshot). Shows that an
  // await asked the loop, or did not (the fast path, fd_await.hpp).
  [[nodiscard]] bool posts_waiting() const {
    return inbox_.load(std::memory_order_acquire) != nullptr;
  }

  // The owner thread only (from Posts, loop callbacks and timer hooks).
  [[nodiscard]] EventLoop& loop() const { return loop_; }

  // Driver: runs the Posts, then waits on the loop.
  void wait(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake() override { loop_.wake(); }

 private:
  void run_posts();

  EventLoop& loop_;
  std::atomic<Post*> inbox_{nullptr};
};

}  // namespace runa::io
