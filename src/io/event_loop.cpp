// EventLoop: see event_loop.hpp for the contract (exactly one final
// callback per request, cancellation, destruction, threads).
#include "io/event_loop.hpp"

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <utility>

#include "io/epoll_poller.hpp"
#include "io/io_error.hpp"
#include "io/uring_poller.hpp"

namespace runa::io {

namespace {

// Linux moves at most this much in one read(2) or write(2) (MAX_RW_COUNT).
constexpr std::size_t kMaxTransfer = 0x7ffff000;

std::string with_fd(const char* what, int fd) {
  return std::string(what) + ": fd " + std::to_string(fd);
}

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create(Backend backend) {
  std::unique_ptr<Poller> poller;
  std::string uring_failure;
  if (backend != Backend::kEpoll) {
    auto uring = UringPoller::create();
    if (uring) {
      poller = std::move(*uring);
    } else if (backend == Backend::kUring) {
      return uring.error();
    } else {
      uring_failure = uring.error().message;
    }
  }
  if (!poller) {
    auto epoll = EpollPoller::create();
    if (!epoll) {
      Error e = epoll.error();
      if (!uring_failure.empty()) e.message += " (and io_uring: " + uring_failure + ")";
      return e;
    }
    poller = std::move(*epoll);
  }
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return io_error("eventfd", errno);
  std::unique_ptr<EventLoop> loop(new EventLoop(std::move(poller), wake_fd));
  loop->arm_wake();
  if (!loop->wake_armed_) return io_error("cannot wait on the wake-up eventfd", EBUSY);
  return loop;
}

std::optional<std::string> EventLoop::uring_unavailable() {
  auto uring = UringPoller::create();
  if (uring) return std::nullopt;
  return uring.error().describe();
}

EventLoop::EventLoop(std::unique_ptr<Poller> poller, int wake_fd)
    : poller_(std::move(poller)), wake_fd_(wake_fd) {
  wake_op_.kind = OpKind::kPoll;
  wake_op_.fd = wake_fd_;
  wake_op_.interest = kReadable;
}

EventLoop::~EventLoop() {
  assert(!dispatching_ && "an EventLoop cannot be destroyed from one of its callbacks");
  closing_ = true;
  requests_.for_each_live([this](Request& r) {
    if (r.cancelling) return;
    r.cancelling = true;
    if (r.in_flight) poller_->cancel(r.op);
  });
  // Every request yields its final callback; the kernel is done with every
  // buffer once the last one has run.
  while (requests_.live() > 0) wait_until_dispatched(std::nullopt);
  poller_.reset();  // closing the ring or the epoll fd ends the wake-up wait
  ::close(wake_fd_);
}

// ---- Requests ---------------------------------------------------------

std::optional<Error> EventLoop::refuse(const char* what, int fd, bool has_callback) const {
  if (closing_)
    return io_error(std::string(what) + ": the event loop is being destroyed", ESHUTDOWN);
  if (!has_callback) return io_error(std::string(what) + ": no callback", EINVAL);
  if (fd < 0) return io_error(with_fd(what, fd), EBADF);
  return std::nullopt;
}

Result<Token> EventLoop::start(Request& r, const char* what) {
  r.in_flight = true;
  const int rc = poller_->submit(r.op);
  if (rc < 0) {
    const int fd = r.op.fd;
    requests_.release(r);
    return io_error(with_fd(what, fd) + ": the back end cannot take it", -rc);
  }
  return Token{r.op.key};
}

Result<Token> EventLoop::readiness(const char* what, int fd, std::uint32_t interest, Callback cb,
                                   void* ctx) {
  if (auto e = refuse(what, fd, cb != nullptr)) return *e;
  Request& r = requests_.acquire();
  r.kind = RequestKind::kReadiness;
  r.op.kind = OpKind::kPoll;
  r.op.fd = fd;
  r.op.interest = interest;
  r.on_ready = cb;
  r.ctx = ctx;
  return start(r, what);
}

Result<Token> EventLoop::wait_readable(int fd, Callback cb, void* ctx) {
  return readiness("wait_readable", fd, kReadable, cb, ctx);
}

Result<Token> EventLoop::wait_writable(int fd, Callback cb, void* ctx) {
  return readiness("wait_writable", fd, kWritable, cb, ctx);
}

Result<Token> EventLoop::operation(const char* what, OpKind kind, int fd, std::byte* data,
                                   std::size_t size, std::int64_t offset, CompletionCallback cb,
                                   void* ctx) {
  if (auto e = refuse(what, fd, cb != nullptr)) return *e;
  if (offset < -1) {
    return io_error(with_fd(what, fd) + ": offset " + std::to_string(offset), EINVAL);
  }
  Request& r = requests_.acquire();
  r.kind = RequestKind::kCompletion;
  r.op.kind = kind;
  r.op.fd = fd;
  r.op.data = data;
  r.op.size = std::min(size, kMaxTransfer);
  r.op.offset = offset;
  r.on_done = cb;
  r.ctx = ctx;
  return start(r, what);
}

Result<Token> EventLoop::read(int fd, std::span<std::byte> buffer, std::int64_t offset,
                              CompletionCallback cb, void* ctx) {
  return operation("read", OpKind::kRead, fd, buffer.data(), buffer.size(), offset, cb, ctx);
}

Result<Token> EventLoop::write(int fd, std::span<const std::byte> buffer, std::int64_t offset,
                               CompletionCallback cb, void* ctx) {
  // The back ends only read from a write's buffer.
  auto* data =
      const_cast<std::byte*>(buffer.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  return operation("write", OpKind::kWrite, fd, data, buffer.size(), offset, cb, ctx);
}

Result<Token> EventLoop::accept(int fd, CompletionCallback cb, void* ctx) {
  return operation("accept", OpKind::kAccept, fd, nullptr, 0, -1, cb, ctx);
}

Result<Token> EventLoop::watch_signals(const sigset_t& signals, SignalCallback cb, void* ctx) {
  if (auto e = refuse("watch_signals", 0, cb != nullptr)) return *e;
  const int fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return io_error("watch_signals: signalfd", errno);
  Request& r = requests_.acquire();
  r.kind = RequestKind::kSignals;
  r.op.kind = OpKind::kPoll;
  r.op.fd = fd;
  r.op.interest = kReadable;
  r.on_signal = cb;
  r.ctx = ctx;
  auto token = start(r, "watch_signals");
  if (!token) ::close(fd);
  return token;
}

bool EventLoop::cancel(Token token) {
  Request* r = requests_.find(token.value);
  if (r == nullptr || r->cancelling) return false;
  r->cancelling = true;
  // Not in flight: a signal watch whose callback is running; on_signals
  // sees `cancelling` when the callback returns.
  if (r->in_flight) poller_->cancel(r->op);
  return true;
}

// ---- Waiting and dispatch -----------------------------------------------

void EventLoop::wait(std::optional<std::chrono::nanoseconds> timeout) {
  assert(!dispatching_ && "EventLoop::wait cannot be called from a callback");
  if (dispatching_) return;
  wait_until_dispatched(timeout);
}

void EventLoop::wait_until_dispatched(std::optional<std::chrono::nanoseconds> timeout) {
  using Clock = std::chrono::steady_clock;
  if (!wake_armed_) arm_wake();
  const bool poll_only = timeout && timeout->count() <= 0;
  const std::optional<Clock::time_point> deadline =
      timeout && !poll_only ? std::optional(Clock::now() + *timeout) : std::nullopt;
  std::optional<std::chrono::nanoseconds> left = timeout;
  for (;;) {
    const int r = poller_->wait(left, batch_);
    if (!batch_.empty()) break;
    // Nothing for us: a timeout, an interruption, or only the back end's
    // own completions (io_uring's cancellations). Wait for what is left.
    if (r == Poller::kTimedOut || poll_only) return;
    if (r < 0 && r != -EINTR) return;  // the back end failed; the caller will wait again
    if (deadline) {
      const auto now = Clock::now();
      if (now >= *deadline) return;
      left = *deadline - now;
    }
  }
  dispatching_ = true;
  // Callbacks may submit and cancel, but never append to batch_: the back
  // ends keep what they decide now for their next wait().
  for (const Completion& c : batch_) dispatch(c);
  batch_.clear();
  dispatching_ = false;
}

void EventLoop::dispatch(const Completion& c) {
  if (c.op == &wake_op_) {
    on_wake();
    return;
  }
  Request* r = requests_.find(c.op->key);
  if (r == nullptr) return;  // cannot happen: a record lives until its Completion
  r->in_flight = false;
  void* ctx = r->ctx;
  switch (r->kind) {
    case RequestKind::kReadiness: {
      const Callback cb = r->on_ready;
      const Events events = c.result >= 0 ? Events{static_cast<std::uint32_t>(c.result), 0}
                                          : Events{0, static_cast<int>(-c.result)};
      requests_.release(*r);  // first: the callback may reuse the record
      cb(ctx, events);
      return;
    }
    case RequestKind::kCompletion: {
      const CompletionCallback cb = r->on_done;
      requests_.release(*r);
      cb(ctx, c.result);
      return;
    }
    case RequestKind::kSignals:
      on_signals(*r, c.result);
      return;
    case RequestKind::kFree:
      return;
  }
}

void EventLoop::wake() {
  // Only the first wake() since the owner consumed the eventfd writes to it.
  // The owner reads the eventfd before it clears wake_pending_ (on_wake), so
  // a wake() that finds the flag set is either covered by a write the owner
  // has not read yet (the next wait() returns at once) or happens while the
  // owner is returning from the wait() that read it (driver.hpp allows
  // wake()s to collapse into one return).
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  const std::uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void EventLoop::on_wake() {
  wake_armed_ = false;
  std::uint64_t count = 0;
  while (::read(wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  wake_pending_.store(false, std::memory_order_release);
  arm_wake();
}

void EventLoop::arm_wake() {
  // If the back end cannot take it now, the next wait() tries again.
  wake_armed_ = poller_->submit(wake_op_) == 0;
}

// ---- Signals --------------------------------------------------------------

void EventLoop::on_signals(Request& r, std::int64_t result) {
  if (r.cancelling) return end_signals(r, ECANCELED);
  if (result < 0) return end_signals(r, static_cast<int>(-result));
  std::array<signalfd_siginfo, 16> infos{};
  for (;;) {
    const ssize_t n = ::read(r.op.fd, infos.data(), sizeof infos);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return end_signals(r, errno);
    }
    const auto count = static_cast<std::size_t>(n) / sizeof(signalfd_siginfo);
    for (std::size_t i = 0; i < count; ++i) {
      r.on_signal(r.ctx, static_cast<int>(infos[i].ssi_signo));
      if (r.cancelling) return end_signals(r, ECANCELED);  // by the callback
    }
    if (count < infos.size()) break;
  }
  r.in_flight = true;
  const int rc = poller_->submit(r.op);
  if (rc < 0) {
    r.in_flight = false;
    end_signals(r, -rc);
  }
}

void EventLoop::end_signals(Request& r, int error) {
  ::close(r.op.fd);
  const SignalCallback cb = r.on_signal;
  void* ctx = r.ctx;
  requests_.release(r);
  cb(ctx, -error);
}

}  // namespace runa::io
