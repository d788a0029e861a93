// rt::Job (runatime/concurrency.hpp): C++ callables on the runtime's pool,
// their outcomes, timeouts, and the callable's end before wait returns.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "concurrency_api_fixture.hpp"
#include "runatime/ops.hpp"

namespace runa::rt {
namespace {

// Jobs run on attached workers: they allocate (and so may collect) and
// their outcomes come back through wait().
TEST_F(ConcurrencyApiTest, JobsRunOnThePoolAndReportTheirOutcomes) {
  std::atomic<int> ran{0};
  std::vector<Job> jobs(8);
  for (Job& j : jobs) {
    ASSERT_TRUE(Job::start(
        *runtime_,
        [this, &ran](Thread& on) -> Outcome {
          HandleScope scope(*on.m);
          const Handle s(*on.m, str(on, "made on a worker"));
          runtime_->heap().collect(*on.m);
          if (text(on, s.value()) != "made on a worker") return {Status::kInternal, "moved badly"};
          ran.fetch_add(1);
          return {};
        },
        &j));
  }
  for (Job& j : jobs) {
    const Outcome o = j.wait();
    EXPECT_TRUE(o) << o.message;
    EXPECT_FALSE(j.valid());
  }
  EXPECT_EQ(ran.load(), 8);
}

// A failure's message is the Runa exception the job left (cleared from the
// worker), or the C++ exception that escaped it.
TEST_F(ConcurrencyApiTest, AFailingJobReportsWhatItLeftOrThrew) {
  Job runa;
  ASSERT_TRUE(Job::start(
      *runtime_,
      [](Thread& on) -> Outcome {
        ops::raise(on, "ValueError", "no good");
        return {Status::kThrown, "ignored: the exception's text replaces it"};
      },
      &runa));
  Job cxx;
  ASSERT_TRUE(Job::start(
      *runtime_, [](Thread& /*on*/) -> Outcome { throw std::runtime_error("lost"); }, &cxx));
  const Outcome a = runa.wait();
  EXPECT_EQ(a.status, Status::kThrown);
  EXPECT_EQ(a.message, "ValueError: no good");
  const Outcome b = cxx.wait();
  EXPECT_EQ(b.status, Status::kInternal);
  EXPECT_EQ(b.message, "the job threw: lost");
  EXPECT_EQ(t().exception, kNothing);  // the caller's thread has none of it
}

// A wait that times out leaves the job the caller's; waiting again gets
// its outcome, and a third wait finds the handle empty.
TEST_F(ConcurrencyApiTest, AJobWaitTimesOutAndTheJobStaysTheCallers) {
  std::atomic<bool> go{false};
  Job j;
  ASSERT_TRUE(Job::start(
      *runtime_,
      [&go](Thread& on) -> Outcome {
        wait_for(on, go);
        return {};
      },
      &j));
  EXPECT_EQ(j.wait(std::chrono::milliseconds(0)).status, Status::kTimeout);
  EXPECT_EQ(j.wait(std::chrono::milliseconds(5)).status, Status::kTimeout);
  EXPECT_TRUE(j.valid());
  go.store(true, std::memory_order_release);
  EXPECT_TRUE(j.wait());
  EXPECT_EQ(j.wait().status, Status::kInvalidState);
}

// The callable is destroyed before wait() returns, on the worker: what it
// captured (here a shared_ptr; in general the waiter's objects) is let go
// by then. The interleaving this rules out: the worker opens the latch,
// the waiter returns and drops what the captures point into, then the
// worker's copy of the job state destroys the captures.
TEST_F(ConcurrencyApiTest, AJobsCallableIsGoneWhenWaitReturns) {
  for (int round = 0; round < 50; ++round) {
    auto captured = std::make_shared<int>(round);
    Job j;
    ASSERT_TRUE(Job::start(
        *runtime_, [captured](Thread& /*on*/) -> Outcome { return {}; }, &j));
    ASSERT_TRUE(j.wait());
    EXPECT_EQ(captured.use_count(), 1) << "round " << round;
  }
}

// The pool's workers attach to the runtime: a job before any thread
// attached is refused (natives and tiers register until the first attach).
TEST_F(ConcurrencyApiTest, AJobBeforeAnyThreadAttachedIsRefused) {
  RuntimeOptions o;
  auto fresh = Runtime::create(o);
  ASSERT_TRUE(fresh.ok()) << fresh.error().describe();
  Job j;
  const Outcome refused = Job::start(
      **fresh, [](Thread& /*on*/) -> Outcome { return {}; }, &j);
  EXPECT_EQ(refused.status, Status::kInvalidState);
  EXPECT_FALSE(j.valid());
  EXPECT_EQ(Job::start(*runtime_, Job::Fn(), &j).status, Status::kInvalidArgument);
}

}  // namespace
}  // namespace runa::rt
