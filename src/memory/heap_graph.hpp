// HeapGraph: the reachable heap as a graph, for the analyses that need it
// whole (leak reports, retained sizes, paths from roots).
//
// Built with the world stopped from heap_walk.hpp's marks: node i is the
// i-th marked object in address order (the mark's rank), edges are the
// strong references (a weak one retains nothing), and the roots remember
// the category that reaches them first. Memory: 4 bytes per edge, 20 per
// node, and after dominate() 12 more per node.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "memory/heap_walk.hpp"
#include "services/dominator_tree.hpp"

namespace runa::heap {

struct HeapGraph {
  services::Graph g;
  std::vector<Object*> objects;
  std::vector<std::string> categories;
  std::unordered_map<std::uint32_t, std::uint32_t> root_category;  // node -> category
  std::vector<std::uint32_t> idom;                                 // after dominate()
  std::vector<std::uint64_t> retained;                             // after dominate()

  void dominate();
  [[nodiscard]] std::uint32_t type_at(std::uint32_t v) const {
    return hdr::type_of(objects[v]->header);
  }
  // After dominate(): reachable, and not dominated by an object of its own
  // type, so a type's retained bytes count a chain of its objects once.
  [[nodiscard]] bool outermost(std::uint32_t v) const {
    std::uint32_t d = idom[v];
    return d != services::kUnreachable && (d == g.nodes() || type_at(d) != type_at(v));
  }
};

// The node of o in a graph built from `marks`, or services::kUnreachable
// when o was not reached.
std::uint32_t node_of(const walk::Marks& marks, const Object* o);

HeapGraph build_graph(HeapImpl& h, walk::Marks& marks);

std::string name_of(HeapImpl& h, const Object* o);

// "(Root sets)", "List.1", "ListStorage[3]", ..., "Node": each step names
// the field or element the path leaves it through.
std::vector<std::string> describe_path(HeapImpl& h, const HeapGraph& hg,
                                       const std::vector<std::uint32_t>& path);

}  // namespace runa::heap
