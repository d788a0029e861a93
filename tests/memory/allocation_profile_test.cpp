// Allocation profiles (sampler.hpp, allocation_profile.cpp): the weighted
// samples estimate what was allocated and what lives, within the sampling
// error (fixed seeds: the same samples every run); stacks come from the
// describer; threads sample concurrently; `go tool pprof` reads the file.
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

#include "heap_fixture.hpp"
#include "runatime/heap_profile.hpp"

namespace runa::heap::testing {
namespace {

Options sampled(std::size_t mean) {
  Options o = small_options();
  o.nursery = 2 << 20;
  o.sample_bytes = mean;
  return o;
}

std::string temp_path(const char* tag) {
  return ::testing::TempDir() + "alloc_" + tag + "_" + std::to_string(::getpid()) + ".pb.gz";
}

// Sizes 16..256 in a fixed cycle, every object dropped at once; returns
// the bytes allocated.
std::uint64_t churn(TestHeap& t, std::uint64_t total) {
  std::uint64_t done = 0;
  for (unsigned i = 0; done < total; ++i) {
    unsigned k = i % 5;
    Object* o = allocate(*t.m, t.node[k], 16 + 8 * k);
    EXPECT_NE(o, nullptr);
    done += 16 + 8 * k;
  }
  return done;
}

TEST(AllocationProfile, OffIsAnError) {
  TestHeap t;
  auto r = write_allocation_profile(*t.heap, *t.m, temp_path("off"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().describe().find("set sample_bytes"), std::string::npos);
}

TEST(AllocationProfile, TotalsAgreeWithTheHeapsStatisticsWithinTheSamplingError) {
  TestHeap t(sampled(4096));
  std::uint64_t before = t.heap->stats().allocated_bytes;
  std::uint64_t allocated = churn(t, 32 << 20);
  ASSERT_TRUE(t.heap->collect(*t.m));
  std::uint64_t counted = t.heap->stats().allocated_bytes - before;
  EXPECT_EQ(counted, allocated);
  std::string path = temp_path("totals");
  auto r = write_allocation_profile(*t.heap, *t.m, path);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  // About 8,000 samples: one standard error is about 1.1%; 5% is more
  // than four of them.
  EXPECT_GT(r->samples, 6000u);
  EXPECT_LT(r->samples, 10000u);
  double ratio = static_cast<double>(r->alloc_bytes) / static_cast<double>(counted);
  EXPECT_NEAR(ratio, 1.0, 0.05);
  EXPECT_EQ(r->live_samples, 0u);  // everything died
  std::remove(path.c_str());
}

TEST(AllocationProfile, InUseCountsOnlyWhatStillLives) {
  TestHeap t(sampled(128));
  HandleScope scope(*t.m);
  constexpr std::size_t kKept = 2000;  // 48 KiB kept of 480 KiB allocated
  Handle keep(*t.m, t.new_ref_array(kKept, 0));
  std::uint64_t kept_bytes = 0;
  for (std::size_t i = 0; i < 10 * kKept; ++i) {
    Object* o = allocate(*t.m, t.node[1], 24);
    ASSERT_NE(o, nullptr);
    if (i % 10 == 0) {
      write(*t.m, keep.get(), array_slots(keep.get()) + i / 10, ref_value(o));
      kept_bytes += 24;
    }
  }
  ASSERT_TRUE(t.heap->collect(*t.m, true));
  std::string path = temp_path("inuse");
  auto r = write_allocation_profile(*t.heap, *t.m, path);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  // The kept array itself (16 KiB, large) is sampled for certain. About
  // 340 of the samples live: one standard error is about 5.4%.
  double live = static_cast<double>(r->inuse_bytes) - static_cast<double>(ref_array_bytes(kKept));
  EXPECT_NEAR(live / static_cast<double>(kept_bytes), 1.0, 0.15);
  EXPECT_GT(r->live_samples, 0u);
  EXPECT_LT(r->live_samples, r->samples / 5);
  std::remove(path.c_str());
}

TEST(AllocationProfile, LargeObjectsAreSampledByTheirBytesToo) {
  TestHeap t(sampled(4096));
  HandleScope scope(*t.m);
  for (int i = 0; i < 50; ++i) ASSERT_NE(t.new_byte_array(64 << 10, 0), nullptr);
  std::string path = temp_path("large");
  auto r = write_allocation_profile(*t.heap, *t.m, path);
  ASSERT_TRUE(r.ok());
  // Each is 16 times the mean: sampled with probability 1 - e^-16.
  EXPECT_GE(r->samples, 50u);
  EXPECT_NEAR(static_cast<double>(r->alloc_bytes), 50.0 * byte_array_bytes(64 << 10),
              50.0 * 16 * 8);
  std::remove(path.c_str());
}

thread_local const char* g_function = "main";

void describe(void* ctx, Mutator&, std::vector<StackFrame>& out) {
  ++*static_cast<int*>(ctx);
  out.push_back({g_function, "test.runa", 7});
  out.push_back({"main", "test.runa", 1});
}

TEST(AllocationProfile, StacksComeFromTheDescriberAndGoToolPprofReadsThem) {
  TestHeap t(sampled(2048));
  int calls = 0;
  set_stack_describer(*t.heap, describe, &calls);
  g_function = "make_leaves";
  churn(t, 4 << 20);
  g_function = "make_more";
  churn(t, 2 << 20);
  set_stack_describer(*t.heap, nullptr, nullptr);
  EXPECT_GT(calls, 1000);
  std::string path = temp_path("stacks");
  auto r = write_allocation_profile(*t.heap, *t.m, path);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->samples, static_cast<std::uint64_t>(calls));

  std::string home = ::testing::TempDir() + "gohome";
  std::string cmd = "HOME=" + home + " GOCACHE=" + home + "/cache GOPATH=" + home +
                    " go tool pprof -traces -sample_index=alloc_space " + path + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p.get()) != nullptr) out += buf;
  EXPECT_EQ(pclose(p.release()), 0) << "go tool pprof failed (scripts/setup installs golang-go):\n"
                                    << out;
  EXPECT_NE(out.find("make_leaves"), std::string::npos) << out;
  EXPECT_NE(out.find("make_more"), std::string::npos) << out;
  EXPECT_NE(out.find("node"), std::string::npos) << out;  // the type, innermost
  std::remove(path.c_str());
}

TEST(AllocationProfile, ThreadsSampleConcurrently) {
  TestHeap t(sampled(1024));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      Mutator& m = t.heap->attach();
      for (int k = 0; k < 100000; ++k) {
        Object* o = allocate(m, t.node[2], 32);
        if (o == nullptr) break;
        if (k % 20000 == 0) t.heap->collect(m);
      }
      t.heap->detach(m);
    });
  }
  {
    NativeRegion waiting(*t.m);
    for (auto& th : threads) th.join();
  }
  std::string path = temp_path("threads");
  auto r = write_allocation_profile(*t.heap, *t.m, path);
  ASSERT_TRUE(r.ok());
  // 12.8 MB in 1 KiB means: about 12,500 samples.
  EXPECT_NEAR(static_cast<double>(r->alloc_bytes), 4 * 100000 * 32.0, 4 * 100000 * 32.0 * 0.05);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace runa::heap::testing
