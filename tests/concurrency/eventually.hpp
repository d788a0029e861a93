// Waits for a state the code under test reaches eventually (a job run, an
// actor's message handled): polls `cond` every millisecond for up to 10 s.
// Tests assert what it returns, never how long it took.
#pragma once

#include <chrono>
#include <thread>

namespace runa::concurrency::testing {

template <class Cond>
bool eventually(Cond cond) {
  for (int i = 0; i < 10'000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

}  // namespace runa::concurrency::testing
