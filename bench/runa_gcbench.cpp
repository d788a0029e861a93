// GCBench (Ellis, Kovac, Boehm) on RunaTime's garbage-collected heap through its
// C++ API: the same algorithm and byte-for-byte the same output as
// bench/peers/gcbench.cpp and GCBench.java, for scripts/bench-gc-peers.
//
//   runa_gcbench [sweeps] [--handles] [heap options]
//       sweeps 1..1000, default 20; heap options: bench/runa_options.hpp; --help
//
// The program sets no heap option of its own (the heap's defaults); any
// argument that is neither the sweep count, --handles nor a heap option is
// refused (status 2). A sweep is one pass of the tree constructions over
// depths 4..16 (bench/peers/gcbench.cpp says why there are 20 of them).
// A node is a plain object: header, two reference slots, two 32-bit ints in one
// raw word (32 bytes). The 500,000-double array is a byte array (4 MB, so it
// lives in the large-object space). Top-down construction stores young
// children into parents that may already be old (the long-lived tree is
// promoted while it is being built), so it exercises the write barrier.
//
// Where the references held across an allocation live (both are precise), as
// in runa_binary_trees:
//  - by default, in a shadow stack registered as a root set: a slot or two per
//    level of recursion, as an execution tier keeps values in frame slots it
//    reports to the collector (the JVM's stack maps play this part for the
//    Java peer);
//  - with --handles, in a handle scope per call (the C++ API's convenience
//    for native code), which costs a scope save and restore and a handle per
//    reference held, per node.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bottom_up_tree.hpp"
#include "runa_options.hpp"

namespace {

using runa::heap::allocate;
using runa::heap::as_object;
using runa::heap::Handle;
using runa::heap::HandleScope;
using runa::heap::Mutator;
using runa::heap::Object;
using runa::heap::ref_value;
using runa::heap::set_slot;
using runa::heap::Value;

constexpr int kStretchTreeDepth = 18;
constexpr int kLongLivedTreeDepth = 16;
constexpr int kArraySize = 500000;
constexpr int kMinTreeDepth = 4;
constexpr int kMaxTreeDepth = 16;

constexpr std::size_t kNodeBytes = 32;  // header, left, right, i and j
std::uint32_t node_type = 0;
std::uint32_t bytes_type = 0;

int tree_size(int depth) {
  return (1 << (depth + 1)) - 1;
}

int num_iters(int depth) {
  return 2 * tree_size(kStretchTreeDepth) / tree_size(depth);
}

[[gnu::always_inline]] inline Object* new_node(Mutator& m) {
  Object* o = allocate(m, node_type, kNodeBytes);
  if (o == nullptr) runa_bench::out_of_memory("runa_gcbench");
  return o;
}

// Top-down: the parent exists before its children are allocated. `frame[0]`
// holds the node; deeper levels use the slots after it, each cleared once
// used, so that no dropped tree stays reachable from a stale slot.
void populate(Mutator& m, int depth, Value* frame) {
  if (depth <= 0) return;
  --depth;
  Object* left = new_node(m);
  set_slot(m, as_object(frame[0]), 0, ref_value(left));
  Object* right = new_node(m);
  set_slot(m, as_object(frame[0]), 1, ref_value(right));
  frame[1] = as_object(frame[0])->slots()[0];
  populate(m, depth, frame + 1);
  frame[1] = as_object(frame[0])->slots()[1];
  populate(m, depth, frame + 1);
  frame[1] = 0;
}

// The same with a handle scope per call.
void populate_handles(Mutator& m, int depth, Handle node) {
  if (depth <= 0) return;
  --depth;
  HandleScope scope(m);
  Object* left = new_node(m);
  set_slot(m, node.get(), 0, ref_value(left));
  Object* right = new_node(m);
  set_slot(m, node.get(), 1, ref_value(right));
  populate_handles(m, depth, Handle(m, node->slots()[0]));
  populate_handles(m, depth, Handle(m, node->slots()[1]));
}

// Either way of holding references: `shadow` is the shadow stack, or null
// for handles.
struct Trees {
  Mutator& m;
  Value* shadow;

  // A new tree of `depth` built top-down from `root`, a new node already in
  // a handle.
  void top_down(int depth, Handle root) const {
    if (shadow == nullptr) {
      populate_handles(m, depth, root);
      return;
    }
    shadow[0] = root.value();
    populate(m, depth, shadow);
    shadow[0] = 0;
  }
  [[nodiscard]] Object* bottom_up(int depth) const {
    return shadow == nullptr ? runa_bench::bottom_up_tree_handles<new_node>(m, depth)
                             : runa_bench::bottom_up_tree<new_node>(m, depth, shadow);
  }
};

long count(Value v) {
  if (v == 0) return 0;
  Object* o = as_object(v);
  return 1 + count(o->slots()[0]) + count(o->slots()[1]);
}

void time_construction(Mutator& m, const Trees& trees, int depth) {
  const int iterations = num_iters(depth);
  std::printf("Creating %d trees of depth %d\n", iterations, depth);

  long first = 0;
  for (int k = 0; k < iterations; ++k) {
    HandleScope scope(m);
    Handle tree(m, new_node(m));
    trees.top_down(depth, tree);
    if (k == 0) first = count(tree.value());
  }
  std::printf("\tTop down construction, check: %ld\n", first);

  for (int k = 0; k < iterations; ++k) {
    Object* tree = trees.bottom_up(depth);
    if (k == 0) first = count(ref_value(tree));
  }
  std::printf("\tBottom up construction, check: %ld\n", first);
}

constexpr const char* kUsage =
    "usage: runa_gcbench [sweeps] [--handles] [heap options]\n"
    "  sweeps        1..1000 passes over the tree depths (default 20)\n"
    "  --handles     hold references in a handle scope per call, not a shadow stack\n"
    "  heap options  --NAME=VALUE or --gc=TEXT (bench/runa_options.hpp):\n";

}  // namespace

int main(int argc, char** argv) {
  // The heap's defaults: scripts/bench-gc-peers sets only --max-heap.
  runa_bench::BenchOptions opts = runa_bench::parse_options(argc, argv, runa::heap::Options{});
  int sweeps = 20;
  bool have_sweeps = false;
  bool handles = false;
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
    const long n = std::strtol(a.c_str(), &end, 10);
    if (have_sweeps || a.empty() || a[0] < '0' || a[0] > '9' || *end != '\0') {
      runa_bench::usage_fail("runa_gcbench", a, kUsage);
    }
    if (n < 1 || n > 1000) runa_bench::option_fail("sweeps (1..1000)", a);
    sweeps = static_cast<int>(n);
    have_sweeps = true;
  }
  auto heap = runa_bench::make_heap(opts.heap);
  runa::heap::Layout node_layout;
  node_layout.size = kNodeBytes;
  node_layout.refs = 2;
  node_layout.name = "gcbench node";
  node_type = heap->register_layout(node_layout).value();
  runa::heap::Layout bytes_layout;
  bytes_layout.kind = runa::heap::LayoutKind::kByteArray;
  bytes_layout.name = "bytes";
  bytes_type = heap->register_layout(bytes_layout).value();
  Mutator& m = heap->attach();
  // Two slots per level of the deepest bottom-up tree, and one more level.
  std::vector<Value> shadow(2 * static_cast<std::size_t>(kStretchTreeDepth + 2), 0);
  const std::uint64_t shadow_roots = heap->add_roots(shadow.data(), shadow.size());
  const Trees trees{m, handles ? nullptr : shadow.data()};
  bool ok = false;
  {
    HandleScope scope(m);
    std::printf("Garbage Collector Test\n");

    std::printf(" Stretching memory with a binary tree of depth %d\n", kStretchTreeDepth);
    std::printf(" Stretch tree check: %ld\n", count(ref_value(trees.bottom_up(kStretchTreeDepth))));

    std::printf(" Creating a long-lived binary tree of depth %d\n", kLongLivedTreeDepth);
    Handle long_lived(m, new_node(m));
    trees.top_down(kLongLivedTreeDepth, long_lived);

    std::printf(" Creating a long-lived array of %d doubles\n", kArraySize);
    constexpr std::size_t kArrayBytes = sizeof(double) * kArraySize;
    Object* raw = runa::heap::allocate_array(
        m, bytes_type, runa::heap::byte_array_bytes(kArrayBytes), kArrayBytes);
    if (raw == nullptr) runa_bench::out_of_memory("runa_gcbench");
    Handle array(m, raw);
    {
      std::uint8_t* bytes = runa::heap::array_bytes(array.get());
      for (int k = 0; k < kArraySize; ++k) {
        const double d = k < kArraySize / 2 ? 1.0 / k : 0.0;
        std::memcpy(bytes + sizeof(double) * static_cast<std::size_t>(k), &d, sizeof d);
      }
    }

    std::printf(" Sweeps: %d\n", sweeps);
    for (int sweep = 0; sweep < sweeps; ++sweep) {
      for (int depth = kMinTreeDepth; depth <= kMaxTreeDepth; depth += 2) {
        time_construction(m, trees, depth);
      }
    }

    const long long_lived_nodes = count(long_lived.value());
    double probe = 0;
    std::memcpy(&probe, runa::heap::array_bytes(array.get()) + sizeof(double) * 1000, sizeof probe);
    const bool array_ok = probe == 1.0 / 1000;
    std::printf("Long-lived tree check: %ld\n", long_lived_nodes);
    std::printf("Long-lived array check: %s\n", array_ok ? "ok" : "FAILED");
    ok = array_ok && long_lived_nodes == tree_size(kLongLivedTreeDepth);
  }
  if (opts.stats) runa_bench::print_stats(*heap);
  heap->remove_roots(shadow_roots);
  heap->detach(m);
  return ok ? 0 : 1;
}
