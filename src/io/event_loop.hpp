// EventLoop: RunaTime's event loop — readiness waits, read/write/accept
// completions and signals, dispatched to callbacks — and the Driver
// (concurrency/driver.hpp) the async executor's driver thread waits on.
//
// Owns its back end (a Poller: io_uring, or epoll when io_uring is not
// available; backend() says which), its request records (request_table.hpp)
// and an eventfd for wake(). It does not own the fds it is given: callers
// keep them open until the request's callback has run (cancel first, then
// wait for the callback, then close).
//
// Threads. One thread, the owner, calls wait() and every other member but
// wake(); callbacks run on it, from inside wait(). wake() may be called from
// any thread. (The loop may be created on one thread and handed to its
// owner before first use. Requests made by tasks on pool threads reach the
// driver thread through the LoopDriver's inbox and wake(): loop_driver.hpp.)
// Everything is callback based, with a context pointer; fd_await.hpp wraps
// it in awaitables for executor tasks.
//
// Invariants (tested in tests/io/event_loop_test.cpp, for both back ends):
// - Each request that was accepted (Result holds a Token) gets its callback
//   called exactly once: with its event or result, with an error, or with
//   ECANCELED after cancel() or when the loop is destroyed. Signal watches
//   are the one exception: once per signal, then exactly once with a
//   negative errno when the watch ends.
// - Callbacks never run inside the call that registers or cancels them,
//   only from wait(). They may register new requests and cancel any
//   (including the one whose callback is running: that finds it finished).
//   A request registered from a callback is dispatched by a later wait().
// - cancel(t) returns true if t named a live request not yet cancelled; its
//   callback then runs once, from a later wait() (or later in the current
//   dispatch), with ECANCELED — unless its outcome was already decided, in
//   which case with that outcome: bytes a read consumed are never reported
//   as a cancel. With epoll an outcome is decided only inside wait(), so
//   only a callback can see this (it cancels a request gathered in the same
//   batch); io_uring works concurrently, so the kernel may finish a request
//   first at any time. The buffer of a read or write belongs to the kernel
//   until the callback runs, cancelled or not.
// - Destroying the loop cancels every pending request and waits (on the
//   destroying thread, which must be the owner) for their callbacks, which
//   get ECANCELED (or a result that raced); requests made from those
//   callbacks are refused. So no kernel operation outlives the loop.
// - wake() before wait() is not lost: the eventfd keeps the count, and the
//   next wait() returns at once. Several wake()s may collapse into one
//   return (driver.hpp's contract).
//
// Errors. A Result error is given only when the loop refuses a request
// (negative fd, no callback, bad offset, loop closing, back end full); it
// says what failed with the errno text. Errors of the fd itself (EBADF for
// a closed fd, a socket error) reach the callback, the same way for both
// back ends, because io_uring learns them only when the kernel runs the
// request.
//
// SIGPIPE: a write to a pipe or socket whose reader is gone raises SIGPIPE
// (the kernel does it, for both back ends; the loop does not change signal
// dispositions). A process using the loop for such fds ignores SIGPIPE, as
// servers do, and the callback then gets -EPIPE.
//
// Allocation: none per request once warm. Requests live in a slab with a
// free list (request_table.hpp), callbacks are function pointers, the
// completion batch is a vector reused across waits, and io_uring's
// submissions go to the kernel in the same call that waits.
#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "concurrency/driver.hpp"
#include "io/events.hpp"
#include "io/poller.hpp"
#include "io/request_table.hpp"
#include "runatime/result.hpp"

namespace runa::io {

class EventLoop final : public concurrency::Driver {
 public:
  // kAuto: io_uring if it can run here, else epoll. An explicit back end
  // that cannot run is an error (the uring error says why: ENOSYS, EPERM
  // from /proc/sys/kernel/io_uring_disabled or seccomp, a missing opcode).
  static Result<std::unique_ptr<EventLoop>> create(Backend backend = Backend::kAuto);
  // nullopt when the io_uring back end can run on this machine; otherwise
  // why not (the same probe create() makes: a ring is set up and dropped).
  static std::optional<std::string> uring_unavailable();

  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  EventLoop(EventLoop&&) = delete;
  EventLoop& operator=(EventLoop&&) = delete;

  [[nodiscard]] Backend backend() const { return poller_->backend(); }

  // One-shot readiness: cb(ctx, events) once fd is readable (writable), has
  // an error or hung up, or the wait ended (events.error: ECANCELED, EBADF).
  Result<Token> wait_readable(int fd, Callback cb, void* ctx);
  Result<Token> wait_writable(int fd, Callback cb, void* ctx);

  // Completion operations: cb(ctx, n) with the bytes transferred (0 at end
  // of file; fewer than asked is normal, as for read(2) and write(2)) or a
  // negative errno. offset: a file offset, or -1 for the file's current
  // position (pipes and sockets take only -1). With epoll they are
  // emulated (epoll_poller.hpp). `buffer` must stay valid until cb runs.
  Result<Token> read(int fd, std::span<std::byte> buffer, std::int64_t offset,
                     CompletionCallback cb, void* ctx);
  Result<Token> write(int fd, std::span<const std::byte> buffer, std::int64_t offset,
                      CompletionCallback cb, void* ctx);
  // cb(ctx, new fd (SOCK_CLOEXEC, blocking)) or a negative errno.
  Result<Token> accept(int fd, CompletionCallback cb, void* ctx);

  // Signals through a signalfd: cb(ctx, signo) for each signal of `signals`
  // delivered to the process or to the owner thread, then cb(ctx, -errno)
  // once when the watch ends (-ECANCELED after cancel()). The caller blocks
  // these signals (pthread_sigmask) in every thread beforehand — otherwise
  // they are delivered the ordinary way and never reach the signalfd — and
  // sends thread-directed ones (pthread_kill, raise) to the owner thread.
  Result<Token> watch_signals(const sigset_t& signals, SignalCallback cb, void* ctx);

  bool cancel(Token token);

  // Requests accepted whose final callback has not run yet.
  [[nodiscard]] std::size_t pending() const { return requests_.live(); }

  // Driver. wait: owner thread, never from a callback (it does nothing
  // then). Returns after dispatching at least one callback, after a wake(),
  // or when the timeout has passed (nullopt: no limit; zero: poll).
  void wait(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake() override;

 private:
  EventLoop(std::unique_ptr<Poller> poller, int wake_fd);

  std::optional<Error> refuse(const char* what, int fd, bool has_callback) const;
  Result<Token> start(Request& r, const char* what);
  Result<Token> readiness(const char* what, int fd, std::uint32_t interest, Callback cb, void* ctx);
  Result<Token> operation(const char* what, OpKind kind, int fd, std::byte* data, std::size_t size,
                          std::int64_t offset, CompletionCallback cb, void* ctx);
  void wait_until_dispatched(std::optional<std::chrono::nanoseconds> timeout);
  void dispatch(const Completion& c);
  void on_wake();
  void arm_wake();
  void on_signals(Request& r, std::int64_t result);
  void end_signals(Request& r, int error);

  std::unique_ptr<Poller> poller_;
  RequestTable requests_;
  std::vector<Completion> batch_;  // what the back end gathered, dispatched in order
  Operation wake_op_;              // readiness of wake_fd_, always armed
  int wake_fd_;
  bool wake_armed_ = false;
  // A wake() wrote to wake_fd_ and the owner has not consumed it yet; saves
  // the write(2) of every wake() but the first (see wake()).
  std::atomic<bool> wake_pending_{false};
  bool closing_ = false;
  bool dispatching_ = false;
};

}  // namespace runa::io
