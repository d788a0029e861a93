// Many mutators: threads allocating and mutating their own graphs while
// collections happen, native regions that collections do not wait for,
// leaving native during a collection, and attach/detach under collections.
#include <atomic>
#include <chrono>
#include <latch>
#include <thread>
#include <vector>

#include "graph_model.hpp"

namespace runa::heap::testing {
namespace {

using namespace std::chrono_literals;

Options threaded_options() {
  Options o = small_options();
  o.nursery = 128 << 10;
  o.tlab = 1 << 10;
  o.max_heap = 256 << 20;
  return o;
}

// Joins `threads` with the calling mutator in native, so collections started
// by them never wait for it.
void join_all(Mutator& m, std::vector<std::thread>& threads) {
  NativeRegion native(m);
  for (auto& th : threads) th.join();
}

// How much a run does: the plain run's sizes, and smaller ones that finish
// in the stress run (a collection every few allocations, each verified).
struct GraphRun {
  std::uint64_t threads;
  std::size_t steps;        // per graph thread
  std::size_t check_every;  // steps between comparisons with the model
  std::size_t major_every;  // steps between requested majors (0: none)
  std::uint64_t min_native_collections;
};

void graph_thread(Heap& heap, const Types& types, std::uint64_t seed, const GraphRun& run,
                  std::atomic<int>& failures) {
  Mutator& m = heap.attach();
  {
    GraphModel g(heap, m, types, seed, seed << 40);
    g.set_major_every(run.major_every);
    for (std::size_t i = 1; i <= run.steps; ++i) {
      poll(m);
      if (!g.step() || (i % run.check_every == 0 && !g.check())) {
        ADD_FAILURE() << "graph thread with seed " << seed << " failed at step " << i;
        failures++;
        break;
      }
    }
    if (!g.check()) failures++;
  }
  heap.detach(m);
}

// Graph threads mutate their own graphs while one more thread stays in a
// native region, holding an object in a handle: collections go on without
// waiting for it, and update its handle. The graph threads start only once
// it is in native, so that the collections it sees are all theirs.
void own_graphs_and_a_native_thread(const GraphRun& run) {
  Options o = threaded_options();
  o.verify = true;
  TestHeap t(o);
  Types types(t);
  std::atomic<int> failures{0};
  std::atomic<bool> in_native{false};
  std::atomic<bool> graphs_done{false};
  std::atomic<std::uint64_t> during_native{0};
  auto collections = [&] {
    Stats s = t.heap->stats();
    return s.minor_collections + s.major_collections;
  };

  {
    // The test's own mutator waits in native: collections never wait for it.
    NativeRegion main_native(*t.m);
    std::thread native_thread([&] {
      Mutator& m = t.heap->attach();
      {
        HandleScope scope(m);
        Object* o0 = allocate(m, t.node[0], 16);
        o0->slots()[0] = 1234;
        Handle h(m, o0);
        {
          NativeRegion native(m);
          std::uint64_t before = collections();
          in_native = true;
          auto deadline = std::chrono::steady_clock::now() + 60s;
          while (!graphs_done.load() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
          }
          during_native = collections() - before;
        }
        if (TestHeap::node_id(h.get(), 0) != 1234) failures++;
      }
      t.heap->detach(m);
    });
    while (!in_native.load()) std::this_thread::sleep_for(1ms);
    std::vector<std::thread> threads;
    for (std::uint64_t i = 1; i <= run.threads; ++i) {
      threads.emplace_back(graph_thread, std::ref(*t.heap), std::cref(types), i, std::cref(run),
                           std::ref(failures));
    }
    for (auto& th : threads) th.join();
    graphs_done = true;
    native_thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(during_native.load(), run.min_native_collections);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(Threads, MutatorsWithOwnGraphsAndANativeThread) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  own_graphs_and_a_native_thread({3, 60000, 5000, 0, 20});
}

// The same property at a size the stress run finishes: requested majors
// make up for the fewer minor collections of the plain run.
TEST(Threads, MutatorsWithOwnGraphsAndANativeThreadSmall) {
  own_graphs_and_a_native_thread({2, 3000, 500, 250, 20});
}

struct LeaveDuringCollection {
  std::atomic<int> phase{0};  // 1: collecting, 2: the other thread called leave_native
  std::atomic<bool> left{false};
  bool left_early = false;
};

void hold_collection(void* ctx, RootVisitor&) {
  auto* s = static_cast<LeaveDuringCollection*>(ctx);
  if (s->phase.load() != 0) return;
  s->phase = 1;
  while (s->phase.load() != 2) std::this_thread::yield();
  std::this_thread::sleep_for(50ms);
  s->left_early = s->left.load();
}

TEST(Threads, LeavingNativeWaitsForTheCollection) {
  TestHeap t(threaded_options());
  LeaveDuringCollection s;
  std::uint64_t id = t.heap->add_frame_enumerator(*t.m, hold_collection, &s);
  std::thread other([&] {
    Mutator& m = t.heap->attach();
    enter_native(m);
    while (s.phase.load() != 1) std::this_thread::yield();
    s.phase = 2;
    leave_native(m);  // must block until the collection ends
    s.left = true;
    t.heap->detach(m);
  });
  // Wait until the other thread is in native, then collect.
  while (impl_of(*t.heap).safepoint.count() != 2) std::this_thread::yield();
  ASSERT_TRUE(t.heap->collect(*t.m));
  {
    NativeRegion native(*t.m);
    other.join();
  }
  EXPECT_FALSE(s.left_early);
  EXPECT_TRUE(s.left.load());
  t.heap->remove_frame_enumerator(*t.m, id);
}

TEST(Threads, ConcurrentCollectRequests) {
  TestHeap t(threaded_options());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Mutator& m = t.heap->attach();
      {
        HandleScope scope(m);
        Handle h(m, Value{0});
        for (int k = 0; k < 200; ++k) {
          Object* o = allocate(m, t.node[1], 24);
          o->slots()[1] = static_cast<std::uint64_t>(i * 1000 + k);
          write(m, o, o->slots(), h.value());
          h.set(ref_value(o));
          if (!t.heap->collect(m)) failures++;
        }
        int count = 0;
        for (Value v = h.value(); v != 0; v = as_object(v)->slots()[0]) {
          if (as_object(v)->slots()[1] != static_cast<std::uint64_t>(i * 1000 + 199 - count)) {
            failures++;
          }
          ++count;
        }
        if (count != 200) failures++;
      }
      t.heap->detach(m);
    });
  }
  join_all(*t.m, threads);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(t.heap->stats().minor_collections, 800u);
}

// The first collection makes the pause's room before it stops the world
// (HeapImpl::collect): threads that request their first collections at
// once may all find it empty and reserve together, each while the others
// run. Every collection must still succeed, and the room be made.
TEST(Threads, FirstCollectionsRequestedAtOnce) {
  for (int round = 0; round < 20; ++round) {
    TestHeap t(threaded_options());
    constexpr int kThreads = 4;
    std::latch ready(kThreads);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        Mutator& m = t.heap->attach();
        {
          // Waiting in native: a thread already collecting does not wait for it.
          NativeRegion waiting(m);
          ready.arrive_and_wait();
        }
        if (allocate(m, t.node[1], 24) == nullptr || !t.heap->collect(m)) failures++;
        t.heap->detach(m);
      });
    }
    join_all(*t.m, threads);
    EXPECT_EQ(failures.load(), 0) << round;
    EXPECT_GT(impl_of(*t.heap).pause_reserve.committed(), 0U) << round;
  }
}

// Threads attach, build and check a list, and detach, `rounds` times each,
// while one more thread collects without pause.
void attach_and_detach_during_collections(int rounds, int nodes) {
  Options o = threaded_options();
  o.verify = true;
  TestHeap t(o);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    Mutator& m = t.heap->attach();
    while (!stop.load()) {
      if (!t.heap->collect(m)) failures++;
    }
    t.heap->detach(m);
  });
  std::atomic<std::uint64_t> done{0};
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      for (int r = 0; r < rounds; ++r) {
        Mutator& m = t.heap->attach();
        {
          HandleScope scope(m);
          Handle keep(m, Value{0});
          for (int k = 0; k < nodes; ++k) {
            Object* n = allocate(m, t.node[1], 24);
            n->slots()[1] = static_cast<std::uint64_t>(i);
            write(m, n, n->slots(), keep.value());
            keep.set(ref_value(n));
          }
          int count = 0;
          for (Value v = keep.value(); v != 0; v = as_object(v)->slots()[0]) {
            if (as_object(v)->slots()[1] != static_cast<std::uint64_t>(i)) failures++;
            ++count;
          }
          if (count != nodes) failures++;
        }
        t.heap->detach(m);
        done++;
      }
    });
  }
  {
    NativeRegion native(*t.m);
    for (std::size_t i = 1; i < threads.size(); ++i) threads[i].join();
    stop = true;
    threads[0].join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(done.load(), 3u * static_cast<std::uint64_t>(rounds));
  EXPECT_EQ(impl_of(*t.heap).safepoint.count(), 1u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

TEST(Threads, AttachAndDetachDuringCollections) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  attach_and_detach_during_collections(150, 50);
}

TEST(Threads, AttachAndDetachDuringCollectionsSmall) {
  attach_and_detach_during_collections(20, 20);
}

}  // namespace
}  // namespace runa::heap::testing
