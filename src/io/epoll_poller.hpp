// EpollPoller: the epoll back end (poller.hpp), for kernels or sandboxes
// where io_uring is unavailable.
//
// Owns the epoll instance, one FIFO of waiting Operations per fd, and the
// completions decided without the kernel (cancellations, fds that cannot be
// polled, arming errors), which the next wait() hands out.
//
// Level-triggered with EPOLLONESHOT. Each fd has at most one registration,
// armed with the union of the interests of its waiting operations; when it
// fires, the kernel disarms it, the waiting operations that it satisfies are
// completed, and the registration is re-armed (EPOLL_CTL_MOD) only if some
// remain. Why not edge-triggered: the loop does not own the fds it is given.
// An edge-triggered registration is made once and kept, and since the fd
// may be closed and its number reused behind the loop's back, the loop
// could not tell a live registration from one the kernel dropped at
// close(). Re-arming per wait costs one epoll_ctl, but every arm says
// afresh which file it means (a MOD that fails with ENOENT is retried as an
// ADD), and a one-shot, level-triggered registration cannot lose an event:
// whatever is still ready when it is re-armed is reported again. This also
// matches the executor, which re-arms per await anyway.
//
// Completion operations are emulated: a read, write or accept waits in the
// fd's FIFO for readiness, then runs the system call on the owner thread.
// Reads and writes use preadv2/pwritev2 with RWF_NOWAIT, which never
// blocks even on an fd in blocking mode (pipes and sockets support it); a
// result of EAGAIN leaves the operation waiting and re-arms. When the kernel
// refuses RWF_NOWAIT for the fd (EOPNOTSUPP), and always for accept, the
// plain call runs once per readiness report and direction: a read or accept
// after readiness does not block, a second one might. Operations complete in
// FIFO order per direction. Fds that epoll cannot watch (EPERM: regular
// files, directories) are always ready: their operations run at once and
// complete at the next wait(), like io_uring does for them.
//
// Closing an fd that has waiting operations is the caller's error (cancel
// first): epoll forgets a closed fd silently, so they would wait forever.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "io/poller.hpp"
#include "runatime/result.hpp"

namespace runa::io {

class EpollPoller final : public Poller {
 public:
  static Result<std::unique_ptr<EpollPoller>> create();
  ~EpollPoller() override;
  EpollPoller(const EpollPoller&) = delete;
  EpollPoller& operator=(const EpollPoller&) = delete;
  EpollPoller(EpollPoller&&) = delete;
  EpollPoller& operator=(EpollPoller&&) = delete;

  [[nodiscard]] Backend backend() const override { return Backend::kEpoll; }
  int submit(Operation& op) override;
  bool cancel(Operation& op) override;
  int wait(std::optional<std::chrono::nanoseconds> timeout, std::vector<Completion>& out) override;

 private:
  static constexpr std::size_t kMaxEvents = 256;

  // The waiting operations of one fd and its registration.
  struct FdQueue {
    Operation* head = nullptr;
    Operation* tail = nullptr;
    std::uint32_t armed = 0;  // interests the registration waits for (0: disarmed)
    bool registered = false;  // an ADD succeeded for this fd number (it may be stale)
  };

  explicit EpollPoller(int epfd) : epfd_(epfd) {}

  // false if fd cannot name an open file (negative, or above RLIMIT_NOFILE
  // and closed), so that a wild fd does not grow the table.
  bool may_be_open(int fd);
  FdQueue& queue(int fd);
  static void link(FdQueue& q, Operation& op);
  static void unlink(FdQueue& q, Operation& op);
  // Arms fd's registration for `mask`; 0 or -errno.
  int arm(int fd, FdQueue& q, std::uint32_t mask) const;
  // Completes every operation waiting on q with `result`.
  static void fail_all(FdQueue& q, std::int64_t result, std::vector<Completion>& out);
  // Runs the readiness report `raw` (EPOLL* bits) for fd.
  void on_event(int fd, std::uint32_t raw, std::vector<Completion>& out);
  int wait_kernel(std::optional<std::chrono::nanoseconds> timeout);

  int epfd_;
  bool have_pwait2_ = true;        // epoll_pwait2 (Linux 5.11): nanosecond timeouts
  std::size_t fd_limit_ = 0;       // RLIMIT_NOFILE when last read
  std::vector<FdQueue> fds_;       // indexed by fd
  std::vector<Completion> ready_;  // decided without the kernel, for the next wait()
  std::array<epoll_event, kMaxEvents> events_{};
};

}  // namespace runa::io
