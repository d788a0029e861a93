// The timer wheel: exact firing at every level boundary, cancel and re-arm
// (also from inside the sink), large jumps, deadlines beyond the 64^6 span,
// start times near the top of the tick range, and a long randomized run
// against a model (a multimap). Firing order is part of the contract
// (timer_wheel.hpp, "Firing order"): nondecreasing keys, where an entry's
// key is max(deadline, now() when armed).
#include "concurrency/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

namespace runa::concurrency {
namespace {

constexpr std::uint64_t kSpan = std::uint64_t{1} << TimerWheel::kSpanBits;  // 64^6

constexpr std::uint64_t pow64(unsigned k) {
  return std::uint64_t{1} << (6 * k);
}

struct Entry : TimerEntry {
  std::size_t id = 0;
  int fired = 0;
};

Entry* as_entry(TimerEntry* e) {
  return static_cast<Entry*>(e);  // NOLINT(*-static-cast-downcast): every entry is an Entry
}

// Advances w to t; the entries fired, in firing order.
std::vector<Entry*> advance(TimerWheel& w, std::uint64_t t) {
  std::vector<Entry*> out;
  w.advance(t, [&](TimerEntry* e) {
    ++as_entry(e)->fired;
    out.push_back(as_entry(e));
  });
  return out;
}

std::vector<std::uint64_t> boundary_deadlines() {
  std::vector<std::uint64_t> out = {0, 1, 2, 62, 63};
  for (unsigned k = 1; k <= 6; ++k) {
    for (std::uint64_t d : {pow64(k) - 1, pow64(k), pow64(k) + 1}) out.push_back(d);
  }
  out.push_back(2 * kSpan - 1);
  out.push_back(3 * kSpan + pow64(5) + 17);
  return out;
}

TEST(TimerWheel, FiresOnTheExactTickAtEveryLevelBoundary) {
  for (std::uint64_t start : {std::uint64_t{0}, std::uint64_t{5}, pow64(3) - 2}) {
    for (std::uint64_t d : boundary_deadlines()) {
      const std::uint64_t deadline = start + d;
      TimerWheel w(start);
      Entry e;
      w.arm(&e, deadline);
      ASSERT_TRUE(w.next_deadline().has_value());
      EXPECT_LE(*w.next_deadline(), deadline) << start << " + " << d;
      EXPECT_GE(*w.next_deadline(), start);
      if (deadline > start) {
        EXPECT_TRUE(advance(w, deadline - 1).empty()) << start << " + " << d;
        EXPECT_TRUE(e.armed());
        EXPECT_EQ(w.now(), deadline - 1);
      }
      auto fired = advance(w, deadline);
      ASSERT_EQ(fired.size(), 1U) << start << " + " << d;
      EXPECT_EQ(fired[0], &e);
      EXPECT_FALSE(e.armed());
      EXPECT_TRUE(w.empty());
      EXPECT_EQ(w.next_deadline(), std::nullopt);
    }
  }
}

// A driver that sleeps until next_deadline() and advances there reaches
// every deadline on time, waking early at most once per level.
TEST(TimerWheel, SleepingUntilNextDeadlineNeverOversleeps) {
  for (std::uint64_t d : boundary_deadlines()) {
    TimerWheel w(3);
    Entry e;
    w.arm(&e, 3 + d);
    int wakes = 0;
    while (e.fired == 0) {
      auto next = w.next_deadline();
      ASSERT_TRUE(next.has_value());
      ASSERT_LE(*next, 3 + d);
      advance(w, *next);
      ++wakes;
    }
    EXPECT_EQ(w.now(), 3 + d);
    // Beyond the span: one more wake per rotation waited.
    EXPECT_LE(wakes, static_cast<int>(TimerWheel::kLevels + d / kSpan)) << d;
  }
}

TEST(TimerWheel, TickByTickFiresEachEntryOnItsDeadline) {
  TimerWheel w(100);
  std::vector<std::unique_ptr<Entry>> entries;
  for (std::uint64_t d :
       {100U, 101U, 163U, 164U, 165U, 227U, 228U, 4195U, 4196U, 4197U, 4259U, 8292U}) {
    entries.push_back(std::make_unique<Entry>());
    w.arm(entries.back().get(), d);
  }
  for (std::uint64_t t = 100; t <= 8400; ++t) {
    for (Entry* e : advance(w, t)) EXPECT_EQ(e->deadline(), t);
  }
  for (auto& e : entries) EXPECT_EQ(e->fired, 1);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, CancelBeforeFire) {
  TimerWheel w(0);
  Entry a;
  Entry b;
  w.arm(&a, 500);
  w.arm(&b, 700);
  EXPECT_EQ(w.size(), 2U);
  EXPECT_TRUE(w.cancel(&a));
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(w.cancel(&a));
  EXPECT_EQ(w.size(), 1U);
  EXPECT_EQ(w.next_deadline(), std::optional<std::uint64_t>(640));  // b's level-1 slot
  w.arm(&b, 10);  // re-armed earlier: moves, does not count twice
  EXPECT_EQ(w.size(), 1U);
  EXPECT_EQ(w.next_deadline(), std::optional<std::uint64_t>(10));
  EXPECT_EQ(advance(w, 10).size(), 1U);
  EXPECT_FALSE(w.cancel(&b));  // fired already
  EXPECT_TRUE(advance(w, 1000).empty());
  EXPECT_EQ(a.fired, 0);
  EXPECT_EQ(b.fired, 1);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, PastDeadlinesFireAtTheNextAdvance) {
  TimerWheel w(1000);
  Entry late;
  Entry later;
  Entry now;
  Entry soon;
  w.arm(&soon, 1001);
  w.arm(&late, 3);
  w.arm(&later, 999);
  w.arm(&now, 1000);
  EXPECT_EQ(w.next_deadline(), std::optional<std::uint64_t>(1000));
  auto fired = advance(w, 1000);
  ASSERT_EQ(fired.size(), 3U);
  EXPECT_EQ(soon.fired, 0);
  EXPECT_EQ(advance(w, 1001).size(), 1U);
}

TEST(TimerWheel, ARearmInTheSinkFiresAtALaterAdvance) {
  TimerWheel w(0);
  Entry e;
  w.arm(&e, 5);
  int calls = 0;
  w.advance(5, [&](TimerEntry* x) {
    ++calls;
    EXPECT_FALSE(x->armed());
    w.arm(x, 0);  // due already, but not in this advance
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(e.armed());
  EXPECT_EQ(w.next_deadline(), std::optional<std::uint64_t>(5));
  w.advance(5, [&](TimerEntry* x) {
    ++calls;
    w.arm(x, 70);  // periodic: the next period
  });
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(advance(w, 69).empty());
  EXPECT_EQ(advance(w, 70).size(), 1U);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(e.fired, 1);
}

// Entries collected in the same advance but not yet handed over may be
// cancelled or re-armed by the sink: a cancelled one does not fire, a
// re-armed one fires at its new deadline, and no other is lost.
TEST(TimerWheel, TheSinkMayCancelOrRearmEntriesDueInTheSameAdvance) {
  TimerWheel w(0);
  std::vector<std::unique_ptr<Entry>> entries;
  for (std::size_t i = 0; i < 6; ++i) {
    entries.push_back(std::make_unique<Entry>());
    entries.back()->id = i;
    w.arm(entries.back().get(), 5);
  }
  Entry* cancelled = nullptr;
  Entry* moved = nullptr;
  std::vector<std::size_t> seen;
  w.advance(5, [&](TimerEntry* x) {
    seen.push_back(as_entry(x)->id);
    if (seen.size() > 1) return;
    // Two entries other than x: due, not handed over yet.
    cancelled = entries[x == entries[0].get() ? 1 : 0].get();
    moved = entries[x == entries[5].get() ? 4 : 5].get();
    EXPECT_TRUE(cancelled->armed());
    EXPECT_TRUE(w.cancel(cancelled));
    w.arm(moved, 50);
  });
  EXPECT_EQ(seen.size(), 4U);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), cancelled->id), 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), moved->id), 0);
  EXPECT_EQ(w.size(), 1U);
  auto fired = advance(w, 50);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0], moved);
}

TEST(TimerWheel, AThrowingSinkLeavesTheRestDueForTheNextAdvance) {
  TimerWheel w(0);
  Entry a;
  Entry b;
  w.arm(&a, 1);
  w.arm(&b, 2);
  EXPECT_THROW(w.advance(10, [](TimerEntry*) { throw std::runtime_error("sink"); }),
               std::runtime_error);
  EXPECT_EQ(w.size(), 1U);
  EXPECT_TRUE(b.armed());
  EXPECT_EQ(w.next_deadline(), std::optional<std::uint64_t>(10));
  auto fired = advance(w, 10);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0], &b);
}

TEST(TimerWheel, ALargeJumpFiresAllAndOnlyTheDueInDeadlineOrder) {
  const std::uint64_t t = pow64(5) + 17;
  TimerWheel w(0);
  std::mt19937_64 rng(7);
  std::vector<std::unique_ptr<Entry>> entries(6000);
  std::size_t due = 0;
  for (auto& e : entries) {
    e = std::make_unique<Entry>();
    // Up to twice t, so that about half stay; a few exactly on t.
    std::uint64_t d = rng() % 50 == 0 ? t : rng() % (2 * t);
    w.arm(e.get(), d);
    due += d <= t ? 1 : 0;
  }
  auto fired = advance(w, t);
  ASSERT_EQ(fired.size(), due);
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end(),
                             [](Entry* a, Entry* b) { return a->deadline() < b->deadline(); }));
  for (auto& e : entries) EXPECT_EQ(e->fired, e->deadline() <= t ? 1 : 0);
  EXPECT_EQ(w.size(), entries.size() - due);
  EXPECT_GT(*w.next_deadline(), t);
  for (auto& e : entries) w.cancel(e.get());
}

TEST(TimerWheel, DeadlinesBeyondTheSpan) {
  TimerWheel w(pow64(5) * 40 + 12345);  // now's digit 5 is 40
  const std::uint64_t start = w.now();
  // Beyond the span, in slots below, at and above now's digit 5, and
  // several rotations out.
  std::vector<std::uint64_t> deadlines = {
      start + kSpan,         start + kSpan - pow64(5), start + kSpan + 1, start + kSpan + pow64(5),
      start + 2 * kSpan - 1, start + 7 * kSpan + 99,   start + kSpan - 1, start + 3};
  std::vector<std::unique_ptr<Entry>> entries;
  for (std::uint64_t d : deadlines) {
    entries.push_back(std::make_unique<Entry>());
    w.arm(entries.back().get(), d);
  }
  std::sort(deadlines.begin(), deadlines.end());
  std::uint64_t t = start;
  for (std::uint64_t d : deadlines) {
    auto next = w.next_deadline();
    ASSERT_TRUE(next.has_value());
    EXPECT_LE(*next, d);
    EXPECT_TRUE(advance(w, d - 1).empty()) << d - start;
    auto fired = advance(w, d);
    ASSERT_EQ(fired.size(), 1U) << d - start;
    EXPECT_EQ(fired[0]->deadline(), d);
    t = d;
  }
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.now(), t);
}

// Near the top of the range nothing may wrap: slot starts, the next
// rotation, and a deadline of 2^64 - 1 (reached from within 100 rotations;
// from further it is correct but costs a visit per rotation jumped).
TEST(TimerWheel, StartNearTheTopOfTheTickRange) {
  const std::uint64_t top = ~std::uint64_t{0};
  for (std::uint64_t start : {(std::uint64_t{1} << 63) - 5, std::uint64_t{1} << 63,
                              top - 100 * kSpan, top - kSpan - 100'000, top - 100'000}) {
    TimerWheel w(start);
    Entry near;
    Entry mid;
    Entry far;
    Entry farthest;
    const bool far_fits = top - start > 3 * kSpan;
    const std::uint64_t farthest_deadline = top - start > 1000 * kSpan ? start + 1000 * kSpan : top;
    w.arm(&near, start + 3);
    w.arm(&mid, start + 90'000);
    if (far_fits) w.arm(&far, start + 3 * kSpan);
    w.arm(&farthest, farthest_deadline);
    // Exact unless start + 3 lies in the next 64-block (top - 100 * kSpan
    // ends in 36 one bits): then the start of its slot.
    ASSERT_TRUE(w.next_deadline().has_value());
    EXPECT_LE(*w.next_deadline(), start + 3);
    EXPECT_GT(*w.next_deadline(), start);
    EXPECT_TRUE(advance(w, start + 2).empty());
    EXPECT_EQ(advance(w, start + 3).size(), 1U);
    EXPECT_TRUE(advance(w, start + 89'999).empty());
    EXPECT_EQ(advance(w, start + 90'000).size(), 1U);
    if (far_fits) {
      EXPECT_TRUE(advance(w, start + 3 * kSpan - 1).empty());
      auto fired = advance(w, start + 3 * kSpan);
      ASSERT_EQ(fired.size(), 1U);
      EXPECT_EQ(fired[0], &far);
    }
    EXPECT_TRUE(advance(w, farthest_deadline - 1).empty());
    EXPECT_LE(*w.next_deadline(), farthest_deadline);
    auto fired = advance(w, farthest_deadline);
    ASSERT_EQ(fired.size(), 1U);
    EXPECT_EQ(fired[0], &farthest);
    EXPECT_TRUE(w.empty());
  }
}

TEST(TimerWheel, DestroyingTheWheelDisarmsItsEntries) {
  Entry a;
  Entry b;
  {
    TimerWheel w(0);
    w.arm(&a, 10);
    w.arm(&b, kSpan * 2);
    EXPECT_TRUE(a.armed());
  }
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(b.armed());
}

// ~200k random arms, cancels and advances (with jumps from 0 to past the
// span), some of them from inside the sink, checked against a model: the
// armed entries by key. Every advance must fire exactly the model's due
// entries, in nondecreasing key order, and next_deadline() must lie in
// [now, earliest key].
void run_against_model(std::uint64_t start, std::uint64_t seed) {
  constexpr std::size_t kEntries = 3000;
  TimerWheel w(start);
  std::mt19937_64 rng(seed);
  std::vector<Entry> entries(kEntries);
  using Model = std::multimap<std::uint64_t, std::size_t>;
  Model model;        // armed, not yet due: key -> id
  Model outstanding;  // due in the current advance, not yet handed over
  enum State { kIdle, kArmed, kOutstanding };
  std::vector<State> state(kEntries, kIdle);
  std::vector<Model::iterator> where(kEntries);  // valid unless kIdle
  for (std::size_t i = 0; i < kEntries; ++i) entries[i].id = i;

  auto forget = [&](std::size_t i) {  // true if i was armed
    if (state[i] == kIdle) return false;
    (state[i] == kOutstanding ? outstanding : model).erase(where[i]);
    state[i] = kIdle;
    return true;
  };
  auto random_deadline = [&] {
    const std::uint64_t span = std::uint64_t{1} << (rng() % 40);  // up to 16 spans out
    std::uint64_t d = w.now() + rng() % span;
    if (rng() % 8 == 0) d = w.now() - std::min(w.now(), rng() % 100);  // already past
    return d;
  };
  auto arm = [&](std::size_t i, std::uint64_t d) {
    forget(i);
    w.arm(&entries[i], d);
    where[i] = model.emplace(std::max(d, w.now()), i);
    state[i] = kArmed;
  };

  for (int step = 0; step < 200'000; ++step) {
    const std::size_t i = rng() % kEntries;
    const auto op = rng() % 8;
    if (op < 4) {
      arm(i, random_deadline());
    } else if (op < 6) {
      EXPECT_EQ(w.cancel(&entries[i]), forget(i));
    } else {
      if (model.empty()) {
        ASSERT_EQ(w.next_deadline(), std::nullopt);
      } else {
        auto next = w.next_deadline();
        ASSERT_TRUE(next.has_value());
        ASSERT_LE(*next, model.begin()->first) << "step " << step;
        ASSERT_GE(*next, w.now());
      }
      // Jumps of 0 to 2^40 ticks, spread over the bit lengths.
      const std::uint64_t bits = rng() % 41;
      const std::uint64_t t = w.now() + rng() % (std::uint64_t{1} << bits);
      while (!model.empty() && model.begin()->first <= t) {
        auto node = model.extract(model.begin());
        std::size_t id = node.mapped();
        where[id] = outstanding.insert(std::move(node));
        state[id] = kOutstanding;
      }
      std::uint64_t last_key = 0;
      w.advance(t, [&](TimerEntry* x) {
        const std::size_t id = as_entry(x)->id;
        ASSERT_EQ(state[id], kOutstanding) << "step " << step << " fired " << id;
        EXPECT_GE(where[id]->first, last_key) << "step " << step;
        last_key = where[id]->first;
        forget(id);
        EXPECT_FALSE(x->armed());
        // What an executor's sink might do: re-arm the entry (periodic),
        // cancel or arm another (perhaps one due and not handed over yet).
        const std::size_t other = rng() % kEntries;
        const auto action = rng() % 16;
        if (action == 0) arm(id, random_deadline());
        if (action == 1) {
          EXPECT_EQ(w.cancel(&entries[other]), forget(other));
        }
        if (action == 2) arm(other, random_deadline());
      });
      ASSERT_TRUE(outstanding.empty()) << "step " << step;
      ASSERT_EQ(w.now(), t);
    }
    ASSERT_EQ(w.size(), model.size()) << "step " << step;
  }
  for (auto& e : entries) w.cancel(&e);
}

TEST(TimerWheel, RandomOperationsAgreeWithAModel) {
  run_against_model(0, 12345);
}

TEST(TimerWheel, RandomOperationsAgreeWithAModelNearTwoToThe63) {
  run_against_model((std::uint64_t{1} << 63) - 1'000'000, 777);
}

}  // namespace
}  // namespace runa::concurrency
