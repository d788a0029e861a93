// Awaits of file descriptors (io/fd_await.hpp) in executor tasks, for both
// back ends: readiness that another thread brings about, deadlines (of
// readiness, read, write, accept and signals, and one racing the write
// that satisfies a read), large transfers across many tasks on pipes and
// socketpairs, accept on 127.0.0.1, signals, refusals and fd errors,
// cancellation — alone and racing the completion, many rounds (the
// interleavings are listed at those tests) — and the fast path on
// non-blocking fds, shown by holding the loop's thread. The fixture's
// TearDown checks that no loop request is left.
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
#include <stdexcept>
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
Task<std::size_t> read_some(LoopDriver& driver, int fd, std::atomic<bool>& asking,
                            FdOptions options = {}) {
  std::array<std::byte, 8> buf{};
  asking.store(true);
  Result<std::size_t> n = co_await read(driver, fd, std::span(buf), options);
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

// A listening socket on 127.0.0.1 (blocking, or non-blocking for the fast
// path) and the clients that connect to it.
struct Listener {
  int fd = -1;
  sockaddr_in addr{};

  explicit Listener(int flags = 0) : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0)) {
    if (fd < 0) throw std::runtime_error("cannot make a socket");
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, address(), sizeof addr) != 0 || ::listen(fd, 8) != 0 ||
        ::getsockname(fd, address(), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
  }
  ~Listener() { ::close(fd); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  Listener(Listener&&) = delete;
  Listener& operator=(Listener&&) = delete;

  sockaddr* address() { return reinterpret_cast<sockaddr*>(&addr); }  // NOLINT(*-reinterpret-cast)

  // A connected client's fd (the connection waits in the backlog until accepted).
  int connect() {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0 || ::connect(c, address(), sizeof addr) != 0)
      throw std::runtime_error("cannot connect");
    return c;
  }
};

// A listening socket on 127.0.0.1: a task accepts three connections and
// greets each with an awaited write; clients on another thread read it.
TEST_P(FdAwaitTest, AcceptsConnectionsOnLoopback) {
  Runtime rt(*loop);
  Listener listener;
  constexpr int kClients = 3;
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto server = [&]() -> Task<int> {
    int greeted = 0;
    for (int i = 0; i < kClients; ++i) {
      Result<int> fd = co_await accept(rt.driver, listener.fd);
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
    const int c = listener.connect();
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
//      cancellation's wake-up: it waits for kDone before going on;
//  (f) rounds 4k+2 and 4k+3 take the fast path: cancelled before the
//      try, the await throws without trying; a try that finds the byte
//      returns it from the worker (the next await would throw); one that
//      finds EAGAIN asks the loop, and (b)–(e) follow.
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
    JoinHandle<std::size_t> h =
        rt.ex.spawn(read_some(rt.driver, p.r, asking, FdOptions{}.nonblocking_fd(round % 4 >= 2)));
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

// ---- Deadlines on read, write, accept and signals ---------------------------

constexpr int kRaceRounds = 300;

// Reads one byte of fd with `options`: the byte, or the await's error.
// NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
Task<Result<std::size_t>> read_one(LoopDriver& driver, int fd, FdOptions options) {
  std::array<std::byte, 1> buf{};
  co_return co_await read(driver, fd, std::span(buf), options);
}

// A read whose deadline passes returns the deadline's error and consumes
// nothing, by the loop and by the fast path that found nothing (EAGAIN,
// then the loop); a write to a full pipe and a signal set's next() time
// out the same way.
TEST_P(FdAwaitTest, ReadWriteAndSignalDeadlinesPass) {
  BlockedSignal usr1(SIGUSR1);  // before the runtime's threads: they inherit the mask
  Result<SignalSet> set = SignalSet::create(usr1.set());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  Runtime rt(*loop);
  Pipe p(O_NONBLOCK);
  for (const bool fast : {false, true}) {
    Result<std::size_t> n = rt.ex.block_on(
        read_one(rt.driver, p.r, FdOptions{}.until(Clock::now() + 20ms).nonblocking_fd(fast)));
    ASSERT_FALSE(n.ok()) << "fast " << fast;
    EXPECT_TRUE(deadline_passed(n.error())) << n.error().describe();
    EXPECT_EQ(n.error().describe(), "event loop: read: fd " + std::to_string(p.r) +
                                        ": deadline passed: Connection timed out");
    p.put("z");
    EXPECT_EQ(p.take(), "z");
  }
  // Fill the pipe; then a write must wait for room that never comes.
  const std::string block(4096, 'f');
  while (::write(p.w, block.data(), block.size()) > 0) {
  }
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto writer = [&]() -> Task<Result<std::size_t>> {
    co_return co_await write(rt.driver, p.w, bytes(std::string_view("w")),
                             FdOptions{}.until(Clock::now() + 20ms).nonblocking_fd());
  };
  Result<std::size_t> w = rt.ex.block_on(writer());
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(deadline_passed(w.error())) << w.error().describe();
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto receiver = [&]() -> Task<Result<int>> {
    co_return co_await set->next(rt.driver, Clock::now() + 20ms);
  };
  Result<int> signo = rt.ex.block_on(receiver());
  ASSERT_FALSE(signo.ok());
  EXPECT_TRUE(deadline_passed(signo.error())) << signo.error().describe();
  // A failure of the fd itself is not a deadline's.
  Result<std::size_t> bad =
      rt.ex.block_on(read_one(rt.driver, -1, FdOptions{}.until(Clock::now() + 1h)));
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(deadline_passed(bad.error()));
}

// A deadline racing the write that would satisfy the read, many rounds: a
// task reads one byte of an empty pipe with a deadline about 1 ms away
// while another thread writes the byte at about that time (0 to 2 ms
// later, in steps). The interleavings:
//  (a) the byte is in the pipe before the start Post runs: io_uring reads
//      it at submission, epoll's emulation at its next wait; the deadline's
//      withdrawal then finds the request completed and does nothing;
//  (b) the deadline fires before the start Post ran (no token yet): the
//      start completes the request as timed out without asking the loop;
//  (c) the deadline fires while the read waits: the loop's cancel
//      withdraws it (ECANCELED, reported as the deadline) and the byte,
//      written later, stays in the pipe;
//  (d) io_uring: the kernel completes the read as the cancel is submitted:
//      the callback gets the byte, not ECANCELED, and the await returns it
//      — the case that would lose a byte if a timeout were reported;
//  (e) epoll: the readiness and the timer fall between the same two waits:
//      whichever the driver thread runs first decides, and the other finds
//      it decided (completed_, or a request the loop no longer has);
//  (f) odd rounds take the fast path: the byte is there at the try and is
//      read on the worker (no deadline armed), or EAGAIN sends the request
//      to the loop, and (a)–(e) follow.
// In every round the byte is either returned or still in the pipe, never
// both, never lost; the loop has no request left (the fixture's TearDown).
TEST_P(FdAwaitTest, DeadlineRacingAWriteLosesNoByte) {
  Runtime rt(*loop);
  int returned = 0;
  int timed_out = 0;
  for (int round = 0; round < kRaceRounds; ++round) {
    Pipe p(O_NONBLOCK);
    const FdOptions options = FdOptions{}.until(Clock::now() + 1ms).nonblocking_fd(round % 2 == 1);
    JoinHandle<Result<std::size_t>> h = rt.ex.spawn(read_one(rt.driver, p.r, options));
    std::thread writer([&] {
      std::this_thread::sleep_for(std::chrono::microseconds((round % 9) * 250));
      p.put("b");
    });
    writer.join();
    Result<std::size_t> n = h.join();
    const std::string left = p.take();
    if (n.ok()) {
      ASSERT_EQ(*n, 1U) << "round " << round;
      ASSERT_EQ(left, "") << "round " << round;
      ++returned;
    } else {
      ASSERT_TRUE(deadline_passed(n.error())) << "round " << round << ": " << n.error().describe();
      ASSERT_EQ(left, "b") << "round " << round;
      ++timed_out;
    }
  }
  EXPECT_EQ(returned + timed_out, kRaceRounds);
  std::printf("[ info     ] %d rounds returned the byte, %d timed out\n", returned, timed_out);
}

// Accept with a deadline: with no client it times out, with one waiting in
// the backlog it returns the connection (by the loop from a blocking
// listener, by the fast path from a non-blocking one).
TEST_P(FdAwaitTest, AcceptWithADeadline) {
  Runtime rt(*loop);
  for (const int flags : {0, static_cast<int>(SOCK_NONBLOCK)}) {
    Listener listener(flags);
    const FdOptions options = FdOptions{}.nonblocking_fd(flags != 0);
    // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise
    auto acceptor = [&](Clock::time_point deadline) -> Task<Result<int>> {
      co_return co_await accept(rt.driver, listener.fd, options.until(deadline));
    };
    Result<int> none = rt.ex.block_on(acceptor(Clock::now() + 20ms));
    ASSERT_FALSE(none.ok()) << "flags " << flags;
    EXPECT_TRUE(deadline_passed(none.error())) << none.error().describe();
    const int client = listener.connect();
    Result<int> one = rt.ex.block_on(acceptor(Clock::now() + 1h));
    ASSERT_TRUE(one.ok()) << one.error().describe();
    EXPECT_EQ(::write(client, "a", 1), 1);
    std::array<char, 2> got{};
    EXPECT_EQ(::read(*one, got.data(), got.size()), 1);  // blocking mode: waits for the byte
    EXPECT_EQ(got[0], 'a');
    ::close(*one);
    ::close(client);
  }
}

// ---- The fast path ----------------------------------------------------------

// Holds the driver thread (the loop's owner) in a Post until released: an
// await that asks the loop cannot finish meanwhile, one that takes the
// fast path can.
class DriverHold {
 public:
  explicit DriverHold(LoopDriver& driver) {
    driver.post(post_);
    if (!eventually([&] { return held_.load(); })) throw std::runtime_error("driver not held");
  }
  ~DriverHold() { release(); }
  DriverHold(const DriverHold&) = delete;
  DriverHold& operator=(const DriverHold&) = delete;
  DriverHold(DriverHold&&) = delete;
  DriverHold& operator=(DriverHold&&) = delete;

  void release() { release_.store(true); }

 private:
  static void hold(void* ctx) noexcept {
    auto* self = static_cast<DriverHold*>(ctx);
    self->held_.store(true);
    (void)eventually([&] { return self->release_.load(); });
  }

  std::atomic<bool> held_{false};
  std::atomic<bool> release_{false};
  Post post_{&hold, this, nullptr};
};

// A read and a write of a ready non-blocking pipe, and an accept of a
// waiting connection, complete while the loop's thread is held: the fast
// path did them on the worker without the loop. The same read without
// the flag waits for the loop.
TEST_P(FdAwaitTest, FastPathCompletesWithoutTheLoop) {
  Runtime rt(*loop);
  Pipe p(O_NONBLOCK);
  Listener listener(SOCK_NONBLOCK);
  const int client = listener.connect();
  p.put("xy");
  DriverHold hold(rt.driver);
  std::atomic<bool> done{false};
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto fast = [&]() -> Task<std::string> {
    const FdOptions nb = FdOptions{}.nonblocking_fd();
    std::array<std::byte, 1> buf{};
    Result<std::size_t> n = co_await read(rt.driver, p.r, std::span(buf), nb);
    Result<std::size_t> w = co_await write(rt.driver, p.w, bytes(std::string_view("z")), nb);
    Result<int> fd = co_await accept(rt.driver, listener.fd, nb);
    done.store(true);
    if (fd) ::close(*fd);
    co_return std::to_string(n ? *n : 0) + std::to_string(w ? *w : 0) + (fd ? "a" : "-");
  };
  JoinHandle<std::string> h = rt.ex.spawn(fast());
  EXPECT_TRUE(eventually([&] { return done.load(); }));
  EXPECT_FALSE(rt.driver.posts_waiting());  // nothing asked the loop
  std::atomic<bool> slow_done{false};
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto slow = [&]() -> Task<Result<std::size_t>> {
    Result<std::size_t> n = co_await read_one(rt.driver, p.r, FdOptions{});
    slow_done.store(true);
    co_return n;
  };
  JoinHandle<Result<std::size_t>> s = rt.ex.spawn(slow());
  ASSERT_TRUE(eventually([&] { return rt.driver.posts_waiting(); }));
  EXPECT_FALSE(slow_done.load());  // it asked the loop, which is held
  hold.release();
  EXPECT_EQ(h.join(), "11a");
  Result<std::size_t> n = s.join();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1U);
  EXPECT_EQ(p.take(), "z");
  ::close(client);
}

// A non-blocking fd with nothing to read: the fast path's EAGAIN sends the
// read to the loop (its Post waits in the held driver's inbox), so it waits
// for the loop even after the byte arrives, and then returns it.
TEST_P(FdAwaitTest, FastPathFallsBackToTheLoopOnEagain) {
  Runtime rt(*loop);
  Pipe p(O_NONBLOCK);
  DriverHold hold(rt.driver);
  std::atomic<bool> done{false};
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto reader = [&]() -> Task<Result<std::size_t>> {
    Result<std::size_t> n = co_await read_one(rt.driver, p.r, FdOptions{}.nonblocking_fd());
    done.store(true);
    co_return n;
  };
  JoinHandle<Result<std::size_t>> h = rt.ex.spawn(reader());
  // The try found the pipe empty and posted the read to the held loop.
  ASSERT_TRUE(eventually([&] { return rt.driver.posts_waiting(); }));
  p.put("e");
  std::this_thread::sleep_for(20ms);  // a wrong retry on the worker would have the byte by now
  EXPECT_FALSE(done.load());
  hold.release();
  Result<std::size_t> n = h.join();
  ASSERT_TRUE(n.ok()) << n.error().describe();
  EXPECT_EQ(*n, 1U);
  EXPECT_EQ(p.take(), "");
}

// A task that reads an always-ready fd in a loop does not hold its worker:
// the 32nd fast completion in a row on a worker goes to the loop (and
// suspends). With the loop held, the task stops after 31 reads.
TEST_P(FdAwaitTest, FastPathYieldsToTheLoopEvery32Completions) {
  Runtime rt(*loop);
  Pipe p(O_NONBLOCK);
  p.put(std::string(100, 'r'));
  DriverHold hold(rt.driver);
  std::atomic<int> reads{0};
  // NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
  auto reader = [&]() -> Task<int> {
    for (int i = 0; i < 100; ++i) {
      Result<std::size_t> n = co_await read_one(rt.driver, p.r, FdOptions{}.nonblocking_fd());
      if (!n || *n != 1) co_return -1;
      reads.fetch_add(1);
    }
    co_return reads.load();
  };
  JoinHandle<int> h = rt.ex.spawn(reader());
  ASSERT_TRUE(eventually([&] { return rt.driver.posts_waiting(); }));
  EXPECT_EQ(reads.load(), 31);  // the 32nd waits for the held loop
  hold.release();
  EXPECT_EQ(h.join(), 100);
}

RUNA_IO_INSTANTIATE(FdAwaitTest);

}  // namespace
}  // namespace runa::io::testing
