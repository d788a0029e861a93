// UringPoller: the io_uring back end (poller.hpp), through liburing.
//
// Owns one ring (256 submission entries, 4096 completion entries) and the
// few cancellations that found the submission queue full (retried at the
// next wait()).
//
// Mapping. kPoll is IORING_OP_POLL_ADD (one-shot; the kernel reports the
// revents, already restricted to the interest plus POLLERR and POLLHUP).
// kRead and kWrite are real IORING_OP_READ / IORING_OP_WRITE with the
// caller's offset (-1 selects the file position, as for pipes and sockets;
// Linux 5.6), kAccept is IORING_OP_ACCEPT with SOCK_CLOEXEC. Cancellation is
// IORING_OP_ASYNC_CANCEL keyed by the Operation's address; the cancelled
// request itself then completes with -ECANCELED (or with its result, if it
// had already finished), which is the one Completion the loop waits for, so
// the buffer is never handed back while the kernel may still write to it.
// user_data is the Operation's address; 0 marks the ring's own entries
// (cancellations), whose completions are dropped, as are liburing's
// internal timeouts (LIBURING_UDATA_TIMEOUT).
//
// EAGAIN. A kernel that cannot wait on a file itself reports EAGAIN for a
// file opened O_NONBLOCK (older kernels do so for every such file). The
// back end then polls for the operation's direction and issues it again
// (state kRetryPoll), so callers never see EAGAIN from either back end.
//
// Submission is batched: entries are queued by submit() and cancel() and
// handed to the kernel by the next wait() in the same io_uring_enter call
// that waits (or earlier, when the submission queue is full).
//
// Probe. create() fails, with the errno text, when the kernel refuses rings
// (ENOSYS: built without io_uring; EPERM: /proc/sys/kernel/io_uring_disabled
// or a seccomp filter, as in many containers), lacks an opcode the loop
// uses, or may drop completions on overflow (no IORING_FEAT_NODROP, before
// Linux 5.5); the loop then falls back to epoll (EventLoop::create).
#pragma once

#include <liburing.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "io/poller.hpp"
#include "runatime/result.hpp"

namespace runa::io {

class UringPoller final : public Poller {
 public:
  static Result<std::unique_ptr<UringPoller>> create();
  ~UringPoller() override;
  UringPoller(const UringPoller&) = delete;
  UringPoller& operator=(const UringPoller&) = delete;
  UringPoller(UringPoller&&) = delete;
  UringPoller& operator=(UringPoller&&) = delete;

  [[nodiscard]] Backend backend() const override { return Backend::kUring; }
  int submit(Operation& op) override;
  bool cancel(Operation& op) override;
  int wait(std::optional<std::chrono::nanoseconds> timeout, std::vector<Completion>& out) override;

 private:
  static constexpr unsigned kSubmitEntries = 256;
  static constexpr unsigned kCompleteEntries = 4096;
  static constexpr std::size_t kBatch = 256;

  UringPoller() = default;

  // A free submission entry; when the queue is full, what is queued goes to
  // the kernel first. nullptr if even that fails.
  io_uring_sqe* next_sqe();
  // Queues op's system call (`poll_first`: a readiness poll for its
  // direction instead). false: no entry was free.
  bool queue(Operation& op, bool poll_first);
  bool queue_cancel(Operation& op);
  // Turns one kernel completion into at most one Completion.
  void complete(std::uint64_t user_data, std::int32_t res, std::vector<Completion>& out);
  void reap(std::vector<Completion>& out);

  io_uring ring_{};
  bool ring_ready_ = false;
  std::vector<Operation*> cancel_backlog_;
  std::array<io_uring_cqe*, kBatch> cqes_{};
};

}  // namespace runa::io
