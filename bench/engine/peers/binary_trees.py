import sys


class Node:
    __slots__ = ("left", "right")

    def __init__(self):
        self.left = None
        self.right = None


def bottom_up_tree(depth):
    node = Node()
    if depth > 0:
        node.left = bottom_up_tree(depth - 1)
        node.right = bottom_up_tree(depth - 1)
    return node


def item_check(node):
    if node.left is None:
        return 1
    return 1 + item_check(node.left) + item_check(node.right)


n = int(sys.argv[1])
min_depth = 4
max_depth = max(min_depth + 2, n)
print("stretch tree of depth %d\t check: %d" % (max_depth + 1, item_check(bottom_up_tree(max_depth + 1))))
long_lived = bottom_up_tree(max_depth)
depth = min_depth
while depth <= max_depth:
    iterations = 2 ** (max_depth - depth + min_depth)
    check = 0
    i = 1
    while i <= iterations:
        check += item_check(bottom_up_tree(depth))
        i += 1
    print("%d\t trees of depth %d\t check: %d" % (iterations, depth, check))
    depth += 2
print("long lived tree of depth %d\t check: %d" % (max_depth, item_check(long_lived)))
