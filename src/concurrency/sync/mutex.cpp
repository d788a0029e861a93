#include "concurrency/sync/mutex.hpp"

#include "concurrency/blocking.hpp"
#include "concurrency/spin_wait.hpp"
#include "concurrency/sync/futex.hpp"

namespace runa::concurrency {
namespace {
// Spins of a contended lock before it sleeps: a critical section of a few
// hundred instructions ends within them on another core.
constexpr unsigned kSpins = 100;
}  // namespace

void Mutex::lock_slow() {
  for (unsigned i = 0; i < kSpins; ++i) {
    std::uint32_t w = word_.load(std::memory_order_relaxed);
    if (w == 0 &&
        word_.compare_exchange_weak(w, 1, std::memory_order_acquire, std::memory_order_relaxed)) {
      return;
    }
    if (w == 2) break;  // others already sleep: queue up behind them
    cpu_relax();
  }
  lock_contended();
}

void Mutex::lock_contended() {
  if (word_.exchange(2, std::memory_order_acquire) == 0) return;
  BlockingRegion blocking;
  do {
    futex_wait(word_, 2);
  } while (word_.exchange(2, std::memory_order_acquire) != 0);
}

void Mutex::wake_one() {
  futex_wake(word_, 1);
}

}  // namespace runa::concurrency
