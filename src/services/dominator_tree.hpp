// Dominators of a graph with many roots, retained sizes and shortest
// paths: what heap analysis asks of the heap's graph (leak reports).
//
// A node d dominates v when every path from the roots to v passes through
// d; v's immediate dominator is the closest of them. Freeing d would free
// everything it dominates, so a node's retained size is its own plus that
// of the nodes it dominates: the measure Eclipse MAT, Chrome DevTools and
// LeakCanary report.
#pragma once

#include <cstdint>
#include <vector>

namespace runa::services {

// CSR: node i's successors are to[first[i] .. first[i + 1]).
struct Graph {
  std::vector<std::uint32_t> first;  // n + 1 entries
  std::vector<std::uint32_t> to;
  std::vector<std::uint64_t> size;   // each node's own size
  std::vector<std::uint32_t> roots;  // successors of a virtual super-root

  [[nodiscard]] std::uint32_t nodes() const {
    return static_cast<std::uint32_t>(first.empty() ? 0 : first.size() - 1);
  }
};

inline constexpr std::uint32_t kUnreachable = UINT32_MAX;

// Each node's immediate dominator: a node index, nodes() for the super-root
// (a node every path reaches only through the roots themselves), or
// kUnreachable.
std::vector<std::uint32_t> immediate_dominators(const Graph& g);
// Own size plus the retained sizes of the nodes it immediately dominates;
// 0 for unreachable nodes.
std::vector<std::uint64_t> retained_sizes(const Graph& g, const std::vector<std::uint32_t>& idom);
// Fewest edges from a root to `target`: the nodes, root first; empty when
// target is unreachable.
std::vector<std::uint32_t> shortest_path(const Graph& g, std::uint32_t target);

}  // namespace runa::services
