// Bottom-up construction of a binary tree (children before their parent),
// shared by runa_binary_trees and runa_gcbench, which differ only in their
// node (NewNode allocates one, both reference slots empty). Two ways to
// hold the references kept across allocations, both precise:
//  - bottom_up_tree: in a shadow stack, two slots per level of recursion in
//    a range registered as a root set, as an execution tier keeps values in
//    frame slots it reports to the collector;
//  - bottom_up_tree_handles: in a handle scope per call (the C++ API's
//    convenience for native code).
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

// The same with a handle scope per call. Returns a raw reference too.
template <runa::heap::Object* (*NewNode)(runa::heap::Mutator&)>
runa::heap::Object* bottom_up_tree_handles(runa::heap::Mutator& m, int depth) {
  if (depth <= 0) return NewNode(m);
  runa::heap::HandleScope scope(m);
  runa::heap::Handle left(m, bottom_up_tree_handles<NewNode>(m, depth - 1));
  runa::heap::Handle right(m, bottom_up_tree_handles<NewNode>(m, depth - 1));
  runa::heap::Object* node = NewNode(m);
  runa::heap::set_slot(m, node, 0, left.value());
  runa::heap::set_slot(m, node, 1, right.value());
  return node;
}

}  // namespace runa_bench
