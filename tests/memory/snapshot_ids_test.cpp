// Snapshot ids at the edges of their scheme (place_ids.hpp, watched.hpp):
// objects named by their place keep their id when promotion or a
// defragmenting major collection moves them; an object that dies and
// whose memory a new object takes gets a new id; ids stay put and are never
// reused over many snapshots; and when the line numbers run out, objects
// get table ids that last as well.
#include <unistd.h>

#include <map>
#include <set>

#include "heap_fixture.hpp"
#include "runatime/heap_profile.hpp"
#include "snapshot_reader.hpp"

namespace runa::heap::testing {
namespace {

Options old_options() {
  Options o = small_options();
  o.promotion_age = 1;  // one minor collection promotes
  return o;
}

class SnapshotIds : public ::testing::Test {
 protected:
  ParsedSnapshot snap() {
    // The process id too: ctest runs tests as processes at once, and
    // ASan's allocator gives each the same addresses.
    std::string p = ::testing::TempDir() + "snapshot_ids_" + std::to_string(::getpid()) + "_" +
                    std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".heapsnapshot";
    auto r = write_heap_snapshot(*t.heap, *t.m, p);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
    ParsedSnapshot s = read_snapshot(p);
    EXPECT_EQ(s.error, "");
    std::remove(p.c_str());
    return s;
  }
  // The ids of the objects in the elements of the snapshot's array of
  // `length` elements (the tests' one array of that length), by index.
  static std::map<std::uint64_t, std::uint64_t> element_ids(const ParsedSnapshot& s,
                                                            std::size_t length) {
    std::map<std::uint64_t, std::uint64_t> ids;
    for (std::size_t a : s.named("refs")) {
      if (s.nodes[a].self_size != ref_array_bytes(length)) continue;
      for (const SnapEdgeRec& e : s.out(a)) ids[e.name] = s.nodes[e.to].id;
    }
    return ids;
  }
  static std::set<std::uint64_t> all_ids(const ParsedSnapshot& s) {
    std::set<std::uint64_t> ids;
    for (const SnapNodeRec& n : s.nodes) ids.insert(n.id);
    return ids;
  }

  TestHeap t{old_options()};
  HandleScope scope{*t.m};
};

TEST_F(SnapshotIds, NamedObjectsKeepTheirIdsWhenPromotedOrEvacuated) {
  std::size_t n = 16000;
  Handle arr = fragmented_old_nodes(t, n, [&](std::size_t i) { return t.new_node(1, i); });
  ASSERT_FALSE(HasFailure());
  // The first major collection finds the blocks fragmented (line maps);
  // the second evacuates them.
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  Handle young(*t.m, t.new_node(0, 7));  // named young: a table id
  write(*t.m, arr.get(), array_slots(arr.get()) + 1, young.value());
  std::vector<Value> before(array_slots(arr.get()), array_slots(arr.get()) + n);
  auto first = element_ids(snap(), n);
  ASSERT_EQ(first.size(), (n - 1) / 64 + 1);  // every 64th, and `young`

  ASSERT_TRUE(t.heap->collect(*t.m, true));  // promotes `young`, evacuates
  std::size_t moved = 0;
  for (std::size_t i = 64; i < n; i += 64) moved += array_slots(arr.get())[i] != before[i] ? 1 : 0;
  if (!under_test_modes()) {
    EXPECT_GT(moved, n / 64 / 2);  // most of the named objects moved
    EXPECT_NE(young.value(), before[1]);
  }
  EXPECT_EQ(element_ids(snap(), n), first);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(element_ids(snap(), n), first);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST_F(SnapshotIds, MemoryOfADeadObjectTakenByANewOneGivesANewId) {
  constexpr std::size_t kN = 3000;
  Handle arr(*t.m, t.new_ref_array(kN, 0));
  auto fill = [&](std::uint64_t base) {
    for (std::size_t i = 1; i < kN; ++i) {
      Object* o = t.new_node(0, base + i);
      ASSERT_NE(o, nullptr);
      write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(o));
    }
    ASSERT_TRUE(t.heap->collect(*t.m));  // promoted
  };
  fill(0);
  std::set<Object*> old_places;
  for (std::size_t i = 1; i < kN; ++i) old_places.insert(as_object(array_slots(arr.get())[i]));
  ParsedSnapshot s1 = snap();
  auto first = element_ids(s1, kN);
  ASSERT_EQ(first.size(), kN - 1);
  // All die; their lines are freed, and the same number of new objects
  // is promoted into them.
  for (std::size_t i = 1; i < kN; ++i) write(*t.m, arr.get(), array_slots(arr.get()) + i, 0);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  fill(kN);
  std::size_t reused = 0;
  for (std::size_t i = 1; i < kN; ++i) {
    reused += old_places.count(as_object(array_slots(arr.get())[i]));
  }
  if (!under_test_modes()) {
    EXPECT_GT(reused, kN / 2);  // the same memory, mostly
  }
  std::set<std::uint64_t> ids_before = all_ids(s1);
  for (const auto& [index, id] : element_ids(snap(), kN)) {
    EXPECT_EQ(ids_before.count(id), 0u) << "element " << index << " took a dead object's id";
  }
}

TEST_F(SnapshotIds, ManySnapshotsInARowNeitherLoseNorReuseIds) {
  // Element i holds one object at a time; replacing it makes a new object
  // (a new generation of i). Each snapshot's id of an element must be its
  // object's id in every snapshot, and no id may name two objects.
  constexpr std::size_t kN = 600;
  Handle arr(*t.m, t.new_ref_array(kN, 0));
  std::vector<std::uint64_t> generation(kN, 0);
  std::map<std::uint64_t, std::pair<std::size_t, std::uint64_t>> owner;  // id -> (i, generation)
  std::map<std::pair<std::size_t, std::uint64_t>, std::uint64_t> id_of;
  for (int round = 0; round < 24; ++round) {
    for (std::size_t i = 1; i < kN; ++i) {
      if (round == 0 || (i * 7 + static_cast<std::size_t>(round)) % 5 == 0) {
        Object* o = t.new_node(0, i);
        ASSERT_NE(o, nullptr);
        write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(o));
        ++generation[i];
      }
    }
    for (int g = 0; g < round % 3; ++g) (void)t.new_node(0, 0);  // garbage between them
    if (round % 4 == 1) {
      ASSERT_TRUE(t.heap->collect(*t.m));
    } else if (round % 4 == 3) {
      ASSERT_TRUE(t.heap->collect(*t.m, true));
    }
    auto ids = element_ids(snap(), kN);
    ASSERT_EQ(ids.size(), kN - 1) << "round " << round;
    for (const auto& [index, id] : ids) {
      auto object = std::make_pair(static_cast<std::size_t>(index), generation[index]);
      auto [o, fresh_id] = owner.try_emplace(id, object);
      EXPECT_EQ(o->second, object) << "round " << round << ": id " << id << " reused";
      auto [known, fresh_object] = id_of.try_emplace(object, id);
      EXPECT_EQ(known->second, id) << "round " << round << ": element " << index << " lost its id";
      EXPECT_EQ(id % 2, 1u);
    }
  }
}

TEST_F(SnapshotIds, WhenLineNumbersRunOutObjectsGetTableIdsThatLast) {
  constexpr std::size_t kN = 200;
  Handle arr(*t.m, t.new_ref_array(kN, 0));
  for (std::size_t i = 1; i < kN; ++i) {
    // Allocated before the array is read: an allocation may move it (under
    // a stress mode), and argument evaluation order is the compiler's.
    Object* node = t.new_node(4, i);
    write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(node));
  }
  ASSERT_TRUE(t.heap->collect(*t.m));  // promoted: 48-byte objects over many lines
  HeapImpl& h = impl_of(*t.heap);
  ASSERT_TRUE(h.places.activate(h.blocks.capacity()));
  h.places.set_next_number(UINT32_MAX);  // one number left
  auto first = element_ids(snap(), kN);
  ASSERT_EQ(first.size(), kN - 1);
  std::size_t table_ids = 0;
  for (const auto& [index, id] : first) table_ids += PlaceIds::is_place_id(id) ? 0 : 1;
  EXPECT_GT(table_ids, kN / 2);
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  ASSERT_TRUE(t.heap->collect(*t.m));
  EXPECT_EQ(element_ids(snap(), kN), first);
}

}  // namespace
}  // namespace runa::heap::testing
