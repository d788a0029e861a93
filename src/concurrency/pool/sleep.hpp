// Sleep: which of the pool's workers sleep, and the protocol that wakes one
// when work appears, with no lost wake-up and no worker spinning while the
// pool is idle. It follows the Go scheduler's "spinning M" design (see
// runtime/proc.go, "Worker thread parking/unparking").
//
// Every worker is in one of three states:
//   busy       running a job, or between jobs popping its own deque;
//   searching  its deque is empty and it looks in the injector and the
//              other workers' deques (counted in searching_);
//   idle       asleep on its Parker (counted in idle_, listed in sleepers_).
//
// Rules.
//  (1) Whoever makes a job visible (push to a deque, to the injector) then
//      calls notify(): after a seq_cst fence, if no worker is searching and
//      one is idle, it wakes one. If one is searching, that one will find
//      the job, or go idle and see it on its final check (3).
//  (2) A searching worker that finds a job stops searching, and if it was
//      the last searcher it calls notify(): there may be more work where it
//      found its job, and with no searcher left nobody else would look.
//      So parallelism ramps up one worker at a time, and a burst of pushes
//      costs one wake-up, not one per push.
//  (3) A worker going idle first lists itself (idle_++), then stops
//      searching (searching_--), then after a seq_cst fence checks every
//      queue once more. If it sees work it takes itself off the list again
//      (cancel()) and searches.
//  (4) wake_one() takes a sleeper off the list and counts it as searching
//      before unparking it, so that (1) does not wake a second worker for
//      the same job while the first is still waking up.
//
// Why no wake-up is lost. Take a job pushed at P and a worker W going idle
// at I. P: push; fence; read searching_, idle_. W: idle_++; searching_--;
// fence; read the queues. With both fences seq_cst, either W's reads come
// after P's push in the fence order (W sees the job and does not sleep), or
// P's reads come after W's writes (P sees W idle, and if nobody searches it
// wakes a worker). A notify that finds another worker searching relies on
// that worker: it either finds the job or goes idle by rule (3) itself.
// Parker's permit makes an unpark that comes before the park count.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "concurrency/sync/mutex.hpp"
#include "concurrency/sync/parker.hpp"

namespace runa::concurrency {

class Sleep {
 public:
  explicit Sleep(unsigned workers) : asleep_(workers, false), parkers_(workers) {}

  // Rule (1), after making a job visible.
  void notify() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (searching_.load(std::memory_order_seq_cst) == 0 &&
        idle_.load(std::memory_order_seq_cst) != 0) {
      wake_one();
    }
  }

  void start_searching() { searching_.fetch_add(1, std::memory_order_seq_cst); }
  // Rule (2): `found` says the searcher found a job.
  void stop_searching(bool found) {
    if (searching_.fetch_sub(1, std::memory_order_seq_cst) == 1 && found) notify();
  }

  // Rule (3), first half: lists worker w as idle and stops its searching.
  // The caller then checks the queues (after the fence here) and either
  // calls cancel(w) or park(w).
  void announce(unsigned w);
  // Work appeared after announce(): true if w was still listed (it is now
  // searching again, on its own count); false if a waker took it off the
  // list first (it is searching on the waker's count, and a permit is on
  // its way: the caller consumes it with park(w)).
  bool cancel(unsigned w);
  // Sleeps until woken (MAY COLLECT: a BlockingRegion). The worker is then
  // searching, on its waker's count. With a deadline that passes first it
  // returns false, still listed: the caller then calls cancel(w), and
  // park(w) again if that finds a waker on its way.
  bool park(unsigned w, std::optional<Clock::time_point> deadline = std::nullopt) {
    return parkers_[w].park(deadline);
  }

  // At most one searcher spins at a time (pool.hpp, "Spinning"): true if
  // the caller may, and must then call end_spin().
  bool begin_spin() {
    return !spinning_.load(std::memory_order_relaxed) &&
           !spinning_.exchange(true, std::memory_order_acquire);
  }
  void end_spin() { spinning_.store(false, std::memory_order_release); }

  // Wakes a sleeper, if there is one (rule 4).
  bool wake_one();
  // Wakes every sleeper (the pool is stopping).
  void wake_all();

  // Snapshots, for tests and dumps.
  [[nodiscard]] unsigned searching() const { return searching_.load(std::memory_order_relaxed); }
  [[nodiscard]] unsigned idle() const { return idle_.load(std::memory_order_relaxed); }

 private:
  std::atomic<unsigned> searching_{0};
  std::atomic<unsigned> idle_{0};
  std::atomic<bool> spinning_{false};
  Mutex mu_;                        // guards sleepers_ and asleep_
  std::vector<unsigned> sleepers_;  // a stack: the most recent sleeper is woken first (warm cache)
  std::vector<bool> asleep_;
  std::vector<Parker> parkers_;
};

}  // namespace runa::concurrency
