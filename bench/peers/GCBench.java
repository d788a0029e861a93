// GCBench (Ellis, Kovac; adapted by Boehm) as the JVM peer of bench/peers/gcbench.cpp:
// the same algorithm, written from its description, with byte-identical output (no
// timings: scripts/bench-gc-peers measures from outside). See gcbench.cpp for the
// algorithm (and the number of sweeps, default 20).
//
//   java GCBench [sweeps]
public final class GCBench {
  private static final int STRETCH_TREE_DEPTH = 18;
  private static final int LONG_LIVED_TREE_DEPTH = 16;
  private static final int ARRAY_SIZE = 500000;
  private static final int MIN_TREE_DEPTH = 4;
  private static final int MAX_TREE_DEPTH = 16;

  private static final class Node {
    Node left;
    Node right;
    int i;
    int j;

    Node() {}

    Node(Node left, Node right) {
      this.left = left;
      this.right = right;
    }
  }

  private static final StringBuilder out = new StringBuilder();

  // Nodes in a complete binary tree of the given depth.
  private static int treeSize(int depth) {
    return (1 << (depth + 1)) - 1;
  }

  private static int numIters(int depth) {
    return 2 * treeSize(STRETCH_TREE_DEPTH) / treeSize(depth);
  }

  // Top-down: the parent exists before its children are allocated.
  private static void populate(int depth, Node node) {
    if (depth <= 0) {
      return;
    }
    depth--;
    node.left = new Node();
    node.right = new Node();
    populate(depth, node.left);
    populate(depth, node.right);
  }

  // Bottom-up: children are allocated before their parent.
  private static Node makeTree(int depth) {
    if (depth <= 0) {
      return new Node();
    }
    Node left = makeTree(depth - 1);
    Node right = makeTree(depth - 1);
    return new Node(left, right);
  }

  private static long count(Node node) {
    if (node == null) {
      return 0;
    }
    return 1 + count(node.left) + count(node.right);
  }

  private static void timeConstruction(int depth) {
    int iterations = numIters(depth);
    out.append("Creating ").append(iterations).append(" trees of depth ").append(depth)
        .append('\n');

    long first = 0;
    for (int k = 0; k < iterations; ++k) {
      Node tree = new Node();
      populate(depth, tree);
      if (k == 0) {
        first = count(tree);
      }
    }
    out.append("\tTop down construction, check: ").append(first).append('\n');

    for (int k = 0; k < iterations; ++k) {
      Node tree = makeTree(depth);
      if (k == 0) {
        first = count(tree);
      }
    }
    out.append("\tBottom up construction, check: ").append(first).append('\n');
  }

  public static void main(String[] args) {
    int sweeps = 20;
    if (args.length > 1) {
      System.err.println("usage: java GCBench [sweeps]");
      System.exit(2);
    }
    if (args.length == 1) {
      try {
        sweeps = Integer.parseInt(args[0]);
      } catch (NumberFormatException e) {
        sweeps = 0;
      }
      if (sweeps < 1 || sweeps > 1000) {
        System.err.println("GCBench: bad sweep count '" + args[0] + "' (1..1000)");
        System.exit(2);
      }
    }
    out.append("Garbage Collector Test\n");

    out.append(" Stretching memory with a binary tree of depth ").append(STRETCH_TREE_DEPTH)
        .append('\n');
    out.append(" Stretch tree check: ").append(count(makeTree(STRETCH_TREE_DEPTH))).append('\n');

    out.append(" Creating a long-lived binary tree of depth ").append(LONG_LIVED_TREE_DEPTH)
        .append('\n');
    Node longLived = new Node();
    populate(LONG_LIVED_TREE_DEPTH, longLived);

    out.append(" Creating a long-lived array of ").append(ARRAY_SIZE).append(" doubles\n");
    double[] array = new double[ARRAY_SIZE];
    for (int k = 0; k < ARRAY_SIZE / 2; ++k) {
      array[k] = 1.0 / k;
    }

    out.append(" Sweeps: ").append(sweeps).append('\n');
    for (int sweep = 0; sweep < sweeps; ++sweep) {
      for (int depth = MIN_TREE_DEPTH; depth <= MAX_TREE_DEPTH; depth += 2) {
        timeConstruction(depth);
      }
    }

    long longLivedNodes = count(longLived);
    boolean arrayOk = array[1000] == 1.0 / 1000;
    out.append("Long-lived tree check: ").append(longLivedNodes).append('\n');
    out.append("Long-lived array check: ").append(arrayOk ? "ok" : "FAILED").append('\n');
    System.out.print(out);
    System.out.flush();
    if (!arrayOk || longLivedNodes != treeSize(LONG_LIVED_TREE_DEPTH)) {
      System.exit(1);
    }
  }
}
