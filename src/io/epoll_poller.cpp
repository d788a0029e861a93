// EpollPoller: see epoll_poller.hpp for the design (level-triggered,
// one-shot registrations re-armed per wait; emulated completion operations).
#include "io/epoll_poller.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>

#include "io/io_error.hpp"

namespace runa::io {

namespace {

std::uint32_t to_epoll(std::uint32_t mask) {
  std::uint32_t e = 0;
  if ((mask & kReadable) != 0) e |= EPOLLIN;
  if ((mask & kWritable) != 0) e |= EPOLLOUT;
  return e;
}

std::uint32_t from_epoll(std::uint32_t e) {
  std::uint32_t m = 0;
  if ((e & EPOLLIN) != 0) m |= kReadable;
  if ((e & EPOLLOUT) != 0) m |= kWritable;
  if ((e & EPOLLERR) != 0) m |= kError;
  if ((e & EPOLLHUP) != 0) m |= kHangup;
  return m;
}

// One try at a read, write or accept. `pollable`: the fd takes part in
// readiness (use RWF_NOWAIT); otherwise it is always ready and the plain
// call runs. `nonblocking` is cleared when the try may have blocked, so the
// caller does not try the next operation of the same direction.
std::int64_t attempt(const Operation& op, bool pollable, bool& nonblocking) {
  iovec iov{op.data, op.size};
  int flags = pollable ? RWF_NOWAIT : 0;
  nonblocking = pollable;
  for (;;) {
    ssize_t r = -1;
    switch (op.kind) {
      case OpKind::kRead:
        r = ::preadv2(op.fd, &iov, 1, op.offset, flags);
        break;
      case OpKind::kWrite:
        r = ::pwritev2(op.fd, &iov, 1, op.offset, flags);
        break;
      case OpKind::kAccept:
        nonblocking = false;
        r = ::accept4(op.fd, nullptr, nullptr, SOCK_CLOEXEC);
        break;
      case OpKind::kPoll:
        return op.interest;
    }
    if (r >= 0) return r;
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EOPNOTSUPP && flags != 0 && op.kind != OpKind::kAccept) {
      flags = 0;  // this kind of fd does not take RWF_NOWAIT: one plain try
      nonblocking = false;
      continue;
    }
    return -err;
  }
}

void finish(Operation& op, std::int64_t result, std::vector<Completion>& out) {
  op.state = OpState::kIdle;
  out.push_back({&op, result});
}

}  // namespace

Result<std::unique_ptr<EpollPoller>> EpollPoller::create() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return io_error("epoll_create1", errno);
  return std::unique_ptr<EpollPoller>(new EpollPoller(fd));
}

EpollPoller::~EpollPoller() {
  ::close(epfd_);
}

bool EpollPoller::may_be_open(int fd) {
  if (fd < 0) return false;
  if (static_cast<std::size_t>(fd) < fd_limit_) return true;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) fd_limit_ = limit.rlim_cur;
  if (static_cast<std::size_t>(fd) < fd_limit_) return true;
  // Above the limit: open only if it was opened before the limit was lowered.
  return ::fcntl(fd, F_GETFD) >= 0;
}

EpollPoller::FdQueue& EpollPoller::queue(int fd) {
  const auto i = static_cast<std::size_t>(fd);
  if (i >= fds_.size()) fds_.resize(std::max(i + 1, std::min(i + 1 + i / 2, fd_limit_)));
  return fds_[i];
}

void EpollPoller::link(FdQueue& q, Operation& op) {
  op.prev = q.tail;
  op.next = nullptr;
  if (q.tail != nullptr) {
    q.tail->next = &op;
  } else {
    q.head = &op;
  }
  q.tail = &op;
  op.state = OpState::kPending;
}

void EpollPoller::unlink(FdQueue& q, Operation& op) {
  if (op.prev != nullptr) {
    op.prev->next = op.next;
  } else {
    q.head = op.next;
  }
  if (op.next != nullptr) {
    op.next->prev = op.prev;
  } else {
    q.tail = op.prev;
  }
  op.prev = op.next = nullptr;
  op.state = OpState::kIdle;
}

int EpollPoller::arm(int fd, FdQueue& q, std::uint32_t mask) const {
  epoll_event ev{};
  ev.events = to_epoll(mask) | EPOLLONESHOT;
  ev.data.fd = fd;
  int how = q.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (::epoll_ctl(epfd_, how, fd, &ev) != 0) {
    int err = errno;
    // The registration is not what q.registered says: the fd was closed and
    // its number reused (ENOENT), or someone else's ADD is still there (EEXIST).
    if (err == ENOENT || err == EEXIST) {
      how = err == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
      err = ::epoll_ctl(epfd_, how, fd, &ev) == 0 ? 0 : errno;
    }
    if (err != 0) {
      q.registered = false;
      q.armed = 0;
      return -err;
    }
  }
  q.registered = true;
  q.armed = mask;
  return 0;
}

void EpollPoller::fail_all(FdQueue& q, std::int64_t result, std::vector<Completion>& out) {
  while (q.head != nullptr) {
    Operation& op = *q.head;
    unlink(q, op);
    finish(op, result, out);
  }
}

int EpollPoller::submit(Operation& op) {
  op.cancel_requested = false;
  if (!may_be_open(op.fd)) {  // and the table stays as small as the fds in use
    finish(op, -EBADF, ready_);
    return 0;
  }
  FdQueue& q = queue(op.fd);
  const std::uint32_t want = op_interest(op);
  const bool was_empty = q.head == nullptr;
  link(q, op);
  if (!was_empty && (q.armed & want) == want) return 0;
  const int r = arm(op.fd, q, was_empty ? want : q.armed | want);
  if (r == 0) return 0;
  if (r == -EPERM && was_empty) {
    // epoll cannot watch this fd (a regular file, a directory): it is
    // always ready, so the operation runs now and completes at the next wait().
    unlink(q, op);
    bool nonblocking = false;
    finish(op, attempt(op, false, nonblocking), ready_);
    return 0;
  }
  fail_all(q, r, ready_);  // the fd is gone (EBADF) or cannot be watched
  return 0;
}

bool EpollPoller::cancel(Operation& op) {
  op.cancel_requested = true;
  if (op.state != OpState::kPending) return false;
  // The registration stays armed: if it fires with nobody left to serve,
  // on_event finds nothing to do and does not re-arm it.
  unlink(queue(op.fd), op);
  finish(op, -ECANCELED, ready_);
  return true;
}

void EpollPoller::on_event(int fd, std::uint32_t raw, std::vector<Completion>& out) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdQueue& q = fds_[static_cast<std::size_t>(fd)];
  q.armed = 0;  // EPOLLONESHOT disarmed it
  const std::uint32_t got = from_epoll(raw);
  const std::uint32_t fault = got & (kError | kHangup);
  bool read_stopped = false;  // a read or accept found nothing (or may not be retried)
  bool write_stopped = false;
  for (Operation* op = q.head; op != nullptr;) {
    Operation* next = op->next;
    if (op->kind == OpKind::kPoll) {
      const std::uint32_t hit = got & (op->interest | kError | kHangup);
      if (hit != 0) {
        unlink(q, *op);
        finish(*op, hit, out);
      }
    } else {
      const bool writing = op->kind == OpKind::kWrite;
      bool& stopped = writing ? write_stopped : read_stopped;
      const std::uint32_t need = writing ? kWritable : kReadable;
      if (!stopped && (got & (need | fault)) != 0) {
        bool nonblocking = true;
        const std::int64_t r = attempt(*op, true, nonblocking);
        if (r == -EAGAIN || r == -EWOULDBLOCK) {
          stopped = true;  // someone else took it; wait for the next report
        } else {
          unlink(q, *op);
          finish(*op, r, out);
          if (!nonblocking) stopped = true;
        }
      }
    }
    op = next;
  }
  if (q.head == nullptr) return;
  std::uint32_t mask = 0;
  for (const Operation* op = q.head; op != nullptr; op = op->next) mask |= op_interest(*op);
  const int r = arm(fd, q, mask);
  if (r != 0) fail_all(q, r, out);
}

int EpollPoller::wait_kernel(std::optional<std::chrono::nanoseconds> timeout) {
  const int max = static_cast<int>(kMaxEvents);
  if (have_pwait2_) {
    timespec ts{};
    const timespec* tp = nullptr;
    if (timeout) {
      const auto ns = std::max<std::int64_t>(timeout->count(), 0);
      ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
      tp = &ts;
    }
    const int n = ::epoll_pwait2(epfd_, events_.data(), max, tp, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    have_pwait2_ = false;
  }
  int ms = -1;
  if (timeout) {
    // Rounded up, so a timeout never ends before it has passed.
    const std::int64_t up = (std::max<std::int64_t>(timeout->count(), 0) + 999'999) / 1'000'000;
    ms = static_cast<int>(std::min<std::int64_t>(up, INT_MAX));
  }
  return ::epoll_wait(epfd_, events_.data(), max, ms);
}

int EpollPoller::wait(std::optional<std::chrono::nanoseconds> timeout,
                      std::vector<Completion>& out) {
  const std::size_t before = out.size();
  // Completions already decided: collect what the kernel has without blocking.
  if (!ready_.empty()) timeout = std::chrono::nanoseconds(0);
  const int n = wait_kernel(timeout);
  const int err = n < 0 ? errno : 0;
  out.insert(out.end(), ready_.begin(), ready_.end());
  ready_.clear();
  for (int i = 0; i < n; ++i) {
    const epoll_event& ev = events_[static_cast<std::size_t>(i)];
    on_event(ev.data.fd, ev.events, out);
  }
  if (n < 0 && out.size() == before) return -err;
  if (n == 0 && out.size() == before) return kTimedOut;
  return kGathered;
}

}  // namespace runa::io
