// Heap snapshots (heap_snapshot.cpp): exactly the expected nodes and edges
// for known graphs, stable ids across collections, and snapshots taken
// while other mutators allocate and collect.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "heap_fixture.hpp"
#include "runatime/heap_profile.hpp"
#include "snapshot_reader.hpp"

namespace runa::heap::testing {
namespace {

constexpr std::uint64_t kSynthetic = 9, kObject = 3, kArray = 1;
constexpr std::uint64_t kElement = 1, kProperty = 2, kWeak = 6;

class HeapSnapshot : public ::testing::Test {
 protected:
  HeapSnapshot() {
    holder = t.heap->register_layout(named("Holder", 24, 2)).value();
    leaf = t.heap->register_layout(named("Leaf", 16, 0)).value();
  }
  static Layout named(const char* name, std::uint32_t size, std::uint32_t refs) {
    Layout l;
    l.size = size;
    l.refs = refs;
    l.name = name;
    return l;
  }
  std::string path(const char* tag) const {
    // The process id too: ctest runs tests as processes at once.
    return ::testing::TempDir() + "snapshot_" + tag + "_" + std::to_string(::getpid()) + "_" +
           std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".heapsnapshot";
  }
  ParsedSnapshot snap(const char* tag) {
    std::string p = path(tag);
    auto r = write_heap_snapshot(*t.heap, *t.m, p);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
    ParsedSnapshot s = read_snapshot(p);
    EXPECT_EQ(s.error, "");
    if (r.ok()) {
      EXPECT_EQ(s.node_count, r->nodes);
      EXPECT_EQ(s.edge_count, r->edges);
    }
    std::remove(p.c_str());
    return s;
  }
  // The objects a root category's node points at.
  static std::vector<std::size_t> category(const ParsedSnapshot& s, const std::string& name) {
    std::vector<std::size_t> r;
    for (std::size_t c : s.named(name)) {
      for (const SnapEdgeRec& e : s.out(c)) r.push_back(e.to);
    }
    return r;
  }

  TestHeap t;
  HandleScope scope{*t.m};
  std::uint32_t holder = 0, leaf = 0;
};

TEST_F(HeapSnapshot, AKnownGraphHasExactlyItsNodesAndEdges) {
  Handle a(*t.m, allocate(*t.m, holder, 24));
  Object* b = allocate(*t.m, leaf, 16);
  set_slot(*t.m, a.get(), 0, ref_value(b));
  set_slot(*t.m, a.get(), 1, a.value());  // a cycle through itself
  (void)allocate(*t.m, leaf, 16);         // garbage: not in the snapshot

  ParsedSnapshot s = snap("known");
  ASSERT_EQ(s.error, "");
  // The root, four categories (one thread, persistents, root sets, the
  // finalization queue), Holder and Leaf.
  ASSERT_EQ(s.node_count, 7u);
  EXPECT_EQ(s.nodes[0].type, kSynthetic);
  EXPECT_EQ(s.out(0).size(), 4u);
  for (std::size_t c = 1; c <= 4; ++c) EXPECT_EQ(s.nodes[c].type, kSynthetic);
  auto holders = s.named("Holder");
  auto leaves = s.named("Leaf");
  ASSERT_EQ(holders.size(), 1u);
  ASSERT_EQ(leaves.size(), 1u);
  std::size_t h = holders[0], l = leaves[0];
  EXPECT_EQ(category(s, "(Thread 1)"), std::vector<std::size_t>{h});
  EXPECT_EQ(s.nodes[h].type, kObject);
  EXPECT_EQ(s.nodes[h].self_size, 24u);
  EXPECT_EQ(s.nodes[l].self_size, 16u);
  auto out = s.out(h);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, kProperty);
  EXPECT_EQ(s.strings[out[0].name], "0");
  EXPECT_EQ(out[0].to, l);
  EXPECT_EQ(out[1].to, h);
  EXPECT_EQ(s.out(l).size(), 0u);
  // root + 4 category edges + 1 root slot + 2 fields
  EXPECT_EQ(s.edge_count, 7u);
}

TEST_F(HeapSnapshot, FieldsAreNamedByTheirLayout) {
  static const char* const kNames[] = {"first", "rest"};
  Layout l = named("Pair", 24, 2);
  l.field_names = kNames;
  std::uint32_t pair = t.heap->register_layout(l).value();
  Handle p(*t.m, allocate(*t.m, pair, 24));
  set_slot(*t.m, p, 1, ref_value(allocate(*t.m, leaf, 16)));
  ParsedSnapshot s = snap("names");
  ASSERT_EQ(s.error, "");
  auto pairs = s.named("Pair");
  ASSERT_EQ(pairs.size(), 1u);
  ASSERT_EQ(s.out(pairs[0]).size(), 1u);
  EXPECT_EQ(s.strings[s.out(pairs[0])[0].name], "rest");
}

TEST_F(HeapSnapshot, WeakReferencesAndEphemeronsAreMarked) {
  Handle w(*t.m, allocate(*t.m, t.weak, 16));
  Handle referent(*t.m, allocate(*t.m, leaf, 16));  // kept: the weak edge stays
  set_slot(*t.m, w, 0, referent.value());
  Handle e(*t.m, allocate(*t.m, t.ephemeron, 24));
  Handle key(*t.m, allocate(*t.m, holder, 24));
  set_slot(*t.m, e, 0, key.value());
  set_slot(*t.m, e, 1, ref_value(allocate(*t.m, leaf, 16)));

  ParsedSnapshot s = snap("weak");
  ASSERT_EQ(s.error, "");
  auto weak = s.named("weak");
  ASSERT_EQ(weak.size(), 1u);
  ASSERT_EQ(s.out(weak[0]).size(), 1u);
  EXPECT_EQ(s.out(weak[0])[0].type, kWeak);
  EXPECT_EQ(s.name(s.out(weak[0])[0].to), "Leaf");
  auto eph = s.named("ephemeron");
  ASSERT_EQ(eph.size(), 1u);
  auto out = s.out(eph[0]);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, kWeak);
  EXPECT_EQ(s.strings[out[0].name], "key");
  EXPECT_EQ(s.name(out[0].to), "Holder");
  EXPECT_EQ(out[1].type, kProperty);
  EXPECT_EQ(s.strings[out[1].name], "value");
  EXPECT_EQ(s.named("Leaf").size(), 2u);
}

TEST_F(HeapSnapshot, LargeAndPinnedObjectsAndArrays) {
  constexpr std::size_t kLength = 2000;  // 16 KiB: the large-object space
  Handle arr(*t.m, t.new_ref_array(kLength, 0));
  ASSERT_NE(arr.get(), nullptr);
  Object* pinned = allocate_pinned(*t.m, leaf, 16);
  ASSERT_NE(pinned, nullptr);
  write(*t.m, arr.get(), array_slots(arr.get()) + 7, ref_value(pinned));
  Object* last = allocate(*t.m, leaf, 16);
  write(*t.m, arr.get(), array_slots(arr.get()) + 1999, ref_value(last));
  Persistent p(*t.heap, ref_value(allocate(*t.m, holder, 24)));

  ParsedSnapshot s = snap("large");
  ASSERT_EQ(s.error, "");
  auto arrays = s.named("refs");
  ASSERT_EQ(arrays.size(), 1u);
  EXPECT_EQ(s.nodes[arrays[0]].type, kArray);
  EXPECT_EQ(s.nodes[arrays[0]].self_size, ref_array_bytes(kLength));
  auto out = s.out(arrays[0]);
  ASSERT_EQ(out.size(), 2u);  // slot 0 holds an immediate id: no edge
  EXPECT_EQ(out[0].type, kElement);
  EXPECT_EQ(out[0].name, 7u);
  EXPECT_EQ(out[1].name, 1999u);
  EXPECT_EQ(s.named("Leaf").size(), 2u);
  auto persistent = category(s, "(Persistent handles)");
  ASSERT_EQ(persistent.size(), 1u);
  EXPECT_EQ(s.name(persistent[0]), "Holder");
}

TEST_F(HeapSnapshot, IdsStayWithTheirObjectsAcrossCollections) {
  Handle a(*t.m, allocate(*t.m, holder, 24));
  set_slot(*t.m, a, 0, ref_value(allocate(*t.m, leaf, 16)));
  ParsedSnapshot first = snap("ids1");
  ASSERT_EQ(first.error, "");
  Object* before = a.get();
  ASSERT_TRUE(t.heap->collect(*t.m));
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  if (!under_test_modes()) {
    EXPECT_NE(a.get(), before);  // it moved (under stress it may have moved earlier)
  }
  set_slot(*t.m, a, 1, ref_value(allocate(*t.m, leaf, 16)));
  ParsedSnapshot second = snap("ids2");
  ASSERT_EQ(second.error, "");
  auto id_of = [](const ParsedSnapshot& s, std::size_t node) { return s.nodes[node].id; };
  std::size_t h1 = first.named("Holder").at(0), h2 = second.named("Holder").at(0);
  EXPECT_EQ(id_of(first, h1), id_of(second, h2));
  std::uint64_t old_leaf = id_of(first, first.out(h1).at(0).to);
  auto out2 = second.out(h2);
  ASSERT_EQ(out2.size(), 2u);
  EXPECT_EQ(id_of(second, out2[0].to), old_leaf);
  EXPECT_NE(id_of(second, out2[1].to), old_leaf);  // a new object, a new id
  EXPECT_EQ(id_of(second, out2[1].to) % 2, 1u);
}

TEST_F(HeapSnapshot, TakenWhileOtherMutatorsAllocateAndCollect) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      Mutator& m = t.heap->attach();
      {
        HandleScope s(m);
        Handle head(m, Value{0});
        unsigned n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          Object* o = allocate(m, holder, 24);
          if (o == nullptr) break;
          set_slot(m, o, 0, head.value());
          head.set(ref_value(o));
          if (++n % 2000 == 0) head.set(0);  // drop the list: garbage for the collector
          if (n % 5000 == 0 && i == 0) t.heap->collect(m);
        }
      }
      t.heap->detach(m);
    });
  }
  for (int k = 0; k < 10; ++k) {
    ParsedSnapshot s = snap("busy");
    ASSERT_EQ(s.error, "");
    // Every node reachable from the root, along the edges written.
    std::vector<bool> seen(s.nodes.size());
    std::vector<std::size_t> stack{0};
    seen[0] = true;
    while (!stack.empty()) {
      std::size_t n = stack.back();
      stack.pop_back();
      for (const SnapEdgeRec& e : s.out(n)) {
        if (!seen[e.to]) {
          seen[e.to] = true;
          stack.push_back(e.to);
        }
      }
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), true), static_cast<long>(s.nodes.size()));
    NativeRegion pause(*t.m);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop = true;
  NativeRegion waiting(*t.m);  // the others may collect until they detach
  for (auto& th : threads) th.join();
}

TEST_F(HeapSnapshot, AFileThatCannotBeWrittenIsAnError) {
  auto r = write_heap_snapshot(*t.heap, *t.m, "/nonexistent-dir/x.heapsnapshot");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().describe().find("/nonexistent-dir/x.heapsnapshot"), std::string::npos);
}

}  // namespace
}  // namespace runa::heap::testing
