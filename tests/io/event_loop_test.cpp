// The event loop on one thread, for both back ends: readiness on pipes and
// regular files, read/write completions (pipes, a regular file with
// offsets and with the file position, partial reads, end of file, a write
// larger than the pipe), hangup and error reports, accept, timeouts, wake(),
// bad fds. Cancellation, signals, destruction and many requests at once are
// in event_loop_lifecycle_test.cpp.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "loop_fixture.hpp"

namespace runa::io::testing {
namespace {

class EventLoopTest : public LoopTest {};

TEST_P(EventLoopTest, ReadableFiresOnceDataArrives) {
  Pipe p;
  ReadyLog log;
  ASSERT_TRUE(loop->wait_readable(p.r, on_ready, &log).ok());
  settle();
  EXPECT_EQ(log.calls, 0);
  EXPECT_EQ(loop->pending(), 1U);
  p.put("x");
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_TRUE(log.last.ok());
  EXPECT_TRUE(log.last.readable());
  EXPECT_FALSE(log.last.writable());  // never more than was asked for
  settle();
  EXPECT_EQ(log.calls, 1);
  EXPECT_EQ(loop->pending(), 0U);
}

TEST_P(EventLoopTest, WritableFiresForAnEmptyPipe) {
  Pipe p;
  ReadyLog log;
  ASSERT_TRUE(loop->wait_writable(p.w, on_ready, &log).ok());
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_TRUE(log.last.writable());
  EXPECT_FALSE(log.last.readable());
}

TEST_P(EventLoopTest, ReadinessOnARegularFileIsImmediate) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ReadyLog r;
  ReadyLog w;
  ASSERT_TRUE(loop->wait_readable(fileno(f), on_ready, &r).ok());
  ASSERT_TRUE(loop->wait_writable(fileno(f), on_ready, &w).ok());
  ASSERT_TRUE(run_until([&] { return r.calls > 0 && w.calls > 0; }));
  EXPECT_TRUE(r.last.readable());
  EXPECT_TRUE(w.last.writable());
  std::fclose(f);
}

TEST_P(EventLoopTest, ReadCompletesWhenThePipeGetsData) {
  Pipe p;
  std::string buf(16, '\0');
  DoneLog log;
  ASSERT_TRUE(loop->read(p.r, bytes(buf), -1, on_done, &log).ok());
  settle();
  EXPECT_EQ(log.calls, 0);
  p.put("hello");
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_EQ(log.result, 5);  // a partial read: 5 of the 16 bytes asked for
  EXPECT_EQ(buf.substr(0, 5), "hello");
  settle();
  EXPECT_EQ(log.calls, 1);
}

TEST_P(EventLoopTest, WriteCompletesOnAPipe) {
  Pipe p;
  DoneLog log;
  ASSERT_TRUE(loop->write(p.w, bytes("abc"), -1, on_done, &log).ok());
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_EQ(log.result, 3);
  EXPECT_EQ(p.take(), "abc");
}

TEST_P(EventLoopTest, ReadsOnAPipeCompleteInTurn) {
  Pipe p;
  std::string a(2, '\0');
  std::string b(2, '\0');
  DoneLog la;
  DoneLog lb;
  ASSERT_TRUE(loop->read(p.r, bytes(a), -1, on_done, &la).ok());
  ASSERT_TRUE(loop->read(p.r, bytes(b), -1, on_done, &lb).ok());
  p.put("wxyz");
  ASSERT_TRUE(run_until([&] { return la.calls > 0 && lb.calls > 0; }));
  EXPECT_EQ(la.result, 2);
  EXPECT_EQ(lb.result, 2);
  EXPECT_EQ(a + b == "wxyz" || b + a == "wxyz", true) << a << " " << b;
}

TEST_P(EventLoopTest, RegularFileWithOffsetsAndTheFilePosition) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  const int fd = fileno(f);
  DoneLog w1;
  ASSERT_TRUE(loop->write(fd, bytes("0123456789"), 0, on_done, &w1).ok());
  ASSERT_TRUE(run_until([&] { return w1.calls > 0; }));
  ASSERT_EQ(w1.result, 10);
  DoneLog w2;
  ASSERT_TRUE(loop->write(fd, bytes("AB"), 4, on_done, &w2).ok());
  ASSERT_TRUE(run_until([&] { return w2.calls > 0; }));
  ASSERT_EQ(w2.result, 2);

  std::string at3(4, '\0');
  DoneLog r1;
  ASSERT_TRUE(loop->read(fd, bytes(at3), 3, on_done, &r1).ok());
  ASSERT_TRUE(run_until([&] { return r1.calls > 0; }));
  EXPECT_EQ(r1.result, 4);
  EXPECT_EQ(at3, "3AB6");

  // Writes and reads at an offset leave the file position at 0; -1 reads
  // from it and moves it.
  std::string first(3, '\0');
  std::string second(3, '\0');
  DoneLog r2;
  DoneLog r3;
  ASSERT_TRUE(loop->read(fd, bytes(first), -1, on_done, &r2).ok());
  ASSERT_TRUE(run_until([&] { return r2.calls > 0; }));
  ASSERT_TRUE(loop->read(fd, bytes(second), -1, on_done, &r3).ok());
  ASSERT_TRUE(run_until([&] { return r3.calls > 0; }));
  EXPECT_EQ(first, "012");
  EXPECT_EQ(second, "3AB");

  std::string tail(8, '\0');
  DoneLog r4;
  ASSERT_TRUE(loop->read(fd, bytes(tail), 7, on_done, &r4).ok());
  ASSERT_TRUE(run_until([&] { return r4.calls > 0; }));
  EXPECT_EQ(r4.result, 3);  // partial: the file ends
  DoneLog r5;
  ASSERT_TRUE(loop->read(fd, bytes(tail), 10, on_done, &r5).ok());
  ASSERT_TRUE(run_until([&] { return r5.calls > 0; }));
  EXPECT_EQ(r5.result, 0);  // at the end
  std::fclose(f);
}

TEST_P(EventLoopTest, ReadGetsEndOfFileWhenTheWriterCloses) {
  Pipe p;
  std::string buf(8, '\0');
  DoneLog log;
  ASSERT_TRUE(loop->read(p.r, bytes(buf), -1, on_done, &log).ok());
  settle();
  p.close_write();
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_EQ(log.result, 0);
}

TEST_P(EventLoopTest, HangupWhenTheWriteEndCloses) {
  Pipe p;
  ReadyLog log;
  ASSERT_TRUE(loop->wait_readable(p.r, on_ready, &log).ok());
  settle();
  EXPECT_EQ(log.calls, 0);
  p.close_write();
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_TRUE(log.last.ok());
  EXPECT_TRUE(log.last.hangup());
}

TEST_P(EventLoopTest, ErrorWhenTheReadEndCloses) {
  Pipe p;
  p.close_read();
  ReadyLog log;
  ASSERT_TRUE(loop->wait_writable(p.w, on_ready, &log).ok());
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_TRUE(log.last.failed());
}

TEST_P(EventLoopTest, NonBlockingFdsWaitLikeBlockingOnes) {
  Pipe p(O_NONBLOCK);
  std::string buf(4, '\0');
  DoneLog log;
  ASSERT_TRUE(loop->read(p.r, bytes(buf), -1, on_done, &log).ok());
  settle();
  EXPECT_EQ(log.calls, 0);  // no EAGAIN reaches the caller
  p.put("nb");
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_EQ(log.result, 2);
}

TEST_P(EventLoopTest, AWriteLargerThanThePipeDoesNotBlockTheLoop) {
  Pipe p;
  ASSERT_EQ(::fcntl(p.r, F_SETFL, O_NONBLOCK), 0);  // the test's own reads; the write end blocks
  const std::string big(1 << 20, 'b');
  DoneLog log;
  ASSERT_TRUE(loop->write(p.w, bytes(big), -1, on_done, &log).ok());
  std::size_t drained = 0;
  ASSERT_TRUE(run_until([&] {
    drained += p.take(1 << 16).size();
    return log.calls > 0;
  }));
  EXPECT_GT(log.result, 0);
  EXPECT_LE(log.result, static_cast<std::int64_t>(big.size()));
  EXPECT_EQ(log.calls, 1);
}

TEST_P(EventLoopTest, AcceptCompletesWithTheNewConnection) {
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // An abstract name (leading NUL): no file to clean up.
  const std::string name =
      "runa-io-accept-" + std::to_string(::getpid()) + "-" + std::string(backend_name(GetParam()));
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(listener, 4), 0);
  DoneLog log;
  ASSERT_TRUE(loop->accept(listener, on_done, &log).ok());
  settle();
  EXPECT_EQ(log.calls, 0);
  const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  ASSERT_GE(log.result, 0) << std::strerror(static_cast<int>(-log.result));
  const int server = static_cast<int>(log.result);
  ASSERT_EQ(::write(client, "ok", 2), 2);
  std::string buf(2, '\0');
  DoneLog r;
  ASSERT_TRUE(loop->read(server, bytes(buf), -1, on_done, &r).ok());
  ASSERT_TRUE(run_until([&] { return r.calls > 0; }));
  EXPECT_EQ(buf, "ok");
  ::close(server);
  ::close(client);
  ::close(listener);
}

TEST_P(EventLoopTest, TimeoutReturnsWithNothingFired) {
  Pipe p;
  ReadyLog log;
  ASSERT_TRUE(loop->wait_readable(p.r, on_ready, &log).ok());
  loop->wait(20ms);  // returns: that is the assertion
  loop->wait(0ns);
  EXPECT_EQ(log.calls, 0);
  EXPECT_EQ(loop->pending(), 1U);
  loop.reset();  // before `log` goes: the pending wait ends with ECANCELED
  EXPECT_EQ(log.calls, 1);
  EXPECT_TRUE(log.last.cancelled());
}

TEST_P(EventLoopTest, WakeBeforeWaitIsNotLost) {
  loop->wake();
  loop->wake();              // collapses with the first
  loop->wait(std::nullopt);  // returns at once: the eventfd kept the wake-up
  loop->wait(1ms);           // and nothing is left over to block on
  SUCCEED();
}

TEST_P(EventLoopTest, WakeFromAnotherThreadEndsAWaitWithoutTimeout) {
  for (int round = 0; round < 20; ++round) {
    std::thread t([&] {
      std::this_thread::sleep_for(1ms);
      loop->wake();
    });
    loop->wait(std::nullopt);  // before or after the wake(): it returns
    t.join();
  }
  SUCCEED();
}

TEST_P(EventLoopTest, NegativeFdIsAClearError) {
  ReadyLog ready;
  DoneLog done;
  std::string buf(4, '\0');
  auto a = loop->wait_readable(-1, on_ready, &ready);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().describe().find("wait_readable: fd -1: Bad file descriptor"),
            std::string::npos)
      << a.error().describe();
  auto b = loop->read(-1, bytes(buf), -1, on_done, &done);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().describe().find("read: fd -1: Bad file descriptor"), std::string::npos);
  auto c = loop->read(0, bytes(buf), -2, on_done, &done);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().describe().find("Invalid argument"), std::string::npos);
  auto d = loop->wait_writable(1, nullptr, nullptr);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(loop->pending(), 0U);
  settle();
  EXPECT_EQ(ready.calls + done.calls, 0);
}

TEST_P(EventLoopTest, ClosedFdReachesTheCallbackAsEbadf) {
  // Far above any open fd: the kernel has no file for it.
  constexpr int kClosed = 900'000;
  ReadyLog ready;
  DoneLog done;
  std::string buf(4, '\0');
  ASSERT_TRUE(loop->wait_readable(kClosed, on_ready, &ready).ok());
  ASSERT_TRUE(loop->read(kClosed, bytes(buf), -1, on_done, &done).ok());
  ASSERT_TRUE(run_until([&] { return ready.calls > 0 && done.calls > 0; }));
  EXPECT_EQ(ready.last.error, EBADF);
  EXPECT_EQ(ready.last.mask, 0U);
  EXPECT_EQ(done.result, -EBADF);
  settle();
  EXPECT_EQ(ready.calls, 1);
  EXPECT_EQ(done.calls, 1);
}

TEST_P(EventLoopTest, AutoPicksAWorkingBackEnd) {
  auto made = EventLoop::create();
  ASSERT_TRUE(made.ok()) << made.error().describe();
  const Backend b = (*made)->backend();
  EXPECT_TRUE(b == Backend::kUring || b == Backend::kEpoll);
  if (!EventLoop::uring_unavailable()) {
    EXPECT_EQ(b, Backend::kUring);
  }
}

RUNA_IO_INSTANTIATE(EventLoopTest);

}  // namespace
}  // namespace runa::io::testing
