// Finalizers: called exactly once for each unreachable finalizable object
// (young, promoted, large; after minor and major collections), never for
// reachable ones; resurrection; weak references and ephemerons cleared
// first; children intact; finalizers that allocate and collect; stress,
// verification and poisoning; several mutators; destroying a heap with
// finalizers pending; the idle finalizer thread and collections.
//
// Finalizers are plain functions run on the finalizer thread: they report
// to the test through `g_seen`, under its mutex.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "heap_fixture.hpp"
#include "memory/mutators.hpp"

namespace runa::heap::testing {
namespace {

using namespace std::chrono_literals;

// Finalizable test objects ("fnode" and the others below) have two
// reference slots and their id in slot 2. Child i of the object with id X
// has id X * 16 + i + 1 (a plain node[0], id in slot 0, or an fnode); the
// tests give odd ids to the objects they make themselves, so that no id is
// also a child's.
constexpr std::size_t kFnodeBytes = 32;
constexpr std::size_t kBigBytes = kLargeObject + 32;

std::uint64_t fid(Object* o) {
  return o->slots()[2];
}

// What the finalizers saw.
struct Seen {
  std::mutex mu;
  std::map<std::uint64_t, int> calls;  // by object id
  std::atomic<int> problems{0};        // checks failed inside finalizers
  std::uint32_t node0 = 0;             // types, for the checks
  std::uint32_t node1 = 0;
  std::uint32_t fnode = 0;
  std::uint32_t allocating = 0;
  std::uint64_t allocating_nodes = 1500;  // list length of finalize_allocate
  Value* keep = nullptr;                  // finalize_resurrect stores its object here
  Value* weak = nullptr;                  // finalize_weak_check: a weak reference...
  Value* ephemeron = nullptr;             // ...and an ephemeron, both to the object
  std::atomic<bool> gate_open{true};
};

Seen* g_seen = nullptr;

void note(Object* o) {
  std::lock_guard lock(g_seen->mu);
  g_seen->calls[fid(o)]++;
}

void check_children(Object* o) {
  for (unsigned i = 0; i < 2; ++i) {
    Value c = o->slots()[i];
    if (c == 0) continue;
    std::uint64_t want = fid(o) * 16 + i + 1;
    Object* child = as_object(c);
    std::uint32_t type = hdr::type_of(child->load_header());
    std::uint64_t got = type == g_seen->node0   ? child->slots()[0]
                        : type == g_seen->fnode ? fid(child)
                                                : ~std::uint64_t{0};
    if (got != want) g_seen->problems++;
  }
}

void finalize_record(Mutator& /*m*/, Value* object) {
  check_children(as_object(*object));
  note(as_object(*object));
}

void finalize_resurrect(Mutator& /*m*/, Value* object) {
  note(as_object(*object));
  *g_seen->keep = *object;
}

void finalize_weak_check(Mutator& /*m*/, Value* object) {
  if (as_object(*g_seen->weak)->slots()[0] != 0) g_seen->problems++;
  Value* e = as_object(*g_seen->ephemeron)->slots();
  if (e[0] != 0 || e[1] != 0) g_seen->problems++;
  note(as_object(*object));
}

// Allocates a list of `allocating_nodes` nodes (1500: 36 KB, a collection
// every few calls with the small nursery), checks it, and for generations 0 and 1 (the id's high
// half) leaves behind a new finalizable object of the next generation.
void finalize_allocate(Mutator& m, Value* object) {
  std::uint64_t id = fid(as_object(*object));
  HandleScope scope(m);
  Handle list(m, Value{0});
  const std::uint64_t kNodes = g_seen->allocating_nodes;
  for (std::uint64_t i = 0; i < kNodes; ++i) {
    Object* n = allocate(m, g_seen->node1, 24);
    if (n == nullptr) {
      g_seen->problems++;
      return;
    }
    n->slots()[1] = i;
    write(m, n, n->slots(), list.value());
    list.set(ref_value(n));
  }
  std::uint64_t expect = kNodes;
  for (Value v = list.value(); v != 0; v = as_object(v)->slots()[0]) {
    if (expect == 0 || as_object(v)->slots()[1] != --expect) g_seen->problems++;
  }
  if (expect != 0 || fid(as_object(*object)) != id) g_seen->problems++;
  if ((id >> 32) < 2) {
    Object* next = allocate_finalizable(m, g_seen->allocating, kFnodeBytes);
    if (next == nullptr) {
      g_seen->problems++;
    } else {
      next->slots()[2] = id + (std::uint64_t{1} << 32);
    }
  }
  note(as_object(*object));
}

// Slot 0: a weak reference whose referent is the node with id 123 (for
// object 1) or was a dead node (object 3, cleared); slot 1: 0 or an
// ephemeron whose key died (cleared). Both are reachable only through the
// object, so the collection found them while tracing it.
void finalize_weak_fields(Mutator& /*m*/, Value* object) {
  Object* o = as_object(*object);
  Value referent = as_object(o->slots()[0])->slots()[0];
  if (fid(o) == 1 ? referent == 0 || as_object(referent)->slots()[0] != 123 : referent != 0) {
    g_seen->problems++;
  }
  if (o->slots()[1] != 0) {
    Value* e = as_object(o->slots()[1])->slots();
    if (e[0] != 0 || e[1] != 0) g_seen->problems++;
  }
  note(o);
}

void finalize_slowly(Mutator& /*m*/, Value* object) {
  std::this_thread::sleep_for(2ms);
  note(as_object(*object));
}

// Waits, in native, until the test opens the gate.
void finalize_gated(Mutator& m, Value* object) {
  {
    NativeRegion native(m);
    while (!g_seen->gate_open.load()) std::this_thread::sleep_for(1ms);
  }
  note(as_object(*object));
}

std::uint32_t register_finalizable(Heap& heap, const char* name, Finalizer f,
                                   std::uint32_t size = kFnodeBytes) {
  Layout l;
  l.size = size;
  l.refs = 2;
  l.finalizable = true;
  l.finalizer = f;
  l.name = name;
  auto type = heap.register_layout(l);
  EXPECT_TRUE(type.ok()) << type.error().describe();
  return type.ok() ? *type : 0;
}

// A test heap with the finalizable layouts registered (which starts the
// finalizer thread). `seen` is declared first: it outlives the heap, whose
// destruction ends the finalizer thread.
struct FHeap {
  explicit FHeap(const Options& o = small_options()) : t(o) {
    g_seen = &seen;
    seen.node0 = t.node[0];
    seen.node1 = t.node[1];
    Heap& h = *t.heap;
    fnode = seen.fnode = register_finalizable(h, "fnode", finalize_record);
    big = register_finalizable(h, "big", finalize_record, kBigBytes);
    phoenix = register_finalizable(h, "phoenix", finalize_resurrect);
    weak_check = register_finalizable(h, "weak check", finalize_weak_check);
    weak_fields = register_finalizable(h, "weak fields", finalize_weak_fields);
    seen.allocating = register_finalizable(h, "allocating", finalize_allocate);
    slow = register_finalizable(h, "slow", finalize_slowly);
    gated = register_finalizable(h, "gated", finalize_gated);
  }
  FHeap(const FHeap&) = delete;
  FHeap& operator=(const FHeap&) = delete;
  ~FHeap() = default;

  Heap& heap() const { return *t.heap; }
  Mutator& m() const { return *t.m; }

  Object* make(std::uint32_t type, std::uint64_t id, std::size_t bytes = kFnodeBytes) const {
    Object* o = allocate_finalizable(*t.m, type, bytes);
    if (o != nullptr) o->slots()[2] = id;
    return o;
  }
  // An fnode `id` with a plain node in slot 0 and, in slot 1, an fnode with
  // a plain node in its slot 0 (ids as check_children expects). The result
  // is raw: store it at once.
  Value make_tree(std::uint64_t id) const {
    Mutator& mu = *t.m;
    HandleScope scope(mu);
    Handle root(mu, make(fnode, id));
    Handle inner(mu, make(fnode, id * 16 + 2));
    Object* leaf = t.new_node(0, (id * 16 + 2) * 16 + 1);
    write(mu, inner.get(), inner->slots(), ref_value(leaf));
    leaf = t.new_node(0, id * 16 + 1);
    write(mu, root.get(), root->slots(), ref_value(leaf));
    write(mu, root.get(), root->slots() + 1, inner.value());
    return root.value();
  }

  int calls(std::uint64_t id) {
    std::lock_guard lock(seen.mu);
    auto it = seen.calls.find(id);
    return it == seen.calls.end() ? 0 : it->second;
  }
  std::size_t total_calls() {
    std::lock_guard lock(seen.mu);
    std::size_t n = 0;
    for (const auto& [id, count] : seen.calls) n += static_cast<std::size_t>(count);
    return n;
  }
  void collect_and_wait(bool major) const {
    ASSERT_TRUE(heap().collect(m(), major));
    heap().wait_for_finalizers(m());
  }

  Seen seen;
  TestHeap t;
  std::uint32_t fnode = 0;
  std::uint32_t big = 0;
  std::uint32_t phoenix = 0;
  std::uint32_t weak_check = 0;
  std::uint32_t weak_fields = 0;
  std::uint32_t slow = 0;
  std::uint32_t gated = 0;
};

TEST(Finalizers, RunOnceForEachUnreachableYoungObjectAfterAMinorCollection) {
  RUNA_SKIP_UNDER_TEST_MODES("counts finalizers pending before its first collection");
  FHeap f;
  HandleScope scope(f.m());
  std::vector<Handle> kept;
  for (std::uint64_t id = 1; id <= 200; ++id) {
    Object* o = f.make(f.fnode, id);
    ASSERT_NE(o, nullptr);
    ASSERT_TRUE(f.t.young(o));
    if (id % 4 == 0) kept.emplace_back(f.m(), o);
  }
  EXPECT_EQ(f.heap().stats().finalizers_pending, 0u);
  f.collect_and_wait(false);
  for (std::uint64_t id = 1; id <= 200; ++id) {
    EXPECT_EQ(f.calls(id), id % 4 == 0 ? 0 : 1) << id;
  }
  Stats s = f.heap().stats();
  EXPECT_EQ(s.finalizers_run, 150u);
  EXPECT_EQ(s.finalizers_pending, 0u);

  // Later collections neither finalize the dead ones again nor the live ones.
  f.collect_and_wait(true);
  f.collect_and_wait(false);
  EXPECT_EQ(f.total_calls(), 150u);
  for (const Handle& h : kept) EXPECT_EQ(fid(h.get()) % 4, 0u);
  EXPECT_EQ(f.heap().verify(f.m()), std::nullopt);
}

TEST(Finalizers, RunOnceForPromotedAndLargeObjectsAfterAMajorCollection) {
  FHeap f;  // promotion_age 2
  HandleScope scope(f.m());
  std::vector<Handle> objects;
  for (std::uint64_t id = 1; id <= 100; ++id) objects.emplace_back(f.m(), f.make(f.fnode, id));
  for (std::uint64_t id = 1001; id <= 1010; ++id) {
    objects.emplace_back(f.m(), f.make(f.big, id, kBigBytes));
  }
  f.collect_and_wait(false);
  f.collect_and_wait(false);
  for (const Handle& h : objects) ASSERT_TRUE(f.t.old(h.get()));
  EXPECT_EQ(f.total_calls(), 0u);

  // Every other one dies: a minor collection does not decide on old objects.
  for (std::size_t i = 0; i < objects.size(); i += 2) objects[i].set(0);
  f.collect_and_wait(false);
  EXPECT_EQ(f.total_calls(), 0u);
  f.collect_and_wait(true);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    std::uint64_t id = i < 100 ? i + 1 : 1001 + (i - 100);
    EXPECT_EQ(f.calls(id), i % 2 == 0 ? 1 : 0) << id;
  }
  EXPECT_EQ(f.heap().stats().finalizers_run, 55u);

  for (const Handle& h : objects) h.set(0);
  f.collect_and_wait(true);
  for (std::uint64_t id = 1; id <= 100; ++id) EXPECT_EQ(f.calls(id), 1) << id;
  for (std::uint64_t id = 1001; id <= 1010; ++id) EXPECT_EQ(f.calls(id), 1) << id;
  EXPECT_EQ(f.heap().stats().finalizers_pending, 0u);
  EXPECT_EQ(f.heap().verify(f.m()), std::nullopt);
}

TEST(Finalizers, NeverRunForReachableObjects) {
  FHeap f;
  HandleScope scope(f.m());
  Persistent p(f.heap(), ref_value(f.make(f.fnode, 1)));
  Value globals[1] = {ref_value(f.make(f.fnode, 2))};
  std::uint64_t roots = f.heap().add_roots(globals, 1);
  // From an old array (the store goes through the barrier), and as the
  // child of a finalizable object that is itself reachable.
  Handle array(f.m(), allocate_large(f.m(), f.t.ref_array, ref_array_bytes(1)));
  array->slots()[0] = 1;
  Object* o3 = f.make(f.fnode, 3);
  write(f.m(), array.get(), array_slots(array.get()), ref_value(o3));
  Handle tree(f.m(), f.make_tree(4));
  for (int i = 0; i < 20; ++i) {
    f.collect_and_wait(i % 5 == 4);
    for (int k = 0; k < 500; ++k) f.t.new_node(0, 0);  // garbage
  }
  EXPECT_EQ(f.total_calls(), 0u);
  EXPECT_EQ(fid(p.get()), 1u);
  EXPECT_EQ(fid(as_object(globals[0])), 2u);
  EXPECT_EQ(fid(as_object(array_slots(array.get())[0])), 3u);
  EXPECT_EQ(fid(tree.get()), 4u);

  p.reset();
  f.heap().remove_roots(roots);
  array.set(0);
  tree.set(0);
  f.collect_and_wait(true);
  for (std::uint64_t id : {1u, 2u, 3u, 4u, 4u * 16 + 2}) EXPECT_EQ(f.calls(id), 1) << id;
  EXPECT_EQ(f.total_calls(), 5u);
  EXPECT_EQ(f.seen.problems.load(), 0);
}

TEST(Finalizers, ResurrectedObjectSurvivesAndIsNeverFinalizedAgain) {
  FHeap f;
  Persistent keep(f.heap(), Value{0});
  f.seen.keep = keep.slot();
  {
    HandleScope scope(f.m());
    Handle o(f.m(), f.make(f.phoenix, 7));
    Object* child = f.t.new_node(0, 7 * 16 + 1);
    write(f.m(), o.get(), o->slots(), ref_value(child));
  }
  f.collect_and_wait(false);
  EXPECT_EQ(f.calls(7), 1);
  ASSERT_TRUE(is_ref(keep.value()));

  // Alive, intact, and not finalized again, through minor and major collections.
  for (int i = 0; i < 6; ++i) f.collect_and_wait(i % 2 == 1);
  EXPECT_EQ(fid(keep.get()), 7u);
  EXPECT_EQ(as_object(keep.get()->slots()[0])->slots()[0], 7u * 16 + 1);
  EXPECT_TRUE(f.t.old(keep.get()));
  EXPECT_EQ(f.calls(7), 1);
  EXPECT_EQ(f.heap().verify(f.m()), std::nullopt);

  // Dropped again: reclaimed (its weak reference is cleared) without a second call.
  Persistent weak(f.heap(), ref_value(allocate(f.m(), f.t.weak, 16)));
  write(f.m(), weak.get(), weak.get()->slots(), keep.value());
  keep.set(0);
  f.collect_and_wait(true);
  EXPECT_EQ(weak.get()->slots()[0], 0u);
  EXPECT_EQ(f.calls(7), 1);
  EXPECT_EQ(f.heap().stats().finalizers_pending, 0u);
  EXPECT_EQ(f.heap().stats().finalizers_run, 1u);
}

// The finalizer of a "weak check" object fails the test if the weak
// reference or the ephemeron to it still holds it.
void weak_refs_cleared_first(bool old) {
  FHeap f;
  Persistent weak(f.heap(), ref_value(allocate(f.m(), f.t.weak, 16)));
  Persistent eph(f.heap(), ref_value(allocate(f.m(), f.t.ephemeron, 24)));
  Persistent other(f.heap(), ref_value(allocate(f.m(), f.t.weak, 16)));
  Persistent live(f.heap(), ref_value(f.t.new_node(0, 99)));
  f.seen.weak = weak.slot();
  f.seen.ephemeron = eph.slot();
  {
    HandleScope scope(f.m());
    Handle o(f.m(), f.make(f.weak_check, 9));
    Handle value(f.m(), f.t.new_node(0, 55));
    write(f.m(), weak.get(), weak.get()->slots(), o.value());
    write(f.m(), eph.get(), eph.get()->slots(), o.value());
    write(f.m(), eph.get(), eph.get()->slots() + 1, value.value());
    write(f.m(), other.get(), other.get()->slots(), live.value());
    if (old) {
      f.collect_and_wait(false);
      f.collect_and_wait(false);
      ASSERT_TRUE(f.t.old(o.get()));
    }
  }
  f.collect_and_wait(old);
  EXPECT_EQ(f.calls(9), 1);
  EXPECT_EQ(f.seen.problems.load(), 0);
  EXPECT_EQ(weak.get()->slots()[0], 0u);
  EXPECT_EQ(eph.get()->slots()[0], 0u);
  EXPECT_EQ(eph.get()->slots()[1], 0u);
  EXPECT_EQ(other.get()->slots()[0], live.value());  // a live referent stays
  EXPECT_EQ(f.heap().verify(f.m()), std::nullopt);
}

TEST(Finalizers, WeakReferencesAndEphemeronsAreClearedBeforeTheFinalizerRuns) {
  weak_refs_cleared_first(false);
}

TEST(Finalizers, WeakReferencesToOldObjectsAreClearedBeforeTheFinalizerRuns) {
  weak_refs_cleared_first(true);
}

TEST(Finalizers, WeakReferencesFoundThroughAPendingObjectAreDecidedToo) {
  RUNA_SKIP_UNDER_TEST_MODES("expects objects young or old at given collections");
  Options o = small_options();
  o.poison = true;
  o.verify = true;
  FHeap f(o);
  Mutator& m = f.m();
  HandleScope scope(m);
  Handle live(m, f.t.new_node(0, 123));
  for (bool major : {false, true}) {
    {
      HandleScope inner(m);
      Handle a(m, f.make(f.weak_fields, 1));
      Handle b(m, f.make(f.weak_fields, 3));
      Handle w(m, allocate(m, f.t.weak, 16));
      write(m, w.get(), w->slots(), live.value());
      write(m, a.get(), a->slots(), w.value());
      Handle e(m, allocate(m, f.t.ephemeron, 24));
      write(m, e.get(), e->slots(), ref_value(f.t.new_node(0, 456)));
      write(m, e.get(), e->slots() + 1, ref_value(f.t.new_node(0, 789)));
      write(m, a.get(), a->slots() + 1, e.value());
      w.set(ref_value(allocate(m, f.t.weak, 16)));
      write(m, w.get(), w->slots(), ref_value(f.t.new_node(0, 457)));
      write(m, b.get(), b->slots(), w.value());
      if (major) {
        f.collect_and_wait(false);
        f.collect_and_wait(false);  // all promoted, `live` too
      }
    }
    f.collect_and_wait(major);  // `live` moves in the minor collection
    EXPECT_EQ(f.calls(1), major ? 2 : 1);
    EXPECT_EQ(f.calls(3), major ? 2 : 1);
    EXPECT_EQ(f.seen.problems.load(), 0) << major;
  }
}

TEST(Finalizers, ChildrenAreIntactWhenTheFinalizerRuns) {
  RUNA_SKIP_UNDER_TEST_MODES("expects objects young or old at given collections");
  Options o = small_options();
  o.poison = true;
  o.verify = true;
  FHeap f(o);
  {
    HandleScope scope(f.m());
    std::vector<Handle> trees;
    for (std::uint64_t k = 0; k < 100; ++k) trees.emplace_back(f.m(), f.make_tree(2 * k + 1));
    f.collect_and_wait(false);
    f.collect_and_wait(false);  // promoted
    for (std::uint64_t k = 100; k < 200; ++k) trees.emplace_back(f.m(), f.make_tree(2 * k + 1));
  }
  // Young and old trees die together with their inner finalizable objects,
  // in no particular order: every check of a child's id must pass. The
  // young ones, inner objects included, all in the first collection.
  f.collect_and_wait(false);
  for (std::uint64_t k = 100; k < 200; ++k) {
    EXPECT_EQ(f.calls(2 * k + 1), 1) << k;
    EXPECT_EQ(f.calls((2 * k + 1) * 16 + 2), 1) << k;
  }
  EXPECT_EQ(f.total_calls(), 200u);
  f.collect_and_wait(true);
  for (std::uint64_t k = 0; k < 200; ++k) {
    EXPECT_EQ(f.calls(2 * k + 1), 1) << k;
    EXPECT_EQ(f.calls((2 * k + 1) * 16 + 2), 1) << k;
  }
  EXPECT_EQ(f.total_calls(), 400u);
  EXPECT_EQ(f.seen.problems.load(), 0);
}

// `objects` allocating finalizers of generation 0, each leaving one of the
// next generation behind: all three generations are finalized once each,
// and their lists cause more than `min_collections` collections.
void finalizers_allocate_and_collect(const Options& o, std::uint64_t objects, std::uint64_t nodes,
                                     std::uint64_t min_collections) {
  FHeap f(o);
  f.seen.allocating_nodes = nodes;
  {
    HandleScope scope(f.m());
    for (std::uint64_t id = 1; id <= objects; ++id) f.make(f.seen.allocating, id);
  }
  Stats start = f.heap().stats();
  std::uint64_t before = start.minor_collections + start.major_collections;
  // Finalizers of generation 0 and 1 leave objects of the next generation
  // behind, found by the collections the finalizers cause or by these.
  for (int i = 0; i < 50 && f.total_calls() < 3 * objects; ++i) f.collect_and_wait(i % 3 == 2);
  for (std::uint64_t gen = 0; gen < 3; ++gen) {
    for (std::uint64_t id = 1; id <= objects; ++id) {
      EXPECT_EQ(f.calls((gen << 32) + id), 1) << gen << " " << id;
    }
  }
  EXPECT_EQ(f.total_calls(), 3 * objects);
  EXPECT_EQ(f.seen.problems.load(), 0);
  Stats s = f.heap().stats();
  EXPECT_GT(s.minor_collections + s.major_collections - before, min_collections);
  EXPECT_EQ(f.heap().verify(f.m()), std::nullopt);
}

TEST(Finalizers, AFinalizerMayAllocateAndCollect) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  // 120 lists of 36 KB through a 200 KB eden.
  finalizers_allocate_and_collect(small_options(), 40, 1500, 15);
}

// The same at a size the stress run finishes: 12 lists of 6 KB through an
// 8 KB eden (the smallest nursery the heap accepts), two collections or
// more inside each generation's finalizers, and the 3 the loop requests.
TEST(Finalizers, AFinalizerMayAllocateAndCollectSmall) {
  Options o = small_options();
  o.nursery = 24 << 10;
  o.survivor_ratio = 1;
  o.tlab = 1 << 10;
  finalizers_allocate_and_collect(o, 4, 250, 8);
}

TEST(Finalizers, StressEveryAllocationWithVerifyAndPoison) {
  RUNA_SKIP_UNDER_TEST_MODES("counts collections");
  Options o = small_options();
  o.stress_every = 1;
  o.verify = true;
  o.poison = true;
  o.max_heap = 4 << 20;
  FHeap f(o);
  Persistent keep(f.heap(), Value{0});
  f.seen.keep = keep.slot();
  constexpr std::uint64_t kSteps = 400;
  {
    HandleScope scope(f.m());
    std::vector<Handle> ring;
    for (int i = 0; i < 16; ++i) ring.emplace_back(f.m(), Value{0});
    for (std::uint64_t step = 0; step < kSteps; ++step) {
      std::uint64_t id = 2 * step + 1;
      Handle& slot = ring[step * 7 % ring.size()];
      if (step % 50 == 0) {
        slot.set(ref_value(f.make(f.phoenix, id)));
      } else if (step % 3 == 0) {
        slot.set(ref_value(f.make(f.big, id, kBigBytes)));
      } else {
        slot.set(f.make_tree(id));
      }
      if (step % 97 == 0) {
        ASSERT_TRUE(f.heap().collect(f.m(), true));
      }
    }
  }
  keep.set(0);
  for (int i = 0; i < 3; ++i) f.collect_and_wait(true);
  for (std::uint64_t step = 0; step < kSteps; ++step) {
    std::uint64_t id = 2 * step + 1;
    EXPECT_EQ(f.calls(id), 1) << id;
    if (step % 50 != 0 && step % 3 != 0) {
      EXPECT_EQ(f.calls(id * 16 + 2), 1) << id;
    }
  }
  EXPECT_EQ(f.seen.problems.load(), 0);
  Stats s = f.heap().stats();
  EXPECT_EQ(s.finalizers_pending, 0u);
  EXPECT_GE(s.minor_collections + s.major_collections, 1000u);
}

TEST(Finalizers, MutatorThreadsAllocateFinalizableObjectsWhileCollectionsRun) {
  Options o = small_options();
  o.nursery = 128 << 10;
  o.tlab = 1 << 10;
  o.verify = true;
  FHeap f(o);
  constexpr std::uint64_t kThreads = 3;
  constexpr std::uint64_t kEach = 2000;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (std::uint64_t t = 1; t <= kThreads; ++t) {
    threads.emplace_back([&, t] {
      Mutator& m = f.heap().attach();
      {
        HandleScope scope(m);
        std::vector<Handle> ring;
        for (int i = 0; i < 20; ++i) ring.emplace_back(m, Value{0});
        for (std::uint64_t i = 0; i < kEach; ++i) {
          HandleScope inner(m);
          std::uint64_t id = (t << 20) | i;
          Object* obj = allocate_finalizable(m, f.fnode, kFnodeBytes);
          if (obj == nullptr) {
            failures++;
            break;
          }
          obj->slots()[2] = id;
          Handle h(m, obj);
          Object* child = allocate(m, f.t.node[0], 16);
          child->slots()[0] = id * 16 + 1;
          write(m, h.get(), h->slots(), ref_value(child));
          if (i % 10 == 0) ring[(i / 10) % ring.size()].set(h.value());
          if (i % 400 == 399 && !f.heap().collect(m, i % 800 == 799)) failures++;
          poll(m);
        }
      }
      f.heap().detach(m);
    });
  }
  {
    NativeRegion native(f.m());
    for (auto& th : threads) th.join();
  }
  ASSERT_EQ(failures.load(), 0);
  f.collect_and_wait(true);
  for (std::uint64_t t = 1; t <= kThreads; ++t) {
    for (std::uint64_t i = 0; i < kEach; ++i) ASSERT_EQ(f.calls((t << 20) | i), 1) << t << " " << i;
  }
  EXPECT_EQ(f.total_calls(), kThreads * kEach);
  EXPECT_EQ(f.seen.problems.load(), 0);
  EXPECT_EQ(f.heap().verify(f.m()), std::nullopt);
}

TEST(Finalizers, StatsCountPendingUntilTheFinalizerReturns) {
  FHeap f;
  f.seen.gate_open = false;
  {
    HandleScope scope(f.m());
    for (std::uint64_t id = 1; id <= 10; ++id) f.make(f.gated, id);
  }
  ASSERT_TRUE(f.heap().collect(f.m()));
  // The first finalizer waits in native: collections go on meanwhile.
  ASSERT_TRUE(f.heap().collect(f.m(), true));
  Stats s = f.heap().stats();
  EXPECT_EQ(s.finalizers_run, 0u);
  EXPECT_EQ(s.finalizers_pending, 10u);
  f.seen.gate_open = true;
  f.heap().wait_for_finalizers(f.m());
  s = f.heap().stats();
  EXPECT_EQ(s.finalizers_run, 10u);
  EXPECT_EQ(s.finalizers_pending, 0u);
}

TEST(Finalizers, WaitReturnsAtOnceWithNothingFound) {
  TestHeap t;  // no finalizable layout: no finalizer thread
  t.heap->wait_for_finalizers(*t.m);
  FHeap f;
  f.heap().wait_for_finalizers(f.m());
  EXPECT_EQ(f.heap().stats().finalizers_run, 0u);
}

TEST(Finalizers, DestroyingAHeapWithFinalizersPendingNeitherHangsNorRunsThem) {
  Seen seen;
  g_seen = &seen;
  auto created = Heap::create(small_options());
  ASSERT_TRUE(created.ok());
  std::unique_ptr<Heap> heap = std::move(created.value());
  std::uint32_t slow = register_finalizable(*heap, "slow", finalize_slowly);
  Mutator& m = heap->attach();
  for (std::uint64_t id = 1; id <= 2000; ++id) {
    Object* o = allocate_finalizable(m, slow, kFnodeBytes);
    ASSERT_NE(o, nullptr);
    o->slots()[2] = id;
  }
  ASSERT_TRUE(heap->collect(m));
  EXPECT_GT(heap->stats().finalizers_pending, 0u);
  heap->detach(m);
  auto start = std::chrono::steady_clock::now();
  heap.reset();  // waits for the finalizer running (2 ms), not for the rest
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  std::lock_guard lock(seen.mu);
  EXPECT_LT(seen.calls.size(), 2000u);
}

// During each collection: the state of the finalizer thread's mutator.
struct IdleProbe {
  HeapImpl* heap;
  std::vector<std::uint32_t> states;
};

void probe_finalizer_thread(void* ctx, RootVisitor& /*v*/) {
  auto* p = static_cast<IdleProbe*>(ctx);
  for (MutatorRecord* r : p->heap->safepoint.mutators()) {
    if (r->finalizer_thread) p->states.push_back(r->state.load());
  }
}

TEST(Finalizers, AnIdleFinalizerThreadDoesNotDelayCollections) {
  FHeap f;
  IdleProbe probe{&impl_of(f.heap()), {}};
  std::uint64_t id = f.heap().add_frame_enumerator(f.m(), probe_finalizer_thread, &probe);
  // The thread attaches soon after the first finalizable layout is registered.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (probe.states.empty() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(f.heap().collect(f.m()));
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_FALSE(probe.states.empty());
  // Idle, it waits in native: each collection finds it there (and suspends
  // it) instead of waiting for it to poll.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(f.heap().collect(f.m(), i % 10 == 9));
  for (std::uint32_t s : probe.states) EXPECT_EQ(s, kSuspended);
  EXPECT_GE(probe.states.size(), 200u);
  f.heap().remove_frame_enumerator(f.m(), id);
}

}  // namespace
}  // namespace runa::heap::testing
