// Awaits of file descriptors for executor tasks: readiness, read, write,
// accept, and the next signal of a SignalSet, each with an optional
// deadline — each a request to the event loop, made from the pool worker
// that runs the task and carried to the loop's owner thread by the
// LoopDriver (loop_driver.hpp), which must be the task's executor's Driver.
//
//   io::LoopDriver driver(*loop);
//   concurrency::Executor ex(pool, &driver);
//   ... inside a task:
//   Result<std::size_t> n = co_await io::read(driver, fd, buffer);
//   Result<std::size_t> m = co_await io::read(driver, fd, buffer,
//       io::FdOptions{}.until(Clock::now() + 5s).nonblocking_fd());
//
// What each await does (fd_request.hpp has the handshake): the task posts
// the request and suspends; the driver thread registers it with the loop;
// the loop's callback stores the outcome and wakes the task, which resumes
// on the pool. The fd may be in blocking mode: it is only ever read or
// written by the loop, never on the worker.
//
// The fast path (FdOptions::nonblocking): the caller says the fd is in
// non-blocking mode (O_NONBLOCK), and read, write and accept try the
// syscall on the worker first; only EAGAIN sends the request to the loop,
// so a ready fd costs one syscall and no suspension. The await does not
// check the mode (that would be an fcntl, a syscall, per await; debug
// builds assert it): a blocking fd flagged non-blocking would block the
// worker. So that a task reading a fd that is always ready cannot hold its
// worker, a worker's 32nd fast completion in a row goes to the loop (and
// suspends) instead. Readiness and signals always ask the loop (a
// signalfd read on a worker would miss the signals sent to the driver
// thread).
//
// Outcomes. Result errors are io_error()s (io_error.hpp): the loop refused
// the request (e.g. a negative fd), or the operation failed (its errno:
// "read: fd 7: Bad file descriptor"). Readiness reports the loop's Events:
// the ready mask, or a mask of 0 with `error` saying why it ended without
// readiness — ETIMEDOUT when its deadline passed (Events::timed_out()),
// EBADF for a closed fd. Reads and writes move up to buffer.size() bytes,
// fewer being normal (read(2), write(2)); 0 from a read is the end of file.
//
// Deadlines (the executor's timer wheel: 1 ms ticks, never early) withdraw
// the request from the loop when they pass; the await then returns an
// error that deadline_passed() recognises ("read: fd 7: deadline passed:
// Connection timed out"), or for readiness Events::timed_out(). The
// withdrawal follows the loop's cancel rules: if the operation's outcome
// was decided as the deadline fired (io_uring's kernel read the bytes, a
// connection was accepted) the await returns that outcome, not a timeout,
// so no byte is lost to a deadline; a timed-out read consumed nothing. A
// deadline that has passed before the await still lets a fast path or an
// already-ready fd win.
//
// Cancellation (join_handle.hpp): a task cancelled before an await throws
// Cancelled from it without asking the loop (nor trying the fast path). A
// task cancelled while it waits withdraws its request (the loop's cancel)
// and still waits for the loop's one callback, because the buffer belongs
// to the kernel until then; if the request was cancelled, the await throws
// Cancelled, but if its result raced the cancellation (bytes read or
// written, a connection accepted, readiness) the await returns that result
// — bytes are never lost to a cancel — and the task's next await throws.
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

// How to read, write or accept: the optional deadline; whether the fd is
// in non-blocking mode, which allows the fast path (see above); and for
// reads and writes the file offset, or -1 for the current position (pipes,
// sockets). Made by chaining, e.g. FdOptions{}.until(t).nonblocking_fd()
// (designated initializers that leave fields out trip the build's
// -Wmissing-field-initializers).
struct FdOptions {
  FdDeadline deadline;
  bool nonblocking = false;
  std::int64_t offset = -1;

  [[nodiscard]] FdOptions until(FdDeadline when) const {
    FdOptions o = *this;
    o.deadline = when;
    return o;
  }
  [[nodiscard]] FdOptions nonblocking_fd(bool yes = true) const {
    FdOptions o = *this;
    o.nonblocking = yes;
    return o;
  }
  [[nodiscard]] FdOptions at(std::int64_t file_offset) const {
    FdOptions o = *this;
    o.offset = file_offset;
    return o;
  }
};

// True for the error of an await whose deadline passed.
bool deadline_passed(const Error& e);

namespace detail {

// The one coroutine behind every await: makes the request in its frame,
// waits for its release; the outcome is then in `ask`.
concurrency::Task<void> perform(FdAsk& ask);

// The fast path: true if the syscall, made now on this thread, decided the
// outcome (in ask.result); false if the loop must be asked.
bool try_now(FdAsk& ask) noexcept;

Result<Events> to_events(const FdAsk& ask);
Result<std::size_t> to_size(const FdAsk& ask);
Result<int> to_int(const FdAsk& ask);

}  // namespace detail

// What the functions below return: co_await it once, in a task, where it
// was made (it neither moves nor copies: the request points into it). The
// coroutine that asks the loop is made only when the fast path does not
// decide the outcome.
template <class T, T (*Convert)(const FdAsk&)>
class [[nodiscard]] FdAwait {
 public:
  FdAwait(LoopDriver& driver, const FdSpec& spec)
      : ask_{.driver = &driver, .spec = spec, .result = 0, .timed_out = false, .refused = nullptr} {
  }
  ~FdAwait() = default;
  FdAwait(const FdAwait&) = delete;
  FdAwait& operator=(const FdAwait&) = delete;
  FdAwait(FdAwait&&) = delete;
  FdAwait& operator=(FdAwait&&) = delete;

  [[nodiscard]] bool await_ready() noexcept { return ask_.spec.try_first && detail::try_now(ask_); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
    task_.emplace(detail::perform(ask_));
    return task_->await_suspend(h);
  }
  T await_resume() {
    if (task_) task_->await_resume();  // first: it may throw Cancelled
    if (ask_.refused) return std::move(*ask_.refused);
    return Convert(ask_);
  }

 private:
  FdAsk ask_;
  std::optional<concurrency::Task<void>> task_;
};

using ReadinessAwait = FdAwait<Result<Events>, &detail::to_events>;
using TransferAwait = FdAwait<Result<std::size_t>, &detail::to_size>;
using FdResultAwait = FdAwait<Result<int>, &detail::to_int>;

// Until fd is readable (writable), has an error or hung up, or `deadline`
// has passed.
ReadinessAwait readable(LoopDriver& driver, int fd, FdDeadline deadline = std::nullopt);
ReadinessAwait writable(LoopDriver& driver, int fd, FdDeadline deadline = std::nullopt);

TransferAwait read(LoopDriver& driver, int fd, std::span<std::byte> buffer,
                   const FdOptions& options = {});
TransferAwait write(LoopDriver& driver, int fd, std::span<const std::byte> buffer,
                    const FdOptions& options = {});
// The accepted connection's fd (SOCK_CLOEXEC, blocking mode); the caller
// owns it. options.offset is not used.
FdResultAwait accept(LoopDriver& driver, int fd, const FdOptions& options = {});

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
  // outlives it. A deadline that passes leaves the pending signals pending.
  FdResultAwait next(LoopDriver& driver, FdDeadline deadline = std::nullopt) const;

 private:
  explicit SignalSet(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace runa::io
