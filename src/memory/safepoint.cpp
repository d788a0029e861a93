// Safepoint: the stop-the-world handshake and native regions (the protocol
// and its memory orders are argued in safepoint.hpp).
#include "memory/safepoint.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace runa::heap {

void Safepoint::add(MutatorRecord& m) {
  std::unique_lock lock(mu_);
  // A thread that is not yet a mutator cannot park; it simply waits.
  sleep_locked(lock, [&] { return !stopping_; });
  m.state.store(kRunning, std::memory_order_relaxed);
  mutators_.push_back(&m);
}

void Safepoint::erase_locked(MutatorRecord& m) {
  mutators_.erase(std::remove(mutators_.begin(), mutators_.end(), &m), mutators_.end());
}

std::size_t Safepoint::count() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(mutators_.begin(), mutators_.end(),
                    [](const MutatorRecord* m) { return !m->finalizer_thread; }));
}

void Safepoint::park_locked(std::unique_lock<std::mutex>& lock, MutatorRecord& m) {
  m.state.store(kParked, std::memory_order_seq_cst);
  // The requester checks the states under mu_ before each wait, so skipping
  // the signal while another thread still runs loses no wake-up: that
  // thread's own park (or enter_native) signals.
  if (requester_ == nullptr || all_stopped_locked(*requester_)) stopped_cv_.notify_all();
  sleep_locked(lock, [&] { return !stopping_; });
  m.state.store(kRunning, std::memory_order_seq_cst);
}

bool Safepoint::all_stopped_locked(const MutatorRecord& self) {
  for (MutatorRecord* m : mutators_) {
    if (m == &self) continue;
    std::uint32_t s = m->state.load(std::memory_order_seq_cst);
    if (s == kInNative) {
      // Acquire on success: the thread's heap writes before entering native
      // are visible. On failure it just left native: it is running now.
      if (!m->state.compare_exchange_strong(s, kSuspended, std::memory_order_seq_cst)) {
        return false;
      }
      continue;
    }
    if (s == kRunning) return false;
  }
  return true;
}

std::unique_lock<std::mutex> Safepoint::lock_for(MutatorRecord& m) {
  std::unique_lock lock(mu_, std::try_to_lock);
  m.lock_acquisitions.add();
  if (!lock.owns_lock()) {
    m.lock_contended.add();
    lock.lock();
  }
  return lock;
}

Safepoint::Handshakes Safepoint::handshakes() const {
  std::lock_guard lock(mu_);
  return handshakes_;
}

bool Safepoint::stop(MutatorRecord& self, std::uint64_t seen) {
  std::unique_lock lock = lock_for(self);
  for (;;) {
    if (stopping_) {
      park_locked(lock, self);
    } else if (waking_ > 0) {
      // Let the threads the last resume() woke run first. Parked meanwhile,
      // so that a collection another thread starts can count this one as
      // stopped; not a sleeper, since it waits for the sleepers.
      self.state.store(kParked, std::memory_order_seq_cst);
      if (requester_ != nullptr) stopped_cv_.notify_all();
      stopped_cv_.wait(lock, [&] { return stopping_ || waking_ == 0; });
      // Woken by another thread's collection: stay parked into park_locked,
      // never running for a moment while that collection runs.
      if (!stopping_) self.state.store(kRunning, std::memory_order_seq_cst);
    } else {
      break;
    }
  }
  if (seen != kAnyEpoch && epoch_.load(std::memory_order_relaxed) != seen) return false;
  stopping_ = true;
  requester_ = &self;
  auto armed = std::chrono::steady_clock::now();
  for (MutatorRecord* m : mutators_) {
    if (m != &self) m->poll.store(1, std::memory_order_seq_cst);
  }
  stopped_cv_.wait(lock, [&] { return all_stopped_locked(self); });
  auto ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - armed)
          .count());
  handshakes_.count++;
  handshakes_.total_ns += ns;
  handshakes_.max_ns = std::max(handshakes_.max_ns, ns);
  return true;
}

void Safepoint::resume(bool collected) {
  std::lock_guard lock(mu_);
  for (MutatorRecord* m : mutators_) {
    m->poll.store(0, std::memory_order_relaxed);
    std::uint32_t s = kSuspended;
    // Release: the thread's acquire CAS in leave_native sees the collection.
    m->state.compare_exchange_strong(s, kInNative, std::memory_order_release,
                                     std::memory_order_relaxed);
  }
  if (collected) epoch_.fetch_add(1, std::memory_order_release);
  waking_ = sleepers_;
  stopping_ = false;
  requester_ = nullptr;
  world_cv_.notify_all();
  stopped_cv_.notify_all();  // threads waiting in stop() for the world to be quiet
}

void Safepoint::park(MutatorRecord& m) {
  std::unique_lock lock = lock_for(m);
  if (stopping_) park_locked(lock, m);
}

void Safepoint::enter_native(MutatorRecord& m) {
  if (m.state.load(std::memory_order_relaxed) != kRunning) {
    std::fputs("runatime: enter_native on a mutator that is not running\n", stderr);
    std::abort();
  }
  m.state.store(kInNative, std::memory_order_seq_cst);
  if (m.poll.load(std::memory_order_seq_cst) != 0) {
    // A collector may be waiting for this thread: wake it under the lock.
    std::lock_guard lock(mu_);
    stopped_cv_.notify_all();
  }
}

void Safepoint::leave_native(MutatorRecord& m) {
  for (;;) {
    std::uint32_t s = kInNative;
    if (m.state.compare_exchange_strong(s, kRunning, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      return;
    }
    if (s != kSuspended) {
      std::fputs("runatime: leave_native on a mutator that is not in native\n", stderr);
      std::abort();
    }
    std::unique_lock lock(mu_);
    sleep_locked(lock, [&] { return m.state.load(std::memory_order_relaxed) != kSuspended; });
  }
}

}  // namespace runa::heap
