// Awaits of file descriptors: see fd_await.hpp (outcomes, cancellation) and
// fd_request.hpp (the handshake with the loop's owner thread).
#include "io/fd_await.hpp"

#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

#include "concurrency/executor/join_handle.hpp"
#include "io/io_error.hpp"

namespace runa::io {

namespace detail {

// NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
concurrency::Task<void> perform(FdAsk& ask) {
  concurrency::TaskRecord* self = concurrency::TaskRecord::current();
  assert(self != nullptr && "an fd await outside a task");
  if (self->cancelled()) throw concurrency::Cancelled();
  FdRequest req(ask, self);
  req.start();
  bool cancelling = false;
  while (!req.done()) {
    co_await req.park();
    // Woken before the release: by this task's cancellation.
    if (!cancelling && self->cancelled()) cancelling = req.cancel();
  }
  req.finish();
  if (cancelling && !ask.refused && (ask.result == -ECANCELED || ask.timed_out)) {
    throw concurrency::Cancelled();
  }
}

namespace {

// In the message of a timed-out await: "read: fd 7: deadline passed: ...".
constexpr std::string_view kDeadlinePassed = ": deadline passed";

const char* op_name(FdOp op) {
  switch (op) {
    case FdOp::kReadable:
      return "readable";
    case FdOp::kWritable:
      return "writable";
    case FdOp::kRead:
      return "read";
    case FdOp::kWrite:
      return "write";
    case FdOp::kAccept:
      return "accept";
    case FdOp::kSignal:
      break;
  }
  return "signal";
}

// A failed operation's error, or its non-negative result.
Result<std::int64_t> checked(const FdAsk& ask) {
  if (ask.result >= 0) return ask.result;
  std::string what = std::string(op_name(ask.spec.op)) + ": fd " + std::to_string(ask.spec.fd);
  if (ask.timed_out) what += kDeadlinePassed;
  return io_error(what, static_cast<int>(-ask.result));
}

// Fast completions in a row on this worker (see fd_await.hpp: the 32nd
// goes to the loop, so that the worker's other tasks get their turn).
constexpr unsigned kFastStreak = 32;
thread_local unsigned fast_streak = 0;

// The syscall itself: its result, or -errno.
std::int64_t syscall_now(const FdSpec& spec) noexcept {
  ssize_t n = 0;
  switch (spec.op) {
    case FdOp::kRead:
      n = spec.offset < 0 ? ::read(spec.fd, spec.data, spec.size)
                          : ::pread(spec.fd, spec.data, spec.size, spec.offset);
      break;
    case FdOp::kWrite:
      n = spec.offset < 0 ? ::write(spec.fd, spec.data, spec.size)
                          : ::pwrite(spec.fd, spec.data, spec.size, spec.offset);
      break;
    default:
      assert(spec.op == FdOp::kAccept && "the fast path is for read, write and accept");
      n = ::accept4(spec.fd, nullptr, nullptr, SOCK_CLOEXEC);
      break;
  }
  return n < 0 ? -errno : n;
}

}  // namespace

bool try_now(FdAsk& ask) noexcept {
  concurrency::TaskRecord* self = concurrency::TaskRecord::current();
  // A cancelled task throws from perform(), which asks nothing.
  if (self == nullptr || self->cancelled()) return false;
  // The caller's word; checked where it costs nothing in release builds.
  assert((::fcntl(ask.spec.fd, F_GETFL) & O_NONBLOCK) != 0 && "a fast path on a blocking fd");
  if (++fast_streak >= kFastStreak) {
    fast_streak = 0;
    return false;
  }
  std::int64_t r = 0;
  do {
    r = syscall_now(ask.spec);
  } while (r == -EINTR);
  if (r == -EAGAIN || r == -EWOULDBLOCK) {
    fast_streak = 0;
    return false;
  }
  ask.result = r;
  return true;
}

Result<Events> to_events(const FdAsk& ask) {
  if (ask.result < 0) return Events{0, static_cast<int>(-ask.result)};
  return Events{static_cast<std::uint32_t>(ask.result), 0};
}

Result<std::size_t> to_size(const FdAsk& ask) {
  Result<std::int64_t> c = checked(ask);
  if (!c) return c.error();
  return static_cast<std::size_t>(*c);
}

Result<int> to_int(const FdAsk& ask) {
  Result<std::int64_t> c = checked(ask);
  if (!c) return c.error();
  return static_cast<int>(*c);
}

}  // namespace detail

bool deadline_passed(const Error& e) {
  return e.section == "event loop" && e.message.find(detail::kDeadlinePassed) != std::string::npos;
}

namespace {

FdSpec spec_of(FdOp op, int fd, FdDeadline deadline = std::nullopt) {
  FdSpec spec;
  spec.op = op;
  spec.fd = fd;
  spec.deadline = deadline;
  return spec;
}

FdSpec with_options(FdOp op, int fd, const FdOptions& options) {
  FdSpec spec = spec_of(op, fd, options.deadline);
  spec.offset = options.offset;
  spec.try_first = options.nonblocking;
  return spec;
}

FdSpec transfer(FdOp op, int fd, std::byte* data, std::size_t size, const FdOptions& options) {
  FdSpec spec = with_options(op, fd, options);
  spec.data = data;
  spec.size = size;
  return spec;
}

}  // namespace

ReadinessAwait readable(LoopDriver& driver, int fd, FdDeadline deadline) {
  return {driver, spec_of(FdOp::kReadable, fd, deadline)};
}

ReadinessAwait writable(LoopDriver& driver, int fd, FdDeadline deadline) {
  return {driver, spec_of(FdOp::kWritable, fd, deadline)};
}

TransferAwait read(LoopDriver& driver, int fd, std::span<std::byte> buffer,
                   const FdOptions& options) {
  return {driver, transfer(FdOp::kRead, fd, buffer.data(), buffer.size(), options)};
}

TransferAwait write(LoopDriver& driver, int fd, std::span<const std::byte> buffer,
                    const FdOptions& options) {
  // The loop only reads from a write's buffer.
  auto* data =
      const_cast<std::byte*>(buffer.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  return {driver, transfer(FdOp::kWrite, fd, data, buffer.size(), options)};
}

FdResultAwait accept(LoopDriver& driver, int fd, const FdOptions& options) {
  return {driver, with_options(FdOp::kAccept, fd, options)};
}

// ---- SignalSet ------------------------------------------------------------------

Result<SignalSet> SignalSet::create(const sigset_t& signals) {
  const int fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return io_error("signal set: signalfd", errno);
  return SignalSet(fd);
}

SignalSet::~SignalSet() {
  if (fd_ >= 0) ::close(fd_);
}

SignalSet::SignalSet(SignalSet&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

SignalSet& SignalSet::operator=(SignalSet&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

FdResultAwait SignalSet::next(LoopDriver& driver, FdDeadline deadline) const {
  return {driver, spec_of(FdOp::kSignal, fd_, deadline)};
}

}  // namespace runa::io
