// The bounded channel's ring (array_queue.hpp): full and empty are decided
// by the indices, so an operation another thread has claimed and not
// finished is waited for, never reported as "empty" or "full". The
// channel's wake-up rests on this (a notifier checks the wait list after
// its claim without a fence), so each test holds one side between its
// claim and its finish and checks what the other side reports.
//
// The interleaving each test stands for: a producer claims position p
// (CAS on tail) and has not yet published the cell; a consumer that
// registered and retried would see the cell unpublished. Reporting kEmpty
// then would let it sleep, and the producer's check of the wait list,
// which is allowed to be made before its publish is visible, may have
// found no one: a lost wake-up. The same for a consumer moving an item
// out of a full ring and a producer's kFull.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "concurrency/channel/array_queue.hpp"
#include "concurrency/spin_wait.hpp"

namespace runa::concurrency {
namespace {

// A value whose n-th move stops half way: the thread making it announces
// `moving` and waits for `go`. A move is what the ring does between a
// claim and its publish (construction into the cell, on a push) or its
// free (assignment out of the cell, on a pop).
struct Gate {
  std::atomic<bool> moving{false};
  std::atomic<bool> go{false};
  void pass() {
    moving.store(true);
    SpinWait w;
    while (!go.load()) w.wait();
  }
};

struct Held {
  std::uint64_t value = 0;
  Gate* gate = nullptr;
  int moves_left = 0;  // the move that brings it to 0 waits at the gate

  Held() = default;
  Held(std::uint64_t v, Gate* g, int stop_at_move) : value(v), gate(g), moves_left(stop_at_move) {}
  Held(Held&& o) noexcept { take(o); }
  Held& operator=(Held&& o) noexcept {
    take(o);
    return *this;
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  ~Held() = default;

 private:
  void take(Held& o) {
    value = o.value;
    gate = o.gate;
    moves_left = o.moves_left - 1;
    o.gate = nullptr;
    if (gate != nullptr && moves_left == 0) {
      gate->pass();
      gate = nullptr;
    }
  }
};

// Runs `other` until it is inside the move held by `gate`, then `probe`,
// and lets the move finish a while after the probe has started. The probe
// must wait for the move rather than answer "empty" or "full"; if it did
// answer at once, it answers before `go`, and the status shows it.
template <class Other, class Probe>
void probe_while_held(Gate& gate, Other other, Probe probe) {
  std::thread t(other);
  SpinWait w;
  while (!gate.moving.load()) w.wait();
  std::atomic<bool> probing{false};
  std::thread p([&] {
    probing.store(true);
    probe();
  });
  while (!probing.load()) std::this_thread::yield();
  // Not a timing assertion: the sleep only makes it likely that a probe
  // that does not wait has answered before the move is let go.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  gate.go.store(true);
  p.join();
  t.join();
}

// Pushes 42 with its move held at a gate (after the claim of the tail,
// before the publish) and pops meanwhile, first closing the queue when
// `close_first` is set: what the push and the pop reported and the value
// popped.
struct PopDuringPush {
  QueueStatus pushed = QueueStatus::kEmpty;
  QueueStatus popped = QueueStatus::kEmpty;
  std::uint64_t value = 0;
};
PopDuringPush pop_during_push(ArrayQueue<Held>& q, bool close_first) {
  Gate gate;
  PopDuringPush r;
  Held out;
  probe_while_held(
      gate,
      [&] {
        Held v(42, &gate, 1);
        r.pushed = q.try_push(v);
      },
      [&] {
        if (close_first) q.close();
        r.popped = q.try_pop(out);
      });
  r.value = out.value;
  return r;
}

// The pop waited for the push it overlapped and received its value.
void expect_received(const PopDuringPush& r) {
  EXPECT_EQ(r.pushed, QueueStatus::kOk);
  EXPECT_EQ(r.popped, QueueStatus::kOk);
  EXPECT_EQ(r.value, 42U);
}

TEST(ArrayQueue, PopWaitsForAPushInFlightInsteadOfReportingEmpty) {
  ArrayQueue<Held> q(4);
  expect_received(pop_during_push(q, false));
}

// A closed ring reports kClosed only once drained, even while the last
// push is still storing its item.
TEST(ArrayQueue, ClosedIsReportedOnlyAfterAPushInFlightIsReceived) {
  ArrayQueue<Held> q(4);
  expect_received(pop_during_push(q, true));
  Held out;
  EXPECT_EQ(q.try_pop(out), QueueStatus::kClosed);
}

TEST(ArrayQueue, PushWaitsForAPopInFlightInsteadOfReportingFull) {
  ArrayQueue<Held> q(2);
  Gate gate;
  Held first(1, &gate, 2);  // moved in, then stops when moved out
  Held second(2, nullptr, 0);
  Held third(3, nullptr, 0);
  ASSERT_EQ(q.try_push(first), QueueStatus::kOk);
  ASSERT_EQ(q.try_push(second), QueueStatus::kOk);
  ASSERT_EQ(q.try_push(third), QueueStatus::kFull);
  QueueStatus popped = QueueStatus::kEmpty;
  QueueStatus pushed = QueueStatus::kEmpty;
  Held out;
  probe_while_held(
      gate, [&] { popped = q.try_pop(out); },  // claims the head, then stops inside the move
      [&] { pushed = q.try_push(third); });
  EXPECT_EQ(popped, QueueStatus::kOk);
  EXPECT_EQ(out.value, 1U);
  EXPECT_EQ(pushed, QueueStatus::kOk);
  for (std::uint64_t expect : {2U, 3U}) {
    ASSERT_EQ(q.try_pop(out), QueueStatus::kOk);
    EXPECT_EQ(out.value, expect);
  }
  EXPECT_EQ(q.try_pop(out), QueueStatus::kEmpty);
}

}  // namespace
}  // namespace runa::concurrency
