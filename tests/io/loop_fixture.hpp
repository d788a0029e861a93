// The fixture of the event loop tests: every test runs once per back end
// (epoll, io_uring), io_uring skipped only when the probe says it cannot run
// here. Helpers: pipes that close themselves, callback recorders that count
// their calls, a blocked signal, and run_until, which waits on the loop until a condition
// holds. Tests assert what happened, never how long it took.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "io/event_loop.hpp"

namespace runa::io::testing {

using namespace std::chrono_literals;

// Both ends blocking unless flags say otherwise (O_NONBLOCK).
struct Pipe {
  int r = -1;
  int w = -1;

  explicit Pipe(int flags = 0) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC | flags) != 0) throw std::runtime_error("pipe2 failed");
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  Pipe(Pipe&&) = delete;
  Pipe& operator=(Pipe&&) = delete;

  void close_read() {
    if (r >= 0) ::close(r);
    r = -1;
  }
  void close_write() {
    if (w >= 0) ::close(w);
    w = -1;
  }
  // Writes s with write(2) (all of it: the tests keep it below the pipe's capacity).
  void put(std::string_view s) const {
    ASSERT_EQ(::write(w, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  // Reads what is there (the read end must have data, or be non-blocking).
  std::string take(std::size_t max = 4096) const {
    std::string s(max, '\0');
    const ssize_t n = ::read(r, s.data(), s.size());
    s.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return s;
  }
};

// Records the calls of a readiness callback.
struct ReadyLog {
  int calls = 0;
  Events last;
};

inline void on_ready(void* ctx, Events events) noexcept {
  auto* log = static_cast<ReadyLog*>(ctx);
  ++log->calls;
  log->last = events;
}

// Records the calls of a completion callback.
struct DoneLog {
  int calls = 0;
  std::int64_t result = 0;
};

inline void on_done(void* ctx, std::int64_t result) noexcept {
  auto* log = static_cast<DoneLog*>(ctx);
  ++log->calls;
  log->result = result;
}

inline std::span<std::byte> bytes(std::string& s) {
  return std::as_writable_bytes(std::span<char>(s.data(), s.size()));
}

inline std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// Blocks `signo` in this thread for the test and restores the mask after,
// dropping any instance still pending so it is never delivered for real.
class BlockedSignal {
 public:
  explicit BlockedSignal(int signo) : signo_(signo) {
    sigemptyset(&set_);
    sigaddset(&set_, signo);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedSignal() {
    const timespec zero{};
    while (sigtimedwait(&set_, nullptr, &zero) == signo_) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  BlockedSignal(const BlockedSignal&) = delete;
  BlockedSignal& operator=(const BlockedSignal&) = delete;
  BlockedSignal(BlockedSignal&&) = delete;
  BlockedSignal& operator=(BlockedSignal&&) = delete;

  [[nodiscard]] const sigset_t& set() const { return set_; }

 private:
  int signo_;
  sigset_t set_{};
  sigset_t old_{};
};

class LoopTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kUring) {
      if (auto why = EventLoop::uring_unavailable())
        GTEST_SKIP() << "io_uring unavailable: " << *why;
    }
    auto made = EventLoop::create(GetParam());
    ASSERT_TRUE(made.ok()) << made.error().describe();
    loop = std::move(*made);
    ASSERT_EQ(loop->backend(), GetParam());
  }

  // A test that leaves requests pending resets the loop itself, while the
  // contexts its callbacks write to are still alive.
  void TearDown() override {
    if (loop) {
      EXPECT_EQ(loop->pending(), 0U) << "requests left pending at the end of the test";
    }
  }

  // Waits on the loop until cond() holds, for up to about 10 s.
  template <class Cond>
  bool run_until(Cond cond) {
    for (int i = 0; i < 1000 && !cond(); ++i) loop->wait(10ms);
    return cond();
  }

  // Gives the loop a few chances to dispatch whatever is due, without blocking.
  void settle() {
    for (int i = 0; i < 5; ++i) loop->wait(0ns);
  }

  std::unique_ptr<EventLoop> loop;
};

inline std::string backend_param_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kUring ? "uring" : "epoll";
}

}  // namespace runa::io::testing

#define RUNA_IO_INSTANTIATE(suite)                                                 \
  INSTANTIATE_TEST_SUITE_P(                                                        \
      Backends, suite,                                                             \
      ::testing::Values(::runa::io::Backend::kEpoll, ::runa::io::Backend::kUring), \
      ::runa::io::testing::backend_param_name)
