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

FdRequest::FdRequest(LoopDriver& driver, const FdSpec& spec, concurrency::TaskRecord* task)
    : driver_(driver), spec_(spec), task_(task) {
  assert(task != nullptr && "an fd await outside a task");
  assert(task->executor->driver() == &driver &&
         "an fd await on a loop that is not its executor's driver");
}

// ---- The task's side ----------------------------------------------------

void FdRequest::start() {
  if (spec_.deadline) {
    deadline_.rec = task_;
    deadline_.on_fire = &on_deadline;
    deadline_.req = this;
    task_->executor->arm(deadline_, *spec_.deadline);
    deadline_armed_ = true;
  }
  start_post_.run = &on_start;
  start_post_.ctx = this;
  driver_.post(start_post_);
}

bool FdRequest::cancel() {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  do {
    if ((s & kDone) != 0) return false;
  } while (!state_.compare_exchange_weak(s, s | kCancelPost, std::memory_order_acq_rel,
                                         std::memory_order_acquire));
  cancel_post_.run = &on_cancel;
  cancel_post_.ctx = this;
  driver_.post(cancel_post_);
  return true;
}

std::int64_t FdRequest::finish(std::unique_ptr<Error>& refused) {
  assert(done());
  if (deadline_armed_) task_->executor->disarm(deadline_);
  refused = std::move(refused_);
  return result_;
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
  if (req->expired_) {
    req->complete(-ETIMEDOUT);  // the deadline passed before the loop saw it
    return;
  }
  req->submit();
}

Result<Token> FdRequest::ask_loop() {
  EventLoop& loop = driver_.loop();
  switch (spec_.op) {
    case FdOp::kReadable:
    case FdOp::kSignal:
      return loop.wait_readable(spec_.fd, &on_ready, this);
    case FdOp::kWritable:
      return loop.wait_writable(spec_.fd, &on_ready, this);
    case FdOp::kRead:
      return loop.read(spec_.fd, std::span(spec_.data, spec_.size), spec_.offset, &on_done, this);
    case FdOp::kWrite:
      return loop.write(spec_.fd, std::span<const std::byte>(spec_.data, spec_.size), spec_.offset,
                        &on_done, this);
    case FdOp::kAccept:
      break;
  }
  return loop.accept(spec_.fd, &on_done, this);
}

void FdRequest::submit() {
  Result<Token> token = ask_loop();
  if (token) {
    token_ = *token;
    return;
  }
  refused_ = std::make_unique<Error>(token.error());
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
  FdRequest* req = static_cast<Deadline&>(t).req;
  req->expired_ = true;
  req->withdraw();
}

void FdRequest::withdraw() {
  if (!completed_ && token_.valid()) driver_.loop().cancel(token_);
}

void FdRequest::on_ready(void* ctx, Events events) noexcept {
  auto* req = static_cast<FdRequest*>(ctx);
  if (req->spec_.op == FdOp::kSignal && events.ok()) {
    req->read_signal();
    return;
  }
  req->complete(events.ok() ? static_cast<std::int64_t>(events.mask) : -events.error);
}

void FdRequest::read_signal() {
  signalfd_siginfo info{};
  ssize_t n = 0;
  do {
    n = ::read(spec_.fd, &info, sizeof info);
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
  if (result == -ECANCELED && expired_) result = -ETIMEDOUT;
  result_ = result;
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
