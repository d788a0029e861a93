// binary-trees (the Computer Language Benchmarks Game's, single-threaded) on
// RunaTime's garbage-collected heap through its C++ API: the same algorithm and
// byte-for-byte the same output as bench/peers/binary_trees.cpp, for
// scripts/bench-gc-peers.
//
//   runa_binary_trees [max_depth] [--handles] [heap options]   (default depth 21; --help)
//
// Heap options: bench/runa_options.hpp (--max-heap=, --nursery=, --gc-log, ...).
// The program sets none of its own: the heap's defaults. Any other argument is
// refused (status 2).
// A node is a plain object with two reference slots (24 bytes with its header).
// Nothing is freed explicitly: dropped trees are garbage for the collector.
//
// Where the references held across an allocation live (both are precise):
//  - by default, in a shadow stack registered as a root set: two slots per
//    level of recursion, as an execution tier keeps values in frame slots it
//    reports to the collector (the JVM's stack maps play this part for the
//    Java peer);
//  - with --handles, in a handle scope per call (the C++ API's convenience
//    for native code), which costs a scope save and restore per node.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bottom_up_tree.hpp"
#include "runa_options.hpp"

namespace {

using runa::heap::allocate;
using runa::heap::Handle;
using runa::heap::HandleScope;
using runa::heap::Mutator;
using runa::heap::Object;
using runa::heap::ref_value;
using runa::heap::set_slot;
using runa::heap::Value;

constexpr std::size_t kNodeBytes = 24;  // header + left + right
std::uint32_t node_type = 0;

[[gnu::always_inline]] inline Object* new_node(Mutator& m) {
  Object* o = allocate(m, node_type, kNodeBytes);
  if (o == nullptr) runa_bench::out_of_memory("runa_binary_trees");
  return o;
}

// No allocation here, so raw references are safe.
long check(Object* node) {
  Value left = node->slots()[0];
  if (left == 0) return 1;
  return 1 + check(runa::heap::as_object(left)) + check(runa::heap::as_object(node->slots()[1]));
}

constexpr const char* kUsage =
    "usage: runa_binary_trees [max_depth] [--handles] [heap options]\n"
    "  max_depth     0..28 (default 21; below 6 it runs as 6, as the game's program)\n"
    "  --handles     hold references in a handle scope per node, not a shadow stack\n"
    "  heap options  --NAME=VALUE or --gc=TEXT (bench/runa_options.hpp):\n";

}  // namespace

int main(int argc, char** argv) {
  // The heap's defaults: scripts/bench-gc-peers sets only --max-heap.
  runa_bench::BenchOptions opts = runa_bench::parse_options(argc, argv, runa::heap::Options{});
  bool handles = false;
  int n = 21;
  bool have_depth = false;
  for (const std::string& a : opts.rest) {
    if (a == "--help" || a == "-h") {
      std::printf("%s%s", kUsage, runa::heap::options_help());
      return 0;
    }
    if (a == "--handles") {
      handles = true;
      continue;
    }
    char* end = nullptr;
    const long depth = std::strtol(a.c_str(), &end, 10);
    if (have_depth || a.empty() || a[0] < '0' || a[0] > '9' || *end != '\0') {
      runa_bench::usage_fail("runa_binary_trees", a, kUsage);
    }
    if (depth > 28) runa_bench::option_fail("max_depth (0..28)", a);
    n = static_cast<int>(depth);
    have_depth = true;
  }
  constexpr int kMinDepth = 4;
  const int max_depth = std::max(kMinDepth + 2, n);

  auto heap = runa_bench::make_heap(opts.heap);
  runa::heap::Layout layout;
  layout.size = kNodeBytes;
  layout.refs = 2;
  layout.name = "binary-trees node";
  node_type = heap->register_layout(layout).value();
  Mutator& m = heap->attach();
  std::vector<Value> shadow(2 * static_cast<std::size_t>(max_depth + 2), 0);
  std::uint64_t shadow_roots = heap->add_roots(shadow.data(), shadow.size());
  auto tree = [&](int depth) {
    return handles ? runa_bench::bottom_up_tree_handles<new_node>(m, depth)
                   : runa_bench::bottom_up_tree<new_node>(m, depth, shadow.data());
  };
  {
    HandleScope scope(m);
    {
      const int stretch_depth = max_depth + 1;
      Object* stretch = tree(stretch_depth);
      std::printf("stretch tree of depth %d\t check: %ld\n", stretch_depth, check(stretch));
    }

    Handle long_lived(m, tree(max_depth));

    for (int depth = kMinDepth; depth <= max_depth; depth += 2) {
      const long iterations = 1L << (max_depth - depth + kMinDepth);
      long total = 0;
      for (long i = 0; i < iterations; ++i) total += check(tree(depth));
      std::printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, total);
    }

    std::printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived.get()));
  }
  if (opts.stats) runa_bench::print_stats(*heap);
  heap->remove_roots(shadow_roots);
  heap->detach(m);
  return 0;
}
