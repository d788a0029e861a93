// Awaits of file descriptors (io/fd_await.hpp) in executor tasks, for both
// back ends: readiness that another thread brings about, deadlines, large
// transfers across many tasks on pipes and socketpairs, accept on
// 127.0.0.1, signals, refusals and fd errors, and cancellation — alone and
// racing the completion, many rounds (the interleavings are listed at that
// test). The fixture's TearDown checks that no loop request is left.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../concurrency/eventually.hpp"
#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/join_handle.hpp"
#include "concurrency/pool/pool.hpp"
#include "io/fd_await.hpp"
#include "io/loop_driver.hpp"
#include "loop_fixture.hpp"

namespace runa::io::testing {
namespace {

using namespace std::chrono_literals;
using concurrency::testing::eventually;
using Clock = concurrency::Executor::Clock;
template <class T>
using Task = concurrency::Task<T>;
template <class T>
using JoinHandle = concurrency::JoinHandle<T>;

// A pool, the loop as its executor's driver, and the executor, torn down
// in that order's reverse before the fixture's loop.
struct Runtime {
  explicit Runtime(EventLoop& loop) : driver(loop) {}
  concurrency::Pool pool{{.workers = 2}};
  LoopDriver driver;
  concurrency::Executor ex{pool, &driver};
};

class FdAwaitTest : public LoopTest {};

// Both ends of a stream: a pipe (a reads, b writes) or a socketpair.
struct Stream {
  int a = -1;
  int b = -1;
  explicit Stream(bool socket) {
    std::array<int, 2> fds{};
    const int rc = socket ? ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data())
                          : ::pipe2(fds.data(), O_CLOEXEC);
    if (rc != 0) throw std::runtime_error("cannot make a stream");
    a = fds[0];
    b = fds[1];
  }
  ~Stream() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&&) = delete;
  Stream& operator=(Stream&&) = delete;
};

std::byte pattern(std::size_t stream, std::size_t at) {
  return static_cast<std::byte>((at * 131 + stream * 7 + at / 4099) & 0xff);
}

// Reads what fd has (up to 8 bytes), setting `asking` just before it asks.
// NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
Task<std::size_t> read_some(LoopDriver& driver, int fd, std::atomic<bool>& asking) {
  std::array<std::byte, 8> buf{};
  asking.store(true);
  Result<std::size_t> n = co_await read(driver, fd, std::span(buf));
  co_return n ? *n : 0;
}

TEST_P(FdAwaitTest, ReadableResumesWhenAnotherThreadWrites) {
  Runtime rt(*loop);
  Pipe p;
  std::atomic<bool> asking{false};
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto waiter = [&]() -> Task<Result<Events>> {
    asking.store(true);
    co_return co_await readable(rt.driver, p.r);
  };
  JoinHandle<Result<Events>> h = rt.ex.spawn(waiter());
  std::thread writer([&] {
    ASSERT_TRUE(eventually([&] { return asking.load(); }));
    p.put("x");
  });
  Result<Events> ev = h.join();
  writer.join();
  ASSERT_TRUE(ev.ok()) << ev.error().describe();
  EXPECT_TRUE(ev->ok());
  EXPECT_TRUE(ev->readable());
  EXPECT_EQ(p.take(), "x");  // readiness consumed nothing
}

// Many tasks each wait on their own pipe; another thread writes to them in
// a shuffled order. Every waiter resumes once, readable.
TEST_P(FdAwaitTest, ManyWaitersResumeAsOtherThreadsWrite) {
  Runtime rt(*loop);
  constexpr int kPipes = 64;
  std::vector<std::unique_ptr<Pipe>> pipes;
  pipes.reserve(kPipes);
  for (int i = 0; i < kPipes; ++i) pipes.push_back(std::make_unique<Pipe>());
  std::atomic<int> asked{0};
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto waiter = [&](int fd) -> Task<int> {
    asked.fetch_add(1);
    Result<Events> ev = co_await readable(rt.driver, fd);
    co_return ev.ok() && ev->readable() ? 1 : 0;
  };
  std::vector<JoinHandle<int>> hs;
  hs.reserve(kPipes);
  for (auto& p : pipes) hs.push_back(rt.ex.spawn(waiter(p->r)));
  std::thread writer([&] {
    ASSERT_TRUE(eventually([&] { return asked.load() >= kPipes / 2; }));
    for (int i = 0; i < kPipes; ++i) pipes[static_cast<std::size_t>((i * 37) % kPipes)]->put("y");
  });
  int ready = 0;
  for (auto& h : hs) ready += h.join();
  writer.join();
  EXPECT_EQ(ready, kPipes);
}

// Writers push 1 MiB each through pipes and socketpairs with one awaited
// write of the whole rest at a time; readers take it in 64 KiB awaited
// reads and check every byte. Partial transfers are normal; none is lost.
TEST_P(FdAwaitTest, LargeBuffersCrossManyStreams) {
  Runtime rt(*loop);
  constexpr std::size_t kStreams = 8;
  constexpr std::size_t kBytes = std::size_t{1} << 20;
  std::vector<std::unique_ptr<Stream>> streams;
  for (std::size_t i = 0; i < kStreams; ++i)
    streams.push_back(std::make_unique<Stream>(i % 2 == 1));
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto writer = [&](std::size_t s) -> Task<std::size_t> {
    std::vector<std::byte> data(kBytes);
    for (std::size_t i = 0; i < kBytes; ++i) data[i] = pattern(s, i);
    std::size_t sent = 0;
    while (sent < kBytes) {
      Result<std::size_t> n =
          co_await write(rt.driver, streams[s]->b, std::span(data).subspan(sent));
      if (!n || *n == 0) break;
      sent += *n;
    }
    ::close(std::exchange(streams[s]->b, -1));  // the reader's end of file
    co_return sent;
  };
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto reader = [&](std::size_t s) -> Task<std::size_t> {
    std::vector<std::byte> buf(std::size_t{64} << 10);
    std::size_t got = 0;
    std::size_t wrong = 0;
    for (;;) {
      Result<std::size_t> n = co_await read(rt.driver, streams[s]->a, std::span(buf));
      if (!n || *n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) wrong += buf[i] != pattern(s, got + i) ? 1 : 0;
      got += *n;
    }
    co_return wrong == 0 ? got : 0;
  };
  std::vector<JoinHandle<std::size_t>> sent;
  std::vector<JoinHandle<std::size_t>> received;
  for (std::size_t s = 0; s < kStreams; ++s) {
    received.push_back(rt.ex.spawn(reader(s)));
    sent.push_back(rt.ex.spawn(writer(s)));
  }
  for (std::size_t s = 0; s < kStreams; ++s) {
    EXPECT_EQ(sent[s].join(), kBytes) << "stream " << s;
    EXPECT_EQ(received[s].join(), kBytes) << "stream " << s;
  }
}

// A listening socket on 127.0.0.1: a task accepts three connections and
// greets each with an awaited write; clients on another thread read it.
TEST_P(FdAwaitTest, AcceptsConnectionsOnLoopback) {
  Runtime rt(*loop);
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);  // NOLINT(*-reinterpret-cast): the socket API
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, sa, sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  ASSERT_EQ(::getsockname(listener, sa, &len), 0);
  constexpr int kClients = 3;
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto server = [&]() -> Task<int> {
    int greeted = 0;
    for (int i = 0; i < kClients; ++i) {
      Result<int> fd = co_await accept(rt.driver, listener);
      if (!fd) co_return -1;
      const std::string hello = "hello " + std::to_string(i);
      Result<std::size_t> n = co_await write(rt.driver, *fd, bytes(std::string_view(hello)));
      ::close(*fd);
      if (n && *n == hello.size()) ++greeted;
    }
    co_return greeted;
  };
  JoinHandle<int> h = rt.ex.spawn(server());
  std::vector<std::string> heard;
  for (int i = 0; i < kClients; ++i) {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(c, 0);
    ASSERT_EQ(::connect(c, sa, sizeof addr), 0);
    std::string got;
    std::array<char, 64> buf{};
    ssize_t n = 0;
    while ((n = ::read(c, buf.data(), buf.size())) > 0)
      got.append(buf.data(), static_cast<std::size_t>(n));
    heard.push_back(got);
    ::close(c);
  }
  EXPECT_EQ(h.join(), kClients);
  EXPECT_EQ(heard, (std::vector<std::string>{"hello 0", "hello 1", "hello 2"}));
  ::close(listener);
}

TEST_P(FdAwaitTest, ReadinessDeadlineExpires) {
  Runtime rt(*loop);
  Pipe p;
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto waiter = [&]() -> Task<Result<Events>> {
    co_return co_await readable(rt.driver, p.r, Clock::now() + 20ms);
  };
  Result<Events> ev = rt.ex.block_on(waiter());
  ASSERT_TRUE(ev.ok()) << ev.error().describe();
  EXPECT_TRUE(ev->timed_out());
  EXPECT_FALSE(ev->readable());
  p.put("z");
  EXPECT_EQ(p.take(), "z");
}

// Readiness first: the deadline (an hour away) is disarmed, and a deadline
// already passed before the loop sees the request withdraws it at once.
TEST_P(FdAwaitTest, ReadinessBeforeTheDeadlineWins) {
  Runtime rt(*loop);
  Pipe p;
  p.put("r");
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto waiter = [&](Clock::time_point deadline) -> Task<Result<Events>> {
    co_return co_await readable(rt.driver, p.r, deadline);
  };
  Result<Events> ev = rt.ex.block_on(waiter(Clock::now() + 1h));
  ASSERT_TRUE(ev.ok());
  EXPECT_TRUE(ev->readable());
  Pipe empty;
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto writer_waits = [&]() -> Task<Result<Events>> {
    co_return co_await writable(rt.driver, empty.w, Clock::now() - 1s);
  };
  Result<Events> w = rt.ex.block_on(writer_waits());
  ASSERT_TRUE(w.ok());
  // The pipe is writable: either outcome may win a deadline that has passed.
  EXPECT_TRUE(w->writable() || w->timed_out());
}

TEST_P(FdAwaitTest, ErrorsOfTheFdAndRefusalsAreResults) {
  Runtime rt(*loop);
  int closed = -1;
  {
    Pipe p;
    closed = p.r;
  }
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto reads = [&](int fd) -> Task<Result<std::size_t>> {
    std::array<std::byte, 8> buf{};
    co_return co_await read(rt.driver, fd, std::span(buf));
  };
  Result<std::size_t> bad = rt.ex.block_on(reads(closed));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().describe(),
            "event loop: read: fd " + std::to_string(closed) + ": Bad file descriptor");
  Result<std::size_t> refused = rt.ex.block_on(reads(-1));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().describe().find("read: fd -1"), std::string::npos);
}

// A task waiting in a read is cancelled: the await throws Cancelled, and
// the withdrawn read consumed nothing (the byte written after is there).
TEST_P(FdAwaitTest, CancellationWithdrawsAWaitingRead) {
  Runtime rt(*loop);
  Pipe p(O_NONBLOCK);
  std::atomic<bool> asking{false};
  JoinHandle<std::size_t> h = rt.ex.spawn(read_some(rt.driver, p.r, asking));
  ASSERT_TRUE(eventually([&] { return asking.load(); }));
  h.cancel();
  EXPECT_THROW(h.join(), concurrency::Cancelled);
  p.put("k");
  EXPECT_EQ(p.take(), "k");
}

// Cancellation racing completion, many rounds: a task reads one byte of a
// pipe; the test writes the byte and cancels the task at about the same
// time, in both orders. The interleavings:
//  (a) cancelled before its await: it throws without asking the loop;
//  (b) woken by the cancel after posting, before the driver ran the start
//      Post: it sets kCancelEarly, and the start completes the request
//      with ECANCELED without asking the loop;
//  (c) after the start: the cancel goes through the same Post and the
//      loop withdraws the read: ECANCELED, or the byte if the read had it
//      (io_uring reads a ready pipe at submission; the kernel may finish
//      before the cancel);
//  (d) the read completes before the cancel Post runs: the release waits
//      for that Post (kCancelPost), which finds the request done, and the
//      task gets the byte — its next await would throw;
//  (e) the owner releases the task (kWaking) while it runs after its
//      cancellation's wake-up: it waits for kDone before going on.
// In every round the byte is either returned by the read or still in the
// pipe, never both and never lost, and the loop has no request left.
TEST_P(FdAwaitTest, CancellationRacingCompletionLosesNoByte) {
  Runtime rt(*loop);
  constexpr int kRounds = 300;
  int returned = 0;
  int cancelled = 0;
  for (int round = 0; round < kRounds; ++round) {
    Pipe p(O_NONBLOCK);
    std::atomic<bool> asking{false};
    JoinHandle<std::size_t> h = rt.ex.spawn(read_some(rt.driver, p.r, asking));
    if (round % 3 != 0) {
      while (!asking.load()) std::this_thread::yield();
    }
    std::thread writer([&] { p.put("b"); });
    if (round % 2 == 0) std::this_thread::yield();
    h.cancel();
    writer.join();
    std::size_t got = 0;
    try {
      got = h.join();
      ++returned;
    } catch (const concurrency::Cancelled&) {
      ++cancelled;
    }
    const std::string left = p.take();
    ASSERT_EQ(got + left.size(), 1U) << "round " << round;
  }
  EXPECT_EQ(returned + cancelled, kRounds);
  std::printf("[ info     ] %d rounds returned the byte, %d were cancelled\n", returned, cancelled);
}

// Two signals sent before anyone waits are both received, one per next():
// the set reads one signalfd_siginfo at a time on the driver thread.
TEST_P(FdAwaitTest, SignalSetReceivesEverySignal) {
  BlockedSignal usr1(SIGUSR1);  // before the runtime's threads: they inherit the mask
  BlockedSignal usr2(SIGUSR2);
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  Result<SignalSet> set = SignalSet::create(both);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  Runtime rt(*loop);
  // The driver thread reads the signalfd: send the signals to it.
  struct Where {
    pthread_t thread{};
    std::atomic<bool> known{false};
  } where;
  Post ask{[](void* ctx) noexcept {
             auto* w = static_cast<Where*>(ctx);
             w->thread = pthread_self();
             w->known.store(true, std::memory_order_release);
           },
           &where, nullptr};
  rt.driver.post(ask);
  ASSERT_TRUE(eventually([&] { return where.known.load(std::memory_order_acquire); }));
  ASSERT_EQ(pthread_kill(where.thread, SIGUSR2), 0);
  ASSERT_EQ(pthread_kill(where.thread, SIGUSR1), 0);
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto receiver = [&]() -> Task<std::vector<int>> {
    std::vector<int> got;
    for (int i = 0; i < 2; ++i) {
      Result<int> signo = co_await set->next(rt.driver);
      got.push_back(signo ? *signo : -1);
    }
    co_return got;
  };
  std::vector<int> got = rt.ex.block_on(receiver());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int>{SIGUSR1, SIGUSR2}));
}

RUNA_IO_INSTANTIATE(FdAwaitTest);

}  // namespace
}  // namespace runa::io::testing
