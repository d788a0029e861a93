// The event loop's lifecycle guarantees, for both back ends: every request
// gets exactly one final callback — on its event, on cancel() (ECANCELED),
// or when the loop is destroyed — also when callbacks register and cancel
// requests themselves and when a thousand are pending at once; signals
// through signalfd; wake() hammered from four threads while the owner waits
// (the ThreadSanitizer build checks the wake-up protocol).
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <thread>

#include "loop_fixture.hpp"

namespace runa::io::testing {
namespace {

class EventLoopLifecycleTest : public LoopTest {};

TEST_P(EventLoopLifecycleTest, CancelAPendingReadCallsBackOnceWithEcanceled) {
  Pipe p;
  std::string buf(8, '\0');
  DoneLog log;
  auto token = loop->read(p.r, bytes(buf), -1, on_done, &log);
  ASSERT_TRUE(token.ok());
  settle();  // the read is with the kernel now
  EXPECT_EQ(log.calls, 0);
  EXPECT_TRUE(loop->cancel(*token));
  EXPECT_FALSE(loop->cancel(*token));  // already cancelled
  EXPECT_EQ(log.calls, 0);             // never from inside cancel()
  ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
  EXPECT_EQ(log.result, -ECANCELED);
  p.put("late");
  settle();
  EXPECT_EQ(log.calls, 1);
  EXPECT_EQ(p.take(), "late");         // the cancelled read consumed nothing
  EXPECT_FALSE(loop->cancel(*token));  // finished
  EXPECT_EQ(loop->pending(), 0U);
}

TEST_P(EventLoopLifecycleTest, CancelBeforeTheFirstWait) {
  Pipe p;
  ReadyLog ready;
  DoneLog done;
  std::string buf(8, '\0');
  auto a = loop->wait_readable(p.r, on_ready, &ready);
  auto b = loop->read(p.r, bytes(buf), -1, on_done, &done);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(loop->cancel(*a));
  EXPECT_TRUE(loop->cancel(*b));
  ASSERT_TRUE(run_until([&] { return ready.calls > 0 && done.calls > 0; }));
  EXPECT_TRUE(ready.last.cancelled());
  EXPECT_EQ(ready.last.mask, 0U);
  EXPECT_EQ(done.result, -ECANCELED);
  settle();
  EXPECT_EQ(ready.calls + done.calls, 2);
}

TEST_P(EventLoopLifecycleTest, CancelOfAnUnknownTokenIsFalse) {
  EXPECT_FALSE(loop->cancel(Token{}));
  EXPECT_FALSE(loop->cancel(Token{0x0000'0001'0000'0000ULL}));
}

// A chain: readiness on `a` reads from it, then waits on `b`; and it cancels
// a wait on `c` that never fires. Every callback runs exactly once.
struct Chain {
  EventLoop* loop = nullptr;
  Pipe a;
  Pipe b;
  Pipe c;
  std::string buf = std::string(4, '\0');
  Token c_token;
  int a_ready = 0;
  int a_read = 0;
  std::int64_t a_result = 0;
  int b_ready = 0;
  int c_ready = 0;
  Events c_events;
  bool self_cancel = true;
};

void chain_on_b(void* ctx, Events /*events*/) noexcept {
  ++static_cast<Chain*>(ctx)->b_ready;
}

void chain_on_c(void* ctx, Events events) noexcept {
  auto* ch = static_cast<Chain*>(ctx);
  ++ch->c_ready;
  ch->c_events = events;
}

void chain_on_read(void* ctx, std::int64_t result) noexcept {
  auto* ch = static_cast<Chain*>(ctx);
  ++ch->a_read;
  ch->a_result = result;
  ch->b.put("!");
  EXPECT_TRUE(ch->loop->wait_readable(ch->b.r, chain_on_b, ch).ok());
}

void chain_on_a(void* ctx, Events /*events*/) noexcept {
  auto* ch = static_cast<Chain*>(ctx);
  ++ch->a_ready;
  EXPECT_TRUE(ch->loop->read(ch->a.r, bytes(ch->buf), -1, chain_on_read, ch).ok());
  EXPECT_TRUE(ch->loop->cancel(ch->c_token));
}

TEST_P(EventLoopLifecycleTest, CallbacksRegisterAndCancelRequests) {
  Chain ch;
  ch.loop = loop.get();
  auto c = loop->wait_readable(ch.c.r, chain_on_c, &ch);
  ASSERT_TRUE(c.ok());
  ch.c_token = *c;
  ASSERT_TRUE(loop->wait_readable(ch.a.r, chain_on_a, &ch).ok());
  ch.a.put("abc");
  ASSERT_TRUE(run_until([&] { return ch.b_ready > 0 && ch.c_ready > 0; }));
  settle();
  EXPECT_EQ(ch.a_ready, 1);
  EXPECT_EQ(ch.a_read, 1);
  EXPECT_EQ(ch.a_result, 3);
  EXPECT_EQ(ch.b_ready, 1);
  EXPECT_EQ(ch.c_ready, 1);
  EXPECT_TRUE(ch.c_events.cancelled());
  EXPECT_EQ(loop->pending(), 0U);
}

// Two waits made ready by the same write; whichever runs first cancels the
// other, which still gets exactly one call (ready, or ECANCELED).
struct Rivals {
  EventLoop* loop = nullptr;
  std::array<Token, 2> tokens{};
  std::array<int, 2> calls{};
  std::array<bool, 2> cancelled_other{};
};

template <int I>
void rival(void* ctx, Events /*events*/) noexcept {
  auto* r = static_cast<Rivals*>(ctx);
  ++r->calls[I];
  EXPECT_FALSE(r->loop->cancel(r->tokens[I]));  // itself: finished
  r->cancelled_other[I] = r->loop->cancel(r->tokens[1 - I]);
}

TEST_P(EventLoopLifecycleTest, ACallbackCancelsARequestOfTheSameBatch) {
  Pipe p;
  Rivals r;
  r.loop = loop.get();
  auto a = loop->wait_readable(p.r, rival<0>, &r);
  auto b = loop->wait_readable(p.r, rival<1>, &r);
  ASSERT_TRUE(a.ok() && b.ok());
  r.tokens = {*a, *b};
  p.put("x");
  ASSERT_TRUE(run_until([&] { return r.calls[0] > 0 && r.calls[1] > 0; }));
  settle();
  EXPECT_EQ(r.calls[0], 1);
  EXPECT_EQ(r.calls[1], 1);
  EXPECT_FALSE(r.cancelled_other[0] && r.cancelled_other[1]);
}

TEST_P(EventLoopLifecycleTest, AThousandConcurrentOperationsEachCompleteOnce) {
  constexpr std::size_t kPipes = 100;
  constexpr std::size_t kPerPipe = 5;  // reads, and as many writes, per pipe
  constexpr std::size_t kOps = kPipes * kPerPipe;
  std::vector<std::unique_ptr<Pipe>> pipes;
  pipes.reserve(kPipes);
  std::vector<DoneLog> reads(kOps);
  std::vector<DoneLog> writes(kOps);
  std::vector<std::string> bufs(kOps, std::string(1, '\0'));
  for (std::size_t i = 0; i < kPipes; ++i) pipes.push_back(std::make_unique<Pipe>());
  for (std::size_t k = 0; k < kOps; ++k) {
    ASSERT_TRUE(loop->read(pipes[k / kPerPipe]->r, bytes(bufs[k]), -1, on_done, &reads[k]).ok());
  }
  EXPECT_EQ(loop->pending(), kOps);
  settle();
  for (std::size_t k = 0; k < kOps; ++k) {
    ASSERT_TRUE(loop->write(pipes[k / kPerPipe]->w, bytes("w"), -1, on_done, &writes[k]).ok());
  }
  auto all_done = [&] {
    for (std::size_t k = 0; k < reads.size(); ++k) {
      if (reads[k].calls == 0 || writes[k].calls == 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(run_until(all_done));
  settle();
  for (std::size_t k = 0; k < reads.size(); ++k) {
    EXPECT_EQ(reads[k].calls, 1) << k;
    EXPECT_EQ(reads[k].result, 1) << k;
    EXPECT_EQ(bufs[k], "w") << k;
    EXPECT_EQ(writes[k].calls, 1) << k;
    EXPECT_EQ(writes[k].result, 1) << k;
  }
  EXPECT_EQ(loop->pending(), 0U);
}

TEST_P(EventLoopLifecycleTest, WakeFromFourThreadsWhileTheOwnerWaits) {
  constexpr int kThreads = 4;
  constexpr int kWakes = 20'000;
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kWakes; ++i) loop->wake();
      finished.fetch_add(1, std::memory_order_acq_rel);
      loop->wake();  // after the count: the owner's last wait returns
    });
  }
  // At least one wait, with no timeout: every return needs a wake-up.
  do {
    loop->wait(std::nullopt);
  } while (finished.load(std::memory_order_acquire) < kThreads);
  for (auto& t : threads) t.join();
  // The loop still works: pending wake-ups are consumed, then timeouts.
  loop->wait(0ns);
  loop->wait(1ms);
}

struct SignalLog {
  std::vector<int> signals;
  int ends = 0;
  int end_error = 0;
};

void on_signal(void* ctx, int signo) noexcept {
  auto* log = static_cast<SignalLog*>(ctx);
  if (signo > 0) {
    log->signals.push_back(signo);
  } else {
    ++log->ends;
    log->end_error = -signo;
  }
}

TEST_P(EventLoopLifecycleTest, SignalfdDeliversSigusr1) {
  BlockedSignal blocked(SIGUSR1);
  SignalLog log;
  auto token = loop->watch_signals(blocked.set(), on_signal, &log);
  ASSERT_TRUE(token.ok()) << token.error().describe();
  settle();
  EXPECT_TRUE(log.signals.empty());
  ASSERT_EQ(pthread_kill(pthread_self(), SIGUSR1), 0);
  ASSERT_TRUE(run_until([&] { return !log.signals.empty(); }));
  EXPECT_EQ(log.signals.front(), SIGUSR1);
  ASSERT_EQ(std::raise(SIGUSR1), 0);  // the watch stays armed
  ASSERT_TRUE(run_until([&] { return log.signals.size() >= 2; }));
  EXPECT_EQ(log.signals.size(), 2U);
  EXPECT_EQ(log.ends, 0);
  EXPECT_TRUE(loop->cancel(*token));
  ASSERT_TRUE(run_until([&] { return log.ends > 0; }));
  settle();
  EXPECT_EQ(log.ends, 1);
  EXPECT_EQ(log.end_error, ECANCELED);
  EXPECT_EQ(loop->pending(), 0U);
}

// Destroying the loop from the test's point of view: every pending request
// ends with ECANCELED; a request made from such a callback is refused.
struct Refused {
  EventLoop* loop = nullptr;
  int fd = -1;
  int calls = 0;
  std::int64_t result = 0;
  bool refused = false;
};

void on_done_then_retry(void* ctx, std::int64_t result) noexcept {
  auto* r = static_cast<Refused*>(ctx);
  ++r->calls;
  r->result = result;
  r->refused = !r->loop->wait_readable(r->fd, on_ready, nullptr).ok();
}

TEST_P(EventLoopLifecycleTest, DestroyingTheLoopCancelsPendingRequests) {
  Pipe p;
  Pipe full(O_NONBLOCK);
  while (::write(full.w, "0123456789abcdef", 16) > 0) {
  }
  BlockedSignal blocked(SIGUSR2);
  ReadyLog ready;
  DoneLog read;
  DoneLog write;
  SignalLog signals;
  Refused retry;
  std::string buf(8, '\0');
  std::string more(8, '\0');
  ASSERT_TRUE(loop->wait_readable(p.r, on_ready, &ready).ok());
  ASSERT_TRUE(loop->read(p.r, bytes(buf), -1, on_done, &read).ok());
  ASSERT_TRUE(loop->write(full.w, bytes("more"), -1, on_done, &write).ok());
  ASSERT_TRUE(loop->watch_signals(blocked.set(), on_signal, &signals).ok());
  retry.loop = loop.get();
  retry.fd = p.r;
  ASSERT_TRUE(loop->read(p.r, bytes(more), -1, on_done_then_retry, &retry).ok());
  settle();
  EXPECT_EQ(loop->pending(), 5U);
  loop.reset();
  EXPECT_EQ(ready.calls, 1);
  EXPECT_TRUE(ready.last.cancelled());
  EXPECT_EQ(read.calls, 1);
  EXPECT_EQ(read.result, -ECANCELED);
  EXPECT_EQ(write.calls, 1);
  EXPECT_EQ(write.result, -ECANCELED);
  EXPECT_EQ(signals.ends, 1);
  EXPECT_EQ(signals.end_error, ECANCELED);
  EXPECT_EQ(retry.calls, 1);
  EXPECT_EQ(retry.result, -ECANCELED);
  EXPECT_TRUE(retry.refused);
}

TEST_P(EventLoopLifecycleTest, RecordsAreReusedAcrossManyRequests) {
  Pipe p;
  for (int i = 0; i < 2000; ++i) {
    ReadyLog log;
    ASSERT_TRUE(loop->wait_writable(p.w, on_ready, &log).ok());
    ASSERT_TRUE(run_until([&] { return log.calls > 0; }));
    ASSERT_EQ(log.calls, 1);
  }
  EXPECT_EQ(loop->pending(), 0U);
}

RUNA_IO_INSTANTIATE(EventLoopLifecycleTest);

}  // namespace
}  // namespace runa::io::testing
