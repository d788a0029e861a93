// The Computer Language Benchmarks Game's binary-trees, single-threaded, as the JVM peer
// of bench/peers/binary_trees.cpp (same algorithm, byte-identical output). Run by
// scripts/bench-gc-peers under -XX:+UseSerialGC and G1.
//
//   java BinaryTrees [max_depth]     (default 21)
public final class BinaryTrees {
  private static final int MIN_DEPTH = 4;

  private static final class Node {
    final Node left;
    final Node right;

    Node(Node left, Node right) {
      this.left = left;
      this.right = right;
    }
  }

  private static Node bottomUp(int depth) {
    if (depth <= 0) {
      return new Node(null, null);
    }
    Node left = bottomUp(depth - 1);
    Node right = bottomUp(depth - 1);
    return new Node(left, right);
  }

  private static long check(Node node) {
    if (node.left == null) {
      return 1;
    }
    return 1 + check(node.left) + check(node.right);
  }

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 21;
    int maxDepth = Math.max(MIN_DEPTH + 2, n);
    StringBuilder out = new StringBuilder();

    int stretchDepth = maxDepth + 1;
    out.append("stretch tree of depth ").append(stretchDepth).append("\t check: ")
        .append(check(bottomUp(stretchDepth))).append('\n');

    Node longLived = bottomUp(maxDepth);

    for (int depth = MIN_DEPTH; depth <= maxDepth; depth += 2) {
      long iterations = 1L << (maxDepth - depth + MIN_DEPTH);
      long total = 0;
      for (long i = 0; i < iterations; ++i) {
        total += check(bottomUp(depth));
      }
      out.append(iterations).append("\t trees of depth ").append(depth).append("\t check: ")
          .append(total).append('\n');
    }

    out.append("long lived tree of depth ").append(maxDepth).append("\t check: ")
        .append(check(longLived)).append('\n');
    System.out.print(out);
    System.out.flush();
  }
}
