// The bytecode verifier (see verify_code.hpp): for each function with code,
//   1. decode every instruction over exactly the function's bytes and check
//      its operands (docs/bytecode.md §3 item 7);
//   2. parse its try statements (verify_try.cpp) and check that every branch
//      target starts an instruction in the branch's own region (item 8);
//   3. interpret its stack heights (verify_stack.cpp, item 9).
// Upvalue counts span functions: a function's count is fixed by the
// CLOSURE and LAMBDA instructions that create it, wherever they are, so
// creators are collected from every function first and the indices each
// function uses are compared with its count at the end.
#include "module/verify_code.hpp"

#include <algorithm>
#include <string>

#include "module/verify_stack.hpp"
#include "module/verify_try.hpp"

namespace runa::module {
namespace {

using bytecode::Instruction;
using bytecode::Op;
using bytecode::Operand;
using bytecode::OpInfo;

class CodeVerifier {
 public:
  CodeVerifier(const Module& m, const ModuleIndex& index, Verified& facts,
               std::vector<bool>& starts)
      : m_(m), index_(index), facts_(facts), starts_(starts) {}

  std::optional<Error> run() {
    starts_.assign(m_.code.size(), false);
    uses_.assign(m_.functions.size(), UpvalueUse{});
    for (std::uint32_t fi = 0; fi < m_.functions.size(); ++fi) {
      if (m_.functions[fi].code_length == 0) continue;
      if (auto e = function(fi)) return e;
    }
    return upvalues();
  }

 private:
  // A function that CLOSURE or LAMBDA creates, with how many captures, and
  // the first instruction found creating it.
  struct Creator {
    std::uint32_t captures = 0;
    std::uint32_t function = 0;  // index of the creating function
    std::uint32_t pc = 0;
  };
  // A CALL whose callee is a statically known, bare function.
  struct DirectCall {
    std::uint32_t caller = 0;  // function index
    std::uint32_t pc = 0;
    const OpInfo* meta = nullptr;
    std::uint32_t callee = 0;  // function id
  };
  // The highest upvalue index a function uses, plus one, and where.
  struct UpvalueUse {
    std::uint32_t needed = 0;
    std::uint32_t pc = 0;
    const OpInfo* meta = nullptr;
  };

  std::optional<Error> function(std::uint32_t fi) {
    const Function& f = m_.functions[fi];
    fi_ = fi;
    frame_ = facts_.functions[fi].frame_slots;
    Decoded& d = decoded_;
    d.bytes = std::span<const std::uint8_t>(m_.code).subspan(f.code_offset, f.code_length);
    d.ins.clear();
    d.at.assign(f.code_length, kNone);
    for (std::uint32_t pc = 0; pc < f.code_length;) {
      Result<Instruction> r = bytecode::decode(d.bytes, pc);
      if (!r) return error(pc, nullptr, r.error().message);
      const Instruction& ins = r.value();
      d.at[pc] = d.size();
      starts_[f.code_offset + pc] = true;
      d.ins.push_back(ins);
      if (auto msg = operands(ins)) return error(pc, ins.meta, *msg);
      pc += ins.length;
    }
    if (auto fault = parse_tries(d, tries_)) return error(*fault);
    for (std::uint32_t i = 0; i < d.size(); ++i) {
      if (auto fault = targets(i)) return error(*fault);
    }
    if (auto fault = stack_.run(m_, index_, d, tries_, stack_facts_)) return error(*fault);
    facts_.functions[fi].max_stack = stack_facts_.max_stack;
    for (const LambdaSite& site : stack_facts_.direct_calls) {
      const Instruction& ins = d.ins[site.at];
      direct_calls_.push_back({fi, ins.offset, ins.meta, site.function});
    }
    for (const LambdaSite& site : stack_facts_.lambdas) {
      const Instruction& ins = d.ins[site.at];
      std::optional<std::string> msg = with_code(site.function);
      if (!msg) msg = created(site.function, ins);
      if (msg) return error(ins.offset, ins.meta, *msg);
    }
    return std::nullopt;
  }

  // Item 7 for one instruction (branch targets come once all are decoded).
  std::optional<std::string> operands(const Instruction& ins) {
    if (ins.op == Op::kCatchBegin) {
      if (ins.a == 0xFFFF) return std::nullopt;
      return constant(ins.a, ConstKind::kType, "a Type reference (or 0xFFFF for any exception)");
    }
    if (auto msg = operand(ins, ins.meta->a, ins.a)) return msg;
    if (auto msg = operand(ins, ins.meta->b, ins.b)) return msg;
    const Function& f = m_.functions[fi_];
    switch (ins.op) {
      case Op::kCallMethod:
        return constant(ins.a, ConstKind::kText, "a Text constant (the method's name)");
      case Op::kLoadModule:
        return constant(ins.a, ConstKind::kText, "a Text constant (the module's name)");
      case Op::kImport:
        for (std::uint32_t k = 0; k < ins.count; ++k) {
          if (auto msg = constant(ins.symbol(k), ConstKind::kText, "a Text constant (a name)")) {
            return "symbol " + std::to_string(k) + ": " + *msg;
          }
        }
        return std::nullopt;
      case Op::kNew: {
        const TypeDef& t = m_.types[index_.types.at(ins.a)];
        if (t.kind == TypeKind::kStruct) return std::nullopt;
        return "NEW needs a Struct type, but " + name_of(t) + " is not one";
      }
      case Op::kInvokeFfi: {
        const Function& g = m_.functions[index_.functions.at(ins.a)];
        if ((g.flags & kFnExternal) != 0) return std::nullopt;
        return "INVOKE_FFI needs an EXTERNAL function, but " + name_of(g) + " is not one";
      }
      case Op::kClosure: {
        if (auto msg = captures(ins)) return msg;
        if (auto msg = with_code(ins.a)) return msg;
        return created(ins.a, ins);
      }
      case Op::kLambda:
        return captures(ins);
      case Op::kSwitchTable:
        return unique_cases(ins);
      case Op::kYield:
        if ((f.flags & kFnGenerator) != 0) return std::nullopt;
        return std::string("YIELD outside a GENERATOR function");
      case Op::kAwait:
        if ((f.flags & kFnAsync) != 0) return std::nullopt;
        return std::string("AWAIT outside an ASYNC function");
      default:
        return std::nullopt;
    }
  }

  std::optional<std::string> operand(const Instruction& ins, Operand kind, std::uint32_t v) {
    switch (kind) {
      case Operand::kConst:
        if (v < m_.constants.size()) return std::nullopt;
        return "constant #" + std::to_string(v) + " does not exist (the pool has " +
               std::to_string(m_.constants.size()) + ")";
      case Operand::kLocal:
        return slot(v);
      case Operand::kGlobal:
        if (v < index_.globals) return std::nullopt;
        return "global " + std::to_string(v) + " does not exist (the module declares " +
               std::to_string(index_.globals) + ")";
      case Operand::kField:
        if (v < index_.max_fields) return std::nullopt;
        return "field " + std::to_string(v) +
               " is not below the most fields any struct of the module has (" +
               std::to_string(index_.max_fields) + ")";
      case Operand::kType:
        if (index_.types.contains(v)) return std::nullopt;
        return "type id " + std::to_string(v) + " does not exist";
      case Operand::kFunction:
        if (index_.functions.contains(v)) return std::nullopt;
        return "function id " + std::to_string(v) + " does not exist";
      case Operand::kUpvalue:
        use_upvalue(v, ins);
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }

  std::optional<std::string> constant(std::uint32_t k, ConstKind kind, const char* what) const {
    if (k >= m_.constants.size()) {
      return "constant #" + std::to_string(k) + " does not exist (the pool has " +
             std::to_string(m_.constants.size()) + ")";
    }
    if (m_.constants[k].kind == kind) return std::nullopt;
    return "constant #" + std::to_string(k) + " must be " + what;
  }

  [[nodiscard]] std::optional<std::string> slot(std::uint32_t v) const {
    if (v < frame_) return std::nullopt;
    return "slot " + std::to_string(v) + " is outside the frame of " + std::to_string(frame_) +
           " slots";
  }

  std::optional<std::string> captures(const Instruction& ins) {
    for (std::uint32_t k = 0; k < ins.count; ++k) {
      const bytecode::Capture c = ins.capture(k);
      if (c.kind == bytecode::kCaptureLocal) {
        if (auto msg = slot(c.index)) return "capture " + std::to_string(k) + ": " + *msg;
      } else if (c.kind == bytecode::kCaptureUpvalue) {
        use_upvalue(c.index, ins);
      } else {
        return "capture " + std::to_string(k) + " has kind " + std::to_string(c.kind) +
               "; the kinds are 0 (a local slot) and 1 (an upvalue)";
      }
    }
    return std::nullopt;
  }

  void use_upvalue(std::uint32_t v, const Instruction& ins) {
    UpvalueUse& u = uses_[fi_];
    if (v + 1 > u.needed) u = {v + 1, ins.offset, ins.meta};
  }

  // CLOSURE's and LAMBDA's function must have code to run.
  [[nodiscard]] std::optional<std::string> with_code(std::uint32_t id) const {
    const Function& g = m_.functions[index_.functions.at(id)];
    if (g.code_length != 0) return std::nullopt;
    return "it makes a closure of " + name_of(g) + ", which has no bytecode (EXTERNAL or NATIVE)";
  }

  // Records that `ins` creates function `id`; every creator must capture
  // the same number of variables.
  std::optional<std::string> created(std::uint32_t id, const Instruction& ins) {
    const auto [it, fresh] = creators_.try_emplace(id, Creator{ins.count, fi_, ins.offset});
    const Creator& first = it->second;
    if (fresh || first.captures == ins.count) return std::nullopt;
    return "it creates " + name_of(m_.functions[index_.functions.at(id)]) + " with " +
           std::to_string(ins.count) + " captures, but " + name_of(m_.functions[first.function]) +
           " at pc " + std::to_string(first.pc) + " creates it with " +
           std::to_string(first.captures) +
           " (a function's upvalue count is the capture count of every CLOSURE and LAMBDA "
           "creating it)";
  }

  std::optional<std::string> unique_cases(const Instruction& ins) {
    values_.resize(ins.count);
    for (std::uint32_t k = 0; k < ins.count; ++k) values_[k] = ins.switch_case(k).value;
    std::sort(values_.begin(), values_.end());
    const auto dup = std::adjacent_find(values_.begin(), values_.end());
    if (dup == values_.end()) return std::nullopt;
    return "case value " + std::to_string(*dup) + " appears more than once";
  }

  // Branch targets start an instruction in the branch's own region (§2.5.2).
  std::optional<Fault> targets(std::uint32_t i) {
    const Instruction& ins = decoded_.ins[i];
    if ((ins.meta->flags & bytecode::kBranches) == 0 || ins.op == Op::kTryBegin) {
      return std::nullopt;
    }
    auto check = [&](std::uint32_t target) -> std::optional<Fault> {
      const std::uint32_t t = decoded_.index(target);
      const std::string where = "branch target " + std::to_string(target);
      if (t == kNone) {
        return Fault{i, where + (target < decoded_.bytes.size()
                                     ? " is inside an instruction, not at its start"
                                     : " is past the end of the code (" +
                                           std::to_string(decoded_.bytes.size()) + " bytes)")};
      }
      if (tries_.region[t] == tries_.region[i]) return std::nullopt;
      if (tries_.region[t] == kNone) {
        return Fault{i, where + " is a " + std::string(decoded_.ins[t].meta->name) +
                            ", which control reaches only from its try statement"};
      }
      return Fault{i, where +
                          " is outside the branch's innermost region: control enters a try "
                          "body, handler or finally block only at its start and leaves it "
                          "through its TRY_END, CATCH_END or FINALLY_END"};
    };
    if (ins.op != Op::kSwitchTable) return check(ins.a);
    for (std::uint32_t k = 0; k < ins.count; ++k) {
      if (auto f = check(ins.switch_case(k).target)) return f;
    }
    return std::nullopt;
  }

  // Every function's upvalue count, and the indices it uses against it.
  std::optional<Error> upvalues() {
    // docs/bytecode.md §2.5.3: a function that reads upvalues has them only
    // in a closure; called bare it would have none.
    for (const DirectCall& c : direct_calls_) {
      const std::uint32_t callee = index_.functions.at(c.callee);
      if (uses_[callee].needed == 0) continue;
      fi_ = c.caller;
      return error(c.pc, c.meta,
                   "it calls " + name_of(m_.functions[callee]) +
                       " directly, but that function reads upvalues: call a closure of it "
                       "(made by CLOSURE or LAMBDA)");
    }
    for (std::uint32_t fi = 0; fi < m_.functions.size(); ++fi) {
      const Function& f = m_.functions[fi];
      const auto it = creators_.find(f.id);
      const std::uint32_t count = it == creators_.end() ? 0 : it->second.captures;
      facts_.functions[fi].upvalues = count;
      const UpvalueUse& u = uses_[fi];
      if (u.needed <= count) continue;
      fi_ = fi;
      return error(u.pc, u.meta,
                   "upvalue " + std::to_string(u.needed - 1) + " does not exist: " +
                       (it == creators_.end()
                            ? std::string("no CLOSURE or LAMBDA creates this function, so it has "
                                          "no upvalues")
                            : "the CLOSURE and LAMBDA instructions creating this function "
                              "capture " +
                                  std::to_string(count)));
    }
    return std::nullopt;
  }

  Error error(const Fault& fault) {
    const Instruction& ins = decoded_.ins[fault.at];
    return error(ins.offset, ins.meta, fault.message);
  }

  Error error(std::uint32_t pc, const OpInfo* meta, const std::string& message) const {
    const Function& f = m_.functions[fi_];
    Error e;
    e.section = "bytecode";
    e.function = f.id;
    if (m_.layout.code != 0) e.offset = m_.layout.code + f.code_offset + pc;
    e.message = name_of(f) + ", at pc " + std::to_string(pc);
    if (meta != nullptr) e.message += " (" + std::string(meta->name) + ")";
    e.message += ": " + message;
    return e;
  }

  const Module& m_;
  const ModuleIndex& index_;
  Verified& facts_;
  std::vector<bool>& starts_;

  std::uint32_t fi_ = 0;     // the function being checked (index)
  std::uint32_t frame_ = 0;  // its frame slots
  Decoded decoded_;
  TryLayout tries_;
  StackChecker stack_;
  StackFacts stack_facts_;
  std::vector<std::int64_t> values_;
  std::unordered_map<std::uint32_t, Creator> creators_;
  std::vector<UpvalueUse> uses_;
  std::vector<DirectCall> direct_calls_;
};

}  // namespace

std::string quote(std::string_view name) {
  return "'" + std::string(name) + "'";
}

std::string name_of(const Function& f) {
  return "function " + std::to_string(f.id) + " " + quote(f.name);
}

std::string name_of(const TypeDef& t) {
  return "type " + std::to_string(t.id) + " " + quote(t.name);
}

std::optional<Error> verify_code(const Module& m, const ModuleIndex& index, Verified& facts,
                                 std::vector<bool>& starts) {
  return CodeVerifier(m, index, facts, starts).run();
}

}  // namespace runa::module
