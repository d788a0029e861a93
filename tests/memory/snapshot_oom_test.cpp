// A heap snapshot that runs out of memory while it is written (the header
// comment of src/memory/heap_snapshot.cpp): the call fails with an error
// and no file, the world resumes, and the heap is as before: the ids of a
// later snapshot are those of an earlier one.
//
// Memory runs out for real: a child process lowers its address-space limit
// (RLIMIT_AS) to what it maps now plus a margin, so that every mapping
// beyond the margin fails (the heap's own memory is reserved already).
// glibc's malloc must feel the limit too: one arena for all threads (a
// thread's own arena reserves 64 MiB ahead, counted already, and grows
// inside it unchecked), and every block of 64 KiB or more mapped on its own
// (the threshold would otherwise rise as blocks are freed), both set before
// the heap starts its threads. Margins grow in small steps from nothing
// until a snapshot succeeds; each attempt must fail cleanly or succeed, and
// at least one must fail after the mark bitmap was found (while formatting
// or interning). Not under the sanitizers, whose own mappings the limit
// would break.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "../sanitizers.hpp"
#include "heap_fixture.hpp"
#include "runatime/heap_profile.hpp"
#include "snapshot_reader.hpp"

namespace runa::heap::testing {
namespace {

// The child's checks: a failure prints and exits 1 (a death test's child
// cannot report through gtest's assertions).
void require(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "FAILED: %s\n", what.c_str());
  std::_Exit(1);
}

std::size_t mapped_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

class SnapshotOutOfMemory : public ::testing::Test {
 protected:
  static std::string path(const char* what) {
    return ::testing::TempDir() + "snapshot_oom_" + what + "_" + std::to_string(::getpid()) +
           ".heapsnapshot";
  }
  // The ids of the objects in the test's array's elements, by index.
  std::map<std::uint64_t, std::uint64_t> element_ids() {
    const std::string p = path("ids");
    auto r = write_heap_snapshot(*t.heap, *t.m, p);
    require(r.ok(), "a snapshot with memory: " + (r.ok() ? "" : r.error().describe()));
    ParsedSnapshot s = read_snapshot(p);
    std::remove(p.c_str());
    require(s.error.empty(), "the snapshot reads back: " + s.error);
    std::map<std::uint64_t, std::uint64_t> ids;
    for (std::size_t a : s.named("refs")) {
      if (s.nodes[a].self_size != ref_array_bytes(kN)) continue;
      for (const SnapEdgeRec& e : s.out(a)) ids[e.name] = s.nodes[e.to].id;
    }
    return ids;
  }

  // Old objects named by place, one young object named by the table (so
  // that the table the snapshot takes is not empty), then the attempts.
  void attempts() {
    Handle arr(*t.m, t.new_ref_array(kN, 0));
    for (std::size_t i = 1; i < kN; ++i) {
      write(*t.m, arr.get(), array_slots(arr.get()) + i, ref_value(t.new_node(2, i)));
    }
    require(t.heap->collect(*t.m), "promoting collection");
    write(*t.m, arr.get(), array_slots(arr.get()) + 1, ref_value(t.new_node(0, 1)));
    const auto first = element_ids();
    require(first.size() == kN - 1, "every element named");

    require(malloc_set_, "mallopt");
    rlimit before{};
    require(::getrlimit(RLIMIT_AS, &before) == 0, "getrlimit");
    const std::string p = path("attempt");
    int out_while_writing = 0;
    bool succeeded = false;
    for (std::size_t margin = 0; !succeeded && margin < (std::size_t{1} << 30);
         margin += std::size_t{16} << 10) {
      rlimit low = before;
      low.rlim_cur = mapped_bytes() + margin;
      require(::setrlimit(RLIMIT_AS, &low) == 0, "setrlimit");
      auto r = write_heap_snapshot(*t.heap, *t.m, p);
      require(::setrlimit(RLIMIT_AS, &before) == 0, "setrlimit back");
      if (r.ok()) {
        succeeded = true;
      } else {
        const std::string why = r.error().describe();
        require(why.find("out of memory") != std::string::npos ||
                    why.find("no memory for the mark bitmap") != std::string::npos,
                "a failure for want of memory, not: " + why);
        if (why.find("out of memory while writing") != std::string::npos) ++out_while_writing;
        require(::access(p.c_str(), F_OK) != 0, "no partial file left: " + p);
      }
      require(element_ids() == first, "ids after an attempt with margin " + std::to_string(margin));
      require(!t.heap->verify(*t.m).has_value(), "a sound heap after the attempt");
    }
    std::remove(p.c_str());
    require(succeeded, "a snapshot succeeds once the margin is large enough");
    std::fprintf(stderr, "out of memory while writing: %d\n", out_while_writing);
    require(out_while_writing > 0, "some attempt ran out after the bitmap");
    std::_Exit(0);
  }

  static bool malloc_feels_the_limit() {
    return ::mallopt(M_ARENA_MAX, 1) == 1 && ::mallopt(M_MMAP_THRESHOLD, 64 << 10) == 1;
  }

  static constexpr std::size_t kN = 20000;
  const bool malloc_set_ = malloc_feels_the_limit();  // before the heap's threads
  TestHeap t{small_options()};
  HandleScope scope{*t.m};
};

TEST_F(SnapshotOutOfMemory, FailsCleanlyAndKeepsTheIds) {
#if RUNA_UNDER_ASAN || RUNA_UNDER_TSAN
  GTEST_SKIP() << "an address-space limit breaks the sanitizers' own mappings";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(attempts(), ::testing::ExitedWithCode(0), "out of memory while writing: [1-9]");
#endif
}

}  // namespace
}  // namespace runa::heap::testing
