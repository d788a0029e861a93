// Retained sizes and paths on demand (runatime/heap_profile.hpp): the
// dominator tree of the whole reachable heap (heap_graph.hpp), summed per
// type, or read for one object with its shortest path from a root.
#include <algorithm>
#include <unordered_map>

#include "memory/heap_graph.hpp"
#include "runatime/heap_profile.hpp"
#include "services/json_text.hpp"

namespace runa::heap {

HeapAnalysis analyze_heap(Heap& heap, Mutator& m) {
  HeapImpl& h = impl_of(heap);
  HeapAnalysis a;
  std::unordered_map<std::uint32_t, TypeRetention> by_type;
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  {
    walk::Marks marks(h.region);
    if (marks.ok()) {
      HeapGraph hg = build_graph(h, marks);
      hg.dominate();
      for (std::uint32_t v = 0; v < hg.g.nodes(); ++v) {
        TypeRetention& t = by_type[hg.type_at(v)];
        if (t.count++ == 0) t.type = name_of(h, hg.objects[v]);
        t.bytes += hg.g.size[v];
        if (hg.outermost(v)) t.retained_bytes += hg.retained[v];
        ++a.objects;
        a.bytes += hg.g.size[v];
      }
    }
  }
  h.safepoint.resume(false);
  for (auto& [type, t] : by_type) a.types.push_back(std::move(t));
  std::sort(a.types.begin(), a.types.end(), [](const TypeRetention& x, const TypeRetention& y) {
    return x.retained_bytes > y.retained_bytes;
  });
  return a;
}

ObjectRetention retention_of(Heap& heap, Mutator& m, Value object) {
  HeapImpl& h = impl_of(heap);
  ObjectRetention r;
  if (!is_ref(object)) return r;
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  {
    walk::Marks marks(h.region);
    if (marks.ok()) {
      HeapGraph hg = build_graph(h, marks);
      std::uint32_t v = node_of(marks, as_object(object));
      if (v != services::kUnreachable) {
        hg.dominate();
        r.retained_bytes = hg.retained[v];
        r.path = describe_path(h, hg, services::shortest_path(hg.g, v));
      }
    }
  }
  h.safepoint.resume(false);
  return r;
}

std::string HeapAnalysis::text() const {
  std::string t = "heap: " + std::to_string(objects) + " reachable objects, " +
                  std::to_string(bytes) + " bytes; by retained bytes:\n";
  for (const TypeRetention& r : types) {
    t += "  " + r.type + ": " + std::to_string(r.count) + " objects, " + std::to_string(r.bytes) +
         " bytes, retaining " + std::to_string(r.retained_bytes) + "\n";
  }
  return t;
}

std::string HeapAnalysis::json() const {
  std::string j = R"({"objects":)" + std::to_string(objects) + R"(,"bytes":)" +
                  std::to_string(bytes) + R"(,"types":[)";
  for (std::size_t i = 0; i < types.size(); ++i) {
    const TypeRetention& r = types[i];
    j += std::string(i == 0 ? "" : ",") + R"({"type":)" + services::json_quote(r.type) +
         R"(,"count":)" + std::to_string(r.count) + R"(,"bytes":)" + std::to_string(r.bytes) +
         R"(,"retained_bytes":)" + std::to_string(r.retained_bytes) + "}";
  }
  return j + "]}";
}

}  // namespace runa::heap
