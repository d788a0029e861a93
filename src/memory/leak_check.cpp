// Leak detection: censuses of live objects per type across major
// collections, and the report of the types that keep growing, with what
// they retain and a path from a root (the LeakCanary and Eclipse MAT way).
//
// Why censuses after major collections: only then is every dead object
// gone from the old generation, so a count that rises census after census
// is live data growing, not garbage waiting. A steady program's counts go
// up and down; a leak's only go up. kLeakCensuses rises in a row, by at
// least 10% and 32 objects, make a suspect: a program still filling its
// caches at start-up grows too, so the report says by how much and from
// what, and a person decides.
//
// The report builds the graph of the whole reachable heap (objects ranked
// in address order by heap_walk.hpp's marks, strong references only: a
// weak one retains nothing), computes dominators (services/
// dominator_tree.hpp) and charges each suspect type the retained sizes of
// its outermost objects: those whose immediate dominator is not of the
// same type, so a linked list of Nodes counts once, through its head. The
// path leads to an object under the dominator that holds most of them.
#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "memory/heap_graph.hpp"
#include "runatime/heap_profile.hpp"
#include "services/json_text.hpp"

namespace runa::heap {
namespace {

constexpr std::uint64_t kMinGrowth = 32;
constexpr double kMinGrowthRatio = 1.1;

void census(void* ctx, Mutator& m, const CollectionEvent& e) {
  if (!e.major) return;
  auto& h = *static_cast<HeapImpl*>(ctx);
  struct Tally {
    std::uint64_t count = 0, bytes = 0;
  };
  std::unordered_map<std::uint32_t, Tally> tally;
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  {
    walk::Marks marks(h.region);
    if (marks.ok()) {
      walk::mark_reachable(
          h, marks, [](std::uint32_t, Object*) {},
          [&](Object* o, const Layout& l) {
            Tally& t = tally[hdr::type_of(o->header)];
            ++t.count;
            t.bytes += object_size(l, o);
          });
    }
  }
  h.safepoint.resume(false);
  std::lock_guard lock(h.leaks.mu);
  ++h.leaks.censuses;
  for (auto& [type, history] : h.leaks.types) {
    if (!tally.contains(type)) tally[type] = {};
  }
  for (auto& [type, t] : tally) {
    LeakCensus::History& hist = h.leaks.types[type];
    hist.rises = !hist.counts.empty() && t.count > hist.counts.back() ? hist.rises + 1 : 0;
    hist.counts.push_back(t.count);
    if (hist.counts.size() > LeakCensus::kKept) hist.counts.pop_front();
    hist.bytes = t.bytes;
  }
}

void explain(HeapImpl& h, std::vector<std::pair<std::uint32_t, LeakSuspect>>& suspects) {
  walk::Marks marks(h.region);
  if (!marks.ok()) return;
  HeapGraph hg = build_graph(h, marks);
  hg.dominate();
  const std::vector<std::uint32_t>& idom = hg.idom;
  const std::vector<std::uint64_t>& retained = hg.retained;
  const std::uint32_t n = hg.g.nodes();
  for (auto& [type, s] : suspects) {
    // The accumulation point: the dominator holding most of the type's
    // outermost objects (a growing list's storage, say); the path goes to
    // one of them, not to some instance held elsewhere.
    std::unordered_map<std::uint32_t, std::pair<std::uint32_t, std::uint32_t>> by_dominator;
    std::pair<std::uint32_t, std::uint32_t> best{0, services::kUnreachable};  // (count, object)
    for (std::uint32_t v = 0; v < n; ++v) {
      if (hg.type_at(v) != type || !hg.outermost(v)) continue;
      s.retained_bytes += retained[v];
      auto& [count, example] = by_dominator[idom[v]];
      if (count++ == 0) example = v;
      if (count > best.first) best = {count, example};
    }
    if (best.second != services::kUnreachable) {
      s.path = describe_path(h, hg, services::shortest_path(hg.g, best.second));
    }
  }
}

}  // namespace

void start_leak_detection(Heap& heap) {
  HeapImpl& h = impl_of(heap);
  {
    std::lock_guard lock(h.leaks.mu);
    if (h.leaks.on) return;
    h.leaks.on = true;
  }
  heap.add_collection_callback(&census, &h);
}

LeakReport leak_report(Heap& heap, Mutator& m) {
  HeapImpl& h = impl_of(heap);
  LeakReport report;
  std::vector<std::pair<std::uint32_t, LeakSuspect>> suspects;
  {
    std::lock_guard lock(h.leaks.mu);
    report.censuses = h.leaks.censuses;
    for (const auto& [type, hist] : h.leaks.types) {
      if (hist.rises + 1 < kLeakCensuses || hist.counts.size() < kLeakCensuses) continue;
      std::uint64_t first = hist.counts[hist.counts.size() - hist.rises - 1];
      std::uint64_t now = hist.counts.back();
      if (now < first + kMinGrowth ||
          static_cast<double>(now) < kMinGrowthRatio * static_cast<double>(first)) {
        continue;
      }
      LeakSuspect s;
      const Layout* l = h.layouts.find(type);
      s.type = l != nullptr && l->name[0] != '\0' ? l->name : "(type " + std::to_string(type) + ")";
      s.count = now;
      s.bytes = hist.bytes;
      s.first_count = first;
      s.censuses = hist.rises + 1;
      suspects.emplace_back(type, std::move(s));
    }
  }
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  if (!suspects.empty()) explain(h, suspects);
  report.persistent_handles = h.persistents.in_use();
  report.root_sets = h.roots.count();
  for (const RootSites* sites : {&h.persistent_sites, &h.root_set_sites}) {
    for (std::string& line : sites->describe()) report.held.push_back(std::move(line));
  }
  h.safepoint.resume(false);
  for (auto& [type, s] : suspects) report.suspects.push_back(std::move(s));
  std::sort(report.suspects.begin(), report.suspects.end(),
            [](const LeakSuspect& a, const LeakSuspect& b) {
              return a.retained_bytes > b.retained_bytes;
            });
  return report;
}

std::string LeakReport::text() const {
  std::string t = "leak check: " + std::to_string(censuses) + " major collections counted, " +
                  std::to_string(suspects.size()) + " suspect type(s)\n";
  for (const LeakSuspect& s : suspects) {
    t += "  " + s.type + ": " + std::to_string(s.count) + " live (" + std::to_string(s.bytes) +
         " bytes), up from " + std::to_string(s.first_count) + " over " +
         std::to_string(s.censuses) + " censuses; retains " + std::to_string(s.retained_bytes) +
         " bytes\n    path:";
    for (std::size_t i = 0; i < s.path.size(); ++i) t += (i == 0 ? " " : " -> ") + s.path[i];
    t += "\n";
  }
  t += "  persistent handles held: " + std::to_string(persistent_handles) +
       "; root sets registered: " + std::to_string(root_sets) + "\n";
  for (const std::string& line : held) t += "    " + line + "\n";
  return t;
}

std::string LeakReport::json() const {
  auto num = [](const char* key, std::uint64_t v) {
    return R"(")" + std::string(key) + R"(":)" + std::to_string(v);
  };
  auto str = [](const std::string& v) { return services::json_quote(v); };
  std::string j = "{" + num("censuses", censuses) + R"(,"suspects":[)";
  for (std::size_t i = 0; i < suspects.size(); ++i) {
    const LeakSuspect& s = suspects[i];
    j += std::string(i == 0 ? "{" : ",{") + R"("type":)" + str(s.type) + "," +
         num("count", s.count) + "," + num("bytes", s.bytes) + "," +
         num("first_count", s.first_count) + "," + num("censuses", s.censuses) + "," +
         num("retained_bytes", s.retained_bytes) + R"(,"path":[)";
    for (std::size_t k = 0; k < s.path.size(); ++k) j += (k == 0 ? "" : ",") + str(s.path[k]);
    j += "]}";
  }
  j += "]," + num("persistent_handles", persistent_handles) + "," + num("root_sets", root_sets) +
       R"(,"held":[)";
  for (std::size_t k = 0; k < held.size(); ++k) j += (k == 0 ? "" : ",") + str(held[k]);
  j += "]}";
  return j;
}

}  // namespace runa::heap
