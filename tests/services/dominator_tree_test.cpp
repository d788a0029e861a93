// Dominators, retained sizes and shortest paths (dominator_tree.hpp):
// textbook graphs, random graphs against brute force, and a list deeper
// than any recursion could go.
#include "services/dominator_tree.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace runa::services {
namespace {

Graph make(std::uint32_t n, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& edges,
           std::vector<std::uint32_t> roots) {
  Graph g;
  g.first.assign(n + 1, 0);
  for (auto [a, b] : edges) ++g.first[a + 1];
  for (std::uint32_t i = 0; i < n; ++i) g.first[i + 1] += g.first[i];
  g.to.resize(edges.size());
  std::vector<std::uint32_t> at(g.first.begin(), g.first.end() - 1);
  for (auto [a, b] : edges) g.to[at[a]++] = b;
  g.size.assign(n, 0);
  for (std::uint32_t i = 0; i < n; ++i) g.size[i] = 10 + i;
  g.roots = std::move(roots);
  return g;
}

// Nodes reachable from the roots without passing through `removed`.
std::vector<bool> reach(const Graph& g, std::uint32_t removed) {
  std::vector<bool> seen(g.nodes());
  std::vector<std::uint32_t> stack;
  for (std::uint32_t r : g.roots) {
    if (r != removed && !seen[r]) {
      seen[r] = true;
      stack.push_back(r);
    }
  }
  while (!stack.empty()) {
    std::uint32_t v = stack.back();
    stack.pop_back();
    for (std::uint32_t e = g.first[v]; e < g.first[v + 1]; ++e) {
      std::uint32_t w = g.to[e];
      if (w != removed && !seen[w]) {
        seen[w] = true;
        stack.push_back(w);
      }
    }
  }
  return seen;
}

// Each node's distance in edges from the nearest root (brute-force BFS).
std::vector<std::size_t> levels(const Graph& g) {
  std::vector<std::size_t> level(g.nodes(), SIZE_MAX);
  std::vector<std::uint32_t> queue;
  for (std::uint32_t r : g.roots) {
    if (level[r] == SIZE_MAX) {
      level[r] = 0;
      queue.push_back(r);
    }
  }
  for (std::size_t head = 0; head < queue.size(); ++head) {
    std::uint32_t v = queue[head];
    for (std::uint32_t e = g.first[v]; e < g.first[v + 1]; ++e) {
      if (level[g.to[e]] == SIZE_MAX) {
        level[g.to[e]] = level[v] + 1;
        queue.push_back(g.to[e]);
      }
    }
  }
  return level;
}

TEST(Dominators, TextbookGraphs) {
  // 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3 (a diamond), 3 -> 4 -> 3 (a cycle), 5 unreachable,
  // 6 reached from two roots' successors, 4 -> 4 a self-loop.
  Graph g = make(
      8, {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}, {4, 3}, {4, 4}, {0, 6}, {7, 6}, {7, 6}}, {0, 7});
  auto idom = immediate_dominators(g);
  const std::uint32_t super = 8;
  EXPECT_EQ(idom[0], super);
  EXPECT_EQ(idom[1], 0u);
  EXPECT_EQ(idom[2], 0u);
  EXPECT_EQ(idom[3], 0u);
  EXPECT_EQ(idom[4], 3u);
  EXPECT_EQ(idom[5], kUnreachable);
  EXPECT_EQ(idom[6], super);  // through 0 or through 7
  EXPECT_EQ(idom[7], super);
  auto retained = retained_sizes(g, idom);
  EXPECT_EQ(retained[4], 14u);
  EXPECT_EQ(retained[3], 13u + 14u);
  EXPECT_EQ(retained[0], 10u + 11u + 12u + 13u + 14u);
  EXPECT_EQ(retained[5], 0u);
  EXPECT_EQ(shortest_path(g, 4), (std::vector<std::uint32_t>{0, 1, 3, 4}));
  EXPECT_EQ(shortest_path(g, 6), (std::vector<std::uint32_t>{0, 6}));
  EXPECT_TRUE(shortest_path(g, 5).empty());
}

TEST(Dominators, RandomGraphsAgreeWithBruteForce) {
  std::mt19937 rng(20261205);
  for (int round = 0; round < 300; ++round) {
    std::uint32_t n = 1 + rng() % 60;
    std::uint32_t m = rng() % (3 * n + 1);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
    for (std::uint32_t i = 0; i < m; ++i) edges.emplace_back(rng() % n, rng() % n);
    std::vector<std::uint32_t> roots;
    for (std::uint32_t i = 0, k = 1 + rng() % 3; i < k; ++i) roots.push_back(rng() % n);
    Graph g = make(n, edges, roots);
    auto idom = immediate_dominators(g);
    auto retained = retained_sizes(g, idom);
    std::vector<bool> all = reach(g, n);  // nothing removed
    // dominated[d][v]: removing d cuts v off.
    std::vector<std::vector<bool>> cut(n);
    for (std::uint32_t d = 0; d < n; ++d) cut[d] = reach(g, d);
    for (std::uint32_t v = 0; v < n; ++v) {
      if (!all[v]) {
        EXPECT_EQ(idom[v], kUnreachable) << round;
        EXPECT_EQ(retained[v], 0u) << round;
        continue;
      }
      // Strict dominators of v; the immediate one is dominated by all others.
      std::vector<std::uint32_t> doms;
      for (std::uint32_t d = 0; d < n; ++d) {
        if (d != v && all[d] && !cut[d][v]) doms.push_back(d);
      }
      std::uint32_t expected = n;
      for (std::uint32_t d : doms) {
        bool closest = true;
        for (std::uint32_t o : doms) {
          if (o != d && cut[o][d]) closest = false;  // o does not dominate d
        }
        if (closest) expected = d;
      }
      EXPECT_EQ(idom[v], expected) << "round " << round << " node " << v;
      std::uint64_t size = g.size[v];
      for (std::uint32_t w = 0; w < n; ++w) {
        if (w != v && all[w] && !cut[v][w]) size += g.size[w];
      }
      EXPECT_EQ(retained[v], size) << "round " << round << " node " << v;
      // Shortest path: as many nodes as v's BFS level from the roots, plus one.
      auto path = shortest_path(g, v);
      ASSERT_FALSE(path.empty());
      EXPECT_EQ(path.back(), v);
      EXPECT_EQ(path.size(), levels(g)[v] + 1) << "round " << round << " node " << v;
      EXPECT_NE(std::find(roots.begin(), roots.end(), path.front()), roots.end());
      for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        bool edge = false;
        for (std::uint32_t e = g.first[path[i]]; e < g.first[path[i] + 1]; ++e) {
          edge = edge || g.to[e] == path[i + 1];
        }
        EXPECT_TRUE(edge) << round;
      }
    }
  }
}

TEST(Dominators, ALongListNeedsNoRecursion) {
  constexpr std::uint32_t kN = 2'000'000;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  for (std::uint32_t i = 0; i + 1 < kN; ++i) edges.emplace_back(i, i + 1);
  for (std::uint32_t i = 1000; i < kN; i += 1000) edges.emplace_back(i, i - 999);  // back edges
  Graph g = make(kN, edges, {0});
  auto idom = immediate_dominators(g);
  for (std::uint32_t i = 1; i < kN; i += 99'991) EXPECT_EQ(idom[i], i - 1) << i;
  EXPECT_EQ(idom[kN - 1], kN - 2);
  auto retained = retained_sizes(g, idom);
  EXPECT_EQ(retained[kN - 1], g.size[kN - 1]);
  EXPECT_EQ(shortest_path(g, kN - 1).size(), kN);
}

}  // namespace
}  // namespace runa::services
