// FdRequest: see fd_request.hpp for the handshake and its invariants.
#include "io/fd_request.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <span>
#include <utility>

#include "concurrency/spin_wait.hpp"

namespace runa::io {

FdRequest::FdRequest(FdAsk& ask, concurrency::TaskRecord* task) : ask_(ask), task_(task) {
  assert(task != nullptr && "an fd await outside a task");
  assert(task->executor->driver() == ask.driver &&
         "an fd await on a loop that is not its executor's driver");
}

// ---- The task's side ----------------------------------------------------

void FdRequest::start() {
  if (ask_.spec.deadline) {
    rec = task_;
    on_fire = &on_deadline;
    task_->executor->arm(*this, *ask_.spec.deadline);
    deadline_armed_ = true;
  }
  post_.run = &on_start;
  post_.ctx = this;
  ask_.driver->post(post_);
}

bool FdRequest::cancel() {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((s & kDone) != 0) return false;
    if ((s & kStarted) == 0) {
      if (state_.compare_exchange_weak(s, s | kCancelEarly, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        return true;
      }
    } else if (state_.compare_exchange_weak(s, s | kCancelPost, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      post_.run = &on_cancel;  // the start has run: the Post is free
      ask_.driver->post(post_);
      return true;
    }
  }
}

void FdRequest::finish() {
  assert(done());
  if (deadline_armed_) task_->executor->disarm(*this);
}

bool FdRequest::Park::await_suspend(std::coroutine_handle<> h) {
  std::uint32_t s = req.state_.load(std::memory_order_acquire);
  do {
    if ((s & kDone) != 0) return false;
  } while (!req.state_.compare_exchange_weak(s, s | kParked, std::memory_order_acq_rel,
                                             std::memory_order_acquire));
  return req.task_->suspend(h);
}

void FdRequest::Park::await_resume() {
  std::uint32_t s = req.state_.load(std::memory_order_acquire);
  while ((s & (kWaking | kDone)) == 0) {
    // Woken by something else than the owner: the request is still out.
    if (req.state_.compare_exchange_weak(s, s & ~kParked, std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
      return;
    }
  }
  // The owner is releasing us: wait for its last write (see the header).
  concurrency::SpinWait spin;
  while ((req.state_.load(std::memory_order_acquire) & kDone) == 0) spin.wait();
}

// ---- The owner thread's side ----------------------------------------------

void FdRequest::on_start(void* ctx) noexcept {
  auto* req = static_cast<FdRequest*>(ctx);
  const std::uint32_t s = req->state_.fetch_or(kStarted, std::memory_order_acq_rel);
  if ((s & kCancelEarly) != 0) {
    req->cancel_asked_ = true;
    req->complete(-ECANCELED);  // cancelled before the loop saw it
    return;
  }
  if (req->expired_) {
    req->complete(-ECANCELED);  // the deadline passed before the loop saw it: a timeout
    return;
  }
  req->submit();
}

Result<Token> FdRequest::ask_loop() {
  EventLoop& loop = ask_.driver->loop();
  const FdSpec& spec = ask_.spec;
  switch (spec.op) {
    case FdOp::kReadable:
    case FdOp::kSignal:
      return loop.wait_readable(spec.fd, &on_ready, this);
    case FdOp::kWritable:
      return loop.wait_writable(spec.fd, &on_ready, this);
    case FdOp::kRead:
      return loop.read(spec.fd, std::span(spec.data, spec.size), spec.offset, &on_done, this);
    case FdOp::kWrite:
      return loop.write(spec.fd, std::span<const std::byte>(spec.data, spec.size), spec.offset,
                        &on_done, this);
    case FdOp::kAccept:
      break;
  }
  return loop.accept(spec.fd, &on_done, this);
}

void FdRequest::submit() {
  Result<Token> token = ask_loop();
  if (token) {
    token_ = *token;
    return;
  }
  ask_.refused = std::make_unique<Error>(token.error());
  completed_ = true;
  release();
}

void FdRequest::on_cancel(void* ctx) noexcept {
  auto* req = static_cast<FdRequest*>(ctx);
  req->cancel_asked_ = true;
  req->withdraw();
  const bool completed = req->completed_;
  req->state_.fetch_and(~kCancelPost, std::memory_order_acq_rel);
  // A request completed meanwhile waited for this Post to release it.
  if (completed) req->release();
}

void FdRequest::on_deadline(concurrency::Executor::Timer& t) noexcept {
  // NOLINTNEXTLINE(*-static-cast-downcast): the only timers with this hook
  auto& req = static_cast<FdRequest&>(t);
  req.expired_ = true;
  req.withdraw();
}

void FdRequest::withdraw() {
  if (!completed_ && token_.valid()) ask_.driver->loop().cancel(token_);
}

void FdRequest::on_ready(void* ctx, Events events) noexcept {
  auto* req = static_cast<FdRequest*>(ctx);
  if (req->ask_.spec.op == FdOp::kSignal && events.ok()) {
    req->read_signal();
    return;
  }
  req->complete(events.ok() ? static_cast<std::int64_t>(events.mask) : -events.error);
}

void FdRequest::read_signal() {
  signalfd_siginfo info{};
  ssize_t n = 0;
  do {
    n = ::read(ask_.spec.fd, &info, sizeof info);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof info)) {
    complete(static_cast<std::int64_t>(info.ssi_signo));
  } else if (n < 0 && errno == EAGAIN) {
    // Taken by another reader of the signalfd: wait again, unless asked not to.
    if (cancel_asked_ || expired_) {
      complete(-ECANCELED);
    } else {
      submit();
    }
  } else {
    complete(n < 0 ? -errno : -EIO);
  }
}

void FdRequest::on_done(void* ctx, std::int64_t result) noexcept {
  static_cast<FdRequest*>(ctx)->complete(result);
}

void FdRequest::complete(std::int64_t result) {
  // Only a withdrawal is a timeout: an outcome that raced the deadline
  // (bytes read) is returned as it is.
  if (result == -ECANCELED && expired_) {
    result = -ETIMEDOUT;
    ask_.timed_out = true;
  }
  ask_.result = result;
  completed_ = true;
  release();
}

void FdRequest::release() {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((s & kCancelPost) != 0) return;  // on_cancel releases
    if ((s & kParked) != 0) {
      if (state_.compare_exchange_weak(s, kWaking, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        // kDone goes before the task is queued, so that the task never
        // waits for it after a wake-up of ours; its record stays ours until
        // we queue it (claim()).
        concurrency::TaskRecord* task = task_;
        const bool queue = task->claim();
        state_.store(kDone, std::memory_order_release);  // the last touch of the request
        if (queue) task->executor->schedule_woken(*task);
        return;
      }
    } else if (state_.compare_exchange_weak(s, kDone, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      return;
    }
  }
}

}  // namespace runa::io
