// Safepoint: the mutator registry and the stop-the-world handshake.
//
// States (mutators.hpp): kRunning, kInNative, kParked, kSuspended.
//
//  - stop(): the requester sets `stopping_`, arms every other mutator's poll
//    word and waits (on `stopped_cv_`) until none is kRunning. One in native
//    is moved by CAS from kInNative to kSuspended, so that its own CAS back
//    to kRunning in leave_native() fails until the collection ends.
//  - A mutator that polls parks: under `mu_` it becomes kParked, wakes the
//    requester if it was the last one running, and waits (on `world_cv_`)
//    for `stopping_` to clear.
//  - resume(): under `mu_`, disarms the polls, turns kSuspended back into
//    kInNative, clears `stopping_`, and wakes everyone.
//
// Two condition variables, because one would wake every parked thread each
// time another parks: with n mutators a handshake cost O(n^2) wake-ups (on
// 2 cores, 16 threads made 146 context switches per collection). Parked,
// attaching and native-leaving threads sleep on `world_cv_`, which only
// resume() signals; the requester and threads waiting for the last
// resume's sleepers to wake sleep on `stopped_cv_`. A parking thread
// signals the requester only when no other thread still runs; a thread
// entering native always does (its state changed without the lock).
//
// After resume(), stop() waits until every thread that was asleep on the
// world has woken (sleepers_/waking_ below), so collections back to back
// cannot starve attaching, parked or native-leaving threads.
//
// Only one collection runs at a time: a second requester finds `stopping_`
// set and parks like any mutator; when it wakes it sees the epoch moved and
// does not collect again (its caller retries what made it want to).
//
// Memory orders. Two actors race without the mutex: enter_native() and
// leave_native(). (1) enter_native stores kInNative and then loads its poll
// word; stop() stores the poll words and then loads the states. Both sides
// are seq_cst, so (Dekker) at least one sees the other: either stop() sees
// kInNative, or the mutator sees its poll armed and, holding `mu_`,
// notifies; since stop() checks states under `mu_` before each wait, the
// notification cannot fall between its check and its wait (no lost
// wake-up). The kInNative store is also a release: the collector, which
// reads the state with acquire (its CAS), sees every heap write the thread
// made before entering native. (2) leave_native's CAS kInNative -> kRunning
// is acquire: if a collection suspended the thread, the value it reads was
// stored by resume() with release after the collection, so the thread sees
// the moved heap; if no collection intervened, it reads its own store.
// Parking and attach/detach go through `mu_`, which orders them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "memory/mutators.hpp"

namespace runa::heap {

class Safepoint {
 public:
  static constexpr std::uint64_t kAnyEpoch = ~std::uint64_t{0};

  // Registers a new mutator (kRunning); waits while a collection runs.
  void add(MutatorRecord& m);
  // Runs `fn` under the lock at a moment no collection runs, then
  // unregisters `m`. `m` is running; it parks if a collection is under way.
  template <class F>
  void remove(MutatorRecord& m, F&& fn) {
    std::unique_lock lock(mu_);
    while (stopping_) park_locked(lock, m);
    fn();
    erase_locked(m);
  }

  // Stops every other mutator. Returns false without stopping if the
  // epoch is no longer `seen` (another thread collected meanwhile) unless
  // `seen` is kAnyEpoch. `self` is running and stays so.
  bool stop(MutatorRecord& self, std::uint64_t seen);
  // Restarts the world; `collected` advances the epoch.
  void resume(bool collected);
  [[nodiscard]] std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  // The slow path of poll(): parks if a collection is requested.
  void park(MutatorRecord& m);
  void enter_native(MutatorRecord& m);
  void leave_native(MutatorRecord& m);

  // The registry; stable between stop() and resume() (only then may it be read).
  [[nodiscard]] const std::vector<MutatorRecord*>& mutators() const { return mutators_; }
  // The users' mutators attached (the finalizer thread's is the heap's own).
  [[nodiscard]] std::size_t count() const;
  // Calls fn(mutators()) under the lock, from any thread (of a running
  // thread's record only its atomic counters may be read).
  template <class F>
  void locked(F&& fn) const {
    std::lock_guard lock(mu_);
    fn(mutators_);
  }

  // Handshake cost: stops that stopped the world, and the time from arming
  // the polls to the last mutator stopped (total and longest).
  struct Handshakes {
    std::uint64_t count = 0;
    std::uint64_t total_ns = 0;
    std::uint64_t max_ns = 0;
  };
  [[nodiscard]] Handshakes handshakes() const;

 private:
  // mu_ taken on behalf of mutator `m`, counted in its lock counters.
  std::unique_lock<std::mutex> lock_for(MutatorRecord& m);
  void park_locked(std::unique_lock<std::mutex>& lock, MutatorRecord& m);
  bool all_stopped_locked(const MutatorRecord& self);
  void erase_locked(MutatorRecord& m);

  // Waits under `lock` until pred() holds, counted as a sleeper (below).
  template <class P>
  void sleep_locked(std::unique_lock<std::mutex>& lock, P pred) {
    if (pred()) return;
    ++sleepers_;
    world_cv_.wait(lock, pred);
    --sleepers_;
    if (waking_ > 0 && --waking_ == 0) stopped_cv_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable world_cv_;          // the world restarted (resume)
  std::condition_variable stopped_cv_;        // a thread stopped; the last woken thread woke
  bool stopping_ = false;                     // guarded by mu_
  const MutatorRecord* requester_ = nullptr;  // while stopping_; guarded by mu_
  // Fairness. A thread that collects back to back retakes mu_ before the
  // threads that resume() woke can run, so a thread waiting to attach, parked
  // at a poll or leaving native could wait for ever. resume() records how many
  // threads sleep on the world (waking_ = sleepers_), each of them counts
  // itself out when it wakes, and stop() does not stop the world again before
  // they all have. Both guarded by mu_.
  std::size_t sleepers_ = 0;
  std::size_t waking_ = 0;
  std::atomic<std::uint64_t> epoch_{0};  // collections completed; written under mu_
  std::vector<MutatorRecord*> mutators_;
  Handshakes handshakes_;  // guarded by mu_
};

}  // namespace runa::heap
