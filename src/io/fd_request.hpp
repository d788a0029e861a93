// FdRequest: one awaited request to the event loop — the meeting point of
// the task that awaits it (on a pool worker) and the loop's owner thread
// (the executor's driver thread), for fd_await.hpp's awaits.
//
// It lives in the frame of the coroutine that waits for it (fd_await.cpp's
// perform); what the caller asked for and gets back is an FdAsk in the
// caller's awaiter. Both are kept small so that the frame fits a JobCache
// block: a 304-byte frame cost a malloc and a free per await. The task
// post()s the request (loop_driver.hpp); on the owner thread the start
// Post registers it with the loop, the loop's callback decides its
// outcome, and release() lets the task go on. Two more things may act on
// it there: a cancel — the same Post sent again once the start has run,
// or a flag the start finds — which the task sends when it is cancelled
// while it waits, and the deadline (the request is an executor Timer with
// an on_fire hook, executor.hpp), which fires on the driver thread too.
// Owner-side fields are touched only there, so they need no
// synchronisation.
//
// The handshake is one atomic word, `state_`:
//   kParked      the task is suspended (or about to be) waiting for release
//   kStarted     the start Post has run: its Post is free again
//   kCancelEarly the task was cancelled before the start ran: the start
//                completes the request with ECANCELED, asking nothing
//   kCancelPost  the task's cancel Post is in the inbox, not run yet
//   kWaking      the owner found kParked and is waking the task
//   kDone        the outcome is final; the owner never touches the request
//                again
// Invariants:
// - The task goes past the await only once it has seen kDone, and kDone is
//   the owner's last write to the request: so the frame (the Post and the
//   timer in it) and the awaiter (its FdAsk, the buffer) outlive
//   everything the owner does with them. The owner's wake-up is split (TaskRecord::claim): it
//   claims the task's record, stores kDone, and only then queues the task, so a task it wakes never
//   waits for kDone. Only a task woken by something else (its cancellation) while the owner is
//   between the claim and kDone waits (SpinWait: a few instructions), because the claim still
//   touches the task's record.
// - The Post is in the inbox at most once: the task sends the cancel
//   through it only once the start has run (kStarted), and once; before,
//   it sets kCancelEarly, which the start reads in the same atomic step
//   that sets kStarted.
// - release() waits for the cancel Post: kDone is not set while kCancelPost
//   is, so no Post of a finished await is left in the inbox.
// - Exactly one wake-up comes from the owner, and only if the task parked;
//   a task that finds kDone before it parks does not suspend.
// - The loop's invariants carry over: a request accepted by the loop gets
//   exactly one callback, and the buffer belongs to the kernel until then,
//   so a cancelled await still waits for that callback (ECANCELED, or the
//   result that raced the cancellation: bytes read are never lost to a
//   cancel).
// - The deadline timer is disarmed by the task before the frame goes, under
//   the executor's timer lock: a hook that fired has finished by then.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/record.hpp"
#include "io/events.hpp"
#include "io/loop_driver.hpp"
#include "runatime/result.hpp"

namespace runa::io {

enum class FdOp : std::uint8_t { kReadable, kWritable, kRead, kWrite, kAccept, kSignal };

// What to ask the loop for. kSignal: `fd` is a non-blocking signalfd, and
// one signalfd_siginfo is read from it on the owner thread once readable.
struct FdSpec {
  FdOp op = FdOp::kReadable;
  int fd = -1;
  std::byte* data = nullptr;  // kRead, kWrite
  std::size_t size = 0;
  std::int64_t offset = -1;
  std::optional<concurrency::Executor::Clock::time_point> deadline;
  bool try_first = false;  // the fast path (fd_await.hpp): kRead, kWrite, kAccept
};

// What one await asks and gets back; lives in the awaiter (fd_await.hpp).
struct FdAsk {
  LoopDriver* driver = nullptr;
  FdSpec spec;
  // Written by the owner before kDone, read by the task after: the loop's
  // result (bytes, fd, readiness mask, signal number, or -errno; -ETIMEDOUT
  // when the deadline withdrew it), or why the loop refused the request
  // (rare, and an Error is large: out of line). timed_out: the deadline
  // withdrew the request (result is then -ETIMEDOUT; a -ETIMEDOUT without
  // it is the fd's own error, e.g. a TCP timeout).
  std::int64_t result = 0;
  bool timed_out = false;
  std::unique_ptr<Error> refused;
};

class FdRequest : private concurrency::Executor::Timer {
 public:
  FdRequest(FdAsk& ask, concurrency::TaskRecord* task);
  ~FdRequest() = default;
  FdRequest(const FdRequest&) = delete;
  FdRequest& operator=(const FdRequest&) = delete;
  FdRequest(FdRequest&&) = delete;
  FdRequest& operator=(FdRequest&&) = delete;

  // --- the task's side -------------------------------------------------
  // Arms the deadline, if any, and posts the request.
  void start();
  // Sends the cancellation; false if the outcome is final already.
  bool cancel();
  [[nodiscard]] bool done() const { return (state_.load(std::memory_order_acquire) & kDone) != 0; }
  // After done(): disarms the deadline; the outcome is in the FdAsk.
  void finish();

  // co_await park(): suspends until the owner releases the request, or
  // until the task is woken for another reason (its cancellation); either
  // way check done() after.
  struct Park {
    FdRequest& req;
    [[nodiscard]] bool await_ready() const noexcept { return req.done(); }
    bool await_suspend(std::coroutine_handle<> h);
    void await_resume();
  };
  Park park() { return Park{*this}; }

 private:
  enum : std::uint32_t {
    kParked = 1,
    kCancelPost = 2,
    kWaking = 4,
    kDone = 8,
    kStarted = 16,
    kCancelEarly = 32,
  };

  // --- the owner thread's side -----------------------------------------
  static void on_start(void* ctx) noexcept;
  static void on_cancel(void* ctx) noexcept;
  static void on_deadline(concurrency::Executor::Timer& t) noexcept;
  static void on_ready(void* ctx, Events events) noexcept;
  static void on_done(void* ctx, std::int64_t result) noexcept;
  Result<Token> ask_loop();
  void submit();
  void read_signal();
  void withdraw();
  void complete(std::int64_t result);
  void release();

  FdAsk& ask_;
  concurrency::TaskRecord* const task_;
  std::atomic<std::uint32_t> state_{0};
  bool deadline_armed_ = false;  // the task's
  // Owner-side.
  bool completed_ = false;
  bool expired_ = false;
  bool cancel_asked_ = false;
  Token token_;
  Post post_;  // the start, then (kStarted) the cancel
};

}  // namespace runa::io
