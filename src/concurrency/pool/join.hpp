// Fork-join on the pool: join(pool, a, b) runs a and b, possibly in
// parallel, and returns when both have returned; parallel_for splits a range
// with it.
//
// The join protocol (the one of Cilk's work-first scheduling, as Rayon does
// it): b goes onto this worker's deque as a StackJob living in this frame,
// a runs right here, then the worker pops its deque. Jobs that a() left
// queued above b (spawned and not taken, or taken in by a batch steal while
// a() waited for work of its own) come first: they run here, one by one,
// until the pop reaches b. Because thieves take the oldest job first, b is
// then either still there (not stolen: it runs here, inline) or gone
// (stolen, and so was everything older). A stolen b is waited for without idling: the
// worker runs other jobs until b's latch is set (Pool::help_until). The
// frame never returns before b has finished, since b lives in it.
//
// A join called outside the pool's workers moves itself onto the pool
// (Pool::run) and the caller sleeps until it is done.
//
// Exceptions: if a throws and b was not stolen, b is skipped; if b was
// stolen, join waits for it. a's exception is rethrown first, then b's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>

#include "concurrency/pool/pool.hpp"

namespace runa::concurrency {

template <class A, class B>
void join(Pool& pool, A&& a, B&& b) {
  Pool::Worker* w = Pool::current();
  if (w == nullptr || &w->pool != &pool) {
    pool.run([&] { join(pool, a, b); });
    return;
  }
  StackJob<B> job(b);
  if (!Pool::push_local(*w, &job)) {  // deque full: enough parallelism queued already
    a();
    b();
    return;
  }
  std::exception_ptr error;
  try {
    a();
  } catch (...) {
    error = std::current_exception();
  }
  for (;;) {
    Job* top = Pool::pop_local(*w);
    if (top == &job) {
      if (error) std::rethrow_exception(error);
      job.run_inline();
      break;
    }
    if (top == nullptr) {
      Pool::help_until(
          *w, [&] { return job.done().probe(); }, [&] { job.done().wait(); });
      if (error) std::rethrow_exception(error);
      break;
    }
    Pool::run_job(top);  // queued above ours by work a() did (see above)
  }
  job.take();
}

// fn(i) for every i in [begin, end), in chunks of at most `grain` indices
// (0: about eight chunks per worker).
template <class Fn>
void parallel_for(Pool& pool, std::size_t begin, std::size_t end, std::size_t grain, Fn&& fn) {
  if (begin >= end) return;
  if (grain == 0) grain = std::max<std::size_t>(1, (end - begin) / (8 * std::size_t{pool.size()}));
  if (end - begin <= grain) {
    for (std::size_t i = begin; i < end; ++i) fn(i);
    return;
  }
  std::size_t mid = begin + (end - begin) / 2;
  join(
      pool, [&] { parallel_for(pool, begin, mid, grain, fn); },
      [&] { parallel_for(pool, mid, end, grain, fn); });
}

}  // namespace runa::concurrency
