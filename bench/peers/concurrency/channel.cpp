// channel: 2 producers and 2 consumers pass N uint64 values through a queue.
//
//   peer_channel moodycamel|moodycamel-blocking|mutex-condvar [N]   (default 10000000)
//
// Producer p (0 or 1) sends the values p*N/2 .. p*N/2 + N/2 - 1; each consumer sums
// what it receives. check = the total sum, N*(N-1)/2 (49999995000000 for 10M); ops = N.
// The four threads start after the clock and are joined before it stops.
//
// End detection, the same in every impl: the producers send exactly N values and
// nothing else; the consumers share one atomic counter of values consumed, incremented
// once per value. A consumer stops when the counter has reached N. The consumer whose
// increment reaches N calls wake_all(), which wakes a consumer blocked on an empty
// queue so that it sees the counter (try_dequeue consumers never block: no-op).
//
// The queues:
//   moodycamel           moodycamel::ConcurrentQueue with a ProducerToken per producer
//                        and a ConsumerToken per consumer (the library's fast path);
//                        a consumer polls try_dequeue and yields while it is empty.
//   moodycamel-blocking  moodycamel::BlockingConcurrentQueue, the same tokens,
//                        wait_dequeue; wake_all() enqueues one kStop per consumer
//                        (never counted: producers never send that value).
//   mutex-condvar        an unbounded std::deque under a std::mutex; a producer pushes
//                        and notify_one()s after unlocking; an empty queue makes a
//                        consumer wait on the std::condition_variable.
#include <concurrentqueue/blockingconcurrentqueue.h>
#include <concurrentqueue/concurrentqueue.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <thread>

#include "peer_common.hpp"

namespace {

constexpr int kConsumers = 2;
constexpr std::uint64_t kStop = std::numeric_limits<std::uint64_t>::max();

// Each queue: Producer(q).send(v); Consumer(q).receive(v, done) -> false once `done()`
// holds and nothing was received; q.wake_all().
struct Moodycamel {
  moodycamel::ConcurrentQueue<std::uint64_t> queue;
  struct Producer {
    Moodycamel& q;
    moodycamel::ProducerToken token{q.queue};
    void send(std::uint64_t v) { q.queue.enqueue(token, v); }
  };
  struct Consumer {
    Moodycamel& q;
    moodycamel::ConsumerToken token{q.queue};
    template <class Done>
    bool receive(std::uint64_t& v, Done done) {
      while (!q.queue.try_dequeue(token, v)) {
        if (done()) return false;
        std::this_thread::yield();
      }
      return true;
    }
  };
  void wake_all() {}
};

struct MoodycamelBlocking {
  moodycamel::BlockingConcurrentQueue<std::uint64_t> queue;
  struct Producer {
    MoodycamelBlocking& q;
    moodycamel::ProducerToken token{q.queue};
    void send(std::uint64_t v) { q.queue.enqueue(token, v); }
  };
  struct Consumer {
    MoodycamelBlocking& q;
    moodycamel::ConsumerToken token{q.queue};
    template <class Done>
    bool receive(std::uint64_t& v, Done done) {
      if (done()) return false;
      q.queue.wait_dequeue(token, v);
      return v != kStop;
    }
  };
  void wake_all() {
    for (int i = 0; i < kConsumers; ++i) queue.enqueue(kStop);
  }
};

struct MutexCondvar {
  std::mutex mutex;
  std::condition_variable nonempty;
  std::deque<std::uint64_t> queue;
  struct Producer {
    MutexCondvar& q;
    void send(std::uint64_t v) {
      {
        std::lock_guard lock(q.mutex);
        q.queue.push_back(v);
      }
      q.nonempty.notify_one();
    }
  };
  struct Consumer {
    MutexCondvar& q;
    template <class Done>
    bool receive(std::uint64_t& v, Done done) {
      std::unique_lock lock(q.mutex);
      q.nonempty.wait(lock, [&] { return !q.queue.empty() || done(); });
      if (q.queue.empty()) return false;
      v = q.queue.front();
      q.queue.pop_front();
      return true;
    }
  };
  void wake_all() {
    { std::lock_guard lock(mutex); }  // a consumer is either before its check or waiting
    nonempty.notify_all();
  }
};

template <class Queue>
void run(const char* impl, std::uint64_t n) {
  Queue q;
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> sum{0};
  auto done = [&] { return consumed.load(std::memory_order_acquire) >= n; };
  auto producer = [&](std::uint64_t first) {
    typename Queue::Producer out{q};
    for (std::uint64_t v = first; v < first + n / 2; ++v) out.send(v);
  };
  auto consumer = [&] {
    typename Queue::Consumer in{q};
    std::uint64_t local = 0;
    std::uint64_t v = 0;
    while (in.receive(v, done)) {
      local += v;
      if (consumed.fetch_add(1, std::memory_order_acq_rel) + 1 == n) q.wake_all();
    }
    sum.fetch_add(local);
  };
  const auto start = peers::Clock::now();
  std::thread p0(producer, 0);
  std::thread p1(producer, n / 2);
  std::thread c0(consumer);
  std::thread c1(consumer);
  p0.join();
  p1.join();
  c0.join();
  c1.join();
  const double seconds = peers::seconds_since(start);
  peers::report("channel", impl, seconds, n, sum.load());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string impl = argc > 1 ? argv[1] : "";
  const std::uint64_t n = peers::count_arg(argc, argv, 2, 10'000'000);
  if (n % 2 != 0) {
    std::fputs("peer_channel: N must be even (two producers send N/2 each)\n", stderr);
    return 2;
  }
  if (impl == "moodycamel") {
    run<Moodycamel>("moodycamel", n);
  } else if (impl == "moodycamel-blocking") {
    run<MoodycamelBlocking>("moodycamel-blocking", n);
  } else if (impl == "mutex-condvar") {
    run<MutexCondvar>("mutex-condvar", n);
  } else {
    std::fputs("usage: peer_channel moodycamel|moodycamel-blocking|mutex-condvar [N]\n", stderr);
    return 2;
  }
}
