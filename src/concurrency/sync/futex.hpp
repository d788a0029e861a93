// Futex: the Linux primitive every blocking wait of this part ends in — a
// thread sleeps on a 32-bit word only while the word still holds the value
// it saw, and a waker wakes the sleepers of a word. The kernel checks the
// value and queues the thread atomically, so a wake that comes between the
// caller's check and its sleep is never lost: the wait returns at once
// because the value changed (Drepper, "Futexes Are Tricky", 2011).
//
// These wrappers know nothing of safepoints: callers put their waits inside
// a BlockingRegion (blocking.hpp), and only around the wait, never around a
// fast path.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace runa::concurrency {

using Clock = std::chrono::steady_clock;

// Sleeps while *word == expected, until woken, a signal, or `deadline`
// (steady clock). Returns false only when the deadline passed. Spurious
// returns happen: callers recheck their condition in a loop.
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::optional<Clock::time_point> deadline = std::nullopt);
// Wakes up to `count` threads sleeping on word; how many it woke.
int futex_wake(std::atomic<std::uint32_t>& word, int count);
inline int futex_wake_all(std::atomic<std::uint32_t>& word) {
  return futex_wake(word, 0x7fffffff);
}

}  // namespace runa::concurrency
