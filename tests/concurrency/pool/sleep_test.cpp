// The pool's sleep protocol (src/concurrency/pool/sleep.hpp), driven step
// by step from one thread: each test plays one interleaving of a worker W
// going idle and a pusher P, in the order that would lose a wake-up if a
// rule were missing, and checks what each side sees.
#include "concurrency/pool/sleep.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace runa::concurrency {
namespace {

TEST(Sleep, AJobPushedWhileTheWorkerSearchesIsSeenByItsLastLook) {
  // W searched and found nothing; P pushes while W still counts as
  // searching, so P's notify wakes nobody (rule 1). Only W's last look
  // after announce() (rule 3) can find the job: it must see it and cancel.
  Sleep sleep(1);
  std::atomic<bool> job{false};
  sleep.start_searching();  // W: its deque is empty; it looks elsewhere
  job = true;               // P: push ...
  sleep.notify();           // ... notify: a searcher exists, no wake-up
  EXPECT_EQ(sleep.idle(), 0U);
  sleep.announce(0);  // W: lists itself idle, stops searching, fences
  ASSERT_TRUE(job.load()) << "rule 3: W's last look after announce() sees the push";
  EXPECT_TRUE(sleep.cancel(0)) << "nobody woke W, so it is still listed and takes itself off";
  EXPECT_EQ(sleep.searching(), 1U);
  EXPECT_EQ(sleep.idle(), 0U);
}

TEST(Sleep, AJobPushedAfterTheWorkerAnnouncedWakesIt) {
  // W announced itself idle before P's push: P's notify sees W idle and
  // nobody searching, and wakes it (rule 1). W's last look also sees the
  // job; cancel() then finds W already taken off the list by P, and W must
  // consume P's permit: park() returns at once.
  Sleep sleep(1);
  std::atomic<bool> job{false};
  sleep.start_searching();
  sleep.announce(0);
  job = true;
  sleep.notify();
  EXPECT_EQ(sleep.idle(), 0U) << "P took W off the list";
  EXPECT_EQ(sleep.searching(), 1U) << "rule 4: W searches on P's count";
  ASSERT_TRUE(job.load());
  EXPECT_FALSE(sleep.cancel(0));
  sleep.park(0);  // the permit is there: returns at once (else the test hangs)
}

TEST(Sleep, APushThatFindsAnotherSearcherLeavesTheSleeperAlone) {
  // Two workers: V searches, W sleeps. A push relies on V (rule 1) rather
  // than waking W; when V finds the job and is the last searcher, it
  // wakes W (rule 2), since more work may wait where it found its own.
  Sleep sleep(2);
  sleep.start_searching();  // W
  sleep.announce(1);        // W sleeps (listed)
  sleep.start_searching();  // V
  sleep.notify();           // P's push
  EXPECT_EQ(sleep.idle(), 1U);
  sleep.stop_searching(true);  // V found it, and was the last searcher
  EXPECT_EQ(sleep.idle(), 0U);
  EXPECT_EQ(sleep.searching(), 1U);
  sleep.park(1);  // W's permit came
}

TEST(Sleep, OneSpinnerAtATime) {
  // A spinning worker counts as searching; a second one would only burn a
  // core (pool.hpp, "Spinning").
  Sleep sleep(2);
  ASSERT_TRUE(sleep.begin_spin());
  EXPECT_FALSE(sleep.begin_spin());
  sleep.end_spin();
  EXPECT_TRUE(sleep.begin_spin());
  sleep.end_spin();
}

}  // namespace
}  // namespace runa::concurrency
