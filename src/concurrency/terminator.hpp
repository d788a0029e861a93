// Terminator: decides when a group of workers that steal from each other
// has run out of work — the "offer termination" protocol of Flood, Detlefs,
// Shavit and Zhang, "Parallel Garbage Collection for Shared Memory
// Multiprocessors" (2001), as in HotSpot's TaskTerminator.
//
// A worker whose own deque is empty and whose steals failed offers
// termination: it counts itself in `offered_` and waits. The phase is over
// when all `workers_` have offered. While it waits, a worker polls its
// caller's work_visible(); when that says some deque may hold work, it
// withdraws its offer (counts itself out) and goes back to stealing.
//
// Why "all offered" means "no work anywhere": in a work-stealing phase,
// items live in deques or in the hands of a worker processing them, and
// only a worker that has not offered pushes (onto its own deque). A worker
// offers only once its own deque is empty, and nobody pushes onto that deque
// while it waits. So when every worker has offered, every deque is empty and
// nobody holds an item. work_visible() is therefore only a hint for
// liveness (when to stop waiting) and may be stale either way.
//
// Invariants.
//  - 0 <= offered_ <= workers_. Once offered_ == workers_ it never changes
//    again until reset(): a withdrawal is a CAS that refuses to decrement
//    from workers_, so no worker can back out of a finished phase while
//    another has already seen it finished.
//  - Every worker of the phase eventually returns true from offer(), and
//    must not call offer() again before reset().
//
// Memory orders. Increments and withdrawals are acq_rel read-modify-writes,
// so they form one release sequence; a worker that reads offered_ ==
// workers_ (acquire) synchronizes with every one of them. The end of the
// phase is thus a barrier: each worker that returns true sees everything
// every worker did before its last offer.
//
// Waiting. A worker first spins and then yields (SpinWait,
// spin_wait.hpp), then yields some more rounds, then sleeps on a condition variable for a short
// time that doubles up to a millisecond, polling work_visible() between waits: pushes do not notify
// (that would cost every push), so an idle worker must look. The last worker to offer notifies the
// sleepers, so the end of a phase is not delayed by a sleep. The sleeps keep idle workers from
// taking a core from busy ones on a machine with few cores.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace runa::concurrency {

class Terminator {
 public:
  // workers >= 1.
  explicit Terminator(unsigned workers) : workers_(workers) {}

  // Called by a worker that found no work. True when every worker has
  // offered: the phase is over. False as soon as work_visible() says some
  // work may be stealable again; the caller then tries to steal and offers
  // again if that fails.
  bool offer(const std::function<bool()>& work_visible);

  // Between phases, when no worker is inside offer().
  void reset(unsigned workers);

 private:
  [[nodiscard]] bool finished() const;
  // Counts the caller out again, unless the phase has finished (false).
  bool withdraw();
  // The caller's round-th sleep since it offered.
  void sleep(unsigned round);

  std::atomic<unsigned> offered_{0};
  unsigned workers_;  // written only by reset(), while no worker offers
  std::mutex mu_;     // only for the sleepers' condition variable
  std::condition_variable finished_cv_;
};

}  // namespace runa::concurrency
