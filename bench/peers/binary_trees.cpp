// The Computer Language Benchmarks Game's binary-trees, single-threaded, as a peer for
// RunaTime's memory benchmarks (scripts/bench-gc-peers). Compiled once per allocation
// policy (peer_alloc.hpp): peer_binary_trees_glibc, _mimalloc, _boehm.
//
//   peer_binary_trees [max_depth]     (default 21)
//
// Algorithm, as in the game: min_depth = 4, max_depth = max(min_depth + 2, n).
//   1. Build a "stretch" tree of depth max_depth + 1, check it, drop it.
//   2. Build a long-lived tree of depth max_depth, kept until the end.
//   3. For depth = 4, 6, ..., max_depth: build, check and drop
//      2^(max_depth - depth + min_depth) trees of that depth.
//   4. Check the long-lived tree.
// A check is the tree's node count. Nodes are two pointers (16 bytes), built
// bottom-up. Output is byte-for-byte the game's reference output (tabs included).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "peer_alloc.hpp"

namespace {

struct Node {
  Node* left;
  Node* right;
};
static_assert(sizeof(Node) == 16, "binary-trees nodes are 16 bytes");

using peers::Alloc;

Node* bottom_up(int depth) {
  if (depth <= 0) return Alloc::make<Node>(nullptr, nullptr);
  Node* left = bottom_up(depth - 1);
  Node* right = bottom_up(depth - 1);
  return Alloc::make<Node>(left, right);
}

long check(const Node* node) {
  if (node->left == nullptr) return 1;
  return 1 + check(node->left) + check(node->right);
}

void release(Node* node) {
  if constexpr (Alloc::kFrees) {
    if (node->left != nullptr) {
      release(node->left);
      release(node->right);
    }
    Alloc::destroy(node);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Alloc::init();
  const int n = argc > 1 ? std::atoi(argv[1]) : 21;
  constexpr int kMinDepth = 4;
  const int max_depth = std::max(kMinDepth + 2, n);

  {
    const int stretch_depth = max_depth + 1;
    Node* stretch = bottom_up(stretch_depth);
    std::printf("stretch tree of depth %d\t check: %ld\n", stretch_depth, check(stretch));
    release(stretch);
  }

  Node* long_lived = bottom_up(max_depth);

  for (int depth = kMinDepth; depth <= max_depth; depth += 2) {
    const long iterations = 1L << (max_depth - depth + kMinDepth);
    long total = 0;
    for (long i = 0; i < iterations; ++i) {
      Node* tree = bottom_up(depth);
      total += check(tree);
      release(tree);
    }
    std::printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, total);
  }

  std::printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
  release(long_lived);
  return 0;
}
