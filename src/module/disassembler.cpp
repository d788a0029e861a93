// The `.runas` disassembler: Module to text (docs/bytecode.md §4).
//
// The text is complete: header directives, every constant, type, function,
// metadata entry and debug entry is written explicitly, in the order the
// assembler rebuilds them, so that assembling the text gives the module
// back. Instructions are written through the opcode table (listing.cpp).
//
// `runa dis` is used on bad files, so this file accepts any module read()
// returns, valid or not: code ranges are clamped to the bytecode section,
// bytes that do not decode become `.bytes`, names that are not identifiers
// are quoted, ids that do not resolve are written as numbers, and whatever
// the text form cannot place (code outside every function, a line entry off
// every instruction boundary) is reported in a comment instead.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>

#include "module/bytes.hpp"
#include "module/listing.hpp"
#include "module/text_syntax.hpp"
#include "runatime/module.hpp"

namespace runa::module {
namespace {

using bytecode::Instruction;

// Instruction text is padded to this width before the annotation comment.
constexpr std::size_t kInstructionWidth = 24;
constexpr std::size_t kLineWidth = 9;

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string float_text(double d) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  if (std::isfinite(d)) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, d);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    // Shortest form round-trips by definition; check anyway, since the
    // guarantee here is exact bits.
    double back = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), back);
    std::uint64_t back_bits = 0;
    std::memcpy(&back_bits, &back, sizeof back_bits);
    if (ec == std::errc() && end == s.data() + s.size() && back_bits == bits) return s;
  }
  return "float_bits 0x" + hex(bits, 16);
}

std::string blob(std::span<const std::uint8_t> b) {
  return "hex \"" + hex_bytes(b) + "\"";
}

// One line of a function's code: an instruction, or bytes that are not one.
struct Item {
  std::uint32_t pc = 0;  // from the start of the function's code
  std::uint32_t length = 0;
  std::optional<Instruction> ins;
  std::string why;  // for bytes: why they are not an instruction
};

struct Body {
  std::uint64_t start = 0;             // in the bytecode section (clamped)
  std::span<const std::uint8_t> code;  // the part of the range that exists
  std::vector<Item> items;
  std::set<std::uint32_t> labels;
  std::vector<std::string> notes;
};

class Printer {
 public:
  Printer(const Module& m, const ListingOptions& o)
      : m_(m), o_(o), names_(m), debug_((m.header.flags & kHasDebugInfo) != 0) {}

  std::string run() {
    header();
    constants();
    types();
    metadata();
    decode_all();
    place_lines();
    blank();
    for (const std::string& note : notes_) line("; note: " + note);
    for (std::size_t i = 0; i < m_.functions.size(); ++i) function(i);
    debug_vars();
    while (out_.ends_with("\n\n")) out_.pop_back();
    return std::move(out_);
  }

 private:
  void line(const std::string& s) { out_ += s + "\n"; }
  void blank() {
    if (!out_.empty() && !out_.ends_with("\n\n")) out_ += "\n";
  }

  void header() {
    const Header& h = m_.header;
    line(".format " + std::to_string(h.format.major) + "." + std::to_string(h.format.minor));
    line(".min_vm " + std::to_string(h.min_vm.major) + "." + std::to_string(h.min_vm.minor));
    line(".created " + std::to_string(h.created));
    line(".flags " + text::flags(h.flags, text::kHeaderFlagNames));
    if (h.source_hash) line(".source_hash " + text::hash(*h.source_hash));
    for (const std::string& lib : h.native_libraries) line(".native " + text::quote(lib));
    if (!debug_) return;
    for (const SourceFile& f : m_.debug.files) {
      line(".source " + std::to_string(f.id) + " " + text::quote(f.path) +
           (f.hash ? " hash " + text::hash(*f.hash) : ""));
    }
  }

  void constants() {
    blank();
    for (std::size_t i = 0; i < m_.constants.size(); ++i) {
      const Constant& k = m_.constants[i];
      std::string s = ".const ";
      switch (k.kind) {
        case ConstKind::kInteger:
          s += "int " + std::to_string(k.integer);
          break;
        case ConstKind::kDecimal:
          s += "float " + float_text(k.decimal);
          break;
        case ConstKind::kBoolean:
          s += k.boolean ? "bool true" : "bool false";
          break;
        case ConstKind::kText:
          s += "text " + text::quote(k.text);
          break;
        case ConstKind::kNull:
          s += "null";
          break;
        case ConstKind::kList:
        case ConstKind::kMap:
          s += k.kind == ConstKind::kList ? "list" : "map";
          for (std::uint32_t item : k.items) s += " #" + std::to_string(item);
          break;
        case ConstKind::kFunction:
          s += "function " + names_.function_ref(k.ref);
          break;
        case ConstKind::kType:
          s += "type " + names_.type_ref(k.ref);
          break;
        case ConstKind::kExternal:
          s += "extern " + text::quote(k.text) + " " + std::to_string(k.ref);
          break;
        default:
          line("; constant #" + std::to_string(i) + " has the unknown kind 0x" +
               hex(static_cast<std::uint8_t>(k.kind), 2) + " and cannot be written");
          continue;
      }
      line(o_.annotate ? pad(s, kInstructionWidth + 9) + " ; #" + std::to_string(i) : s);
    }
  }

  void types() {
    blank();
    for (const TypeDef& t : m_.types) {
      std::string s = ".type " + std::to_string(t.id) + " ";
      auto refs = [&](std::size_t want, const char* first, const char* second) {
        if (t.refs.size() != want) return false;
        s += std::string(" ") + first + " " + names_.type_ref(t.refs[0]);
        if (want == 2) s += std::string(" ") + second + " " + names_.type_ref(t.refs[1]);
        return true;
      };
      bool ok = true;
      switch (t.kind) {
        case TypeKind::kPrimitive:
          s += "primitive " + text::name(t.name);
          break;
        case TypeKind::kStruct:
          s += "struct " + text::name(t.name);
          break;
        case TypeKind::kList:
          s += "list " + text::name(t.name);
          ok = refs(1, "of", "");
          break;
        case TypeKind::kOptional:
          s += "optional " + text::name(t.name);
          ok = refs(1, "of", "");
          break;
        case TypeKind::kMap:
          s += "map " + text::name(t.name);
          ok = refs(2, "key", "value");
          break;
        case TypeKind::kFunction:
          s += "function " + text::name(t.name) + " params";
          for (std::uint32_t p : t.refs) s += " " + names_.type_ref(p);
          s += " returns " + names_.type_ref(t.result);
          break;
        case TypeKind::kUnion:
          s += "union " + text::name(t.name) + " of";
          for (std::uint32_t p : t.refs) s += " " + names_.type_ref(p);
          break;
        case TypeKind::kExternal:
          s += "external " + text::name(t.name) + " layout " + blob(t.layout);
          break;
        default:
          ok = false;
      }
      if (!ok) {
        line("; type " + std::to_string(t.id) + " (kind 0x" +
             hex(static_cast<std::uint8_t>(t.kind), 2) +
             ") does not have the shape of its kind and cannot be written");
        continue;
      }
      line(s);
      if (t.kind != TypeKind::kStruct) continue;
      for (const Field& f : t.fields) {
        line("  .field " + text::name(f.name) + " type " + names_.type_ref(f.type) + " offset " +
             std::to_string(f.offset) + " flags " + text::flags(f.flags, text::kFieldFlagNames));
      }
    }
  }

  // A known entry in its readable form when its data has exactly that
  // form's shape; otherwise, and for unknown types, raw.
  std::optional<std::string> readable(const MetadataEntry& e, const text::MetaName& n) {
    ByteReader r(e.data);
    std::string s;
    // Comma-separated items after a count, each read by `one`.
    auto items = [&](auto one) -> bool {
      std::uint32_t count = 0;
      if (!r.u32(count) || count > r.remaining()) return false;
      for (std::uint32_t i = 0; i < count; ++i) {
        s += i == 0 ? " " : ", ";
        if (!one()) return false;
      }
      return r.remaining() == 0;
    };
    auto str = [&](std::string& out) {
      std::uint32_t len = 0;
      std::span<const std::uint8_t> b;
      if (!r.u32(len) || !r.bytes(len, b)) return false;
      out.assign(b.begin(), b.end());
      return true;
    };
    bool ok = true;
    switch (n.form) {
      case text::MetaForm::kText:
        s = " " + text::quote(std::string(e.data.begin(), e.data.end()));
        break;
      case text::MetaForm::kDeps:
      case text::MetaForm::kStrings:
        ok = items([&] {
          std::string a;
          std::string b;
          if (!str(a)) return false;
          s += text::quote(a);
          if (n.form == text::MetaForm::kStrings) return true;
          if (!str(b)) return false;
          s += " " + text::quote(b);
          return true;
        });
        break;
      case text::MetaForm::kOptLevel:
        ok = e.data.size() == 1;
        if (ok) s = " " + std::to_string(e.data[0]);
        break;
      case text::MetaForm::kHex:
        s = " " + blob(e.data);
        break;
      case text::MetaForm::kSupertypes:
        ok = items([&] {
          std::uint32_t a = 0;
          std::uint32_t b = 0;
          if (!r.u32(a) || !r.u32(b)) return false;
          s += names_.type_ref(a) + " " + names_.type_ref(b);
          return true;
        });
        break;
      case text::MetaForm::kGlobals:
        ok = items([&] {
          std::string a;
          std::uint32_t b = 0;
          if (!str(a) || !r.u32(b)) return false;
          s += text::name(a) + " " + names_.type_ref(b);
          return true;
        });
        break;
    }
    if (!ok) return std::nullopt;
    return ".meta " + std::string(n.name) + s;
  }

  void metadata() {
    blank();
    for (const MetadataEntry& e : m_.metadata) {
      const auto* n = std::find_if(std::begin(text::kMetaNames), std::end(text::kMetaNames),
                                   [&](const text::MetaName& k) { return k.type == e.type; });
      std::optional<std::string> s;
      if (n != std::end(text::kMetaNames)) s = readable(e, *n);
      line(s ? *s : ".meta 0x" + hex(e.type, 2) + " " + blob(e.data));
    }
  }

  // Splits each function's code into items and finds its labels.
  void decode_all() {
    const std::uint64_t size = m_.code.size();
    std::uint64_t expected = 0;
    for (const Function& f : m_.functions) {
      Body& b = bodies_.emplace_back();
      const std::uint64_t end =
          std::min<std::uint64_t>(std::uint64_t{f.code_offset} + f.code_length, size);
      b.start = std::min<std::uint64_t>(f.code_offset, size);
      b.code = std::span<const std::uint8_t>(m_.code).subspan(b.start, end - b.start);
      if (f.code_offset != expected) {
        b.notes.push_back("its code is at 0x" + hex(f.code_offset, 8) +
                          " in the file but the text form places it at 0x" + hex(expected, 8) +
                          " (functions' code is laid out back to back)");
      }
      if (b.code.size() != f.code_length) {
        b.notes.push_back("its code range (0x" + hex(f.code_offset, 8) + ", " +
                          std::to_string(f.code_length) +
                          " bytes) runs past the bytecode section; only " +
                          std::to_string(b.code.size()) + " bytes are shown");
      }
      expected += f.code_length;
      decode(b);
    }
    if (expected != size) {
      notes_.push_back("the bytecode section has " + std::to_string(size) +
                       " bytes but the functions' code lengths add up to " +
                       std::to_string(expected) + "; the text form keeps only the functions' code");
    }
  }

  static void decode(Body& b) {
    const auto n = static_cast<std::uint32_t>(b.code.size());
    std::set<std::uint32_t> targets;
    for (std::uint32_t pc = 0; pc < n;) {
      Item item;
      item.pc = pc;
      Result<Instruction> ins = bytecode::decode(b.code, pc);
      if (!ins) {
        item.length = n - pc;
        item.why = ins.error().message;
      } else if (!listing::writable(*ins)) {
        item.length = ins->length;
        item.why = "a capture kind other than 0 (local) or 1 (upvalue)";
      } else {
        item.length = ins->length;
        item.ins = *ins;
        collect_targets(*ins, targets);
      }
      pc += item.length;
      b.items.push_back(std::move(item));
    }
    std::set<std::uint32_t> boundaries{n};
    for (const Item& item : b.items) boundaries.insert(item.pc);
    std::set_intersection(targets.begin(), targets.end(), boundaries.begin(), boundaries.end(),
                          std::inserter(b.labels, b.labels.end()));
  }

  static void collect_targets(const Instruction& ins, std::set<std::uint32_t>& out) {
    if ((ins.meta->flags & bytecode::kBranches) == 0) return;
    if (ins.meta->shape == bytecode::Shape::kSwitch) {
      for (std::uint32_t i = 0; i < ins.count; ++i) out.insert(ins.switch_case(i).target);
      return;
    }
    out.insert(ins.a);
    if (ins.meta->shape == bytecode::Shape::kU32U32) out.insert(ins.b);
  }

  // Puts each line-table entry before the instruction it names, keeping the
  // table's order: an entry goes to the first instruction at its offset
  // that is not before the previous entry's. The last function's end takes
  // entries at the end of the code.
  void place_lines() {
    if (!debug_ || m_.debug.lines.empty()) return;
    std::vector<std::pair<std::size_t, std::size_t>> seq;  // (function, item or items.size())
    std::map<std::uint64_t, std::vector<std::size_t>> at;  // section offset -> seq indices
    for (std::size_t f = 0; f < bodies_.size(); ++f) {
      for (std::size_t i = 0; i < bodies_[f].items.size(); ++i) {
        at[bodies_[f].start + bodies_[f].items[i].pc].push_back(seq.size());
        seq.emplace_back(f, i);
      }
    }
    if (!bodies_.empty()) {
      at[bodies_.back().start + bodies_.back().code.size()].push_back(seq.size());
      seq.emplace_back(bodies_.size() - 1, bodies_.back().items.size());
    }
    locs_.resize(bodies_.size());
    for (std::size_t f = 0; f < bodies_.size(); ++f) locs_[f].resize(bodies_[f].items.size() + 1);
    std::size_t cursor = 0;
    for (std::size_t e = 0; e < m_.debug.lines.size(); ++e) {
      const LineEntry& l = m_.debug.lines[e];
      const auto it = at.find(l.offset);
      const auto pos = it == at.end()
                           ? std::vector<std::size_t>::const_iterator{}
                           : std::lower_bound(it->second.begin(), it->second.end(), cursor);
      if (it == at.end() || pos == it->second.end()) {
        notes_.push_back("line-table entry " + std::to_string(e) + " (offset 0x" +
                         hex(l.offset, 8) + ", file " + std::to_string(l.file) + ", line " +
                         std::to_string(l.line) +
                         ") is not at an instruction in table order and is left out");
        continue;
      }
      cursor = *pos;
      locs_[seq[cursor].first][seq[cursor].second].push_back(e);
    }
  }

  // The source line of each item, from the last line entry at or before it
  // in the same function.
  [[nodiscard]] std::vector<std::string> source_lines(const Body& b) const {
    std::vector<std::string> out(b.items.size());
    if (!debug_) return out;
    std::vector<std::pair<std::uint64_t, std::size_t>> entries;
    for (std::size_t e = 0; e < m_.debug.lines.size(); ++e) {
      const std::uint64_t off = m_.debug.lines[e].offset;
      if (off >= b.start && off < b.start + b.code.size()) entries.emplace_back(off, e);
    }
    std::sort(entries.begin(), entries.end());
    std::size_t next = 0;
    std::optional<std::size_t> current;
    for (std::size_t i = 0; i < b.items.size(); ++i) {
      while (next < entries.size() && entries[next].first <= b.start + b.items[i].pc) {
        current = entries[next++].second;
      }
      if (current) out[i] = "line " + std::to_string(m_.debug.lines[*current].line);
    }
    return out;
  }

  void locs(std::size_t f, std::size_t i) {
    if (locs_.empty()) return;
    for (std::size_t e : locs_[f][i]) {
      const LineEntry& l = m_.debug.lines[e];
      line("  .loc " + std::to_string(l.file) + " " + std::to_string(l.line) + " " +
           std::to_string(l.column));
    }
  }

  void function(std::size_t index) {
    const Function& f = m_.functions[index];
    const Body& b = bodies_[index];
    blank();
    line(".function " + std::to_string(f.id) + " " + text::name(f.name) + " type " +
         names_.type_ref(f.type) + " flags " + text::flags(f.flags, text::kFunctionFlagNames));
    for (const std::string& note : b.notes) line("  ; note: " + note);
    for (const Param& p : f.params) {
      line("  .param " + text::name(p.name) + " type " + names_.type_ref(p.type) + " flags " +
           text::flags(p.flags, text::kParamFlagNames));
    }
    for (const Local& l : f.locals) {
      line("  .local " + text::name(l.name) + " type " + names_.type_ref(l.type) + " slot " +
           std::to_string(l.slot) + " scope " + std::to_string(l.scope_start) + " " +
           std::to_string(l.scope_end));
    }
    const std::vector<std::string> sources =
        o_.annotate ? source_lines(b) : std::vector<std::string>{};
    const bool has_lines = debug_ && !m_.debug.lines.empty();
    for (std::size_t i = 0; i < b.items.size(); ++i) {
      const Item& item = b.items[i];
      if (b.labels.contains(item.pc)) line(listing::label(item.pc) + ":");
      locs(index, i);
      std::string s = item.ins ? std::string(item.ins->meta->name) : ".bytes";
      const std::string ops = item.ins ? listing::operands(*item.ins, names_, b.labels)
                                       : blob(b.code.subspan(item.pc, item.length));
      if (!ops.empty()) s += " " + ops;
      if (!o_.annotate) {
        line("  " + s);
        continue;
      }
      std::string note = has_lines ? pad(sources[i], kLineWidth) : "";
      note +=
          item.ins ? listing::describe(*item.ins, names_, f) : "not an instruction: " + item.why;
      line("  @" + hex(item.pc, item.pc > 0xFFFF ? 8 : 4) + "  " + pad(s, kInstructionWidth) +
           " ; " + note);
    }
    const auto end = static_cast<std::uint32_t>(b.code.size());
    if (b.labels.contains(end)) line(listing::label(end) + ":");
    if (index + 1 == m_.functions.size()) locs(index, b.items.size());
    line(".end");
  }

  void debug_vars() {
    if (!debug_) return;
    blank();
    for (const VarDebug& v : m_.debug.vars) {
      line(".vardebug " + names_.function_ref(v.function) + " " + std::to_string(v.slot) + " " +
           std::to_string(v.line) + " " + std::to_string(v.column));
    }
  }

  const Module& m_;
  ListingOptions o_;
  listing::Names names_;
  bool debug_;
  std::string out_;
  std::vector<Body> bodies_;
  std::vector<std::vector<std::vector<std::size_t>>> locs_;  // [function][item] -> line entries
  std::vector<std::string> notes_;
};

}  // namespace

std::string disassemble(const Module& m, const ListingOptions& options) {
  return Printer(m, options).run();
}

}  // namespace runa::module
