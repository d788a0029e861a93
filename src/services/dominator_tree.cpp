// Dominators by the semi-NCA algorithm (Georgiadis, "Linear-Time Algorithms
// for Dominators and Related Problems", 2005; the semidominators of
// Lengauer and Tarjan, 1979), retained sizes and shortest paths
// (dominator_tree.hpp).
//
// The algorithm, on the graph plus a super-root r whose successors are the
// roots:
//
//  1. Depth-first search from r numbers the reachable nodes in preorder
//     and records each one's DFS parent. Everything below works on
//     preorder numbers, where "smaller" means "visited earlier".
//  2. Semidominators, in reverse preorder: sdom(w) is the smallest number
//     among w's predecessors v that come before w, and among sdom(u) for
//     every u on the DFS-tree path from such a later v up to (not
//     including) its nearest ancestor that comes before w. The path
//     minima come from a forest that links each node to its parent once
//     processed, with path compression (eval), as in Lengauer-Tarjan.
//  3. Immediate dominators by nearest common ancestors: idom(w) starts as
//     its DFS parent and climbs the already-final dominator tree while the
//     candidate's number exceeds sdom(w). (This is what makes semi-NCA
//     simpler than Lengauer-Tarjan's second pass, and fast in practice.)
//
// Every step is iterative: heap graphs are linked lists of millions of
// nodes, deeper than any C stack. Memory: a few 32-bit arrays of n and the
// reversed edges.
#include "services/dominator_tree.hpp"

#include <algorithm>

namespace runa::services {
namespace {

constexpr std::uint32_t kNone = UINT32_MAX;

// Predecessors in CSR form; the super-root (index n) is a predecessor of
// each root.
struct Reversed {
  std::vector<std::uint32_t> first;
  std::vector<std::uint32_t> from;
};

Reversed reverse(const Graph& g) {
  std::uint32_t n = g.nodes();
  Reversed r;
  r.first.assign(n + 2, 0);
  for (std::uint32_t t : g.to) ++r.first[t + 1];
  for (std::uint32_t t : g.roots) ++r.first[t + 1];
  for (std::uint32_t i = 0; i < n + 1; ++i) r.first[i + 1] += r.first[i];
  r.from.resize(r.first[n + 1]);
  std::vector<std::uint32_t> at(r.first.begin(), r.first.end() - 1);
  for (std::uint32_t v = 0; v < n; ++v) {
    for (std::uint32_t e = g.first[v]; e < g.first[v + 1]; ++e) r.from[at[g.to[e]]++] = v;
  }
  for (std::uint32_t t : g.roots) r.from[at[t]++] = n;
  return r;
}

class SemiNca {
 public:
  explicit SemiNca(const Graph& g) : g_(g), n_(g.nodes()) {}

  std::vector<std::uint32_t> run() {
    preorder();
    Reversed pred = reverse(g_);
    auto count = static_cast<std::uint32_t>(order_.size());
    semi_.resize(count);
    label_.resize(count);
    ancestor_.assign(count, kNone);
    for (std::uint32_t i = 0; i < count; ++i) semi_[i] = label_[i] = i;
    for (std::uint32_t i = count - 1; i >= 1; --i) {
      std::uint32_t w = order_[i];
      for (std::uint32_t e = pred.first[w]; e < pred.first[w + 1]; ++e) {
        std::uint32_t v = num_[pred.from[e]];
        if (v == kNone) continue;  // an unreachable predecessor
        std::uint32_t u = eval(v);
        semi_[i] = std::min(semi_[i], semi_[u]);
      }
      ancestor_[i] = parent_[i];
    }
    std::vector<std::uint32_t> idom(count, 0);
    for (std::uint32_t i = 1; i < count; ++i) {
      std::uint32_t d = parent_[i];
      while (d > semi_[i]) d = idom[d];
      idom[i] = d;
    }
    std::vector<std::uint32_t> out(n_, kUnreachable);
    for (std::uint32_t i = 1; i < count; ++i) out[order_[i]] = order_[idom[i]];
    return out;
  }

  // Reachable nodes in preorder (the super-root first), for retained_sizes.
  const std::vector<std::uint32_t>& preorder() {
    if (order_.empty()) dfs();
    return order_;
  }

 private:
  // Preorder from the super-root (node n_), with an explicit stack of
  // (node, next successor) pairs.
  void dfs() {
    num_.assign(n_ + 1, kNone);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> stack;
    auto visit = [&](std::uint32_t v, std::uint32_t parent) {
      num_[v] = static_cast<std::uint32_t>(order_.size());
      order_.push_back(v);
      parent_.push_back(parent);
      stack.emplace_back(v, 0);
    };
    visit(n_, 0);
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      std::uint32_t begin = v == n_ ? 0 : g_.first[v];
      std::uint32_t end = v == n_ ? static_cast<std::uint32_t>(g_.roots.size()) : g_.first[v + 1];
      if (begin + next == end) {
        stack.pop_back();
        continue;
      }
      std::uint32_t w = v == n_ ? g_.roots[next] : g_.to[begin + next];
      ++next;
      if (num_[w] == kNone) visit(w, num_[v]);
    }
  }

  // The node of smallest semidominator on v's path in the linked forest
  // (excluding the path's top), compressing the path as it goes.
  std::uint32_t eval(std::uint32_t v) {
    if (ancestor_[v] == kNone) return v;
    path_.clear();
    for (std::uint32_t x = v; ancestor_[ancestor_[x]] != kNone; x = ancestor_[x])
      path_.push_back(x);
    while (!path_.empty()) {  // from the top down: each node sees its ancestor's final label
      std::uint32_t y = path_.back();
      path_.pop_back();
      std::uint32_t a = ancestor_[y];
      if (semi_[label_[a]] < semi_[label_[y]]) label_[y] = label_[a];
      ancestor_[y] = ancestor_[a];
    }
    return label_[v];
  }

  const Graph& g_;
  std::uint32_t n_;
  std::vector<std::uint32_t> num_;     // node -> preorder number (kNone: unreached)
  std::vector<std::uint32_t> order_;   // preorder number -> node
  std::vector<std::uint32_t> parent_;  // preorder number -> DFS parent's number
  std::vector<std::uint32_t> semi_, label_, ancestor_, path_;
};

}  // namespace

std::vector<std::uint32_t> immediate_dominators(const Graph& g) {
  return SemiNca(g).run();
}

std::vector<std::uint64_t> retained_sizes(const Graph& g, const std::vector<std::uint32_t>& idom) {
  std::uint32_t n = g.nodes();
  // Children before parents: a node's dominator is its ancestor in any DFS
  // tree from the roots, so reverse preorder adds every node into its
  // dominator after everything it dominates was added into it.
  SemiNca walk(g);
  const std::vector<std::uint32_t>& order = walk.preorder();
  std::vector<std::uint64_t> retained(n, 0);
  for (std::uint32_t v = 0; v < n; ++v) {
    if (idom[v] != kUnreachable) retained[v] = g.size[v];
  }
  for (std::size_t i = order.size(); i-- > 1;) {  // order[0] is the super-root
    std::uint32_t v = order[i];
    if (idom[v] != n) retained[idom[v]] += retained[v];
  }
  return retained;
}

std::vector<std::uint32_t> shortest_path(const Graph& g, std::uint32_t target) {
  std::uint32_t n = g.nodes();
  std::vector<std::uint32_t> from(n, kUnreachable);
  std::vector<std::uint32_t> queue;
  for (std::uint32_t r : g.roots) {
    if (from[r] == kUnreachable) {
      from[r] = n;  // reached from the super-root
      queue.push_back(r);
    }
  }
  for (std::size_t head = 0; head < queue.size() && from[target] == kUnreachable; ++head) {
    std::uint32_t v = queue[head];
    for (std::uint32_t e = g.first[v]; e < g.first[v + 1]; ++e) {
      std::uint32_t w = g.to[e];
      if (from[w] == kUnreachable) {
        from[w] = v;
        queue.push_back(w);
      }
    }
  }
  std::vector<std::uint32_t> path;
  if (from[target] == kUnreachable) return path;
  for (std::uint32_t v = target; v != n; v = from[v]) path.push_back(v);
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace runa::services
