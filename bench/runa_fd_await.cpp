// The cost of one awaited read of a ready pipe (docs/concurrency.md, "File
// descriptors"): a task writes a byte into a pipe with write(2), then
// co_awaits io::read of it, `rounds` times. With `loop` (the default) every
// round posts the request to the driver thread, which registers it with
// the loop, gets the completion and wakes the task on the pool; with
// `fast` the pipe is non-blocking and the read says so, so the task reads
// the byte on its worker (the fast path; every 32nd round still goes to
// the loop). bench/count_fd_await.sh counts the instructions of a round
// with callgrind (all threads).
//
//   runa_fd_await epoll|uring ROUNDS [loop|fast]
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <string_view>

#include "concurrency/executor/executor.hpp"
#include "concurrency/pool/pool.hpp"
#include "io/event_loop.hpp"
#include "io/fd_await.hpp"
#include "io/loop_driver.hpp"

namespace cc = runa::concurrency;
namespace io = runa::io;

namespace {

// NOLINTNEXTLINE(readability-static-accessed-through-instance): Task's promise, in the coroutine
cc::Task<std::size_t> rounds_of_reads(io::LoopDriver& driver, int r, int w, std::size_t rounds,
                                      bool fast) {
  std::array<std::byte, 1> buf{};
  const char one = '1';
  const io::FdOptions options = io::FdOptions{}.nonblocking_fd(fast);
  std::size_t got = 0;
  for (std::size_t i = 0; i < rounds; ++i) {
    if (::write(w, &one, 1) != 1) break;
    runa::Result<std::size_t> n = co_await io::read(driver, r, buf, options);
    if (!n || *n != 1) break;
    got += *n;
  }
  co_return got;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rounds = 0;
  const bool args = argc == 3 || argc == 4;
  const std::string_view backend = args ? argv[1] : "";
  const std::string_view n = args ? argv[2] : "";
  const std::string_view mode = argc == 4 ? argv[3] : "loop";
  if ((backend != "epoll" && backend != "uring") || (mode != "loop" && mode != "fast") ||
      std::from_chars(n.data(), n.data() + n.size(), rounds).ec != std::errc() || rounds == 0) {
    std::fprintf(stderr, "usage: runa_fd_await epoll|uring ROUNDS [loop|fast]\n");
    return 2;
  }
  auto loop = io::EventLoop::create(backend == "epoll" ? io::Backend::kEpoll : io::Backend::kUring);
  if (!loop) {
    std::fprintf(stderr, "%s\n", loop.error().describe().c_str());
    return 1;
  }
  std::array<int, 2> fds{};
  const bool fast = mode == "fast";
  if (::pipe2(fds.data(), O_CLOEXEC | (fast ? O_NONBLOCK : 0)) != 0) return 1;
  std::size_t got = 0;
  {
    cc::Pool pool({.workers = 1});
    io::LoopDriver driver(**loop);
    cc::Executor ex(pool, &driver);
    got = ex.block_on(rounds_of_reads(driver, fds[0], fds[1], rounds, fast));
  }
  ::close(fds[0]);
  ::close(fds[1]);
  std::printf("bench=fd-await backend=%s mode=%s rounds=%zu read=%zu\n", argv[1],
              fast ? "fast" : "loop", rounds, got);
  return got == rounds ? 0 : 1;
}
