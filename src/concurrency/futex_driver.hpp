// FutexDriver: the Driver of an executor without I/O — a timed futex wait
// that wake() ends. word_ is 1 when a wake() has not been consumed yet, so
// a wake() before the wait makes it return at once (driver.hpp's contract).
#pragma once

#include <atomic>
#include <cstdint>

#include "concurrency/driver.hpp"
#include "concurrency/sync/futex.hpp"

namespace runa::concurrency {

class FutexDriver final : public Driver {
 public:
  void wait(std::optional<std::chrono::nanoseconds> timeout) override {
    if (word_.exchange(0, std::memory_order_acquire) != 0) return;
    if (timeout && timeout->count() <= 0) return;
    std::optional<Clock::time_point> deadline;
    if (timeout) deadline = Clock::now() + *timeout;
    futex_wait(word_, 0, deadline);
    word_.store(0, std::memory_order_relaxed);
  }
  void wake() override {
    if (word_.exchange(1, std::memory_order_release) == 0) futex_wake(word_, 1);
  }

 private:
  std::atomic<std::uint32_t> word_{0};
};

}  // namespace runa::concurrency
