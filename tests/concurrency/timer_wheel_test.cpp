// The timer wheel against a model (a multimap of deadlines): every entry
// fires exactly once, at the first advance that reaches its deadline, and
// next_deadline() never lies later than the earliest deadline.
#include "concurrency/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace runa::concurrency {
namespace {

struct Entry : TimerEntry {
  int id = 0;
  int fired = 0;
  std::uint64_t fired_at = 0;
};

std::vector<Entry*> advance(TimerWheel& w, std::uint64_t t) {
  std::vector<Entry*> out;
  w.advance(t, [&](TimerEntry* e) {
    auto* x = static_cast<Entry*>(e);
    ++x->fired;
    x->fired_at = t;
    out.push_back(x);
  });
  return out;
}

TEST(TimerWheel, FiresAtEveryLevelBoundary) {
  const std::uint64_t deadlines[] = {0,
                                     1,
                                     63,
                                     64,
                                     65,
                                     4095,
                                     4096,
                                     4097,
                                     262143,
                                     262144,
                                     16777216,
                                     1073741823,
                                     1073741824,
                                     (std::uint64_t{1} << 36) - 1,
                                     std::uint64_t{1} << 36,
                                     (std::uint64_t{1} << 36) + 17};
  for (std::uint64_t d : deadlines) {
    TimerWheel w(0);
    Entry e;
    w.arm(&e, d);
    EXPECT_EQ(w.next_deadline().value_or(~0ULL) <= d, true) << d;
    if (d > 0) {
      EXPECT_TRUE(advance(w, d - 1).empty()) << d;
    }
    auto fired = advance(w, d);
    ASSERT_EQ(fired.size(), 1U) << d;
    EXPECT_EQ(e.fired, 1);
    EXPECT_FALSE(e.armed());
    EXPECT_TRUE(w.empty());
  }
}

TEST(TimerWheel, StepByStepFiresOnTheExactTick) {
  TimerWheel w(100);
  std::vector<std::unique_ptr<Entry>> entries;
  for (std::uint64_t d : {100ULL, 101ULL, 163ULL, 164ULL, 228ULL, 4196ULL, 4197ULL}) {
    entries.push_back(std::make_unique<Entry>());
    w.arm(entries.back().get(), d);
  }
  for (std::uint64_t t = 100; t <= 4300; ++t) {
    for (Entry* e : advance(w, t)) EXPECT_EQ(e->deadline(), t);
  }
  for (auto& e : entries) EXPECT_EQ(e->fired, 1);
}

TEST(TimerWheel, CancelAndRearm) {
  TimerWheel w(0);
  Entry a;
  Entry b;
  w.arm(&a, 500);
  w.arm(&b, 700);
  EXPECT_TRUE(w.cancel(&a));
  EXPECT_FALSE(w.cancel(&a));
  w.arm(&b, 10);  // re-arm earlier
  EXPECT_EQ(w.size(), 1U);
  EXPECT_EQ(advance(w, 10).size(), 1U);
  EXPECT_TRUE(advance(w, 1000).empty());
  EXPECT_EQ(a.fired, 0);
  EXPECT_EQ(b.fired, 1);
}

TEST(TimerWheel, PastDeadlinesFireAtTheNextAdvance) {
  TimerWheel w(1000);
  Entry e;
  w.arm(&e, 3);
  EXPECT_EQ(w.next_deadline(), std::optional<std::uint64_t>(1000));
  EXPECT_EQ(advance(w, 1000).size(), 1U);
}

TEST(TimerWheel, ARearmInTheSinkWaitsForTheNextAdvance) {
  TimerWheel w(0);
  Entry e;
  w.arm(&e, 5);
  int calls = 0;
  w.advance(5, [&](TimerEntry* x) {
    ++calls;
    w.arm(x, 0);  // due already: must not fire again in this advance
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(e.armed());
  w.advance(5, [&](TimerEntry*) { ++calls; });
  EXPECT_EQ(calls, 2);
}

TEST(TimerWheel, LargeJumpsFireInDeadlineOrder) {
  TimerWheel w(0);
  std::mt19937_64 rng(7);
  std::vector<std::unique_ptr<Entry>> entries;
  for (int i = 0; i < 5000; ++i) {
    entries.push_back(std::make_unique<Entry>());
    w.arm(entries.back().get(), rng() % ((std::uint64_t{1} << 30) + 17));
  }
  const std::uint64_t t = (std::uint64_t{1} << 30) + 17;
  auto fired = advance(w, t);
  ASSERT_EQ(fired.size(), entries.size());
  for (std::size_t i = 1; i < fired.size(); ++i) {
    // Between slots the order is by deadline; within a level-0 slot the
    // deadlines are equal.
    EXPECT_LE(fired[i - 1]->deadline(), fired[i]->deadline());
  }
}

TEST(TimerWheel, BeyondTheSpanAndNearTheTopOfTime) {
  const std::uint64_t starts[] = {0, (std::uint64_t{1} << 63) - 5, ~std::uint64_t{0} - 100'000};
  for (std::uint64_t start : starts) {
    TimerWheel w(start);
    Entry near;
    Entry far;
    Entry farther;
    const bool far_fits = start + (std::uint64_t{1} << 37) > start;  // not past 2^64
    w.arm(&near, start + 3);
    if (far_fits) w.arm(&far, start + (std::uint64_t{1} << 37));  // beyond the 2^36 span
    w.arm(&farther, start + 90'000);
    auto next = w.next_deadline();
    ASSERT_TRUE(next);
    EXPECT_LE(*next, start + 3);
    EXPECT_EQ(advance(w, start + 3).size(), 1U);
    EXPECT_EQ(advance(w, start + 90'000).size(), 1U);
    if (far_fits) {
      EXPECT_TRUE(advance(w, start + (std::uint64_t{1} << 37) - 1).empty());
      EXPECT_EQ(advance(w, start + (std::uint64_t{1} << 37)).size(), 1U);
      EXPECT_EQ(far.fired_at, start + (std::uint64_t{1} << 37));
    }
  }
}

TEST(TimerWheel, RandomOperationsAgreeWithAModel) {
  TimerWheel w(0);
  std::mt19937_64 rng(12345);
  constexpr int kEntries = 2000;
  std::vector<Entry> entries(kEntries);
  std::multimap<std::uint64_t, int> model;  // deadline -> id, armed ones
  std::vector<std::multimap<std::uint64_t, int>::iterator> where(kEntries, model.end());
  for (int i = 0; i < kEntries; ++i) entries[i].id = i;
  std::uint64_t now = 0;
  for (int step = 0; step < 200'000; ++step) {
    int i = static_cast<int>(rng() % kEntries);
    switch (rng() % 4) {
      case 0:
      case 1: {  // arm, at a spread of distances
        std::uint64_t span = std::uint64_t{1} << (rng() % 40);
        std::uint64_t d = now + rng() % span;
        if (where[i] != model.end()) model.erase(where[i]);
        w.arm(&entries[i], d);
        where[i] = model.emplace(d, i);
        break;
      }
      case 2:  // cancel
        EXPECT_EQ(w.cancel(&entries[i]), where[i] != model.end());
        if (where[i] != model.end()) {
          model.erase(where[i]);
          where[i] = model.end();
        }
        break;
      default: {  // advance by a spread of jumps
        if (!model.empty()) {
          auto next = w.next_deadline();
          ASSERT_TRUE(next);
          ASSERT_LE(*next, std::max(model.begin()->first, now));
        }
        now += rng() % (std::uint64_t{1} << (rng() % 24));
        std::vector<int> fired;
        w.advance(now, [&](TimerEntry* e) { fired.push_back(static_cast<Entry*>(e)->id); });
        std::vector<int> expected;
        while (!model.empty() && model.begin()->first <= now) {
          expected.push_back(model.begin()->second);
          where[model.begin()->second] = model.end();
          model.erase(model.begin());
        }
        std::sort(fired.begin(), fired.end());
        std::sort(expected.begin(), expected.end());
        ASSERT_EQ(fired, expected) << "step " << step;
      }
    }
    ASSERT_EQ(w.size(), model.size());
  }
}

}  // namespace
}  // namespace runa::concurrency
