// StealingQueues with the Terminator, driven by a WorkerGang: a parallel
// tree expansion, where each item spawns its children, must process every
// node exactly once and end the phase for every worker — also when the
// deques are so small that workers keep most items in lists of their own
// (next()'s `more`), which no other worker sees: the phase must not end
// while one of them is not empty.
#include "concurrency/stealing_queues.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <tuple>
#include <vector>

#include "concurrency/worker_gang.hpp"
#include "scale.hpp"

namespace runa::concurrency {
namespace {

// A complete tree numbered breadth first: the children of node i are
// i*kBranching + 1 ... i*kBranching + kBranching.
constexpr std::uint64_t kBranching = 3;
constexpr unsigned kDepth = RUNA_UNDER_TSAN ? 9 : 11;

constexpr std::uint64_t nodes_up_to(unsigned depth) {
  std::uint64_t n = 0;
  std::uint64_t level = 1;
  for (unsigned d = 0; d <= depth; ++d, level *= kBranching) n += level;
  return n;
}
constexpr std::uint64_t kNodes = nodes_up_to(kDepth);
constexpr std::uint64_t kInner = nodes_up_to(kDepth - 1);  // the nodes with children

struct PhaseResult {
  std::uint64_t processed = 0;  // by all workers
  unsigned ended = 0;           // workers whose next() returned false
  std::uint64_t wrong = 0;      // nodes not seen exactly as often as expected
};

// One phase: `roots` (pushed before it starts, round-robin over the deques)
// and all their descendants are expanded by the gang.
PhaseResult expand(WorkerGang& gang, StealingQueues<std::uint64_t>& q,
                   const std::vector<std::uint64_t>& roots) {
  std::vector<std::atomic<std::uint32_t>> seen(kNodes);
  std::vector<std::uint64_t> processed(q.workers(), 0);
  std::vector<unsigned> ended(q.workers(), 0);
  std::vector<std::vector<std::uint64_t>> kept(q.workers());  // what a full deque refused
  for (std::size_t i = 0; i < roots.size(); ++i) {
    auto w = static_cast<unsigned>(i % q.workers());
    if (!q.push(w, roots[i])) kept[w].push_back(roots[i]);
  }
  gang.run([&](unsigned self) {
    std::uint64_t node = 0;
    auto more = [&](std::uint64_t& out) {
      if (kept[self].empty()) return false;
      out = kept[self].back();
      kept[self].pop_back();
      return true;
    };
    while (q.next(self, node, more)) {
      ++processed[self];
      seen[node].fetch_add(1, std::memory_order_relaxed);
      if (node >= kInner) continue;
      for (std::uint64_t c = 1; c <= kBranching; ++c) {
        if (!q.push(self, node * kBranching + c)) kept[self].push_back(node * kBranching + c);
      }
    }
    ++ended[self];
  });

  PhaseResult r;
  for (std::uint64_t n : processed) r.processed += n;
  for (unsigned e : ended) r.ended += e;
  // Every node is a descendant of a root (or one), except the ancestors of
  // the roots, which no root reaches.
  std::vector<bool> expected(kNodes, false);
  for (std::uint64_t root : roots) expected[root] = true;
  for (std::uint64_t i = 1; i < kNodes; ++i) {
    if (expected[(i - 1) / kBranching]) expected[i] = true;
  }
  for (std::uint64_t i = 0; i < kNodes; ++i) {
    if (seen[i].load() != (expected[i] ? 1u : 0u)) ++r.wrong;
  }
  return r;
}

// Workers, and the capacity of each deque (4: most items are kept aside).
class TreeExpansion : public ::testing::TestWithParam<std::tuple<unsigned, std::size_t>> {};

TEST_P(TreeExpansion, FromOneRootEveryNodeOnce) {
  const auto [workers, capacity] = GetParam();
  WorkerGang gang(workers, "test-tree");
  StealingQueues<std::uint64_t> q(workers, capacity);
  ASSERT_EQ(q.workers(), workers);
  for (unsigned round = 0; round < 10; ++round) {
    PhaseResult r = expand(gang, q, {0});
    EXPECT_EQ(r.processed, kNodes) << "round " << round;
    EXPECT_EQ(r.ended, workers) << "round " << round;
    EXPECT_EQ(r.wrong, 0u) << "round " << round;
    q.reset();
  }
}

// Seeded on every deque before the phase, from the calling thread.
TEST_P(TreeExpansion, FromRootsOnEveryDequeEveryNodeOnce) {
  const auto [workers, capacity] = GetParam();
  WorkerGang gang(workers, "test-tree");
  StealingQueues<std::uint64_t> q(workers, capacity);
  std::vector<std::uint64_t> roots;
  for (std::uint64_t i = kBranching + 1; i <= kBranching * (kBranching + 1); ++i) {
    roots.push_back(i);  // the second level of the tree
  }
  for (unsigned round = 0; round < 10; ++round) {
    PhaseResult r = expand(gang, q, roots);
    EXPECT_EQ(r.processed, kNodes - 1 - kBranching) << "round " << round;
    EXPECT_EQ(r.ended, workers) << "round " << round;
    EXPECT_EQ(r.wrong, 0u) << "round " << round;
    q.reset();
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, TreeExpansion,
                         ::testing::Combine(::testing::Values(1u, 2u, 4u),
                                            ::testing::Values(std::size_t{4}, std::size_t{1024})));

TEST(StealingQueues, AloneTheOwnDequeIsLifoThenThePhaseEnds) {
  StealingQueues<std::uint64_t> q(1);
  for (std::uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE(q.push(0, i));
  std::uint64_t v = 0;
  for (std::uint64_t i = 3; i >= 1; --i) {
    ASSERT_TRUE(q.next(0, v));
    EXPECT_EQ(v, i);
  }
  EXPECT_FALSE(q.next(0, v));
  q.reset();
  ASSERT_TRUE(q.push(0, 9));
  ASSERT_TRUE(q.next(0, v));
  EXPECT_EQ(v, 9u);
  EXPECT_FALSE(q.next(0, v));
}

TEST(StealingQueues, ResetDropsAnAbandonedPhase) {
  StealingQueues<std::uint64_t> q(2);
  ASSERT_TRUE(q.push(0, 1));
  ASSERT_TRUE(q.push(1, 2));
  q.reset();
  WorkerGang gang(2);
  std::vector<unsigned> taken(2, 0);
  gang.run([&](unsigned self) {
    std::uint64_t v = 0;
    while (q.next(self, v)) ++taken[self];
  });
  EXPECT_EQ(taken[0] + taken[1], 0u);
}

}  // namespace
}  // namespace runa::concurrency
