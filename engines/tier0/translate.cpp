// Translation from verified bytecode to tier 0's instructions (code.hpp).
// Two passes: the first decodes every instruction, finds the captured
// slots and where cells begin, and numbers the output instructions (a
// MAKE_CELL occupies an index of its own before the instruction at its
// scope start, so a jump to the scope start makes the cell); the second
// emits, with branch targets mapped to indices.
#include <algorithm>
#include <map>
#include <set>

#include "code.hpp"

namespace runa::tier0 {

namespace {

using bytecode::Op;

struct Cells {
  // Captured locals: (slot, scope start, scope end).
  struct Scope {
    std::uint16_t slot;
    std::uint32_t start;
    std::uint32_t end;
  };
  std::vector<Scope> scopes;
  std::set<std::uint16_t> entry;  // slots with one cell for the whole function

  // Whether slot s holds a cell at offset `at`.
  [[nodiscard]] bool cell(const module::Function& def, std::uint16_t s, std::uint32_t at) const {
    for (const module::Local& l : def.locals) {
      if (l.slot == s && l.scope_start <= at && at < l.scope_end) {
        return std::any_of(scopes.begin(), scopes.end(), [&](const Scope& c) {
          return c.slot == s && c.start == l.scope_start && c.end == l.scope_end;
        });
      }
    }
    return entry.contains(s);
  }
};

Cells find_cells(const module::Function& def, const std::vector<bytecode::Instruction>& code) {
  Cells cells;
  for (const bytecode::Instruction& ins : code) {
    if (ins.op != Op::kClosure) continue;
    for (std::uint32_t i = 0; i < ins.count; ++i) {
      const bytecode::Capture c = ins.capture(i);
      if (c.kind != bytecode::kCaptureLocal) continue;
      bool covered = false;
      for (const module::Local& l : def.locals) {
        if (l.slot != c.index || ins.offset < l.scope_start || ins.offset >= l.scope_end) continue;
        covered = true;
        const Cells::Scope s{l.slot, l.scope_start, l.scope_end};
        const bool known = std::any_of(cells.scopes.begin(), cells.scopes.end(), [&](auto& x) {
          return x.slot == s.slot && x.start == s.start && x.end == s.end;
        });
        if (!known) cells.scopes.push_back(s);
      }
      if (!covered) cells.entry.insert(c.index);
    }
  }
  // A captured parameter's cell is made at entry, with the argument.
  for (const Cells::Scope& s : cells.scopes) {
    if (s.slot < def.params.size() && s.start == 0) cells.entry.insert(s.slot);
  }
  return cells;
}

I simple(Op op) {
  switch (op) {
    case Op::kNop:
    case Op::kDebugBreak:
      return I::kNop;
    case Op::kAdd:
      return I::kAdd;
    case Op::kSub:
      return I::kSub;
    case Op::kMul:
      return I::kMul;
    case Op::kDiv:
      return I::kDiv;
    case Op::kMod:
      return I::kMod;
    case Op::kNeg:
      return I::kNeg;
    case Op::kEq:
      return I::kEq;
    case Op::kNe:
      return I::kNe;
    case Op::kLt:
      return I::kLt;
    case Op::kLe:
      return I::kLe;
    case Op::kGt:
      return I::kGt;
    case Op::kGe:
      return I::kGe;
    case Op::kAnd:
      return I::kAnd;
    case Op::kOr:
      return I::kOr;
    case Op::kNot:
      return I::kNot;
    case Op::kDup:
      return I::kDup;
    case Op::kPop:
      return I::kPop;
    case Op::kSwap:
      return I::kSwap;
    case Op::kGetItem:
      return I::kGetItem;
    case Op::kSetItem:
      return I::kSetItem;
    case Op::kThrow:
      return I::kThrow;
    case Op::kCatchEnd:
      return I::kCatchEnd;
    case Op::kFinallyBegin:
      return I::kFinallyBegin;
    case Op::kFinallyEnd:
      return I::kFinallyEnd;
    case Op::kIterCreate:
      return I::kIterCreate;
    case Op::kTypeOf:
      return I::kTypeOf;
    case Op::kSpread:
      return I::kSpread;
    case Op::kIntToDouble:
      return I::kIntToDouble;
    case Op::kDoubleToInt:
      return I::kDoubleToInt;
    case Op::kUnwind:
      return I::kUnwind;
    default:
      return I::kCount;
  }
}

template <class T>
std::uintptr_t keep(std::vector<std::unique_ptr<T>>& side, std::unique_ptr<T> item) {
  side.push_back(std::move(item));
  return reinterpret_cast<std::uintptr_t>(side.back().get());
}

// The try statements' structure (docs/bytecode.md §2.5.2: a fixed layout),
// found by a recursive descent over the emitted instructions: each
// TRY_BEGIN learns where its statement ends, each CATCH_BEGIN where the
// next clause begins. Returns the index after the statement at `i`.
std::uint32_t statement(Code& code, std::uint32_t i);

// The index of the first `stop` at this nesting level from `i`.
std::uint32_t until(Code& code, std::uint32_t i, I stop) {
  while (code.ins[i].op != stop) i = code.ins[i].op == I::kTryBegin ? statement(code, i) : i + 1;
  return i;
}

std::uint32_t statement(Code& code, std::uint32_t i) {
  auto* targets =
      reinterpret_cast<TryTargets*>(code.ins[i].p);  // NOLINT(performance-no-int-to-ptr)
  std::uint32_t k = until(code, i + 1, I::kTryEnd) + 1;
  while (k < code.ins.size() && code.ins[k].op == I::kCatchBegin) {
    const std::uint32_t clause = k;
    k = until(code, k + 1, I::kCatchEnd) + 1;
    if (k < code.ins.size() && code.ins[k].op == I::kCatchBegin) code.ins[clause].a = k;
  }
  if (targets->finally_at != kNone) k = until(code, k + 1, I::kFinallyEnd) + 1;
  targets->end_at = k;
  return k;
}

void resolve_tries(Code& code) {
  for (std::uint32_t i = 0; i < code.ins.size();) {
    i = code.ins[i].op == I::kTryBegin ? statement(code, i) : i + 1;
  }
}

// ---- superinstructions -----------------------------------------------------------
//
// Sequences that follow each other often fused into one instruction: one
// dispatch instead of two to four. A sequence fuses only when no
// instruction in it but the first is a branch target or begins a cell
// scope, so control never reaches one alone; a fused instruction reports
// the first one's offset.

enum class Fusion : std::uint8_t {
  kNone,
  kLocal2,                // LOAD_LOCAL, LOAD_LOCAL
  kLocalField,            // LOAD_LOCAL, LOAD_FIELD
  kLocalConst,            // LOAD_LOCAL, PUSH_CONST
  kCompareJump,           // LT/LE/GT/GE, JUMP_IF_FALSE
  kArithConst,            // PUSH_CONST, ADD/SUB/MUL
  kArithLocal,            // LOAD_LOCAL, ADD/SUB/MUL
  kArithLocalConst,       // LOAD_LOCAL, PUSH_CONST, ADD/SUB/MUL
  kArithStore,            // ADD/SUB/MUL, STORE_LOCAL
  kArithLocalConstStore,  // LOAD_LOCAL, PUSH_CONST, ADD/SUB/MUL, STORE_LOCAL
};

// A fused sequence starting at an instruction: its kind and length.
struct Fused {
  Fusion kind = Fusion::kNone;
  std::uint8_t length = 1;
};

bool is_order(Op op) {
  return op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
}

// ADD, SUB, MUL as 0, 1, 2 (arith.hpp's Arith), or -1.
int arith_of(Op op) {
  switch (op) {
    case Op::kAdd:
      return 0;
    case Op::kSub:
      return 1;
    case Op::kMul:
      return 2;
    default:
      return -1;
  }
}

std::vector<Fused> find_fusions(const module::Function& def, const rt::ModuleInfo& m,
                                const std::vector<bytecode::Instruction>& in, const Cells& cells,
                                const std::map<std::uint32_t, std::vector<std::uint16_t>>& starts) {
  std::set<std::uint32_t> targets;
  for (const bytecode::Instruction& b : in) {
    switch (b.op) {
      case Op::kJump:
      case Op::kJumpIfTrue:
      case Op::kJumpIfFalse:
      case Op::kIterNext:
        targets.insert(b.a);
        break;
      case Op::kTryBegin:
        targets.insert(b.a);
        targets.insert(b.b);
        break;
      case Op::kSwitchTable:
        for (std::uint32_t i = 0; i < b.count; ++i) targets.insert(b.switch_case(i).target);
        break;
      default:
        break;
    }
  }
  auto plain = [&](std::size_t k, Op op) {
    return k < in.size() && in[k].op == op &&
           !cells.cell(def, static_cast<std::uint16_t>(in[k].a), in[k].offset);
  };
  // A constant PUSH_CONST pushes as it is (a List or Map one makes a new one).
  auto constant = [&](std::size_t k) {
    if (k >= in.size() || in[k].op != Op::kPushConst) return false;
    const auto kind = m.module->constants[in[k].a].kind;
    return kind != module::ConstKind::kList && kind != module::ConstKind::kMap;
  };
  auto arith = [&](std::size_t k) { return k < in.size() && arith_of(in[k].op) >= 0; };
  // Whether in[k + 1 .. k + n) can be fused onto in[k].
  auto reached_only_through = [&](std::size_t k, std::size_t n) {
    for (std::size_t i = k + 1; i < k + n; ++i) {
      if (i >= in.size() || targets.contains(in[i].offset) || starts.contains(in[i].offset)) {
        return false;
      }
    }
    return true;
  };
  std::vector<Fused> out(in.size());
  for (std::size_t k = 0; k + 1 < in.size(); ++k) {
    const bool local = plain(k, Op::kLoadLocal);
    const Op second = in[k + 1].op;
    // Longest first: a local, a constant, the operation and its store.
    const std::pair<bool, Fused> candidates[] = {
        {local && constant(k + 1) && arith(k + 2) && plain(k + 3, Op::kStoreLocal),
         {Fusion::kArithLocalConstStore, 4}},
        {local && constant(k + 1) && arith(k + 2), {Fusion::kArithLocalConst, 3}},
        {local && plain(k + 1, Op::kLoadLocal), {Fusion::kLocal2, 2}},
        {local && second == Op::kLoadField, {Fusion::kLocalField, 2}},
        {local && arith(k + 1), {Fusion::kArithLocal, 2}},
        {local && constant(k + 1), {Fusion::kLocalConst, 2}},
        {constant(k) && arith(k + 1), {Fusion::kArithConst, 2}},
        {arith(k) && plain(k + 1, Op::kStoreLocal), {Fusion::kArithStore, 2}},
        {is_order(in[k].op) && second == Op::kJumpIfFalse, {Fusion::kCompareJump, 2}},
    };
    for (const auto& [applies, fused] : candidates) {
      if (!applies || !reached_only_through(k, fused.length)) continue;
      out[k] = fused;
      k += fused.length - 1;  // a fused sequence's later instructions start no other
      break;
    }
  }
  return out;
}

// The instruction for the fused sequence `s` (of f.length instructions).
template <class Target, class BranchSite>
Ins fused(Fused f, const bytecode::Instruction* s, Code& code, const Target& target,
          const BranchSite& branch_site) {
  const auto b16 = [](std::uint32_t v) { return static_cast<std::uint16_t>(v); };
  // The ADD/SUB/MUL form of `first` (a three of code.hpp's list) for the operation in s[at].
  const auto arith = [&](I first, std::size_t at) {
    return static_cast<I>(static_cast<int>(first) + arith_of(s[at].op));
  };
  switch (f.kind) {
    case Fusion::kLocal2:
      return {I::kLoadLocal2, b16(s[1].a), s[0].a, 0};
    case Fusion::kLocalField:
      return {I::kLoadLocalField, b16(s[1].a), s[0].a,
              keep(code.field_caches, std::make_unique<FieldCache>())};
    case Fusion::kLocalConst:
      return {I::kLoadLocalConst, b16(s[1].a), s[0].a, 0};
    case Fusion::kArithConst:
      return {arith(I::kAddConst, 1), b16(s[0].a), 0, 0};
    case Fusion::kArithLocal:
      return {arith(I::kAddLocal, 1), b16(s[0].a), 0, 0};
    case Fusion::kArithLocalConst:
      return {arith(I::kAddLocalConst, 2), b16(s[1].a), s[0].a, 0};
    case Fusion::kArithStore:
      return {arith(I::kAddStore, 0), 0, s[1].a, 0};
    case Fusion::kArithLocalConstStore:
      return {arith(I::kAddLocalConstStore, 2), b16(s[1].a), s[0].a, s[3].a};
    default: {
      // The comparison in `b`'s low bits, a backward branch in bit 8.
      const auto cmp =
          static_cast<std::uint16_t>(static_cast<int>(s[0].op) - static_cast<int>(Op::kLt));
      const auto backward = static_cast<std::uint16_t>(s[1].a <= s[1].offset ? 0x100 : 0);
      return {I::kCompareJumpIfFalse, static_cast<std::uint16_t>(cmp | backward), target(s[1].a),
              branch_site(s[1].offset)};
    }
  }
}

// Instructions that do the next one's work too on their inline case
// (interp_fused.hpp). Only the first's opcode changes: the second stays in
// place, runs as it is when the first misses, and may be a branch target.
// (A second may itself become a peeking first: the first peeks at its work,
// not its opcode.)
void peek_ahead(Code& code) {
  // `op`'s place among ADD, SUB, MUL's forms from `family` (a three of
  // code.hpp's list), or -1.
  const auto arith_in = [](I op, I family) {
    const int i = static_cast<int>(op) - static_cast<int>(family);
    return i >= 0 && i < 3 ? i : -1;
  };
  const auto three = [](I first, int i) { return static_cast<I>(static_cast<int>(first) + i); };
  for (std::size_t i = 0; i + 1 < code.ins.size(); ++i) {
    Ins& ins = code.ins[i];
    const I next = code.ins[i + 1].op;
    if (ins.op == I::kLoadLocal2 && next == I::kCompareJumpIfFalse) {
      ins.op = I::kLoadLocal2Compare;
    } else if (ins.op == I::kLoadLocalConst && next == I::kCompareJumpIfFalse) {
      ins.op = I::kLoadLocalConstCompare;
    } else if (ins.op == I::kLoadLocal2 && arith_in(next, I::kAdd) >= 0) {
      ins.op = three(I::kAddLocals, arith_in(next, I::kAdd));
    } else if (ins.op == I::kLoadLocal2 && arith_in(next, I::kAddStore) >= 0) {
      ins.op = three(I::kAddLocalsStore, arith_in(next, I::kAddStore));
    } else if (ins.op == I::kLoadLocal2 && next == I::kGetItem) {
      ins.op = I::kLoadLocal2GetItem;
    } else if (ins.op == I::kLoadLocal2 && next == I::kCall) {
      ins.op = I::kLoadLocal2Call;
    } else if (arith_in(ins.op, I::kAddLocalConst) >= 0 && next == I::kCall) {
      ins.op = three(I::kAddLocalConstCall, arith_in(ins.op, I::kAddLocalConst));
    } else if (arith_in(ins.op, I::kAdd) >= 0 && next == I::kReturn) {
      ins.op = three(I::kAddReturn, arith_in(ins.op, I::kAdd));
    } else if (arith_in(ins.op, I::kAddLocalConstStore) >= 0 && next == I::kLoop) {
      ins.op = three(I::kAddLocalConstStoreLoop, arith_in(ins.op, I::kAddLocalConstStore));
    } else if (ins.op == I::kDiv && next == I::kReturn) {
      ins.op = I::kDivReturn;
    } else if (ins.op == I::kMul && next == I::kAddStore) {
      ins.op = I::kMulAddStore;
    } else if (ins.op == I::kPushConst && next == I::kDiv) {
      ins.op = I::kPushConstDiv;
    } else if (ins.op == I::kLoadLocal && next == I::kReturn) {
      ins.op = I::kLoadLocalReturn;
    }
  }
}

}  // namespace

std::unique_ptr<Code> translate(const rt::FunctionInfo& f, Fusing fusing) {
  auto code = std::make_unique<Code>();
  code->function = &f;
  code->consts = f.module->constants;
  code->globals = f.module->globals;
  code->frame_slots = f.frame_slots;
  code->max_stack = f.max_stack;
  const module::Function& def = *f.def;
  const rt::ModuleInfo& m = *f.module;

  std::vector<bytecode::Instruction> in;
  for (std::uint32_t pc = 0; pc < f.code.size();) {
    auto ins = bytecode::decode(f.code, pc);
    if (!ins) return nullptr;  // verified code always decodes
    in.push_back(*ins);
    pc += ins->length;
  }
  const Cells cells = find_cells(def, in);
  code->entry_cells.assign(cells.entry.begin(), cells.entry.end());
  code->frame_need = f.frame_slots + f.max_stack + 2;
  code->plain = f.native == nullptr && !f.varargs && code->entry_cells.empty() &&
                (def.flags & (module::kFnGenerator | module::kFnAsync)) == 0;

  // Pass 1: output indices. Cells begin before the instruction at their start.
  std::map<std::uint32_t, std::vector<std::uint16_t>> cell_starts;
  for (const Cells::Scope& s : cells.scopes) {
    if (!(s.slot < def.params.size() && s.start == 0)) cell_starts[s.start].push_back(s.slot);
  }
  const std::vector<Fused> fusions = fusing == Fusing::kOn
                                         ? find_fusions(def, m, in, cells, cell_starts)
                                         : std::vector<Fused>(in.size());
  std::map<std::uint32_t, std::uint32_t> index_of;  // bytecode offset -> first output index
  std::uint32_t next = 0;
  for (std::size_t k = 0; k < in.size(); ++k) {
    index_of[in[k].offset] = next;
    if (auto it = cell_starts.find(in[k].offset); it != cell_starts.end()) {
      next += static_cast<std::uint32_t>(it->second.size());
    }
    ++next;
    k += fusions[k].length - 1;  // a fused sequence is one instruction
  }
  auto target = [&](std::uint32_t offset) { return offset == kNone ? kNone : index_of.at(offset); };
  auto branch_site = [&](std::uint32_t offset) -> std::uintptr_t {
    const auto& offs = f.profile.branch_offsets;
    auto it = std::lower_bound(offs.begin(), offs.end(), offset);
    return reinterpret_cast<std::uintptr_t>(&f.profile.branches[it - offs.begin()]);
  };
  // An allocation site's index in the profile record (kNoSite past 16 bits).
  auto site = [&](std::uint32_t offset) -> std::uint16_t {
    const auto& offs = f.profile.allocation_offsets;
    const auto i = std::lower_bound(offs.begin(), offs.end(), offset) - offs.begin();
    return i < kNoSite ? static_cast<std::uint16_t>(i) : kNoSite;
  };

  // Pass 2: emit.
  auto emit = [&](const Ins& ins, std::uint32_t offset) {
    code->ins.push_back(ins);
    code->offsets.push_back(offset);
  };
  for (std::size_t k = 0; k < in.size(); ++k) {
    const bytecode::Instruction& b = in[k];
    if (auto it = cell_starts.find(b.offset); it != cell_starts.end()) {
      for (std::uint16_t slot : it->second) emit({I::kMakeCell, 0, slot, 0}, b.offset);
    }
    if (fusions[k].kind != Fusion::kNone) {
      emit(fused(fusions[k], &in[k], *code, target, branch_site), b.offset);
      k += fusions[k].length - 1;
      continue;
    }
    Ins o;
    switch (b.op) {
      case Op::kPushConst: {
        const auto kind = m.module->constants[b.a].kind;
        const bool fresh = kind == module::ConstKind::kList || kind == module::ConstKind::kMap;
        o = {fresh ? I::kPushNew : I::kPushConst, 0, b.a, 0};
        break;
      }
      case Op::kLoadLocal:
      case Op::kStoreLocal: {
        const bool cell = cells.cell(def, static_cast<std::uint16_t>(b.a), b.offset);
        const bool load = b.op == Op::kLoadLocal;
        o.op =
            cell ? (load ? I::kLoadCell : I::kStoreCell) : (load ? I::kLoadLocal : I::kStoreLocal);
        o.a = b.a;
        break;
      }
      case Op::kLoadGlobal:
        o = {I::kLoadGlobal, 0, b.a, 0};
        break;
      case Op::kStoreGlobal:
        o = {I::kStoreGlobal, 0, b.a, 0};
        break;
      case Op::kLoadField:
      case Op::kStoreField:
        o = {b.op == Op::kLoadField ? I::kLoadField : I::kStoreField, 0, b.a,
             keep(code->field_caches, std::make_unique<FieldCache>())};
        break;
      case Op::kNew:
        o = {I::kNew, 0, b.a,
             keep(code->shapes, std::make_unique<ops::StructShape>(ops::struct_shape(m, b.a)))};
        o.b = site(b.offset);
        break;
      case Op::kCall:
        o = {I::kCall, 0, b.a, 0};
        break;
      case Op::kCallMethod: {
        auto cache = std::make_unique<MethodCache>();
        const auto& offs = f.profile.receiver_offsets;
        const auto at = std::lower_bound(offs.begin(), offs.end(), b.offset) - offs.begin();
        cache->feedback = &f.profile.receivers[at];
        o = {I::kCallMethod, static_cast<std::uint16_t>(b.b), b.a,
             keep(code->method_caches, std::move(cache))};
        break;
      }
      case Op::kReturn:
        o = {I::kReturn, 0, 0, 0};
        break;
      case Op::kJump:
        o = {b.a <= b.offset ? I::kLoop : I::kJump, 0, target(b.a), 0};
        break;
      case Op::kJumpIfTrue:
      case Op::kJumpIfFalse:
        // b: a backward branch, which closes a loop (the loop polls there).
        o = {b.op == Op::kJumpIfTrue ? I::kJumpIfTrue : I::kJumpIfFalse,
             static_cast<std::uint16_t>(b.a <= b.offset), target(b.a), branch_site(b.offset)};
        break;
      case Op::kNewList:
        o = {I::kNewList, site(b.offset), b.a, 0};
        break;
      case Op::kNewMap:
        o = {I::kNewMap, site(b.offset), b.a, 0};
        break;
      case Op::kTryBegin: {
        auto t = std::make_unique<TryTargets>();
        t->catch_at = target(b.a);
        t->finally_at = target(b.b);
        t->begin = b.offset;
        o = {I::kTryBegin, 0, 0, keep(code->tries, std::move(t))};
        break;
      }
      case Op::kTryEnd:
        o = {I::kTryEnd, 0, 0, 0};
        break;
      case Op::kCatchBegin:
        o = {I::kCatchBegin, 0, kNone,
             b.a == 0xFFFF
                 ? 0
                 : reinterpret_cast<std::uintptr_t>(ops::type(m, m.module->constants[b.a].ref))};
        break;
      case Op::kLoadUpvalue:
        o = {I::kLoadUpvalue, 0, b.a, 0};
        break;
      case Op::kStoreUpvalue:
        o = {I::kStoreUpvalue, 0, b.a, 0};
        break;
      case Op::kClosure:
      case Op::kLambda: {
        auto c = std::make_unique<Captures>();
        if (b.op == Op::kClosure) c->function = m.by_id(b.a);
        for (std::uint32_t i = 0; i < b.count; ++i) {
          const bytecode::Capture x = b.capture(i);
          c->items.push_back(
              {x.kind, x.index,
               x.kind == bytecode::kCaptureLocal && cells.cell(def, x.index, b.offset)});
        }
        o = {b.op == Op::kClosure ? I::kClosure : I::kLambda, 0,
             static_cast<std::uint32_t>(code->captures.size()), keep(code->captures, std::move(c))};
        o.b = site(b.offset);
        break;
      }
      case Op::kTypeCheck:
      case Op::kCast:
      case Op::kInstanceOf:
        o = {b.op == Op::kTypeCheck ? I::kTypeCheck
                                    : (b.op == Op::kCast ? I::kCast : I::kInstanceOf),
             0, 0, reinterpret_cast<std::uintptr_t>(ops::type(m, b.a))};
        break;
      case Op::kLoadModule:
        o = {I::kLoadModule, 0, b.a, 0};
        break;
      case Op::kImport: {
        auto names = std::make_unique<std::vector<std::uint16_t>>();
        for (std::uint32_t i = 0; i < b.count; ++i) names->push_back(b.symbol(i));
        o = {I::kImport, 0, b.count, keep(code->imports, std::move(names))};
        break;
      }
      case Op::kYield:
        o = {I::kYield, 0, 0, 0};
        break;
      case Op::kAwait:
        o = {I::kAwait, 0, 0, 0};
        break;
      case Op::kInvokeFfi: {
        const char* what = "INVOKE_FFI (foreign calls: the system issue)";
        o = {I::kNotAvailable, 0, 0, keep(code->messages, std::make_unique<std::string>(what))};
        break;
      }
      case Op::kIterNext:
        o = {I::kIterNext, 0, target(b.a), 0};
        break;
      case Op::kUnpack:
        o = {I::kUnpack, 0, b.a, 0};
        break;
      case Op::kSwitchTable: {
        auto t = std::make_unique<SwitchTable>();
        for (std::uint32_t i = 0; i < b.count; ++i) {
          const bytecode::SwitchCase c = b.switch_case(i);
          t->cases.emplace_back(c.value, target(c.target));
        }
        std::sort(t->cases.begin(), t->cases.end());
        o = {I::kSwitchTable, 0, 0, keep(code->switches, std::move(t))};
        break;
      }
      case Op::kTextConcat:
        o = {I::kTextConcat, 0, b.a, 0};
        break;
      default:
        o = {simple(b.op), 0, 0, 0};
        break;
    }
    emit(o, b.offset);
  }
  resolve_tries(*code);
  if (fusing == Fusing::kOn) peek_ahead(*code);
  return code;
}

std::uint32_t index_at(const Code& code, std::uint32_t offset) {
  const auto it = std::lower_bound(code.offsets.begin(), code.offsets.end(), offset);
  return static_cast<std::uint32_t>(it - code.offsets.begin());
}

}  // namespace runa::tier0
