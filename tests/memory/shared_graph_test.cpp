// Several mutator threads mutate SHARED graphs, and each its own, through
// minor and major collections that evacuate a fragmented old generation,
// with the heap verified after every collection and evacuated memory
// poisoned; every thread checks what it wrote against its shadow model, and
// at the end the main thread checks everything.
//
// The shared graph: kShared old reference arrays, reachable only from one
// persistent handle all threads read, and left in sparse old blocks (every
// 64th object of fragmented_old_nodes), so that major collections find them
// in evacuation candidates and move them while other threads hold
// references to them in their slots. Each shared array's slots are
// partitioned: thread t alone reads and writes elements 1 + t * kOwned ..
// (t + 1) * kOwned, storing there immediates, references to shared arrays,
// and fresh young nodes that point back to a shared array (an old-to-young
// edge the remembered set must carry, and a young-to-old edge evacuation
// must update). Sharing is thus free of data races by design: no slot has
// two writers, and the persistent handle and the arrays' addresses change
// only in pauses, while every mutator is stopped at a safepoint.
//
// Why no lock instead (a lock around the shadow model and the heap stores
// would let threads share slots): a thread that blocks on a lock while in
// managed code never reaches a safepoint. If the lock's holder then
// allocates and that starts a collection, the collection waits for the
// blocked thread, which waits for the holder: a deadlock. A lock would have
// to be taken inside a NativeRegion (and any reference re-read after it).
// This test takes no lock; its only blocking waits (the start latch, the
// joins) are made in native regions, for the same reason.
#include <latch>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../concurrency/scale.hpp"
#include "graph_model.hpp"

namespace runa::heap::testing {
namespace {

constexpr std::size_t kThreads = 3;
constexpr std::size_t kOwned = 6;                       // slots per thread in each shared array
constexpr std::size_t kShared = 48;                     // shared arrays
constexpr std::size_t kSpacing = 64;                    // fragmented_old_nodes keeps every 64th
constexpr std::size_t kLength = 1 + kThreads * kOwned;  // element 0: the array's id

// The shared array `i` (0..kShared-1), read through the persistent handle.
Object* shared_array(const Persistent& shared, std::size_t i) {
  return as_object(array_slots(as_object(shared.value()))[(i + 1) * kSpacing]);
}

// One thread's slots in the shared arrays, and what it expects in them.
class SharedSlots {
 public:
  SharedSlots(const Persistent& shared, std::uint32_t node1, std::size_t thread, std::uint64_t seed)
      : shared_(shared),
        node1_(node1),
        thread_(thread),
        seed_(seed),
        rng_(seed),
        next_id_((static_cast<std::uint64_t>(thread) + 1) << 40),
        expect_(kShared * kOwned) {}

  // One random change of one of this thread's slots; false when out of
  // memory (reported).
  bool step(Mutator& m) {
    std::size_t a = pick(kShared);
    std::size_t k = pick(kOwned);
    Expect e;
    Value v = 0;
    switch (pick(5)) {
      case 0:
        break;
      case 1:
        e = {Expect::kImm, pick(1000), 0};
        v = imm(e.n);
        break;
      case 2:
        e = {Expect::kSharedArray, pick(kShared), 0};
        v = ref_value(shared_array(shared_, e.n));
        break;
      case 3: {
        // Another of this thread's slots: shares its fresh node, if any.
        std::size_t from = pick(expect_.size());
        e = expect_[from];
        v = *slot(from / kOwned, from % kOwned);
        break;
      }
      default: {
        // The allocation may collect: the link's and the target's addresses
        // are read after it.
        e = {Expect::kFresh, next_id_++, pick(kShared)};
        Object* n = allocate(m, node1_, 24);
        if (n == nullptr) {
          ADD_FAILURE() << "out of memory, thread " << thread_ << " seed " << seed_;
          return false;
        }
        n->slots()[1] = e.n;
        write(m, n, n->slots(), ref_value(shared_array(shared_, e.link)));
        v = ref_value(n);
      }
    }
    Object* target = shared_array(shared_, a);
    write(m, target, slot(a, k), v);
    expect_[a * kOwned + k] = e;
    return true;
  }

  // Compares this thread's slots with its model; reports the first
  // difference (with the seed) and returns false.
  [[nodiscard]] bool check(std::size_t step) const {
    std::unordered_map<std::uint64_t, Object*> fresh;
    for (std::size_t s = 0; s < expect_.size(); ++s) {
      const Expect& e = expect_[s];
      Value v = *slot(s / kOwned, s % kOwned);
      std::string where = "thread " + std::to_string(thread_) + " seed " + std::to_string(seed_) +
                          " step " + std::to_string(step) + " shared array " +
                          std::to_string(s / kOwned) + " slot " + std::to_string(s % kOwned);
      switch (e.kind) {
        case Expect::kEmpty:
          if (v != 0) return fail(where, "not empty");
          break;
        case Expect::kImm:
          if (v != imm(e.n)) return fail(where, "wrong immediate");
          break;
        case Expect::kSharedArray:
          if (v != ref_value(shared_array(shared_, e.n))) return fail(where, "wrong shared array");
          break;
        case Expect::kFresh: {
          if (!is_ref(v)) return fail(where, "no fresh node");
          Object* n = as_object(v);
          if (n->slots()[1] != e.n) return fail(where, "fresh node with the wrong id");
          if (n->slots()[0] != ref_value(shared_array(shared_, e.link))) {
            return fail(where, "fresh node with the wrong link");
          }
          auto [it, inserted] = fresh.emplace(e.n, n);
          if (!inserted && it->second != n) return fail(where, "fresh node at two addresses");
        }
      }
    }
    return true;
  }

 private:
  struct Expect {
    enum Kind : std::uint8_t { kEmpty, kImm, kSharedArray, kFresh } kind = kEmpty;
    std::uint64_t n = 0;   // the immediate, the shared array's index, or the fresh node's id
    std::size_t link = 0;  // kFresh: the shared array its slot 0 points to
  };

  static bool fail(const std::string& where, const char* what) {
    ADD_FAILURE() << what << ": " << where;
    return false;
  }

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  [[nodiscard]] Value* slot(std::size_t a, std::size_t k) const {
    return array_slots(shared_array(shared_, a)) + 1 + thread_ * kOwned + k;
  }

  const Persistent& shared_;
  std::uint32_t node1_;
  std::size_t thread_;
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  std::uint64_t next_id_;
  std::vector<Expect> expect_;  // by shared array * kOwned + slot
};

struct Run {
  std::uint64_t seed;
  std::size_t steps;        // per thread, half on the shared slots, half on its own graph
  std::size_t check_every;  // steps between comparisons with the models
  std::size_t major_every;  // own-graph steps between requested major collections
};

void mutator(Heap& heap, const Types& types, SharedSlots& slots, const Run& run, std::size_t thread,
             std::latch& start, std::atomic<int>& failures) {
  Mutator& m = heap.attach();
  {
    NativeRegion native(m);
    start.arrive_and_wait();
  }
  {
    std::uint64_t seed = run.seed * 16 + thread;
    GraphModel own(heap, m, types, seed, std::uint64_t{thread + 1} << 48);
    own.set_major_every(run.major_every);
    std::mt19937_64 choose(seed);
    for (std::size_t i = 1; i <= run.steps; ++i) {
      poll(m);
      bool ok = choose() % 2 == 0 ? slots.step(m) : own.step();
      if (ok && i % run.check_every == 0) ok = own.check() && slots.check(i);
      if (!ok) {
        ADD_FAILURE() << "thread " << thread << " seed " << seed << " failed at step " << i;
        failures++;
        break;
      }
    }
    if (!own.check() || !slots.check(run.steps)) failures++;
  }
  heap.detach(m);
}

void shared_graphs(const Run& run) {
  Options o = small_options();
  o.nursery = 128 << 10;
  o.tlab = 1 << 10;
  o.max_heap = 32 << 20;
  o.promotion_age = 1;
  o.verify = true;
  o.poison = true;
  TestHeap t(o);
  Types types(t);
  HandleScope scope(*t.m);
  Handle arr = fragmented_old_nodes(t, kShared * kSpacing + kSpacing, [&](std::size_t i) {
    return i % kSpacing == 0 ? t.new_ref_array(kLength, i) : t.new_node(1, i);
  });
  ASSERT_FALSE(::testing::Test::HasFailure());
  Persistent shared(*t.heap, arr.value());
  // This major finds the blocks fragmented: the next ones evacuate them.
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  std::vector<Object*> before(kShared);
  for (std::size_t i = 0; i < kShared; ++i) before[i] = shared_array(shared, i);

  std::vector<std::unique_ptr<SharedSlots>> slots;
  for (std::size_t i = 0; i < kThreads; ++i) {
    slots.push_back(std::make_unique<SharedSlots>(shared, t.node[1], i, run.seed * 16 + i));
  }
  std::atomic<int> failures{0};
  std::latch start(kThreads);
  {
    NativeRegion native(*t.m);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kThreads; ++i) {
      threads.emplace_back(mutator, std::ref(*t.heap), std::cref(types), std::ref(*slots[i]),
                           std::cref(run), i, std::ref(start), std::ref(failures));
    }
    for (auto& th : threads) th.join();
  }
  EXPECT_EQ(failures.load(), 0) << "seed " << run.seed;
  std::size_t moved = 0;
  for (std::size_t i = 0; i < kShared; ++i) {
    Object* a = shared_array(shared, i);
    EXPECT_EQ(from_imm(array_slots(a)[0]), (i + 1) * kSpacing) << "seed " << run.seed;
    moved += a != before[i] ? 1 : 0;
  }
  for (const auto& s : slots) EXPECT_TRUE(s->check(run.steps)) << "seed " << run.seed;
  // Evacuation moved shared arrays the threads held references to.
  EXPECT_GT(moved, 0U) << "seed " << run.seed;
  Stats st = t.heap->stats();
  EXPECT_GT(st.major_collections, 2U) << "seed " << run.seed;
  EXPECT_GT(st.minor_collections, 20U) << "seed " << run.seed;
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt) << "seed " << run.seed;
}

// The stress run (a collection every few allocations, each verified) and
// ThreadSanitizer do less of the same.
std::size_t steps(std::size_t n) {
  n = concurrency::testing::scaled(static_cast<unsigned>(n));
  return under_test_modes() ? n / 40 : n;
}

TEST(SharedGraph, ThreeMutatorsThroughMinorAndMajorCollectionsWithEvacuation) {
  for (std::uint64_t seed : {101U, 202U}) {
    // About 6 requested majors per thread (own-graph steps are half).
    std::size_t n = steps(100000);
    shared_graphs({seed, n, n / 8, n / 12});
    if (HasFailure()) return;  // the first failing seed is the one to report
  }
}

}  // namespace
}  // namespace runa::heap::testing
