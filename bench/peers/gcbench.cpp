// GCBench (John Ellis and Pete Kovac's benchmark, as adapted by Hans Boehm) as a peer for
// RunaTime's memory benchmarks (scripts/bench-gc-peers). Written from the algorithm's
// description; compiled once per allocation policy (peer_alloc.hpp):
// peer_gcbench_glibc, _mimalloc, _boehm. The JVM peer is GCBench.java.
//
// The algorithm (constants as in the original):
//   - Nodes have two child pointers and two ints (24 bytes here).
//   - Stretch: build a bottom-up tree of depth 18 and drop it.
//   - Build a long-lived tree of depth 16 top-down, and a long-lived array of 500,000
//     doubles whose first half is set to 1/i; both stay alive until the end.
//   - A sweep: for depth = 4, 6, ..., 16: build NumIters(depth) = 2 * TreeSize(18) /
//     TreeSize(depth) trees top-down (allocate the root, then fill in children
//     recursively) dropping each, then as many bottom-up (children before parents),
//     dropping each. So every depth allocates about the same number of nodes (~1M).
//     The original runs one sweep, ~0.1 s of work: start-up would dominate a
//     comparison, so every version here runs `sweeps` of them (default 20, the
//     issue's size; scripts/bench-gc-peers passes its --sweeps to all alike).
//   - Finally, check that the long-lived data survived.
// "Dropping" frees the tree with the free-based policies and only forgets it with Boehm.
//
// The original prints timings and heap sizes; this version prints only deterministic
// lines (time and memory are measured from outside), plus node-count checks on the
// stretch tree, the first tree of each batch and the long-lived tree, so that a broken
// allocator cannot go unnoticed. Output is byte-identical to GCBench.java's.
//
//   peer_gcbench_<policy> [sweeps]     (1..1000, default 20; anything else: status 2)
#include <cstdio>
#include <cstdlib>

#include "peer_alloc.hpp"

namespace {

constexpr int kStretchTreeDepth = 18;
constexpr int kLongLivedTreeDepth = 16;
constexpr int kArraySize = 500000;
constexpr int kMinTreeDepth = 4;
constexpr int kMaxTreeDepth = 16;

struct Node {
  Node* left = nullptr;
  Node* right = nullptr;
  int i = 0;
  int j = 0;
};

using peers::Alloc;

// Nodes in a complete binary tree of the given depth.
int tree_size(int depth) {
  return (1 << (depth + 1)) - 1;
}

int num_iters(int depth) {
  return 2 * tree_size(kStretchTreeDepth) / tree_size(depth);
}

// Top-down: the parent exists before its children are allocated.
void populate(int depth, Node* node) {
  if (depth <= 0) return;
  --depth;
  node->left = Alloc::make<Node>();
  node->right = Alloc::make<Node>();
  populate(depth, node->left);
  populate(depth, node->right);
}

// Bottom-up: children are allocated before their parent.
Node* make_tree(int depth) {
  if (depth <= 0) return Alloc::make<Node>();
  Node* left = make_tree(depth - 1);
  Node* right = make_tree(depth - 1);
  return Alloc::make<Node>(left, right);
}

long count(const Node* node) {
  if (node == nullptr) return 0;
  return 1 + count(node->left) + count(node->right);
}

void release(Node* node) {
  if constexpr (Alloc::kFrees) {
    if (node == nullptr) return;
    release(node->left);
    release(node->right);
    Alloc::destroy(node);
  }
}

void time_construction(int depth) {
  const int iterations = num_iters(depth);
  std::printf("Creating %d trees of depth %d\n", iterations, depth);

  long first = 0;
  for (int k = 0; k < iterations; ++k) {
    Node* tree = Alloc::make<Node>();
    populate(depth, tree);
    if (k == 0) first = count(tree);
    release(tree);
  }
  std::printf("\tTop down construction, check: %ld\n", first);

  for (int k = 0; k < iterations; ++k) {
    Node* tree = make_tree(depth);
    if (k == 0) first = count(tree);
    release(tree);
  }
  std::printf("\tBottom up construction, check: %ld\n", first);
}

}  // namespace

int main(int argc, char** argv) {
  int sweeps = 20;
  if (argc > 2) {
    std::fprintf(stderr, "usage: peer_gcbench [sweeps]\n");
    return 2;
  }
  if (argc == 2) {
    char* end = nullptr;
    const long n = std::strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || n < 1 || n > 1000) {
      std::fprintf(stderr, "peer_gcbench: bad sweep count '%s' (1..1000)\n", argv[1]);
      return 2;
    }
    sweeps = static_cast<int>(n);
  }
  Alloc::init();
  std::printf("Garbage Collector Test\n");

  std::printf(" Stretching memory with a binary tree of depth %d\n", kStretchTreeDepth);
  {
    Node* stretch = make_tree(kStretchTreeDepth);
    std::printf(" Stretch tree check: %ld\n", count(stretch));
    release(stretch);
  }

  std::printf(" Creating a long-lived binary tree of depth %d\n", kLongLivedTreeDepth);
  Node* long_lived = Alloc::make<Node>();
  populate(kLongLivedTreeDepth, long_lived);

  std::printf(" Creating a long-lived array of %d doubles\n", kArraySize);
  double* array = Alloc::make_doubles(kArraySize);
  for (int k = 0; k < kArraySize / 2; ++k) array[k] = 1.0 / k;
  for (int k = kArraySize / 2; k < kArraySize; ++k) array[k] = 0.0;

  std::printf(" Sweeps: %d\n", sweeps);
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    for (int depth = kMinTreeDepth; depth <= kMaxTreeDepth; depth += 2) time_construction(depth);
  }

  const long long_lived_nodes = count(long_lived);
  const bool array_ok = array[1000] == 1.0 / 1000;
  std::printf("Long-lived tree check: %ld\n", long_lived_nodes);
  std::printf("Long-lived array check: %s\n", array_ok ? "ok" : "FAILED");
  release(long_lived);
  Alloc::destroy_doubles(array);
  return array_ok && long_lived_nodes == tree_size(kLongLivedTreeDepth) ? 0 : 1;
}
