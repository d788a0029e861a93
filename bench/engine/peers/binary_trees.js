class Node {
  constructor() {
    this.left = null;
    this.right = null;
  }
}
function bottomUpTree(depth) {
  const node = new Node();
  if (depth > 0) {
    node.left = bottomUpTree(depth - 1);
    node.right = bottomUpTree(depth - 1);
  }
  return node;
}
function itemCheck(node) {
  if (node.left === null) return 1;
  return 1 + itemCheck(node.left) + itemCheck(node.right);
}
const n = parseInt(process.argv[2], 10);
const minDepth = 4;
const maxDepth = Math.max(minDepth + 2, n);
console.log(`stretch tree of depth ${maxDepth + 1}\t check: ${itemCheck(bottomUpTree(maxDepth + 1))}`);
const longLived = bottomUpTree(maxDepth);
for (let depth = minDepth; depth <= maxDepth; depth += 2) {
  const iterations = 2 ** (maxDepth - depth + minDepth);
  let check = 0;
  for (let i = 1; i <= iterations; i++) check += itemCheck(bottomUpTree(depth));
  console.log(`${iterations}\t trees of depth ${depth}\t check: ${check}`);
}
console.log(`long lived tree of depth ${maxDepth}\t check: ${itemCheck(longLived)}`);
