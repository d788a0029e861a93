// HeapGraph: building the reachable heap's graph, and naming paths in it
// (heap_graph.hpp).
#include "memory/heap_graph.hpp"

namespace runa::heap {

HeapGraph build_graph(HeapImpl& h, walk::Marks& marks) {
  HeapGraph r;
  walk::for_each_root_category(
      h, [&](const std::string& name, auto&&) { r.categories.push_back(name); });
  std::vector<std::pair<Object*, std::uint32_t>> roots;
  walk::mark_reachable(
      h, marks, [&](std::uint32_t c, Object* o) { roots.emplace_back(o, c); },
      [](Object*, const Layout&) {});
  marks.rank_all();
  r.objects.reserve(marks.count());
  r.g.first.push_back(0);
  marks.for_each([&](Object* o) {
    const Layout& l = h.layouts.at(hdr::type_of(o->header));
    r.objects.push_back(o);
    r.g.size.push_back(object_size(l, o));
    walk::for_each_ref(l, o, [&](const walk::Ref& ref) {
      if (ref.type != services::SnapEdge::kWeak) {
        r.g.to.push_back(static_cast<std::uint32_t>(marks.rank(ref.to)));
      }
    });
    r.g.first.push_back(static_cast<std::uint32_t>(r.g.to.size()));
  });
  for (auto [o, c] : roots) {
    auto node = static_cast<std::uint32_t>(marks.rank(o));
    if (r.root_category.try_emplace(node, c).second) r.g.roots.push_back(node);
  }
  return r;
}

std::string name_of(HeapImpl& h, const Object* o) {
  return walk::type_name(h.layouts.at(hdr::type_of(o->load_header())), o);
}

std::vector<std::string> describe_path(HeapImpl& h, const HeapGraph& hg,
                                       const std::vector<std::uint32_t>& path) {
  std::vector<std::string> out;
  if (path.empty()) return out;
  out.push_back(hg.categories[hg.root_category.at(path.front())]);
  for (std::size_t i = 0; i < path.size(); ++i) {
    Object* o = hg.objects[path[i]];
    std::string step = name_of(h, o);
    if (i + 1 < path.size()) {
      Object* next = hg.objects[path[i + 1]];
      bool found = false;
      walk::for_each_ref(h.layouts.at(hdr::type_of(o->header)), o, [&](const walk::Ref& r) {
        if (found || r.to != next || r.type == services::SnapEdge::kWeak) return;
        found = true;
        if (r.type == services::SnapEdge::kElement) {
          step += "[" + std::to_string(r.index) + "]";
        } else {
          step += "." + (r.name != nullptr ? std::string(r.name) : std::to_string(r.index));
        }
      });
    }
    out.push_back(std::move(step));
  }
  return out;
}

void HeapGraph::dominate() {
  idom = services::immediate_dominators(g);
  retained = services::retained_sizes(g, idom);
}

std::uint32_t node_of(const walk::Marks& marks, const Object* o) {
  if (!marks.marked(o)) return services::kUnreachable;
  return static_cast<std::uint32_t>(marks.rank(o));
}

}  // namespace runa::heap
