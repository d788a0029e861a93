// SpinWait: how a thread waits for a store that another thread makes within
// a few hundred instructions of starting (a claimed header's forwarding
// word, forwarding.hpp; a terminating worker's offer, terminator.hpp).
//
// Rounds. The first kSpinRounds rounds spin with the CPU's spin-loop hint,
// twice as many each round (1, 2, 4, ... 128: from a few to some tens of
// microseconds in all, depending on the core). A store that has not come
// by then most likely will not come while this thread runs: the thread
// making it was pre-empted, which happens whenever there are more
// collector threads than cores (gc_threads above the core count, or a
// loaded machine). Spinning on would hold the core for the rest of the time
// slice while the thread it waits for cannot run, so every later round
// yields the core (sched_yield), letting that thread finish its store.
// SpinWait never sleeps: what it waits for needs no wake-up, only the other
// thread's next time slice (the terminator adds its own sleeps after
// rounds of yielding, as its wait may be long).
//
// CasBackoff: how a thread steps back after losing a compare-and-swap on
// a shared word to another thread (a ring's head or tail index,
// array_queue.hpp). Retrying at once takes the word's line back from the
// winner, who is about to touch it again, and under steady contention the
// line moves between the cores on nearly every attempt; a pause that
// doubles with each loss (1 to kMax hints) lets the winner finish and the
// losers come back spread out. It never yields: the winner is running.
#pragma once

#include <thread>

namespace runa::concurrency {

// Tells the core that this is a spin loop: it stops speculating ahead and
// gives the pipeline to its hyperthread sibling.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class SpinWait {
 public:
  static constexpr unsigned kSpinRounds = 8;

  // One round of waiting: spins, or once the spinning rounds are over, yields.
  void wait() {
    if (round_ < kSpinRounds) {
      for (unsigned i = 0; i < 1U << round_; ++i) cpu_relax();
      ++round_;
    } else {
      ++yields_;
      std::this_thread::yield();
    }
  }
  // Whether the next wait() yields.
  [[nodiscard]] bool spun_out() const { return round_ == kSpinRounds; }
  [[nodiscard]] unsigned yields() const { return yields_; }

 private:
  unsigned round_ = 0;
  unsigned yields_ = 0;
};

class CasBackoff {
 public:
  static constexpr unsigned kMax = 64;

  // After a lost compare-and-swap.
  void pause() {
    for (unsigned i = 0; i < hints_; ++i) cpu_relax();
    if (hints_ < kMax) hints_ *= 2;
  }

 private:
  unsigned hints_ = 1;
};

}  // namespace runa::concurrency
