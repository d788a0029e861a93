// Many mutators: threads allocating and mutating their own graphs while
// collections happen, native regions that collections do not wait for,
// leaving native during a collection, and attach/detach under collections.
#include <atomic>
#include <chrono>
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

void graph_thread(Heap& heap, const Types& types, std::uint64_t seed, std::size_t steps,
                  std::atomic<int>& failures) {
  Mutator& m = heap.attach();
  {
    GraphModel g(heap, m, types, seed, seed << 40);
    for (std::size_t i = 1; i <= steps; ++i) {
      poll(m);
      if (!g.step() || (i % 5000 == 0 && !g.check())) {
        failures++;
        break;
      }
    }
    if (!g.check()) failures++;
  }
  heap.detach(m);
}

TEST(Threads, MutatorsWithOwnGraphsAndANativeThread) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  Options o = threaded_options();
  o.verify = true;
  TestHeap t(o);
  Types types(t);
  std::atomic<int> failures{0};
  std::atomic<bool> graphs_done{false};
  std::atomic<std::uint64_t> during_native{0};

  std::vector<std::thread> threads;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    threads.emplace_back(graph_thread, std::ref(*t.heap), std::cref(types), i, 60000,
                         std::ref(failures));
  }
  threads.emplace_back([&] {
    Mutator& m = t.heap->attach();
    {
      HandleScope scope(m);
      Object* o0 = allocate(m, t.node[0], 16);
      o0->slots()[0] = 1234;
      Handle h(m, o0);
      std::uint64_t before = t.heap->stats().minor_collections;
      {
        // Blocks for as long as the others run: collections go on without it.
        NativeRegion native(m);
        auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!graphs_done.load() && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(1ms);
        }
        during_native = t.heap->stats().minor_collections - before;
      }
      if (TestHeap::node_id(h.get(), 0) != 1234) failures++;
    }
    t.heap->detach(m);
  });
  {
    NativeRegion native(*t.m);
    for (std::size_t i = 0; i < 3; ++i) threads[i].join();
    graphs_done = true;
    threads[3].join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(during_native.load(), 20u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
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

TEST(Threads, AttachAndDetachDuringCollections) {
  RUNA_SKIP_UNDER_TEST_MODES("allocates too much to verify every few allocations");
  Options o = threaded_options();
  o.verify = true;
  TestHeap t(o);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  Persistent shared(*t.heap, Value{0});
  std::vector<std::thread> threads;
  // One thread collects continuously.
  threads.emplace_back([&] {
    Mutator& m = t.heap->attach();
    while (!stop.load()) {
      if (!t.heap->collect(m)) failures++;
    }
    t.heap->detach(m);
  });
  // Others come and go, leaving objects behind through a persistent handle.
  std::atomic<std::uint64_t> rounds{0};
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      for (int r = 0; r < 150; ++r) {
        Mutator& m = t.heap->attach();
        {
          HandleScope scope(m);
          Handle keep(m, Value{0});
          for (int k = 0; k < 50; ++k) {
            Object* n = allocate(m, t.node[1], 24);
            n->slots()[1] = static_cast<std::uint64_t>(i);
            write(m, n, n->slots(), keep.value());
            keep.set(ref_value(n));
          }
          int count = 0;
          for (Value v = keep.value(); v != 0; v = as_object(v)->slots()[0]) ++count;
          if (count != 50) failures++;
        }
        t.heap->detach(m);
        rounds++;
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
  EXPECT_EQ(rounds.load(), 450u);
  EXPECT_EQ(impl_of(*t.heap).safepoint.count(), 1u);
  EXPECT_EQ(t.heap->verify(*t.m), std::nullopt);
}

}  // namespace
}  // namespace runa::heap::testing
