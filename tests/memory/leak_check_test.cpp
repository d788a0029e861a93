// Leak detection (leak_check.cpp): a list that grows across major
// collections is flagged with its type, growth, retained bytes and path;
// a steady heap is not; objects still held at the end are counted.
#include "heap_fixture.hpp"
#include "runatime/heap_profile.hpp"

namespace runa::heap::testing {
namespace {

class LeakCheck : public ::testing::Test {
 protected:
  LeakCheck() {
    Layout l;
    l.size = 24;
    l.refs = 1;
    l.name = "Leak";
    leak = t.heap->register_layout(l).value();
    start_leak_detection(*t.heap);
  }
  TestHeap t;
  HandleScope scope{*t.m};
  std::uint32_t leak = 0;
};

TEST_F(LeakCheck, AGrowingListIsFlaggedWithItsPath) {
  Persistent holder(*t.heap, ref_value(t.new_ref_array(4096, 0)));
  std::size_t next = 1;
  for (int round = 0; round < 7; ++round) {
    for (int i = 0; i < 400; ++i) {
      Object* o = allocate(*t.m, leak, 24);
      ASSERT_NE(o, nullptr);
      write(*t.m, holder.get(), array_slots(holder.get()) + next++, ref_value(o));
      (void)t.new_node(1, 0);  // garbage beside it
    }
    ASSERT_TRUE(t.heap->collect(*t.m, true));
  }
  LeakReport r = leak_report(*t.heap, *t.m);
  EXPECT_GE(r.censuses, 7u);
  ASSERT_EQ(r.suspects.size(), 1u) << r.text();
  const LeakSuspect& s = r.suspects[0];
  EXPECT_EQ(s.type, "Leak");
  EXPECT_EQ(s.count, 2800u);
  EXPECT_EQ(s.bytes, 2800u * 24);
  EXPECT_GE(s.censuses, kLeakCensuses);
  EXPECT_LT(s.first_count, s.count);
  EXPECT_EQ(s.retained_bytes, 2800u * 24);  // each dominated by the array: each outermost
  ASSERT_EQ(s.path.size(), 3u) << r.text();
  EXPECT_EQ(s.path[0], "(Persistent handles)");
  EXPECT_EQ(s.path[1].rfind("refs[", 0), 0u) << s.path[1];
  EXPECT_EQ(s.path[2], "Leak");
  EXPECT_EQ(r.persistent_handles, 1u);
  EXPECT_NE(r.text().find("Leak: 2800 live"), std::string::npos) << r.text();
  EXPECT_NE(r.json().find("\"type\":\"Leak\",\"count\":2800"), std::string::npos) << r.json();
}

TEST_F(LeakCheck, ALinkedChainCountsOnceThroughItsHead) {
  Handle head(*t.m, Value{0});
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 100; ++i) {
      Object* o = allocate(*t.m, leak, 24);
      ASSERT_NE(o, nullptr);
      set_slot(*t.m, o, 0, head.value());
      head.set(ref_value(o));
    }
    ASSERT_TRUE(t.heap->collect(*t.m, true));
  }
  LeakReport r = leak_report(*t.heap, *t.m);
  ASSERT_EQ(r.suspects.size(), 1u) << r.text();
  EXPECT_EQ(r.suspects[0].retained_bytes, 600u * 24);
  EXPECT_EQ(r.suspects[0].path.size(), 2u) << r.text();  // (Thread 1) -> Leak
  EXPECT_EQ(r.suspects[0].path[0], "(Thread 1)");
}

TEST_F(LeakCheck, ASteadyHeapIsNotFlagged) {
  Handle keep(*t.m, t.new_ref_array(500, 0));
  for (int round = 0; round < 8; ++round) {
    for (std::size_t i = 1; i < 500; ++i) {
      Object* o = allocate(*t.m, leak, 24);
      ASSERT_NE(o, nullptr);
      write(*t.m, keep.get(), array_slots(keep.get()) + i,
            ref_value(o));  // replaces the last round's
    }
    ASSERT_TRUE(t.heap->collect(*t.m, true));
  }
  LeakReport r = leak_report(*t.heap, *t.m);
  EXPECT_GE(r.censuses, 8u);
  EXPECT_TRUE(r.suspects.empty()) << r.text();
  EXPECT_EQ(r.json().find("\"suspects\":[]"), r.json().find("\"suspects\""));
}

TEST_F(LeakCheck, NothingBeforeEnoughCensuses) {
  Handle head(*t.m, Value{0});
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 100; ++i) {
      Object* o = allocate(*t.m, leak, 24);
      set_slot(*t.m, o, 0, head.value());
      head.set(ref_value(o));
    }
    ASSERT_TRUE(t.heap->collect(*t.m, true));
  }
  EXPECT_TRUE(leak_report(*t.heap, *t.m).suspects.empty());
}

TEST_F(LeakCheck, RetainedSizesPerTypeAndPathsToAnObject) {
  Handle holder(*t.m, t.new_ref_array(4, 0));  // 48 bytes
  Handle head(*t.m, Value{0});
  for (int i = 0; i < 10; ++i) {  // a chain of ten Leak objects, 240 bytes
    Object* o = allocate(*t.m, leak, 24);
    ASSERT_NE(o, nullptr);
    set_slot(*t.m, o, 0, head.value());
    head.set(ref_value(o));
  }
  write(*t.m, holder.get(), array_slots(holder.get()) + 2, head.value());
  head.set(0);
  HeapAnalysis a = analyze_heap(*t.heap, *t.m);
  EXPECT_EQ(a.objects, 11u);
  EXPECT_EQ(a.bytes, 48u + 240u);
  ASSERT_EQ(a.types.size(), 2u);
  EXPECT_EQ(a.types[0].type, "refs");
  EXPECT_EQ(a.types[0].retained_bytes, 48u + 240u);
  EXPECT_EQ(a.types[1].type, "Leak");
  EXPECT_EQ(a.types[1].count, 10u);
  EXPECT_EQ(a.types[1].retained_bytes, 240u);  // the chain, once, through its head

  // The fourth link from the head: retains itself and the six after it.
  Object* o = as_object(array_slots(holder.get())[2]);
  for (int i = 0; i < 3; ++i) o = as_object(o->slots()[0]);
  ObjectRetention r = retention_of(*t.heap, *t.m, ref_value(o));
  EXPECT_EQ(r.retained_bytes, 7u * 24);
  std::vector<std::string> expected = {"(Thread 1)", "refs[2]", "Leak.0",
                                       "Leak.0",     "Leak.0",  "Leak"};
  EXPECT_EQ(r.path, expected);
  EXPECT_TRUE(retention_of(*t.heap, *t.m, Value{0}).path.empty());
}

TEST(LeakCheckDebug, RootsStillHeldAreNamedWithWhereTheyWereMade) {
  Options o = small_options();
  o.verify = true;  // the debug mode records creation sites
  TestHeap t(o);
  Persistent kept(*t.heap, Value{0});
  Persistent released(*t.heap, Value{0});
  released.reset();
  Value slots[2] = {};
  std::uint64_t id = t.heap->add_roots(slots, 2);
  LeakReport r = leak_report(*t.heap, *t.m);
  EXPECT_EQ(r.persistent_handles, 1u);
  EXPECT_EQ(r.root_sets, 1u);
  ASSERT_EQ(r.held.size(), 2u) << r.text();
  for (const std::string& line : r.held) {
    EXPECT_NE(line.find(" created at "), std::string::npos) << line;
    EXPECT_NE(line.find("runatime_memory_tests"), std::string::npos) << line;  // this test's binary
  }
  EXPECT_NE(r.text().find("persistent handle created at"), std::string::npos) << r.text();
  EXPECT_NE(r.json().find(R"("held":["persistent handle created at)"), std::string::npos)
      << r.json();
  t.heap->remove_roots(id);
  kept.reset();
  EXPECT_TRUE(leak_report(*t.heap, *t.m).held.empty());
}

}  // namespace
}  // namespace runa::heap::testing
