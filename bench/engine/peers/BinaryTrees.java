public class BinaryTrees {
  static final class Node {
    Node left;
    Node right;
  }

  static Node bottomUpTree(int depth) {
    Node node = new Node();
    if (depth > 0) {
      node.left = bottomUpTree(depth - 1);
      node.right = bottomUpTree(depth - 1);
    }
    return node;
  }

  static long itemCheck(Node node) {
    if (node.left == null) return 1;
    return 1 + itemCheck(node.left) + itemCheck(node.right);
  }

  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    int minDepth = 4;
    int maxDepth = Math.max(minDepth + 2, n);
    System.out.println("stretch tree of depth " + (maxDepth + 1) + "\t check: "
        + itemCheck(bottomUpTree(maxDepth + 1)));
    Node longLived = bottomUpTree(maxDepth);
    for (int depth = minDepth; depth <= maxDepth; depth += 2) {
      long iterations = 1L << (maxDepth - depth + minDepth);
      long check = 0;
      for (long i = 1; i <= iterations; i++) check += itemCheck(bottomUpTree(depth));
      System.out.println(iterations + "\t trees of depth " + depth + "\t check: " + check);
    }
    System.out.println("long lived tree of depth " + maxDepth + "\t check: " + itemCheck(longLived));
  }
}
