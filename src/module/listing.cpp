// One instruction's operands and description for the disassembler (see
// listing.hpp). Reads possibly invalid modules: every lookup is checked.
#include "module/listing.hpp"

#include <charconv>

#include "module/bytes.hpp"
#include "module/text_syntax.hpp"

namespace runa::module::listing {
namespace {

using bytecode::Instruction;
using bytecode::Op;
using bytecode::Operand;
using bytecode::Shape;

// Variable-length operand lists are shortened in descriptions.
constexpr std::uint32_t kDescribedItems = 8;
constexpr std::size_t kDescribedText = 48;

std::string target_text(std::uint32_t t, const std::set<std::uint32_t>& labels) {
  if (t == 0xFFFFFFFF) return "none";
  return labels.contains(t) ? label(t) : std::to_string(t);
}

std::string local_name(const Function& fn, std::uint32_t slot, std::uint32_t pc) {
  if (slot < fn.params.size()) return text::name(fn.params[slot].name);
  const Local* any = nullptr;
  for (const Local& l : fn.locals) {
    if (l.slot != slot) continue;
    if (l.scope_start <= pc && pc < l.scope_end) return text::name(l.name);
    if (any == nullptr) any = &l;
  }
  if (any != nullptr) return text::name(any->name);
  return "slot " + std::to_string(slot);
}

std::string capture_text(const bytecode::Capture& c) {
  return (c.kind == bytecode::kCaptureLocal ? "local " : "upvalue ") + std::to_string(c.index);
}

}  // namespace

Names::Names(const Module& m) : module(m) {
  for (const TypeDef& t : m.types) {
    types_.try_emplace(t.id, &t);
    ++type_names_[t.name];
  }
  for (const Function& f : m.functions) {
    functions_.try_emplace(f.id, &f);
    ++function_names_[f.name];
  }
  for (const MetadataEntry& e : m.metadata) {
    if (e.type != kMetaGlobals) continue;
    if (auto g = globals_of(e.data)) {
      for (auto& [name, type] : *g) globals_.push_back(std::move(name));
      break;
    }
  }
}

const TypeDef* Names::type(std::uint32_t id) const {
  const auto it = types_.find(id);
  return it == types_.end() ? nullptr : it->second;
}

const Function* Names::function(std::uint32_t id) const {
  const auto it = functions_.find(id);
  return it == functions_.end() ? nullptr : it->second;
}

std::string Names::type_ref(std::uint32_t id) const {
  const TypeDef* t = type(id);
  if (t != nullptr && type_names_.at(t->name) == 1) return text::name(t->name);
  return std::to_string(id);
}

std::string Names::function_ref(std::uint32_t id) const {
  const Function* f = function(id);
  if (f != nullptr && function_names_.at(f->name) == 1) return text::name(f->name);
  return std::to_string(id);
}

std::string Names::type_label(std::uint32_t id) const {
  const TypeDef* t = type(id);
  return t != nullptr ? text::name(t->name) : "id " + std::to_string(id) + " (undefined)";
}

std::string Names::function_label(std::uint32_t id) const {
  const Function* f = function(id);
  return f != nullptr ? text::name(f->name) : "id " + std::to_string(id) + " (undefined)";
}

std::string Names::global_name(std::uint32_t index) const {
  return index < globals_.size() ? globals_[index] : "";
}

std::string Names::constant_label(std::uint32_t index) const {
  if (index >= module.constants.size()) return "#" + std::to_string(index) + " (no such constant)";
  const Constant& k = module.constants[index];
  switch (k.kind) {
    case ConstKind::kInteger:
      return "Integer " + std::to_string(k.integer);
    case ConstKind::kDecimal: {
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, k.decimal);
      return "Float " + std::string(buf, r.ptr);
    }
    case ConstKind::kBoolean:
      return k.boolean ? "Boolean true" : "Boolean false";
    case ConstKind::kText: {
      const bool cut = k.text.size() > kDescribedText;
      return "Text " + text::quote(std::string_view(k.text).substr(0, kDescribedText)) +
             (cut ? "..." : "");
    }
    case ConstKind::kNull:
      return "Null (nothing)";
    case ConstKind::kList:
      return "List of " + std::to_string(k.items.size()) + " items";
    case ConstKind::kMap:
      return "Map of " + std::to_string(k.items.size() / 2) + " pairs";
    case ConstKind::kFunction:
      return "Function " + function_label(k.ref);
    case ConstKind::kType:
      return "Type " + type_label(k.ref);
    case ConstKind::kExternal:
      return "External " + text::quote(k.text) + " in library " + std::to_string(k.ref);
  }
  return "#" + std::to_string(index) + " (unknown kind)";
}

std::optional<std::vector<std::pair<std::string, std::uint32_t>>> globals_of(const Bytes& data) {
  ByteReader r(data);
  std::uint32_t n = 0;
  if (!r.u32(n) || std::uint64_t{n} * 8 > r.remaining()) return std::nullopt;
  std::vector<std::pair<std::string, std::uint32_t>> out(n);
  for (auto& [name, type] : out) {
    std::uint32_t len = 0;
    std::span<const std::uint8_t> b;
    if (!r.u32(len) || !r.bytes(len, b) || !r.u32(type)) return std::nullopt;
    name.assign(b.begin(), b.end());
  }
  if (r.remaining() != 0) return std::nullopt;
  return out;
}

std::string label(std::uint32_t offset) {
  return "L" + hex(offset, offset > 0xFFFF ? 8 : 4);
}

bool writable(const Instruction& ins) {
  if (ins.meta->shape != Shape::kClosure && ins.meta->shape != Shape::kCaptures) return true;
  for (std::uint32_t i = 0; i < ins.count; ++i) {
    if (ins.capture(i).kind > bytecode::kCaptureUpvalue) return false;
  }
  return true;
}

namespace {

std::string operand(Operand kind, std::uint32_t v, const Instruction& ins, const Names& names,
                    const std::set<std::uint32_t>& labels) {
  switch (kind) {
    case Operand::kConst:
      return ins.op == Op::kCatchBegin && v == 0xFFFF ? "*" : "#" + std::to_string(v);
    case Operand::kType:
      return names.type_ref(v);
    case Operand::kFunction:
      return names.function_ref(v);
    case Operand::kTarget:
      return target_text(v, labels);
    default:
      return std::to_string(v);
  }
}

}  // namespace

std::string operands(const Instruction& ins, const Names& names,
                     const std::set<std::uint32_t>& labels) {
  const bytecode::OpInfo& info = *ins.meta;
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
  switch (info.shape) {
    case Shape::kNone:
      break;
    case Shape::kU8:
    case Shape::kU16:
    case Shape::kU32:
      add(operand(info.a, ins.a, ins, names, labels));
      break;
    case Shape::kU16U8:
    case Shape::kU32U32:
      add(operand(info.a, ins.a, ins, names, labels));
      add(operand(info.b, ins.b, ins, names, labels));
      break;
    case Shape::kClosure:
      add(names.function_ref(ins.a));
      [[fallthrough]];
    case Shape::kCaptures:
      for (std::uint32_t i = 0; i < ins.count; ++i) add(capture_text(ins.capture(i)));
      break;
    case Shape::kSymbols:
      for (std::uint32_t i = 0; i < ins.count; ++i) add("#" + std::to_string(ins.symbol(i)));
      break;
    case Shape::kSwitch:
      for (std::uint32_t i = 0; i < ins.count; ++i) {
        const bytecode::SwitchCase c = ins.switch_case(i);
        add(std::to_string(c.value) + " " + target_text(c.target, labels) +
            (i + 1 < ins.count ? "," : ""));
      }
      break;
  }
  return s;
}

std::string describe(const Instruction& ins, const Names& names, const Function& fn) {
  const bytecode::OpInfo& info = *ins.meta;
  std::string s(info.summary);
  auto detail = [&](Operand kind, std::uint32_t v) -> std::string {
    switch (kind) {
      case Operand::kConst:
        return ins.op == Op::kCatchBegin && v == 0xFFFF ? "any exception" : names.constant_label(v);
      case Operand::kLocal:
        return local_name(fn, v, ins.offset);
      case Operand::kGlobal: {
        const std::string g = names.global_name(v);
        return g.empty() ? "global " + std::to_string(v) : "global " + text::name(g);
      }
      case Operand::kType:
        return names.type_label(v);
      case Operand::kFunction:
        return names.function_label(v);
      case Operand::kTarget:
        return v == 0xFFFFFFFF ? "none" : hex(v, v > 0xFFFF ? 8 : 4);
      default:
        return std::to_string(v);
    }
  };
  auto list = [&](auto item) {
    std::string items;
    for (std::uint32_t i = 0; i < ins.count && i < kDescribedItems; ++i) {
      items += (i == 0 ? "" : ", ") + item(i);
    }
    if (ins.count > kDescribedItems) items += ", ... (" + std::to_string(ins.count) + " in all)";
    return items;
  };
  switch (info.shape) {
    case Shape::kNone:
      return s;
    case Shape::kU8:
    case Shape::kU16:
    case Shape::kU32: {
      if (info.a == Operand::kTarget) return s + " to " + detail(info.a, ins.a);
      if (info.a == Operand::kLine) return s + " at line " + std::to_string(ins.a);
      if (ins.op == Op::kCatchBegin) return s + ": " + detail(info.a, ins.a);
      if (info.a != Operand::kCount) return s + " " + detail(info.a, ins.a);
      const std::size_t word = s.find("count");
      if (word != std::string::npos) return s.replace(word, 5, std::to_string(ins.a));
      return s + " (" + std::to_string(ins.a) + (ins.a == 1 ? " argument)" : " arguments)");
    }
    case Shape::kU16U8:
      return s + ": " + detail(info.a, ins.a) + ", " + std::to_string(ins.b) +
             (ins.b == 1 ? " argument" : " arguments");
    case Shape::kU32U32:
      return s + ": catch " + detail(info.a, ins.a) + ", finally " + detail(info.b, ins.b);
    case Shape::kClosure:
    case Shape::kCaptures: {
      std::string who = info.shape == Shape::kClosure ? " of " + names.function_label(ins.a) : "";
      if (ins.count == 0) return s + who + ", capturing nothing";
      return s + who + ": " + list([&](std::uint32_t i) {
               const bytecode::Capture c = ins.capture(i);
               return c.kind == bytecode::kCaptureLocal ? local_name(fn, c.index, ins.offset)
                                                        : "upvalue " + std::to_string(c.index);
             });
    }
    case Shape::kSymbols:
      return s + ": " + list([&](std::uint32_t i) { return names.constant_label(ins.symbol(i)); });
    case Shape::kSwitch:
      return s + ": " + list([&](std::uint32_t i) {
               const bytecode::SwitchCase c = ins.switch_case(i);
               return std::to_string(c.value) + " to " + detail(Operand::kTarget, c.target);
             });
  }
  return s;
}

}  // namespace runa::module::listing
