// Awaits of file descriptors: see fd_await.hpp (outcomes, cancellation) and
// fd_request.hpp (the handshake with the loop's owner thread).
#include "io/fd_await.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <string>
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
  if (cancelling && !ask.refused && (ask.result == -ECANCELED || ask.result == -ETIMEDOUT)) {
    throw concurrency::Cancelled();
  }
}

namespace {

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
Result<std::int64_t> checked(FdOp op, int fd, std::int64_t result) {
  if (result >= 0) return result;
  return io_error(std::string(op_name(op)) + ": fd " + std::to_string(fd),
                  static_cast<int>(-result));
}

}  // namespace

Result<Events> to_events(FdOp /*op*/, int /*fd*/, std::int64_t result) {
  if (result < 0) return Events{0, static_cast<int>(-result)};
  return Events{static_cast<std::uint32_t>(result), 0};
}

Result<std::size_t> to_size(FdOp op, int fd, std::int64_t result) {
  Result<std::int64_t> c = checked(op, fd, result);
  if (!c) return c.error();
  return static_cast<std::size_t>(*c);
}

Result<int> to_int(FdOp op, int fd, std::int64_t result) {
  Result<std::int64_t> c = checked(op, fd, result);
  if (!c) return c.error();
  return static_cast<int>(*c);
}

}  // namespace detail

namespace {

FdSpec spec_of(FdOp op, int fd, FdDeadline deadline = std::nullopt) {
  FdSpec spec;
  spec.op = op;
  spec.fd = fd;
  spec.deadline = deadline;
  return spec;
}

FdSpec transfer(FdOp op, int fd, std::byte* data, std::size_t size, std::int64_t offset) {
  FdSpec spec = spec_of(op, fd);
  spec.data = data;
  spec.size = size;
  spec.offset = offset;
  return spec;
}

}  // namespace

ReadinessAwait readable(LoopDriver& driver, int fd, FdDeadline deadline) {
  return {driver, spec_of(FdOp::kReadable, fd, deadline)};
}

ReadinessAwait writable(LoopDriver& driver, int fd, FdDeadline deadline) {
  return {driver, spec_of(FdOp::kWritable, fd, deadline)};
}

TransferAwait read(LoopDriver& driver, int fd, std::span<std::byte> buffer, std::int64_t offset) {
  return {driver, transfer(FdOp::kRead, fd, buffer.data(), buffer.size(), offset)};
}

TransferAwait write(LoopDriver& driver, int fd, std::span<const std::byte> buffer,
                    std::int64_t offset) {
  // The loop only reads from a write's buffer.
  auto* data =
      const_cast<std::byte*>(buffer.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  return {driver, transfer(FdOp::kWrite, fd, data, buffer.size(), offset)};
}

FdResultAwait accept(LoopDriver& driver, int fd) {
  return {driver, spec_of(FdOp::kAccept, fd)};
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

FdResultAwait SignalSet::next(LoopDriver& driver) const {
  return {driver, spec_of(FdOp::kSignal, fd_)};
}

}  // namespace runa::io
