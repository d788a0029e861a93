// Terminator: the offer-termination protocol and its back-off (the protocol
// and its memory orders are argued in terminator.hpp).
#include "concurrency/terminator.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace runa::concurrency {
namespace {

using namespace std::chrono_literals;

// Rounds of spinning (1, 2, 4, ... 128 pause instructions: from a few to
// some tens of microseconds in all, depending on the core), then of
// yielding, before the waits turn into sleeps.
constexpr unsigned kSpinRounds = 8;
constexpr unsigned kYieldRounds = 16;
constexpr auto kFirstSleep = 50us;
constexpr auto kLongestSleep = 1ms;

// Tells the core that this is a spin loop: it stops speculating ahead and
// yields the pipeline to its hyperthread sibling.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

bool Terminator::offer(const std::function<bool()>& work_visible) {
  if (offered_.fetch_add(1, std::memory_order_acq_rel) + 1 == workers_) {
    // Taking the lock orders the notification after any sleeper's check of
    // finished(): one about to wait cannot miss it.
    { std::lock_guard lock(mu_); }
    finished_cv_.notify_all();
    return true;
  }
  for (unsigned round = 0;; ++round) {
    if (finished()) return true;
    if (work_visible() && withdraw()) return false;
    wait(round);
  }
}

void Terminator::reset(unsigned workers) {
  workers_ = workers;
  offered_.store(0, std::memory_order_relaxed);
}

bool Terminator::finished() const {
  return offered_.load(std::memory_order_acquire) == workers_;
}

bool Terminator::withdraw() {
  unsigned n = offered_.load(std::memory_order_relaxed);
  while (n != workers_) {
    if (offered_.compare_exchange_weak(n, n - 1, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void Terminator::wait(unsigned round) {
  if (round < kSpinRounds) {
    for (unsigned i = 0; i < 1U << round; ++i) cpu_relax();
  } else if (round < kSpinRounds + kYieldRounds) {
    std::this_thread::yield();
  } else {
    unsigned doublings = std::min(round - kSpinRounds - kYieldRounds, 8U);
    std::chrono::microseconds pause =
        std::min<std::chrono::microseconds>(kFirstSleep * (1U << doublings), kLongestSleep);
    std::unique_lock lock(mu_);
    finished_cv_.wait_for(lock, pause, [&] { return finished(); });
  }
}

}  // namespace runa::concurrency
