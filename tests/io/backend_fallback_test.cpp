// Back-end choice when io_uring is refused, the way a container refuses it:
// in a child process, a seccomp filter makes io_uring_setup fail with EPERM
// (as /proc/sys/kernel/io_uring_disabled or Docker's default profile do).
// Then the probe says why, an explicit io_uring loop is a clear error, and
// kAuto falls back to a working epoll loop.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/event_loop.hpp"

namespace runa::io {
namespace {

// io_uring_setup fails with EPERM from now on, in this process only.
bool refuse_io_uring() {
  constexpr auto kLoad = static_cast<std::uint16_t>(BPF_LD | BPF_W | BPF_ABS);
  constexpr auto kJumpEq = static_cast<std::uint16_t>(BPF_JMP | BPF_JEQ | BPF_K);
  constexpr auto kReturn = static_cast<std::uint16_t>(BPF_RET | BPF_K);
  std::array<sock_filter, 4> code{{
      {kLoad, 0, 0, static_cast<std::uint32_t>(offsetof(seccomp_data, nr))},
      {kJumpEq, 0, 1, static_cast<std::uint32_t>(__NR_io_uring_setup)},
      {kReturn, 0, 0, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)},
      {kReturn, 0, 0, SECCOMP_RET_ALLOW},
  }};
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// Runs in the child; the exit code says which check failed.
[[noreturn]] void check_fallback() {
  if (!refuse_io_uring()) std::_Exit(10);
  const auto why = EventLoop::uring_unavailable();
  if (!why || why->find("Operation not permitted") == std::string::npos) std::_Exit(11);
  auto uring = EventLoop::create(Backend::kUring);
  if (uring.ok() || uring.error().describe().find("io_uring_queue_init: Operation not permitted") ==
                        std::string::npos) {
    std::_Exit(12);
  }
  auto fallback = EventLoop::create(Backend::kAuto);
  if (!fallback.ok() || (*fallback)->backend() != Backend::kEpoll) std::_Exit(13);
  (*fallback)->wake();
  (*fallback)->wait(std::nullopt);  // the epoll loop works
  std::fputs("fell back to epoll", stderr);
  std::_Exit(0);
}

TEST(BackendFallbackDeathTest, AutoFallsBackToEpollWhenIoUringIsRefused) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(check_fallback(), ::testing::ExitedWithCode(0), "fell back to epoll");
}

}  // namespace
}  // namespace runa::io
