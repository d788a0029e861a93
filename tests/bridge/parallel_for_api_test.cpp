// rt::parallel_for (runatime/concurrency.hpp): fork-join over a range on
// the runtime's pool — every index once, pieces that allocate and collect,
// the first failure reported and the caller left clean, and the places it
// refuses.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "concurrency_api_fixture.hpp"
#include "runatime/ops.hpp"

namespace runa::rt {
namespace {

// Pieces cover the range once, in pieces of at most `grain`, on attached
// workers: each allocates a String and every tenth collects, so objects
// move under the others' feet.
TEST_F(ConcurrencyApiTest, ParallelForVisitsEveryIndexOnceOnAttachedWorkers) {
  constexpr std::uint64_t kBegin = 5;
  constexpr std::uint64_t kEnd = 10'005;
  std::vector<std::atomic<int>> seen(kEnd);
  std::atomic<std::uint64_t> pieces{0};
  std::atomic<bool> too_big{false};
  const Outcome o = parallel_for(*runtime_, kBegin, kEnd, 37,
                                 [&](Thread& on, std::uint64_t lo, std::uint64_t hi) -> Outcome {
                                   if (hi - lo > 37) too_big = true;
                                   HandleScope scope(*on.m);
                                   const Handle s(*on.m, str(on, "piece " + std::to_string(lo)));
                                   if (pieces.fetch_add(1) % 10 == 0)
                                     runtime_->heap().collect(*on.m);
                                   if (text(on, s.value()) != "piece " + std::to_string(lo)) {
                                     return {Status::kInternal, "moved badly"};
                                   }
                                   for (std::uint64_t i = lo; i < hi; ++i) seen[i].fetch_add(1);
                                   return {};
                                 });
  ASSERT_TRUE(o) << o.message;
  EXPECT_FALSE(too_big.load());
  for (std::uint64_t i = 0; i < kEnd; ++i) EXPECT_EQ(seen[i].load(), i < kBegin ? 0 : 1) << i;
  EXPECT_GE(pieces.load(), (kEnd - kBegin) / 37);
  EXPECT_TRUE(parallel_for(*runtime_, 9, 9, 0, [](Thread&, std::uint64_t, std::uint64_t) {
    return Outcome{Status::kInternal, "called on an empty range"};
  }));
}

// The first failure comes back, with the text of the Runa exception the
// piece left (cleared from the worker), or the C++ exception's; the
// caller's thread has no exception of it.
TEST_F(ConcurrencyApiTest, ParallelForReportsAFailingPiece) {
  const Outcome runa = parallel_for(*runtime_, 0, 1000, 10,
                                    [](Thread& on, std::uint64_t lo, std::uint64_t hi) -> Outcome {
                                      if (lo > 500 || hi <= 500) return {};
                                      ops::raise(on, "ValueError", "bad piece at 500");
                                      return {Status::kThrown, "replaced by the exception's text"};
                                    });
  EXPECT_EQ(runa.status, Status::kThrown);
  EXPECT_EQ(runa.message, "ValueError: bad piece at 500");
  const Outcome cxx = parallel_for(
      *runtime_, 0, 1000, 10, [](Thread& /*on*/, std::uint64_t lo, std::uint64_t hi) -> Outcome {
        if (lo <= 120 && 120 < hi) throw std::runtime_error("piece at 120");
        return {};
      });
  EXPECT_EQ(cxx.status, Status::kInternal);
  EXPECT_EQ(cxx.message, "the job threw: piece at 120");
  EXPECT_EQ(t().exception, kNothing);
}

// Called inside a Job, the job's worker takes part (the join helps rather
// than blocks); inside a behaviour it is refused, as an ask is.
TEST_F(ConcurrencyApiTest, ParallelForNestsInAJobAndIsRefusedInABehaviour) {
  std::atomic<std::uint64_t> sum{0};
  Job job;
  ASSERT_TRUE(Job::start(
      *runtime_,
      [this, &sum](Thread& /*on*/) -> Outcome {
        return parallel_for(*runtime_, 1, 1001, 0,
                            [&sum](Thread&, std::uint64_t lo, std::uint64_t hi) -> Outcome {
                              for (std::uint64_t i = lo; i < hi; ++i) sum.fetch_add(i);
                              return {};
                            });
      },
      &job));
  const Outcome nested = job.wait();
  EXPECT_TRUE(nested) << nested.message;
  EXPECT_EQ(sum.load(), 500'500U);

  HandleScope scope(m());
  const Handle a(m(), kNothing);
  std::atomic<bool> answered{false};
  Outcome inside;
  ASSERT_TRUE(Actor::spawn(
      t(),
      [&](Thread& /*on*/, Value* /*message*/) {
        inside = parallel_for(*runtime_, 0, 10, 1,
                              [](Thread&, std::uint64_t, std::uint64_t) { return Outcome{}; });
        answered.store(true, std::memory_order_release);
      },
      a.slot()));
  const Handle one(m(), make_small_int(1));
  ASSERT_TRUE(Actor(a.slot()).send(t(), one.slot()));
  wait_for(t(), answered);
  EXPECT_EQ(inside.status, Status::kInvalidState);
  ASSERT_TRUE(Actor(a.slot()).stop(t()));
  ASSERT_TRUE(Actor(a.slot()).wait(t()));
}

}  // namespace
}  // namespace runa::rt
