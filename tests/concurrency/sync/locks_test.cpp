// Mutex, RwLock and CondVar: mutual exclusion under contention, writers
// first, no lost notification, timeouts. Stress sizes shrink under TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "../scale.hpp"
#include "concurrency/sync/condvar.hpp"
#include "concurrency/sync/mutex.hpp"
#include "concurrency/sync/rwlock.hpp"

namespace runa::concurrency {
namespace {

using testing::scaled;

TEST(Mutex, ExcludesUnderContention) {
  Mutex mu;
  std::uint64_t counter = 0;  // plain: a data race here is what TSan would report
  constexpr unsigned kThreads = 4;
  const unsigned per = scaled(200'000);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (unsigned i = 0; i < per; ++i) {
        std::lock_guard lock(mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, std::uint64_t{kThreads} * per);
}

TEST(Mutex, TryLockFailsWhileHeld) {
  Mutex mu;
  mu.lock();
  bool got = true;
  std::thread([&] { got = mu.try_lock(); }).join();
  EXPECT_FALSE(got);
  mu.unlock();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST(Mutex, SleeperIsWokenByUnlock) {
  // The holder keeps the lock long enough for the other thread to stop
  // spinning and sleep on the futex; the unlock must wake it.
  Mutex mu;
  std::atomic<bool> trying{false};
  std::atomic<bool> got{false};
  mu.lock();
  std::thread waiter([&] {
    trying = true;
    std::lock_guard lock(mu);
    got = true;
  });
  while (!trying) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(got.load());
  mu.unlock();
  waiter.join();
  EXPECT_TRUE(got.load());
}

TEST(RwLock, ReadersShareWritersExclude) {
  RwLock lock;
  std::atomic<int> readers{0};
  std::atomic<int> writers{0};
  std::atomic<bool> violated{false};
  std::atomic<int> max_readers{0};
  const unsigned rounds = scaled(20'000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (unsigned i = 0; i < rounds; ++i) {
        if ((i + t) % 8 == 0) {
          std::unique_lock w(lock);
          if (writers.fetch_add(1) != 0 || readers.load() != 0) violated = true;
          writers.fetch_sub(1);
        } else {
          std::shared_lock r(lock);
          int now = readers.fetch_add(1) + 1;
          int seen = max_readers.load();
          while (now > seen && !max_readers.compare_exchange_weak(seen, now)) {
          }
          if (writers.load() != 0) violated = true;
          readers.fetch_sub(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(violated.load());
}

TEST(RwLock, ReadersHoldTogether) {
  RwLock lock;
  lock.lock_shared();
  bool second = false;
  std::thread([&] {
    second = lock.try_lock_shared();
    if (second) lock.unlock_shared();
  }).join();
  EXPECT_TRUE(second);
  EXPECT_FALSE(lock.try_lock());
  lock.unlock_shared();
  EXPECT_TRUE(lock.try_lock());
  EXPECT_FALSE(lock.try_lock_shared());
  lock.unlock();
}

TEST(RwLock, WaitingWriterHoldsBackNewReaders) {
  // A reader holds; a writer waits; a new reader must not get in ahead of
  // the writer (writers first), and everyone finishes once the first reader
  // leaves.
  RwLock lock;
  lock.lock_shared();
  std::atomic<bool> writer_in{false};
  std::thread writer([&] {
    lock.lock();
    writer_in = true;
    lock.unlock();
  });
  // Wait until the writer has announced itself (its bit blocks readers).
  while (lock.try_lock_shared()) {
    lock.unlock_shared();
    std::this_thread::yield();
  }
  EXPECT_FALSE(writer_in.load());
  std::atomic<bool> late_reader_in{false};
  std::thread late_reader([&] {
    lock.lock_shared();
    late_reader_in = true;
    lock.unlock_shared();
  });
  lock.unlock_shared();
  writer.join();
  late_reader.join();
  EXPECT_TRUE(writer_in.load());
  EXPECT_TRUE(late_reader_in.load());
}

TEST(CondVar, ProducerConsumerLosesNothing) {
  Mutex mu;
  CondVar not_empty;
  std::deque<int> queue;
  const int n = static_cast<int>(scaled(100'000));
  long long sum = 0;
  std::thread consumer([&] {
    for (int i = 0; i < n; ++i) {
      std::unique_lock lock(mu);
      not_empty.wait(mu, [&] { return !queue.empty(); });
      sum += queue.front();
      queue.pop_front();
    }
  });
  for (int i = 1; i <= n; ++i) {
    {
      std::lock_guard lock(mu);
      queue.push_back(i);
    }
    not_empty.notify_one();
  }
  consumer.join();
  EXPECT_EQ(sum, static_cast<long long>(n) * (n + 1) / 2);
}

TEST(CondVar, NotifyAllWakesEveryWaiter) {
  Mutex mu;
  CondVar cv;
  bool go = false;
  int woke = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      std::unique_lock lock(mu);
      cv.wait(mu, [&] { return go; });
      ++woke;
    });
  }
  {
    std::lock_guard lock(mu);
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  EXPECT_EQ(woke, 4);
}

TEST(CondVar, DeadlinePasses) {
  Mutex mu;
  CondVar cv;
  std::unique_lock lock(mu);
  bool ok = cv.wait_until(mu, Clock::now() + std::chrono::milliseconds(5), [] { return false; });
  EXPECT_FALSE(ok);
  // The mutex is held again: another thread cannot take it.
  bool other = true;
  std::thread([&] { other = mu.try_lock(); }).join();
  EXPECT_FALSE(other);
}

}  // namespace
}  // namespace runa::concurrency
