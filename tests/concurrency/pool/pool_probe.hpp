// PoolProbe: the pool's insides that a test drives in a chosen order (a
// friend of Pool and Injector), and the jobs the pool's tests are made of.
// Tests only.
#pragma once

#include <chrono>
#include <thread>
#include <utility>

#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

struct PoolProbe {
  // Held by the test, it makes a worker that looks in the injector wait
  // (spin, then sleep in a BlockingRegion), as another worker taking a job
  // from there does for a moment.
  static Mutex& injector_lock(Pool& pool) { return pool.injector_.mu_; }
  // With that lock held: the oldest injected job, taken as that other
  // worker would.
  static Job* take_injected(Pool& pool) { return pool.injector_.pop_batch_locked(1); }
  // Sharing that does not pay (pool.hpp): an ask by w at `now`, and the
  // end of the busy period it brought.
  static void ask_to_share(Pool::Worker& w, Clock::time_point now) { w.pool.ask_to_share(w, now); }
  static void judge_share(Pool::Worker& w) { Pool::judge_share(w); }
  static Pool::Worker& worker(Pool& pool, unsigned index) { return *pool.workers_[index]; }
};

namespace testing {

// The pool of the worker this runs on (jobs reach the pool through it).
inline Pool& here() {
  return Pool::current()->pool;
}

// A job that runs a callable once, owned by the test.
template <class F>
struct Step final : Job {
  explicit Step(F fn) : Job(&run), f(std::move(fn)) {}
  static void run(Job* job) { static_cast<Step*>(job)->f(); }
  F f;
};

// Busy on this thread (no BlockingRegion) until done() or 10 s: done().
template <class Done>
bool spin_until(Done done) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  return done();
}

}  // namespace testing
}  // namespace runa::concurrency
