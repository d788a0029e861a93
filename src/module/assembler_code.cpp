// The `.runas` assembler's functions and code: `.function` blocks, labels,
// instructions and their operand forms (docs/bytecode.md §4.5), and their
// encoding in the second pass.
//
// Each instruction becomes its opcode byte and a list of fixed-width
// pieces, one per encoded field, in encoding order. A piece is either a
// final value or a name to resolve; its width never depends on the name, so
// an instruction's length, and every offset after it, is known in the first
// pass.
#include <algorithm>
#include <limits>

#include "module/assembler.hpp"
#include "module/bytes.hpp"

namespace runa::module::assembler {
namespace {

using bytecode::Op;
using bytecode::Operand;
using bytecode::Shape;

std::string_view operand_name(Operand o) {
  switch (o) {
    case Operand::kConst:
      return "constant index";
    case Operand::kLocal:
      return "slot";
    case Operand::kGlobal:
      return "global index";
    case Operand::kField:
      return "field index";
    case Operand::kType:
      return "type id";
    case Operand::kFunction:
      return "function id";
    case Operand::kCount:
      return "count";
    case Operand::kTarget:
      return "target";
    case Operand::kUpvalue:
      return "upvalue index";
    case Operand::kLine:
      return "line";
    case Operand::kNone:
      break;
  }
  return "operand";
}

std::uint64_t max_of(std::uint8_t width) {
  return width >= 8 ? std::numeric_limits<std::uint64_t>::max()
                    : (std::uint64_t{1} << (8 * width)) - 1;
}

std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = text::same_word(a.substr(i - 1, 1), b.substr(j - 1, 1));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The opcode name closest to a misspelt one, if any is close.
std::string suggestion(std::string_view wrong) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (int code = 0; code < 256; ++code) {
    const bytecode::OpInfo* i = bytecode::info(static_cast<std::uint8_t>(code));
    if (i == nullptr) continue;
    const std::size_t d = distance(wrong, i->name);
    if (d < best_distance) {
      best_distance = d;
      best = i->name;
    }
  }
  return best.empty() ? "" : " (did you mean " + std::string(best) + "?)";
}

}  // namespace

// .function ID NAME type TYPE [flags FLAGS]
bool Assembler::function_directive(const Token& d) {
  Function f;
  FunctionSpec spec;
  spec.at = d;
  std::uint64_t id_value = 0;
  if (!number(0xFFFFFFFF, "a function id", id_value) || !name(f.name, "the function's name") ||
      !expect_word("type", "before the function's type") ||
      !ref(spec.type, "the function's type")) {
    return false;
  }
  if (eat_word("flags") &&
      !flag_set(text::kFunctionFlagNames, 0xFFFFFFFF, "function flag", f.flags)) {
    return false;
  }
  f.id = static_cast<std::uint32_t>(id_value);
  f.code_offset = code_size_;
  spec.index = m_.functions.size();
  m_.functions.push_back(std::move(f));
  fns_.push_back(std::move(spec));
  open_fn_ = fns_.size() - 1;
  in_code_ = false;
  return true;
}

// .param NAME type TYPE [flags FLAGS]
bool Assembler::param_directive(const Token& d) {
  Function& f = m_.functions[*open_fn_];
  if (in_code_)
    return fail(d, "'.param' must come before the first instruction of '" + f.name + "'");
  Param p;
  Token type;
  if (!name(p.name, "the parameter's name") ||
      !expect_word("type", "before the parameter's type") || !ref(type, "the parameter's type")) {
    return false;
  }
  if (eat_word("flags")) {
    std::uint32_t v = 0;
    if (!flag_set(text::kParamFlagNames, 0xFF, "parameter flag", v)) return false;
    p.flags = static_cast<std::uint8_t>(v);
  }
  f.params.push_back(std::move(p));
  fns_[*open_fn_].param_types.push_back(std::move(type));
  return true;
}

// .local NAME type TYPE slot N scope START END
bool Assembler::local_directive(const Token& d) {
  Function& f = m_.functions[*open_fn_];
  if (in_code_)
    return fail(d, "'.local' must come before the first instruction of '" + f.name + "'");
  Local l;
  LocalRefs r;
  std::uint64_t slot_value = 0;
  if (!name(l.name, "the local's name") || !expect_word("type", "before the local's type") ||
      !ref(r.type, "the local's type") || !expect_word("slot", "before the local's slot") ||
      !number(0xFFFF, "a slot", slot_value) || !expect_word("scope", "before the local's scope")) {
    return false;
  }
  for (Token* bound : {&r.start, &r.end}) {
    if (peek().kind != Tok::kNumber && peek().kind != Tok::kIdent) {
      return expected("a scope bound (an offset or a label)");
    }
    *bound = next();
  }
  l.slot = static_cast<std::uint16_t>(slot_value);
  f.locals.push_back(std::move(l));
  fns_[*open_fn_].locals.push_back(std::move(r));
  return true;
}

bool Assembler::end_directive() {
  const FunctionSpec& spec = fns_[*open_fn_];
  Function& f = m_.functions[*open_fn_];
  if (std::uint64_t{code_size_} + spec.size > 0xFFFFFFFF) {
    return fail(t_[pos_ - 1], "the code of all functions together exceeds 4 GiB");
  }
  f.code_length = spec.size;
  code_size_ += spec.size;
  open_fn_.reset();
  return true;
}

// .loc FILE LINE COLUMN: a line-table entry at the next instruction.
bool Assembler::loc_directive() {
  debug_seen_ = true;
  std::uint64_t file = 0;
  std::uint64_t line_number = 0;
  std::uint64_t column = 0;
  if (!number(0xFFFFFFFF, "a source file id", file) || !number(0xFFFFFFFF, "a line", line_number) ||
      !number(0xFFFF, "a column", column)) {
    return false;
  }
  m_.debug.lines.push_back(
      LineEntry{code_size_ + fns_[*open_fn_].size, static_cast<std::uint32_t>(file),
                static_cast<std::uint32_t>(line_number), static_cast<std::uint16_t>(column)});
  return true;
}

bool Assembler::bytes_directive(std::optional<std::uint32_t> at_offset, const Token& where) {
  if (!open_fn_) return fail(where, "'.bytes' belongs inside a function (after '.function')");
  Inst inst;
  return hex_blob(inst.bytes) && expect_eol() && add(std::move(inst), at_offset, where);
}

bool Assembler::label(const Token& name_token) {
  if (!open_fn_) {
    return fail(name_token,
                "label '" + name_token.text + "' is outside a function (after '.function')");
  }
  FunctionSpec& f = fns_[*open_fn_];
  const auto [it, added] = f.labels.try_emplace(name_token.text, Label{f.size, name_token.line});
  if (!added) {
    return fail(name_token, "label '" + name_token.text + "' is already defined at line " +
                                std::to_string(it->second.line) + " in function '" +
                                m_.functions[*open_fn_].name + "'");
  }
  return true;
}

bool Assembler::add(Inst inst, std::optional<std::uint32_t> at_offset, const Token& where) {
  FunctionSpec& f = fns_[*open_fn_];
  std::uint64_t length = inst.bytes.size();
  for (const Piece& p : inst.pieces) length += p.width;
  if (at_offset && *at_offset != f.size) {
    return fail(where, "offset @" + where.text + " is wrong: this is offset " + hex(f.size, 4) +
                           " of function '" + m_.functions[*open_fn_].name +
                           "' (after editing a listing, delete the @ column or correct it)");
  }
  if (f.size + length > 0xFFFFFFFF) return fail(where, "the function's code exceeds 4 GiB");
  f.size += static_cast<std::uint32_t>(length);
  f.code.push_back(std::move(inst));
  in_code_ = true;
  return true;
}

bool Assembler::instruction(std::optional<std::uint32_t> at_offset, const Token& where) {
  const Token opcode = next();
  Op op = Op::kNop;
  const bytecode::OpInfo* info = bytecode::info_by_name(opcode.text, &op);
  if (info == nullptr) {
    return fail(opcode, "unknown opcode '" + opcode.text + "'" + suggestion(opcode.text));
  }
  if (!open_fn_) {
    return fail(opcode, "instruction " + std::string(info->name) +
                            " is outside a function (after '.function')");
  }
  Inst inst;
  inst.bytes.push_back(static_cast<std::uint8_t>(op));
  // A count piece for a list whose length is known only after it is read.
  auto count = [&](std::uint8_t width) {
    inst.pieces.push_back(Piece{PieceKind::kLiteral, width, 0, opcode});
    return inst.pieces.size() - 1;
  };
  auto close_count = [&](std::size_t at, std::uint64_t n, std::string_view what) {
    inst.pieces[at].value = n;
    if (n <= max_of(inst.pieces[at].width)) return true;
    return fail(opcode, std::string(info->name) + " has " + std::to_string(n) + " " +
                            std::string(what) + ", more than its count field holds (" +
                            std::to_string(max_of(inst.pieces[at].width)) + ")");
  };
  bool ok = true;
  switch (info->shape) {
    case Shape::kNone:
      break;
    case Shape::kU8:
      ok = operand(info->a, 1, op, inst);
      break;
    case Shape::kU16:
      ok = operand(info->a, 2, op, inst);
      break;
    case Shape::kU32:
      ok = operand(info->a, 4, op, inst);
      break;
    case Shape::kU16U8:
      ok = operand(info->a, 2, op, inst) && operand(info->b, 1, op, inst);
      break;
    case Shape::kU32U32:
      ok = operand(info->a, 4, op, inst) && operand(info->b, 4, op, inst);
      break;
    case Shape::kClosure:
      ok = operand(Operand::kFunction, 4, op, inst);
      [[fallthrough]];
    case Shape::kCaptures: {
      const std::size_t at = count(1);
      const std::size_t before = inst.pieces.size();
      ok = ok && captures(op, inst) &&
           close_count(at, (inst.pieces.size() - before) / 2, "captures");
      break;
    }
    case Shape::kSymbols: {
      const std::size_t at = count(2);
      std::uint64_t n = 0;
      for (; ok && !at_eol(); ++n) ok = operand(Operand::kConst, 2, op, inst);
      ok = ok && close_count(at, n, "symbols");
      break;
    }
    case Shape::kSwitch: {
      const std::size_t at = count(4);
      std::uint64_t n = 0;
      for (bool more = !at_eol(); ok && more; ++n) {
        const Token value = next();
        std::uint64_t v = 0;
        ok = i64(value, "a case value", v) && operand(Operand::kTarget, 4, op, inst);
        inst.pieces.insert(inst.pieces.end() - 1, Piece{PieceKind::kLiteral, 8, v, value});
        more = peek().kind == Tok::kComma;
        if (more) next();
      }
      ok = ok && close_count(at, n, "cases");
      break;
    }
  }
  return ok && expect_eol() && add(std::move(inst), at_offset, where);
}

// `local S` / `upvalue N`, repeated: a kind byte and a u16 each.
bool Assembler::captures(Op op, Inst& inst) {
  while (!at_eol()) {
    const Token kind = peek();
    const bool local = is_word("local");
    if (!local && !is_word("upvalue")) return expected("a capture: 'local SLOT' or 'upvalue N'");
    next();
    inst.pieces.push_back(Piece{PieceKind::kLiteral, 1, local ? 0U : 1U, kind});
    if (!operand(local ? Operand::kLocal : Operand::kUpvalue, 2, op, inst)) return false;
    if (peek().kind == Tok::kComma) next();
  }
  return true;
}

bool Assembler::operand(Operand kind, std::uint8_t width, Op op, Inst& inst) {
  const Token t = peek();
  const std::string what = std::string(bytecode::info(static_cast<std::uint8_t>(op))->name) +
                           "'s " + std::string(operand_name(kind));
  auto literal = [&](const Token& number_token) {
    std::uint64_t v = 0;
    if (!integer(number_token, false, max_of(width), what, v)) return false;
    inst.pieces.push_back(Piece{PieceKind::kLiteral, width, v, t});
    return true;
  };
  auto deferred = [&](PieceKind k) {
    inst.pieces.push_back(Piece{k, width, 0, next()});
    return true;
  };
  if (at_eol()) return expected(what);
  switch (kind) {
    case Operand::kConst: {
      if (t.kind == Tok::kConstIndex) {
        next();
        return literal(Token{Tok::kNumber, t.text, t.line, t.column});
      }
      if (t.kind == Tok::kStar) {
        if (op != Op::kCatchBegin) return fail(t, "'*' (any exception) is only for CATCH_BEGIN");
        next();
        inst.pieces.push_back(Piece{PieceKind::kLiteral, width, 0xFFFF, t});
        return true;
      }
      ConstSpec spec;
      if (!constant(spec, false)) return false;
      inline_.push_back(std::move(spec));
      inst.pieces.push_back(Piece{PieceKind::kConst, width, inline_.size() - 1, t});
      return true;
    }
    case Operand::kLocal:
    case Operand::kGlobal:
    case Operand::kField:
      if (t.kind == Tok::kNumber) {
        next();
        return literal(t);
      }
      if (t.kind != Tok::kIdent && (t.kind != Tok::kString || kind == Operand::kField)) {
        return expected(what + (kind == Operand::kField ? " (a number or Struct.field)"
                                                        : " (a number or a name)"));
      }
      return deferred(kind == Operand::kLocal    ? PieceKind::kSlot
                      : kind == Operand::kGlobal ? PieceKind::kGlobal
                                                 : PieceKind::kField);
    case Operand::kType:
    case Operand::kFunction: {
      Token r;
      if (!ref(r, what)) return false;
      --pos_;
      return deferred(kind == Operand::kType ? PieceKind::kType : PieceKind::kFunction);
    }
    case Operand::kTarget:
      if (t.kind != Tok::kNumber && t.kind != Tok::kIdent) {
        return expected(what + " (a label, an offset or none)");
      }
      return deferred(PieceKind::kTarget);
    case Operand::kCount:
    case Operand::kUpvalue:
    case Operand::kLine:
    case Operand::kNone:
      next();
      return literal(t);
  }
  return false;
}

// --- second pass -------------------------------------------------------------

bool Assembler::target(const FunctionSpec& f, const Token& t, std::uint32_t& out) {
  if (t.kind == Tok::kNumber) {
    std::uint64_t v = 0;
    if (!integer(t, false, 0xFFFFFFFF, "a target offset", v)) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
  }
  const auto it = f.labels.find(t.text);
  if (it != f.labels.end()) {
    out = it->second.offset;
    return true;
  }
  if (text::same_word(t.text, "none")) {
    out = 0xFFFFFFFF;
    return true;
  }
  return fail(
      t, "label '" + t.text + "' is not defined in function '" + m_.functions[f.index].name + "'");
}

bool Assembler::slot(const FunctionSpec& f, const Token& t, std::uint64_t& out) {
  const Function& fn = m_.functions[f.index];
  std::vector<std::uint64_t> found;
  for (std::size_t i = 0; i < fn.params.size(); ++i) {
    if (fn.params[i].name == t.text) found.push_back(i);
  }
  for (const Local& l : fn.locals) {
    if (l.name == t.text) found.push_back(l.slot);
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  if (found.empty()) {
    return fail(t, "'" + t.text + "' is not a parameter or local of function '" + fn.name + "'");
  }
  if (found.size() > 1) {
    return fail(t, "'" + t.text + "' names several slots of function '" + fn.name +
                       "'; write the slot number");
  }
  out = found.front();
  return true;
}

bool Assembler::resolve_function(FunctionSpec& f) {
  Function& fn = m_.functions[f.index];
  if (!type_id(f.type, fn.type)) return false;
  for (std::size_t i = 0; i < fn.params.size(); ++i) {
    if (!type_id(f.param_types[i], fn.params[i].type)) return false;
  }
  for (std::size_t i = 0; i < fn.locals.size(); ++i) {
    Local& l = fn.locals[i];
    const LocalRefs& r = f.locals[i];
    if (!type_id(r.type, l.type) || !target(f, r.start, l.scope_start) ||
        !target(f, r.end, l.scope_end)) {
      return false;
    }
  }
  ByteWriter w;
  for (const Inst& inst : f.code) {
    w.raw(inst.bytes);
    for (const Piece& p : inst.pieces) {
      std::uint64_t v = p.value;
      std::uint32_t v32 = 0;
      bool ok = true;
      switch (p.kind) {
        case PieceKind::kLiteral:
          break;
        case PieceKind::kConst:
          ok = intern(inline_[p.value], p.tok, v);
          break;
        case PieceKind::kSlot:
          ok = slot(f, p.tok, v);
          break;
        case PieceKind::kGlobal:
          ok = global(p.tok, v);
          break;
        case PieceKind::kField:
          ok = field(p.tok, v);
          break;
        case PieceKind::kType:
        case PieceKind::kFunction:
        case PieceKind::kTarget:
          ok = p.kind == PieceKind::kType       ? type_id(p.tok, v32)
               : p.kind == PieceKind::kFunction ? function_id(p.tok, v32)
                                                : target(f, p.tok, v32);
          v = v32;
          break;
      }
      if (!ok) return false;
      if (v > max_of(p.width)) {
        return fail(p.tok, "'" + p.tok.text + "' is " + std::to_string(v) +
                               ", which does not fit a " + std::to_string(p.width * 8) +
                               "-bit operand");
      }
      for (std::uint8_t b = 0; b < p.width; ++b) w.u8(static_cast<std::uint8_t>(v >> (8 * b)));
    }
  }
  m_.code.insert(m_.code.end(), w.bytes().begin(), w.bytes().end());
  return true;
}

bool Assembler::resolve_functions() {
  for (FunctionSpec& f : fns_) {
    if (!resolve_function(f)) return false;
  }
  return true;
}

}  // namespace runa::module::assembler
