// A heap snapshot of a large heap: its time and the extra memory it takes
// (docs/memory.md, "Observing the heap"), beside bench/peers/snapshot.js,
// which does the same on V8 (scripts/bench-heap-observers runs both).
//
//   runa_snapshot DEPTH FILE [heap options]
//
// Builds a complete binary tree of DEPTH levels of 32-byte nodes (header,
// two children, a payload word: 2^DEPTH - 1 nodes; depth 25 is 1 GiB),
// kept in a handle, with as many bytes of garbage allocated beside it,
// then writes one snapshot of it to FILE. Output: the live bytes, the
// snapshot's time, nodes and edges, its side memory (SnapshotInfo), the
// process's peak resident memory before and after the snapshot, and the
// CPU time the snapshot took on all its threads (which, unlike its time,
// does not grow when other programs share the cores).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "runa_options.hpp"
#include "runatime/heap_profile.hpp"

namespace {

using runa::heap::Handle;
using runa::heap::HandleScope;
using runa::heap::Mutator;
using runa::heap::Object;

constexpr const char* kUsage = "usage: runa_snapshot DEPTH FILE [heap options]\n";

// The process's peak resident set (VmHWM), in MiB.
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// CPU seconds of every thread of the process.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::uint32_t g_node = 0;

// A tree of `depth` levels; its root, or nullptr when the heap is full.
Object* tree(Mutator& m, int depth) {
  HandleScope scope(m);
  Object* o = runa::heap::allocate(m, g_node, 32);
  if (o == nullptr || depth <= 1) return o;
  Handle h(m, o);
  Object* left = tree(m, depth - 1);
  if (left == nullptr) return nullptr;
  runa::heap::set_slot(m, h, 0, runa::heap::ref_value(left));
  Object* right = tree(m, depth - 1);
  if (right == nullptr) return nullptr;
  runa::heap::set_slot(m, h, 1, runa::heap::ref_value(right));
  h.get()->slots()[2] = (static_cast<std::uint64_t>(depth) << 3) | 1;
  return h.get();
}

}  // namespace

int main(int argc, char** argv) {
  runa::heap::Options defaults;
  defaults.max_heap = std::size_t{3} << 30;
  runa_bench::BenchOptions o = runa_bench::parse_options(argc, argv, defaults);
  if (o.rest.size() != 2 || o.rest[0] == "--help")
    runa_bench::usage_fail("runa_snapshot", o.rest.empty() ? "" : o.rest[0], kUsage);
  int depth = std::atoi(o.rest[0].c_str());
  if (depth < 1 || depth > 30) runa_bench::usage_fail("runa_snapshot", o.rest[0], kUsage);
  auto heap = runa_bench::make_heap(o.heap);
  runa::heap::Layout l;
  l.size = 32;
  l.refs = 2;
  l.name = "TreeNode";
  g_node = heap->register_layout(l).value();
  Mutator& m = heap->attach();
  {
    HandleScope scope(m);
    Handle root(m, tree(m, depth));
    if (root.get() == nullptr) runa_bench::out_of_memory("building the tree");
    for (std::uint64_t i = 0; i < (std::uint64_t{1} << depth); ++i) {
      if (runa::heap::allocate(m, g_node, 32) == nullptr) runa_bench::out_of_memory("garbage");
    }
    double rss_before = peak_rss_mib();
    double cpu_before = cpu_seconds();
    auto start = std::chrono::steady_clock::now();
    auto info = runa::heap::write_heap_snapshot(*heap, m, o.rest[1]);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpu = cpu_seconds() - cpu_before;
    if (!info) {
      std::fprintf(stderr, "runa_snapshot: %s\n", info.error().describe().c_str());
      return 1;
    }
    std::printf(
        "live %.0f MiB; snapshot %.2f s, %llu nodes, %llu edges; side memory %.1f MiB; "
        "peak RSS %.0f -> %.0f MiB; CPU %.2f s\n",
        static_cast<double>(info->bytes) / (1 << 20), seconds,
        static_cast<unsigned long long>(info->nodes), static_cast<unsigned long long>(info->edges),
        static_cast<double>(info->extra_bytes) / (1 << 20), rss_before, peak_rss_mib(), cpu);
  }
  heap->detach(m);
  return 0;
}
