// Bottom-up construction of a binary tree (children before their parent)
// whose references held across allocations live in a shadow stack: two
// slots per level of recursion in a range registered as a root set, as an
// execution tier keeps values in frame slots it reports to the collector.
// Shared by runa_binary_trees and runa_gcbench, which differ only in their
// node (NewNode allocates one, both reference slots empty).
#pragma once

#include "runatime/heap.hpp"

namespace runa_bench {

// `frame`: this level's two slots; deeper levels use the ones after
// (2 * depth slots in all). Slots are cleared once used, so that no dropped
// tree stays reachable from a stale slot. Returns a raw reference: the
// caller stores it (in a root) before its next allocation.
template <runa::heap::Object* (*NewNode)(runa::heap::Mutator&)>
runa::heap::Object* bottom_up_tree(runa::heap::Mutator& m, int depth, runa::heap::Value* frame) {
  if (depth <= 0) return NewNode(m);
  frame[0] = runa::heap::ref_value(bottom_up_tree<NewNode>(m, depth - 1, frame + 2));
  frame[1] = runa::heap::ref_value(bottom_up_tree<NewNode>(m, depth - 1, frame + 2));
  runa::heap::Object* node = NewNode(m);
  runa::heap::set_slot(m, node, 0, frame[0]);
  runa::heap::set_slot(m, node, 1, frame[1]);
  frame[0] = frame[1] = 0;
  return node;
}

}  // namespace runa_bench
