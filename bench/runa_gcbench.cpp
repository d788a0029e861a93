// GCBench (Ellis, Kovac, Boehm) on RunaTime's garbage-collected heap through its
// C++ API: the same algorithm and byte-for-byte the same output as
// bench/peers/gcbench.cpp and GCBench.java, for scripts/bench-gc-peers.
//
//   runa_gcbench [sweeps] [heap options]   (sweeps 1..1000, default 20;
//                                           heap options: bench/runa_options.hpp; --help)
//
// The program sets no heap option of its own (the heap's defaults); any
// argument that is neither the sweep count nor a heap option is refused
// (status 2). A sweep is one pass of the tree constructions over depths 4..16
// (bench/peers/gcbench.cpp says why there are 20 of them).
// A node is a plain object: header, two reference slots, two 32-bit ints in one
// raw word (32 bytes). The 500,000-double array is a byte array (4 MB, so it
// lives in the large-object space). Every reference held across an allocation
// is in a handle. Top-down construction stores young children into parents
// that may already be old (the long-lived tree is promoted while it is being
// built), so it exercises the write barrier.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

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

Object* new_node(Mutator& m) {
  Object* o = allocate(m, node_type, kNodeBytes);
  if (o == nullptr) runa_bench::out_of_memory("runa_gcbench");
  return o;
}

// Top-down: the parent exists before its children are allocated.
void populate(Mutator& m, int depth, Handle node) {
  if (depth <= 0) return;
  --depth;
  HandleScope scope(m);
  Object* left = new_node(m);
  set_slot(m, node.get(), 0, ref_value(left));
  Object* right = new_node(m);
  set_slot(m, node.get(), 1, ref_value(right));
  populate(m, depth, Handle(m, node->slots()[0]));
  populate(m, depth, Handle(m, node->slots()[1]));
}

// Bottom-up: children are allocated before their parent.
Object* make_tree(Mutator& m, int depth) {
  if (depth <= 0) return new_node(m);
  HandleScope scope(m);
  Handle left(m, make_tree(m, depth - 1));
  Handle right(m, make_tree(m, depth - 1));
  Object* node = new_node(m);
  set_slot(m, node, 0, left.value());
  set_slot(m, node, 1, right.value());
  return node;
}

long count(Value v) {
  if (v == 0) return 0;
  Object* o = as_object(v);
  return 1 + count(o->slots()[0]) + count(o->slots()[1]);
}

void time_construction(Mutator& m, int depth) {
  const int iterations = num_iters(depth);
  std::printf("Creating %d trees of depth %d\n", iterations, depth);

  long first = 0;
  for (int k = 0; k < iterations; ++k) {
    HandleScope scope(m);
    Handle tree(m, new_node(m));
    populate(m, depth, tree);
    if (k == 0) first = count(tree.value());
  }
  std::printf("\tTop down construction, check: %ld\n", first);

  for (int k = 0; k < iterations; ++k) {
    Object* tree = make_tree(m, depth);
    if (k == 0) first = count(ref_value(tree));
  }
  std::printf("\tBottom up construction, check: %ld\n", first);
}

constexpr const char* kUsage =
    "usage: runa_gcbench [sweeps] [heap options]\n"
    "  sweeps        1..1000 passes over the tree depths (default 20)\n"
    "  heap options  --NAME=VALUE or --gc=TEXT (bench/runa_options.hpp):\n";

}  // namespace

int main(int argc, char** argv) {
  // The heap's defaults: scripts/bench-gc-peers sets only --max-heap.
  runa_bench::BenchOptions opts = runa_bench::parse_options(argc, argv, runa::heap::Options{});
  int sweeps = 20;
  bool have_sweeps = false;
  for (const std::string& a : opts.rest) {
    if (a == "--help" || a == "-h") {
      std::printf("%s%s", kUsage, runa::heap::options_help());
      return 0;
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
  bool ok = false;
  {
    HandleScope scope(m);
    std::printf("Garbage Collector Test\n");

    std::printf(" Stretching memory with a binary tree of depth %d\n", kStretchTreeDepth);
    std::printf(" Stretch tree check: %ld\n", count(ref_value(make_tree(m, kStretchTreeDepth))));

    std::printf(" Creating a long-lived binary tree of depth %d\n", kLongLivedTreeDepth);
    Handle long_lived(m, new_node(m));
    populate(m, kLongLivedTreeDepth, long_lived);

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
        time_construction(m, depth);
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
  heap->detach(m);
  return ok ? 0 : 1;
}
