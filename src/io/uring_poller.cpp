// UringPoller: see uring_poller.hpp for the mapping of operations to
// io_uring requests, cancellation and the probe.
#include "io/uring_poller.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>
#include <utility>

#include "io/io_error.hpp"

namespace runa::io {

namespace {

constexpr std::uint64_t kInternal = 0;  // user_data of the ring's own requests

unsigned to_poll(std::uint32_t mask) {
  unsigned p = 0;
  if ((mask & kReadable) != 0) p |= POLLIN;
  if ((mask & kWritable) != 0) p |= POLLOUT;
  return p;
}

std::uint32_t from_poll(std::int32_t revents) {
  const auto r = static_cast<unsigned>(revents);
  std::uint32_t m = 0;
  if ((r & POLLIN) != 0) m |= kReadable;
  if ((r & POLLOUT) != 0) m |= kWritable;
  if ((r & POLLERR) != 0) m |= kError;
  if ((r & POLLHUP) != 0) m |= kHangup;
  return m;
}

std::uint64_t to_user_data(Operation& op) {
  return reinterpret_cast<std::uintptr_t>(&op);
}

// user_data is the address to_user_data() gave the kernel.
Operation* from_user_data(std::uint64_t data) {
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  return reinterpret_cast<Operation*>(static_cast<std::uintptr_t>(data));
}

}  // namespace

Result<std::unique_ptr<UringPoller>> UringPoller::create() {
  std::unique_ptr<UringPoller> p(new UringPoller());
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
  params.cq_entries = kCompleteEntries;
  int r = io_uring_queue_init_params(kSubmitEntries, &p->ring_, &params);
  if (r == -EINVAL) {  // before Linux 5.18: no IORING_SETUP_SUBMIT_ALL
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = kCompleteEntries;
    r = io_uring_queue_init_params(kSubmitEntries, &p->ring_, &params);
  }
  if (r < 0) return io_error("io_uring_queue_init", -r);
  p->ring_ready_ = true;
  if ((p->ring_.features & IORING_FEAT_NODROP) == 0) {
    return io_error("io_uring: the kernel may drop completions (no IORING_FEAT_NODROP)", ENOTSUP);
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&p->ring_);
  if (probe == nullptr) return io_error("io_uring: cannot probe the supported operations", ENOTSUP);
  std::string missing;
  for (const auto& [op, name] :
       {std::pair{IORING_OP_POLL_ADD, "POLL_ADD"}, std::pair{IORING_OP_READ, "READ"},
        std::pair{IORING_OP_WRITE, "WRITE"}, std::pair{IORING_OP_ACCEPT, "ACCEPT"},
        std::pair{IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"}}) {
    if (io_uring_opcode_supported(probe, op) == 0) missing += std::string(" IORING_OP_") + name;
  }
  io_uring_free_probe(probe);
  if (!missing.empty()) return io_error("io_uring: the kernel lacks" + missing, ENOTSUP);
  return p;
}

UringPoller::~UringPoller() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

io_uring_sqe* UringPoller::next_sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s != nullptr) return s;
  int r = 0;
  do {
    r = io_uring_submit(&ring_);
  } while (r == -EINTR);
  return io_uring_get_sqe(&ring_);
}

bool UringPoller::queue(Operation& op, bool poll_first) {
  io_uring_sqe* s = next_sqe();
  if (s == nullptr) return false;
  const auto size = static_cast<unsigned>(std::min<std::size_t>(op.size, INT_MAX));
  const auto offset = static_cast<std::uint64_t>(op.offset);  // -1: the file position
  if (poll_first || op.kind == OpKind::kPoll) {
    io_uring_prep_poll_add(s, op.fd, to_poll(op_interest(op)));
  } else if (op.kind == OpKind::kRead) {
    io_uring_prep_read(s, op.fd, op.data, size, offset);
  } else if (op.kind == OpKind::kWrite) {
    io_uring_prep_write(s, op.fd, op.data, size, offset);
  } else {
    io_uring_prep_accept(s, op.fd, nullptr, nullptr, SOCK_CLOEXEC);
  }
  io_uring_sqe_set_data64(s, to_user_data(op));
  op.state = poll_first ? OpState::kRetryPoll : OpState::kPending;
  return true;
}

bool UringPoller::queue_cancel(Operation& op) {
  io_uring_sqe* s = next_sqe();
  if (s == nullptr) return false;
  io_uring_prep_cancel64(s, to_user_data(op), 0);
  io_uring_sqe_set_data64(s, kInternal);
  return true;
}

int UringPoller::submit(Operation& op) {
  op.cancel_requested = false;
  if (!queue(op, false)) {
    op.state = OpState::kIdle;
    return -EBUSY;
  }
  return 0;
}

bool UringPoller::cancel(Operation& op) {
  op.cancel_requested = true;
  if (op.state == OpState::kIdle) return false;
  // Rare: the queue is full and cannot be flushed. Retried by wait().
  if (!queue_cancel(op)) cancel_backlog_.push_back(&op);
  return true;
}

void UringPoller::complete(std::uint64_t user_data, std::int32_t res,
                           std::vector<Completion>& out) {
  if (user_data == kInternal || user_data == LIBURING_UDATA_TIMEOUT) return;
  Operation& op = *from_user_data(user_data);
  std::int64_t result = res;
  if (op.state == OpState::kRetryPoll) {
    // The readiness poll before a retry ended: issue the call again, unless
    // the poll failed (that error is the operation's) or it was cancelled.
    if (res >= 0 && op.cancel_requested) {
      result = -ECANCELED;
    } else if (res >= 0) {
      if (queue(op, false)) return;
      result = -EBUSY;
    }
  } else if (res == -EAGAIN && op.kind != OpKind::kPoll) {
    if (op.cancel_requested) {
      result = -ECANCELED;
    } else {
      if (queue(op, true)) return;
      result = -EBUSY;
    }
  } else if (op.kind == OpKind::kPoll && res >= 0) {
    result = from_poll(res);
  }
  op.state = OpState::kIdle;
  out.push_back({&op, result});
}

void UringPoller::reap(std::vector<Completion>& out) {
  std::array<std::pair<std::uint64_t, std::int32_t>, kBatch> batch{};
  for (;;) {
    const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes_.data(), kBatch);
    if (n == 0) return;
    for (unsigned i = 0; i < n; ++i) batch[i] = {cqes_[i]->user_data, cqes_[i]->res};
    io_uring_cq_advance(&ring_, n);
    // Handled after the advance: complete() may queue a retry.
    for (unsigned i = 0; i < n; ++i) complete(batch[i].first, batch[i].second, out);
  }
}

int UringPoller::wait(std::optional<std::chrono::nanoseconds> timeout,
                      std::vector<Completion>& out) {
  const std::size_t before = out.size();
  if (!cancel_backlog_.empty()) {
    std::vector<Operation*> backlog;
    backlog.swap(cancel_backlog_);
    for (Operation* op : backlog) {
      // Still in flight and still meant to be cancelled (not reused since).
      if (op->state != OpState::kIdle && op->cancel_requested && !queue_cancel(*op)) {
        cancel_backlog_.push_back(op);
      }
    }
  }
  int r = 0;
  if ((timeout && timeout->count() <= 0) || io_uring_cq_ready(&ring_) > 0) {
    r = io_uring_submit(&ring_);
  } else {
    __kernel_timespec ts{};
    if (timeout) {
      ts.tv_sec = timeout->count() / 1'000'000'000;
      ts.tv_nsec = timeout->count() % 1'000'000'000;
    }
    io_uring_cqe* cqe = nullptr;
    r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timeout ? &ts : nullptr, nullptr);
  }
  reap(out);
  if (out.size() != before) return kGathered;
  if (r == -ETIME || (timeout && timeout->count() <= 0)) return kTimedOut;
  return r < 0 ? r : kGathered;
}

}  // namespace runa::io
