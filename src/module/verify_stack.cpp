// The stack-height interpretation (see verify_stack.hpp).
//
// A worklist over instruction indices. An instruction is (re)queued when it
// is first reached or when what is known about its functions shrinks; what
// is known only ever shrinks and heights never change once set, so the work
// ends. Edges (docs/bytecode.md §2.5, §2.5.2):
//   fall-through and branch targets       at the height after the instruction
//   ITER_NEXT's end target                at h - 1 (the iterator popped)
//   TRY_BEGIN at h                        body at h, C at h + 1, F at h
//   CATCH_BEGIN at h + 1                  handler and the next clause at h + 1,
//                                         F at h after the last clause
//   TRY_END, CATCH_END at h               F if present, else END
//   FINALLY_END at h                      END (the next instruction)
// Exceptions need no edges of their own: wherever one is thrown in a body
// or handler, it reaches C or F at the heights TRY_BEGIN's edges give.
#include "module/verify_stack.hpp"

#include <algorithm>
#include <string>

namespace runa::module {

using bytecode::Instruction;
using bytecode::Op;

std::optional<Fault> StackChecker::run(const Module& m, const ModuleIndex& index,
                                       const Decoded& code, const TryLayout& tries,
                                       StackFacts& out) {
  m_ = &m;
  index_ = &index;
  code_ = &code;
  tries_ = &tries;
  out_ = &out;
  const std::uint32_t n = code.size();
  height_.assign(n, kNone);
  state_.assign(n, 0);
  queued_.assign(n, 0);
  work_.clear();
  nodes_.assign(1, Node{});
  out.max_stack = 0;
  out.lambdas.clear();
  out.direct_calls.clear();

  if (auto f = enter(kNone, 0, 0, 0)) return f;
  while (!work_.empty()) {
    const std::uint32_t i = work_.back();
    work_.pop_back();
    queued_[i] = 0;
    if (auto f = step(i)) return f;
  }

  // What reaches a LAMBDA is final only now.
  for (std::uint32_t i = 0; i < n; ++i) {
    if (code.ins[i].op != Op::kLambda || height_[i] == kNone) continue;
    const std::uint32_t top = state_[i];
    if (top == 0 || nodes_[top].slot != height_[i] - 1) {
      return Fault{i,
                   "the function LAMBDA pops is not statically known: it must be pushed by "
                   "PUSH_CONST of a Function reference and moved only by DUP or SWAP, the same "
                   "function on every path"};
    }
    out.lambdas.push_back({i, nodes_[top].function});
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    const Instruction& ins = code.ins[i];
    if (ins.op != Op::kCall || height_[i] == kNone) continue;
    const std::uint32_t callee = height_[i] - ins.a - 1;  // below the arguments
    const std::uint32_t x = below(state_[i], callee + 1);
    if (x != 0 && nodes_[x].slot == callee) out.direct_calls.push_back({i, nodes_[x].function});
  }
  return std::nullopt;
}

std::optional<Fault> StackChecker::step(std::uint32_t i) {
  const Instruction& ins = code_->ins[i];
  const std::uint32_t h = height_[i];
  const std::uint32_t s = state_[i];
  out_->max_stack = std::max(out_->max_stack, h);
  switch (ins.op) {
    case Op::kTryBegin: {
      const TryStatement& t = tries_->tries[tries_->owner[i]];
      if (auto f = enter(i, i + 1, h, s)) return f;
      if (t.first_clause != kNone) {
        if (auto f = enter(i, t.first_clause, std::uint64_t{h} + 1, s)) return f;
      }
      if (t.finally != kNone) return enter(i, t.finally, h, s);
      return std::nullopt;
    }
    case Op::kCatchBegin: {
      // Entered only from TRY_BEGIN or the previous clause, with the
      // exception pushed, so h >= 1.
      const TryStatement& t = tries_->tries[tries_->owner[i]];
      if (auto f = enter(i, i + 1, h, s)) return f;
      const std::uint32_t next = tries_->clause_end[i] + 1;
      if (next < code_->size() && code_->ins[next].op == Op::kCatchBegin &&
          tries_->owner[next] == tries_->owner[i]) {
        return enter(i, next, h, s);
      }
      if (t.finally != kNone) return enter(i, t.finally, h - 1, below(s, h - 1));
      return std::nullopt;
    }
    case Op::kTryEnd:
    case Op::kCatchEnd:
    case Op::kFinallyEnd: {
      const TryStatement& t = tries_->tries[tries_->owner[i]];
      const std::uint32_t base = height_[t.begin];
      if (h != base) {
        return Fault{i, "the stack holds " + std::to_string(h) +
                            " values here, but the try statement at pc " +
                            std::to_string(code_->pc(t.begin)) + " began with " +
                            std::to_string(base) +
                            "; its body, each handler and its finally block must end at the "
                            "height the statement began with"};
      }
      if (ins.op == Op::kFinallyEnd) return enter(i, i + 1, h, s);
      return enter(i, t.finally != kNone ? t.finally : t.end, h, s);
    }
    default:
      break;
  }

  std::uint32_t ffi_params = 0;
  if (ins.op == Op::kInvokeFfi) {
    const auto it = index_->functions.find(ins.a);
    if (it != index_->functions.end()) {
      ffi_params = static_cast<std::uint32_t>(m_->functions[it->second].params.size());
    }
  }
  const bytecode::Effect e = bytecode::stack_effect(ins, ffi_params);
  if (e.pops > h) {
    return Fault{i, "stack underflow: it pops " + std::to_string(e.pops) +
                        " values but the stack holds " + std::to_string(h)};
  }
  const std::uint64_t next_height = std::uint64_t{h} - e.pops + e.pushes;
  const std::uint32_t next_state = after(ins, h, e.pops, s);
  if ((ins.meta->flags & bytecode::kEndsBlock) == 0) {
    if (auto f = enter(i, i + 1, next_height, next_state)) return f;
  }
  if ((ins.meta->flags & bytecode::kBranches) == 0) return std::nullopt;
  if (ins.op == Op::kIterNext) return enter(i, code_->index(ins.a), h - 1, below(s, h - 1));
  if (ins.op == Op::kSwitchTable) {
    for (std::uint32_t k = 0; k < ins.count; ++k) {
      const std::uint32_t to = code_->index(ins.switch_case(k).target);
      if (auto f = enter(i, to, next_height, next_state)) return f;
    }
    return std::nullopt;
  }
  return enter(i, code_->index(ins.a), next_height, next_state);
}

// Control reaches instruction `to` (Decoded::size() is the end of the code)
// from instruction `from` (kNone for the function's entry).
std::optional<Fault> StackChecker::enter(std::uint32_t from, std::uint32_t to, std::uint64_t height,
                                         std::uint32_t state) {
  if (height > kMaxStack) {
    return Fault{from, "the operand stack grows past " + std::to_string(kMaxStack) +
                           " values (the limit of a verified function)"};
  }
  out_->max_stack = std::max<std::uint32_t>(out_->max_stack, static_cast<std::uint32_t>(height));
  if (to >= code_->size()) {
    return Fault{from,
                 "control falls off the end of the code (every path must end with "
                 "RETURN, THROW or UNWIND)"};
  }
  if (height_[to] == kNone) {
    height_[to] = static_cast<std::uint32_t>(height);
    state_[to] = state;
  } else if (height_[to] != height) {
    return Fault{to, "the stack holds " + std::to_string(height) + " values on the path from pc " +
                         std::to_string(code_->pc(from)) + " but " + std::to_string(height_[to]) +
                         " on another path; every path into an instruction must agree"};
  } else {
    const std::uint32_t merged = meet(state_[to], state);
    if (merged == state_[to]) return std::nullopt;
    state_[to] = merged;
  }
  if (queued_[to] == 0) {
    queued_[to] = 1;
    work_.push_back(to);
  }
  return std::nullopt;
}

// The known functions after `ins`, which ran at `height` and popped `pops`.
std::uint32_t StackChecker::after(const Instruction& ins, std::uint32_t height, std::uint32_t pops,
                                  std::uint32_t state) {
  switch (ins.op) {
    case Op::kPushConst: {
      const Constant& c = m_->constants[ins.a];
      return c.kind == ConstKind::kFunction ? push(state, height, c.ref) : state;
    }
    case Op::kDup:
      if (state != 0 && nodes_[state].slot == height - 1) {
        return push(state, height, nodes_[state].function);
      }
      return state;
    case Op::kSwap: {
      const std::uint32_t top = state != 0 && nodes_[state].slot == height - 1 ? state : 0;
      const std::uint32_t rest = below(state, height - 1);
      const std::uint32_t second = rest != 0 && nodes_[rest].slot == height - 2 ? rest : 0;
      std::uint32_t s = below(state, height - 2);
      if (top != 0) s = push(s, height - 2, nodes_[top].function);
      if (second != 0) s = push(s, height - 1, nodes_[second].function);
      return s;
    }
    default:
      // Whatever an instruction pushes is no statically known function.
      return below(state, height - pops);
  }
}

std::uint32_t StackChecker::push(std::uint32_t state, std::uint32_t slot, std::uint32_t function) {
  const Node& p = nodes_[state];
  const Node& j = nodes_[p.jump];
  const std::uint32_t jump =
      state != 0 && p.depth - j.depth == j.depth - nodes_[j.jump].depth ? j.jump : state;
  const std::uint32_t depth = p.depth + 1;
  nodes_.push_back({slot, function, state, jump, depth});
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

// The part of `state` below `height`: its entries for slots < height.
std::uint32_t StackChecker::below(std::uint32_t state, std::uint32_t height) const {
  std::uint32_t x = state;
  while (x != 0 && nodes_[x].slot >= height) {
    const std::uint32_t j = nodes_[x].jump;
    x = j != 0 && nodes_[j].slot >= height ? j : nodes_[x].parent;
  }
  return x;
}

// What two paths into one instruction agree on: the slots that hold the
// same known function on both. Returns `a` itself when nothing of it is lost.
std::uint32_t StackChecker::meet(std::uint32_t a, std::uint32_t b) {
  const std::uint32_t original = a;
  kept_.clear();
  while (a != b) {
    if (a == 0 || b == 0) {
      a = 0;
      break;
    }
    const Node x = nodes_[a];
    const Node y = nodes_[b];
    if (x.slot > y.slot) {
      a = below(a, y.slot + 1);
    } else if (y.slot > x.slot) {
      b = below(b, x.slot + 1);
    } else {
      if (x.function == y.function) kept_.push_back({x.slot, x.function});
      a = x.parent;
      b = y.parent;
    }
  }
  // a is now the shared tail, whose entries both paths have.
  if (kept_.size() == nodes_[original].depth - nodes_[a].depth) return original;
  std::uint32_t s = a;
  for (std::size_t k = kept_.size(); k-- > 0;) s = push(s, kept_[k].slot, kept_[k].function);
  return s;
}

}  // namespace runa::module
