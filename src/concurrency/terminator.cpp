// Terminator: the offer-termination protocol and its back-off (the protocol
// and its memory orders are argued in terminator.hpp).
#include "concurrency/terminator.hpp"

#include <algorithm>
#include <chrono>

#include "concurrency/spin_wait.hpp"

namespace runa::concurrency {
namespace {

using namespace std::chrono_literals;

// Rounds of yielding after SpinWait's rounds of spinning, before the waits
// turn into sleeps.
constexpr unsigned kYieldRounds = 16;
constexpr auto kFirstSleep = 50us;
constexpr auto kLongestSleep = 1ms;

}  // namespace

bool Terminator::offer(const std::function<bool()>& work_visible) {
  if (offered_.fetch_add(1, std::memory_order_acq_rel) + 1 == workers_) {
    // Taking the lock orders the notification after any sleeper's check of
    // finished(): one about to wait cannot miss it.
    { std::lock_guard lock(mu_); }
    finished_cv_.notify_all();
    return true;
  }
  SpinWait spin;
  for (unsigned round = 0;; ++round) {
    if (finished()) return true;
    if (work_visible() && withdraw()) return false;
    if (round < SpinWait::kSpinRounds + kYieldRounds) {
      spin.wait();
    } else {
      sleep(round - SpinWait::kSpinRounds - kYieldRounds);
    }
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

void Terminator::sleep(unsigned round) {
  unsigned doublings = std::min(round, 8U);
  std::chrono::microseconds pause =
      std::min<std::chrono::microseconds>(kFirstSleep * (1U << doublings), kLongestSleep);
  std::unique_lock lock(mu_);
  finished_cv_.wait_for(lock, pause, [&] { return finished(); });
}

}  // namespace runa::concurrency
