// Awaits of file descriptors for executor tasks: readiness (with an
// optional deadline), read, write, accept, and the next signal of a
// SignalSet — each a request to the event loop, made from the pool worker
// that runs the task and carried to the loop's owner thread by the
// LoopDriver (loop_driver.hpp), which must be the task's executor's Driver.
//
//   io::LoopDriver driver(*loop);
//   concurrency::Executor ex(pool, &driver);
//   ... inside a task:
//   Result<std::size_t> n = co_await io::read(driver, fd, buffer);
//
// What each await does (fd_request.hpp has the handshake): the task posts
// the request and suspends; the driver thread registers it with the loop;
// the loop's callback stores the outcome and wakes the task, which resumes
// on the pool. An await always suspends once (even on a ready fd: the loop
// is asked, never the fd directly), so awaiting in a loop cannot starve a
// worker, and the fd may be in blocking mode.
//
// Outcomes. Result errors are io_error()s (io_error.hpp): the loop refused
// the request (e.g. a negative fd), or the operation failed (its errno:
// "read: fd 7: Bad file descriptor"). Readiness reports the loop's Events:
// the ready mask, or a mask of 0 with `error` saying why it ended without
// readiness — ETIMEDOUT when its deadline passed (Events::timed_out()),
// EBADF for a closed fd. Reads and writes move up to buffer.size() bytes,
// fewer being normal (read(2), write(2)); 0 from a read is the end of file.
//
// Cancellation (join_handle.hpp): a task cancelled before an await throws
// Cancelled from it without asking the loop. A task cancelled while it
// waits withdraws its request (the loop's cancel) and still waits for the
// loop's one callback, because the buffer belongs to the kernel until then;
// if the request was cancelled, the await throws Cancelled, but if its
// result raced the cancellation (bytes read or written, a connection
// accepted, readiness) the await returns that result — bytes are never lost
// to a cancel — and the task's next await throws.
//
// Lifetimes: the fd stays open and the buffer valid until the await
// returns (or throws); nothing of the await outlives it.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/task.hpp"
#include "io/events.hpp"
#include "io/fd_request.hpp"
#include "io/loop_driver.hpp"
#include "runatime/result.hpp"

namespace runa::io {

using FdDeadline = std::optional<concurrency::Executor::Clock::time_point>;

namespace detail {

// The one coroutine behind every await: makes the request in its frame,
// waits for its release; the outcome is then in `ask`.
concurrency::Task<void> perform(FdAsk& ask);

Result<Events> to_events(FdOp op, int fd, std::int64_t result);
Result<std::size_t> to_size(FdOp op, int fd, std::int64_t result);
Result<int> to_int(FdOp op, int fd, std::int64_t result);

}  // namespace detail

// What the functions below return: co_await it once, in a task, where it
// was made (it neither moves nor copies: the request points into it).
template <class T, T (*Convert)(FdOp, int, std::int64_t)>
class [[nodiscard]] FdAwait {
 public:
  FdAwait(LoopDriver& driver, const FdSpec& spec)
      : ask_{.driver = &driver, .spec = spec, .result = 0, .refused = nullptr},
        task_(detail::perform(ask_)) {}
  ~FdAwait() = default;
  FdAwait(const FdAwait&) = delete;
  FdAwait& operator=(const FdAwait&) = delete;
  FdAwait(FdAwait&&) = delete;
  FdAwait& operator=(FdAwait&&) = delete;

  [[nodiscard]] bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    return task_.await_suspend(h);
  }
  T await_resume() {
    task_.await_resume();  // first: it may throw Cancelled
    if (ask_.refused) return std::move(*ask_.refused);
    return Convert(ask_.spec.op, ask_.spec.fd, ask_.result);
  }

 private:
  FdAsk ask_;
  concurrency::Task<void> task_;
};

using ReadinessAwait = FdAwait<Result<Events>, &detail::to_events>;
using TransferAwait = FdAwait<Result<std::size_t>, &detail::to_size>;
using FdResultAwait = FdAwait<Result<int>, &detail::to_int>;

// Until fd is readable (writable), has an error or hung up, or `deadline`
// has passed (the executor's timer wheel: 1 ms ticks, never early).
ReadinessAwait readable(LoopDriver& driver, int fd, FdDeadline deadline = std::nullopt);
ReadinessAwait writable(LoopDriver& driver, int fd, FdDeadline deadline = std::nullopt);

// offset: a file offset, or -1 for the current position (pipes, sockets).
TransferAwait read(LoopDriver& driver, int fd, std::span<std::byte> buffer,
                   std::int64_t offset = -1);
TransferAwait write(LoopDriver& driver, int fd, std::span<const std::byte> buffer,
                    std::int64_t offset = -1);
// The accepted connection's fd (SOCK_CLOEXEC, blocking mode); the caller owns it.
FdResultAwait accept(LoopDriver& driver, int fd);

// Signals of a set, received one at a time through a signalfd it owns.
// As for EventLoop::watch_signals: block the signals (pthread_sigmask) in
// every thread before they can arrive — threads inherit the mask, so block
// them before the pool and the executor are made — and send them to the
// process (kill) or to the driver thread, which reads the signalfd. None
// is lost: each next() takes exactly one from the kernel's pending set.
class SignalSet {
 public:
  static Result<SignalSet> create(const sigset_t& signals);
  ~SignalSet();
  SignalSet(SignalSet&& o) noexcept;
  SignalSet& operator=(SignalSet&& o) noexcept;
  SignalSet(const SignalSet&) = delete;
  SignalSet& operator=(const SignalSet&) = delete;

  // The next signal's number. One next() at a time per set; the set
  // outlives it.
  FdResultAwait next(LoopDriver& driver) const;

 private:
  explicit SignalSet(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace runa::io
