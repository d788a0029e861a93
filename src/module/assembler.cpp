// The `.runas` assembler's first pass outside the code: tokens, values,
// lines and module directives (see assembler.hpp for the two-pass design;
// functions and their code are in assembler_code.cpp, the second pass's
// name resolution in assembler_resolve.cpp).
//
// The assembler rejects only what cannot be encoded or cannot be resolved:
// a number too large for its field, an unknown name, a malformed line. It
// does not judge meaning; the verifier does.
#include "module/assembler.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "module/bytes.hpp"

namespace runa::module {
namespace assembler {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}
bool looks_float(std::string_view s) {
  if (s.find("0x") != std::string_view::npos || s.find("0X") != std::string_view::npos) {
    return false;
  }
  return s.find_first_of(".eE") != std::string_view::npos;
}

}  // namespace

// --- tokens and errors -----------------------------------------------------

bool Assembler::is_word(std::string_view w) const {
  return peek().kind == Tok::kIdent && text::same_word(peek().text, w);
}

bool Assembler::eat_word(std::string_view w) {
  if (!is_word(w)) return false;
  next();
  return true;
}

bool Assembler::expect_word(std::string_view w, std::string_view context) {
  if (eat_word(w)) return true;
  return expected("'" + std::string(w) + "' " + std::string(context));
}

bool Assembler::expect_eol() {
  if (at_eol()) {
    next();
    return true;
  }
  return fail(peek(), "unexpected " + text::describe(peek()) + " at the end of the line");
}

bool Assembler::fail(const Token& at, std::string message) {
  if (err_) return false;
  Error e;
  e.section = std::string(file_);
  e.line = at.line;
  e.column = at.column;
  e.message = std::move(message);
  err_ = std::move(e);
  return false;
}

bool Assembler::expected(std::string_view what) {
  return fail(peek(), "expected " + std::string(what) + ", found " + text::describe(peek()));
}

// --- values ----------------------------------------------------------------

// A decimal or 0x-hex integer of at most `max`; with `negative_ok`, also
// down to INT64_MIN (returned as its two's-complement bits).
bool Assembler::integer(const Token& t, bool negative_ok, std::uint64_t max, std::string_view what,
                        std::uint64_t& out) {
  if (t.kind != Tok::kNumber) {
    return fail(t, "expected " + std::string(what) + ", found " + text::describe(t));
  }
  std::string_view s = t.text;
  const bool negative = s.starts_with('-');
  if (negative || s.starts_with('+')) s.remove_prefix(1);
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    base = 16;
    s.remove_prefix(2);
  }
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || end != s.data() + s.size()) {
    return fail(t,
                "'" + t.text + "' is not " + std::string(what) + " (a decimal or 0x-hex integer)");
  }
  const std::uint64_t min_magnitude = std::uint64_t{1} << 63;
  if (ec == std::errc::result_out_of_range || (!negative && v > max) ||
      (negative && (!negative_ok || v > min_magnitude))) {
    return fail(t, std::string(what) + " " + t.text + " is out of range (" +
                       (negative_ok ? "-9223372036854775808" : std::string("0")) + " to " +
                       std::to_string(max) + ")");
  }
  out = negative ? ~v + 1 : v;
  return true;
}

// A 64-bit integer: decimal from INT64_MIN to INT64_MAX, or hex bits.
bool Assembler::i64(const Token& t, std::string_view what, std::uint64_t& out) {
  const bool hex_form = t.text.find_first_of("xX") != std::string::npos;
  return integer(t, true,
                 hex_form ? std::numeric_limits<std::uint64_t>::max()
                          : static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                 what, out);
}

bool Assembler::number(std::uint64_t max, std::string_view what, std::uint64_t& out) {
  return integer(next(), false, max, what, out);
}

bool Assembler::floating(const Token& t, double& out) {
  std::string_view s = t.text;
  if (t.kind != Tok::kNumber) {
    return fail(
        t, "expected a float (1.5, -0.0, 1e-9 or float_bits 0x...), found " + text::describe(t));
  }
  if (s.starts_with('+')) s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range) {
    return fail(t, "float " + t.text + " is out of range; write float_bits for infinities");
  }
  if (ec != std::errc() || end != s.data() + s.size() ||
      s.find_first_of("xX") != std::string_view::npos) {
    return fail(t, "'" + t.text + "' is not a decimal float (1.5, -0.0, 1e-9)");
  }
  return true;
}

bool Assembler::name(std::string& out, std::string_view what) {
  if (peek().kind != Tok::kIdent && peek().kind != Tok::kString) {
    return expected(std::string(what) + " (an identifier or a quoted string)");
  }
  out = next().text;
  return true;
}

bool Assembler::ref(Token& out, std::string_view what) {
  const Tok k = peek().kind;
  if (k != Tok::kIdent && k != Tok::kString && k != Tok::kNumber) {
    return expected(std::string(what) + " (an id or a name)");
  }
  out = next();
  return true;
}

bool Assembler::string(std::string& out, std::string_view what) {
  if (peek().kind != Tok::kString) return expected(std::string(what) + " (a quoted string)");
  out = next().text;
  return true;
}

bool Assembler::hex_blob(Bytes& out) {
  if (!expect_word("hex", "before a hex blob")) return false;
  const Token& t = peek();
  if (t.kind != Tok::kString) return expected("a quoted hex string after 'hex'");
  if (t.text.size() % 2 != 0) {
    return fail(t, "a hex blob needs an even number of hex digits, this one has " +
                       std::to_string(t.text.size()));
  }
  out.clear();
  for (std::size_t i = 0; i < t.text.size(); i += 2) {
    if (!is_hex_digit(t.text[i]) || !is_hex_digit(t.text[i + 1])) {
      return fail(
          t, "a hex blob may hold only hex digits; byte " + std::to_string(i / 2) + " is not one");
    }
    out.push_back(static_cast<std::uint8_t>(hex_digit(t.text[i]) * 16 + hex_digit(t.text[i + 1])));
  }
  next();
  return true;
}

bool Assembler::hash(std::optional<Hash>& out) {
  const Token& t = peek();
  if ((t.kind != Tok::kNumber && t.kind != Tok::kIdent) || t.text.size() != 32 ||
      !std::all_of(t.text.begin(), t.text.end(), is_hex_digit)) {
    return expected("a hash of exactly 32 hex digits");
  }
  Hash h{};
  for (std::size_t i = 0; i < h.size(); ++i) {
    h[i] = static_cast<std::uint8_t>(hex_digit(t.text[2 * i]) * 16 + hex_digit(t.text[2 * i + 1]));
  }
  out = h;
  next();
  return true;
}

bool Assembler::version(Version& out) {
  const Token& t = peek();
  const std::size_t dot = t.text.find('.');
  std::uint16_t parts[2] = {0, 0};
  bool ok = t.kind == Tok::kNumber && dot != std::string::npos;
  for (int i = 0; ok && i < 2; ++i) {
    const std::string_view s =
        i == 0 ? std::string_view(t.text).substr(0, dot) : std::string_view(t.text).substr(dot + 1);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), parts[i]);
    ok = !s.empty() && ec == std::errc() && end == s.data() + s.size();
  }
  if (!ok) return expected("a version MAJOR.MINOR such as 1.2 (each part 0 to 65535)");
  out = {parts[0], parts[1]};
  next();
  return true;
}

// NAME|NAME|0x10: names from `names` (any case) or numbers, up to `max`.
bool Assembler::flag_set(std::span<const text::FlagName> names, std::uint32_t max,
                         std::string_view what, std::uint32_t& out) {
  out = 0;
  do {
    const Token& t = peek();
    if (t.kind == Tok::kNumber) {
      std::uint64_t v = 0;
      if (!number(max, what, v)) return false;
      out |= static_cast<std::uint32_t>(v);
      continue;
    }
    if (t.kind != Tok::kIdent)
      return expected(std::string(what) + " (names joined by '|' or a number)");
    const auto f = std::find_if(names.begin(), names.end(), [&](const text::FlagName& n) {
      return text::same_word(n.name, t.text);
    });
    if (f == names.end()) {
      std::string known;
      for (const text::FlagName& n : names)
        known += (known.empty() ? "" : ", ") + std::string(n.name);
      return fail(t, "unknown " + std::string(what) + " '" + t.text + "' (known: " + known + ")");
    }
    out |= f->bit;
    next();
  } while (peek().kind == Tok::kPipe && (next(), true));
  return true;
}

// A constant as after `.const`, or inline: the self-evident kinds bare
// (42, -1.5, true, null, "text"), the others after their keyword.
// `aggregates` admits list and map, whose items run to the end of the line.
bool Assembler::constant(ConstSpec& out, bool aggregates) {
  out = {};
  Constant& k = out.value;
  const Token t = peek();
  if (t.kind == Tok::kNumber) {
    next();
    if (looks_float(t.text)) {
      k.kind = ConstKind::kDecimal;
      return floating(t, k.decimal);
    }
    k.kind = ConstKind::kInteger;
    std::uint64_t v = 0;
    if (!i64(t, "an Integer", v)) return false;
    k.integer = static_cast<std::int64_t>(v);
    return true;
  }
  if (t.kind == Tok::kString) {
    k.kind = ConstKind::kText;
    k.text = next().text;
    return true;
  }
  const auto boolean = [&] {
    k.kind = ConstKind::kBoolean;
    k.boolean = is_word("true");
    if (eat_word("true") || eat_word("false")) return true;
    return expected("true or false");
  };
  if (is_word("true") || is_word("false")) return boolean();
  if (eat_word("bool")) return boolean();
  if (eat_word("null")) {
    k.kind = ConstKind::kNull;
    return true;
  }
  if (eat_word("int")) {
    if (peek().kind != Tok::kNumber || looks_float(peek().text))
      return expected("an integer after 'int'");
    return constant(out, false);
  }
  if (eat_word("float")) {
    k.kind = ConstKind::kDecimal;
    if (eat_word("float_bits")) {
      std::uint64_t bits = 0;
      if (!number(std::numeric_limits<std::uint64_t>::max(), "a 64-bit pattern", bits))
        return false;
      std::memcpy(&k.decimal, &bits, sizeof bits);
      return true;
    }
    return floating(next(), k.decimal);
  }
  if (eat_word("text")) {
    k.kind = ConstKind::kText;
    return string(k.text, "the text after 'text'");
  }
  if (is_word("function") || is_word("type")) {
    k.kind = is_word("function") ? ConstKind::kFunction : ConstKind::kType;
    next();
    out.ref.emplace();
    return ref(*out.ref, k.kind == ConstKind::kFunction ? "a function" : "a type");
  }
  if (eat_word("extern")) {
    k.kind = ConstKind::kExternal;
    if (!string(k.text, "the native's name after 'extern'")) return false;
    std::uint64_t lib = 0;
    if (peek().kind == Tok::kNumber && !number(0xFFFFFFFF, "a native-library index", lib))
      return false;
    k.ref = static_cast<std::uint32_t>(lib);
    return true;
  }
  if (aggregates && (is_word("list") || is_word("map"))) {
    const Token kw = next();
    k.kind = text::same_word(kw.text, "list") ? ConstKind::kList : ConstKind::kMap;
    while (!at_eol()) {
      if (peek().kind != Tok::kConstIndex) return expected("a constant index #N");
      const Token item = next();
      std::uint64_t v = 0;
      if (!integer(Token{Tok::kNumber, item.text, item.line, item.column}, false, 0xFFFFFFFF,
                   "a constant index", v)) {
        return false;
      }
      k.items.push_back(static_cast<std::uint32_t>(v));
    }
    if (k.kind == ConstKind::kMap && k.items.size() % 2 != 0) {
      return fail(kw, "a map constant needs key/value pairs; it has " +
                          std::to_string(k.items.size()) + " items");
    }
    return true;
  }
  return expected(
      "a constant: a number, a string, true, false, null, or one of int, float, bool, text, "
      "function, type, extern" +
      std::string(aggregates ? ", list, map" : "") + " and its value");
}

// --- lines -----------------------------------------------------------------

bool Assembler::line() {
  const Token t = peek();
  switch (t.kind) {
    case Tok::kNewline:
      next();
      return true;
    case Tok::kDirective:
      next();
      return directive(t);
    case Tok::kOffset: {
      next();
      std::uint64_t at = 0;
      if (!integer(Token{Tok::kNumber, "0x" + t.text, t.line, t.column}, false, 0xFFFFFFFF,
                   "an offset", at)) {
        return false;
      }
      if (peek().kind == Tok::kDirective && text::same_word(peek().text, "bytes")) {
        next();
        return bytes_directive(static_cast<std::uint32_t>(at), t);
      }
      if (peek().kind != Tok::kIdent) return expected("an instruction after '@" + t.text + "'");
      return instruction(static_cast<std::uint32_t>(at), t);
    }
    case Tok::kIdent:
      next();
      if (peek().kind == Tok::kColon) {
        next();
        return label(t) && expect_eol();
      }
      --pos_;
      return instruction(std::nullopt, t);
    default:
      return expected("a directive, a label or an instruction");
  }
}

bool Assembler::directive(const Token& d) {
  static constexpr std::string_view kInFunction[] = {"param", "local", "loc", "bytes", "end"};
  const bool function_only =
      std::any_of(std::begin(kInFunction), std::end(kInFunction),
                  [&](std::string_view w) { return text::same_word(w, d.text); });
  if (open_fn_ && !function_only) {
    return fail(d, "'." + d.text + "' is not allowed inside function '" +
                       m_.functions[*open_fn_].name + "' (is its '.end' missing?)");
  }
  if (!open_fn_ && function_only) {
    return fail(d, "'." + d.text + "' belongs inside a function (after '.function')");
  }
  if (!text::same_word(d.text, "field")) open_struct_.reset();
  const auto is = [&](std::string_view w) { return text::same_word(d.text, w); };
  Header& h = m_.header;
  bool ok = true;
  if (is("format")) {
    ok = version(h.format);
  } else if (is("min_vm")) {
    ok = version(h.min_vm);
  } else if (is("created")) {
    std::uint64_t v = 0;
    ok = integer(next(), true, std::numeric_limits<std::int64_t>::max(), "a Unix time", v);
    h.created = static_cast<std::int64_t>(v);
  } else if (is("flags")) {
    ok = flag_set(text::kHeaderFlagNames, 0xFFFFFFFF, "header flag", h.flags);
  } else if (is("source_hash")) {
    ok = hash(h.source_hash);
  } else if (is("native")) {
    ok = string(h.native_libraries.emplace_back(), "a native library name");
  } else if (is("const")) {
    ok = const_directive();
  } else if (is("type")) {
    ok = type_directive();
  } else if (is("field")) {
    ok = field_directive();
  } else if (is("meta")) {
    ok = meta_directive();
  } else if (is("source")) {
    ok = source_directive();
  } else if (is("vardebug")) {
    ok = vardebug_directive();
  } else if (is("function")) {
    ok = function_directive(d);
  } else if (is("param")) {
    ok = param_directive(d);
  } else if (is("local")) {
    ok = local_directive(d);
  } else if (is("end")) {
    ok = end_directive();
  } else if (is("loc")) {
    ok = loc_directive();
  } else if (is("bytes")) {
    return bytes_directive(std::nullopt, d);
  } else {
    return fail(d, "unknown directive '." + d.text +
                       "' (expected .format, .min_vm, .created, .flags, .source_hash, .native, "
                       ".const, .type, .field, .function, .param, .local, .end, .bytes, .meta, "
                       ".source, .loc or .vardebug)");
  }
  return ok && expect_eol();
}

bool Assembler::const_directive() {
  ConstSpec spec;
  if (!constant(spec, true)) return false;
  consts_.push_back(std::move(spec));
  return true;
}

bool Assembler::type_directive() {
  static constexpr std::pair<std::string_view, TypeKind> kKinds[] = {
      {"primitive", TypeKind::kPrimitive}, {"struct", TypeKind::kStruct},
      {"list", TypeKind::kList},           {"map", TypeKind::kMap},
      {"function", TypeKind::kFunction},   {"optional", TypeKind::kOptional},
      {"union", TypeKind::kUnion},         {"external", TypeKind::kExternal},
  };
  TypeDef t;
  TypeRefs r;
  std::uint64_t id = 0;
  if (!number(0xFFFFFFFF, "a type id", id)) return false;
  t.id = static_cast<std::uint32_t>(id);
  const auto* kind = std::find_if(std::begin(kKinds), std::end(kKinds),
                                  [&](const auto& k) { return is_word(k.first); });
  if (kind == std::end(kKinds)) {
    return expected(
        "a type kind (primitive, struct, list, map, function, optional, union, external)");
  }
  next();
  t.kind = kind->second;
  if (!name(t.name, "the type's name")) return false;
  auto one = [&](std::string_view word) {
    return expect_word(word, "in a " + std::string(kind->first) + " type") &&
           ref(r.refs.emplace_back(), "a type");
  };
  bool ok = true;
  switch (t.kind) {
    case TypeKind::kPrimitive:
      break;
    case TypeKind::kStruct:
      open_struct_ = m_.types.size();
      break;
    case TypeKind::kList:
    case TypeKind::kOptional:
      ok = one("of");
      break;
    case TypeKind::kMap:
      ok = one("key") && one("value");
      break;
    case TypeKind::kFunction:
      ok = expect_word("params", "before the parameter types");
      while (ok && !is_word("returns")) {
        if (at_eol()) return expected("'returns' and the return type");
        ok = ref(r.refs.emplace_back(), "a parameter type");
      }
      ok = ok && eat_word("returns") && ref(r.result.emplace(), "the return type");
      break;
    case TypeKind::kUnion:
      ok = expect_word("of", "before the member types");
      while (ok && !at_eol()) ok = ref(r.refs.emplace_back(), "a member type");
      break;
    case TypeKind::kExternal:
      ok = expect_word("layout", "in an external type") && hex_blob(t.layout);
      break;
  }
  if (!ok) return false;
  m_.types.push_back(std::move(t));
  types_.push_back(std::move(r));
  return true;
}

// .field NAME type TYPE [offset N] [flags FLAGS]; offset defaults to 8 x index.
bool Assembler::field_directive() {
  if (!open_struct_)
    return fail(t_[pos_ - 1], "'.field' must follow a '.type ... struct' line or another '.field'");
  TypeDef& t = m_.types[*open_struct_];
  Field f;
  f.offset = static_cast<std::uint32_t>(8 * t.fields.size());
  Token type;
  if (!name(f.name, "the field's name") || !expect_word("type", "before the field's type") ||
      !ref(type, "the field's type")) {
    return false;
  }
  if (eat_word("offset")) {
    std::uint64_t v = 0;
    if (!number(0xFFFFFFFF, "a field offset", v)) return false;
    f.offset = static_cast<std::uint32_t>(v);
  }
  if (eat_word("flags")) {
    std::uint32_t v = 0;
    if (!flag_set(text::kFieldFlagNames, 0xFF, "field flag", v)) return false;
    f.flags = static_cast<std::uint8_t>(v);
  }
  t.fields.push_back(std::move(f));
  types_[*open_struct_].fields.push_back(std::move(type));
  return true;
}

bool Assembler::meta_directive() {
  MetadataEntry e;
  const Token& t = peek();
  if (t.kind == Tok::kNumber) {
    std::uint64_t type = 0;
    if (!number(0xFF, "a metadata type", type) || !hex_blob(e.data)) return false;
    e.type = static_cast<std::uint8_t>(type);
    m_.metadata.push_back(std::move(e));
    return true;
  }
  const auto* known = std::find_if(std::begin(text::kMetaNames), std::end(text::kMetaNames),
                                   [&](const text::MetaName& n) { return is_word(n.name); });
  if (known == std::end(text::kMetaNames)) {
    std::string names;
    for (const text::MetaName& n : text::kMetaNames) names += std::string(n.name) + ", ";
    return expected("a metadata entry (" + names + "or a type number and hex \"...\")");
  }
  next();
  e.type = known->type;
  ByteWriter w;
  // Comma-separated items, possibly none.
  auto items = [&](auto one) {
    if (at_eol()) return true;
    do {
      if (!one()) return false;
    } while (peek().kind == Tok::kComma && (next(), true));
    return true;
  };
  auto str = [&](const char* what) {
    std::string s;
    if (!string(s, what)) return false;
    w.u32(static_cast<std::uint32_t>(s.size()));
    w.raw(s);
    return true;
  };
  std::uint32_t count = 0;
  bool ok = true;
  switch (known->form) {
    case text::MetaForm::kText: {
      std::string s;
      ok = string(s, "the entry's text");
      w.raw(s);
      break;
    }
    case text::MetaForm::kDeps:
    case text::MetaForm::kStrings:
      w.u32(0);
      ok = items([&] {
        ++count;
        return str(known->form == text::MetaForm::kDeps ? "a module name" : "a library name") &&
               (known->form == text::MetaForm::kStrings || str("a version requirement"));
      });
      w.patch_u32(0, count);
      break;
    case text::MetaForm::kOptLevel: {
      std::uint64_t v = 0;
      ok = number(0xFF, "an optimization level", v);
      w.u8(static_cast<std::uint8_t>(v));
      break;
    }
    case text::MetaForm::kHex: {
      Bytes b;
      ok = hex_blob(b);
      w.raw(b);
      break;
    }
    case text::MetaForm::kSupertypes:
    case text::MetaForm::kGlobals: {
      MetaRefs refs{m_.metadata.size(), known->form, {}};
      const bool globals = known->form == text::MetaForm::kGlobals;
      ok = items([&] {
        auto& [a, b] = refs.pairs.emplace_back();
        if (globals && peek().kind != Tok::kIdent && peek().kind != Tok::kString) {
          return expected("a global's name");
        }
        return ref(a, globals ? "a global's name" : "a struct type") &&
               ref(b, globals ? "the global's type" : "its supertype");
      });
      metas_.push_back(std::move(refs));
      break;
    }
  }
  e.data = std::move(w.bytes());
  m_.metadata.push_back(std::move(e));
  return ok;
}

// .source ID "path" [hash HEX]
bool Assembler::source_directive() {
  debug_seen_ = true;
  SourceFile f;
  std::uint64_t id = 0;
  if (!number(0xFFFFFFFF, "a source file id", id) || !string(f.path, "the source path"))
    return false;
  f.id = static_cast<std::uint32_t>(id);
  if (eat_word("hash") && !hash(f.hash)) return false;
  m_.debug.files.push_back(std::move(f));
  return true;
}

// .vardebug FUNCTION SLOT LINE COLUMN
bool Assembler::vardebug_directive() {
  debug_seen_ = true;
  VarRefs r;
  VarDebug v;
  std::uint64_t line = 0;
  std::uint64_t column = 0;
  if (!ref(r.function, "a function") || !ref(r.slot, "a slot (number or name)") ||
      !number(0xFFFFFFFF, "a line", line) || !number(0xFFFF, "a column", column)) {
    return false;
  }
  v.line = static_cast<std::uint32_t>(line);
  v.column = static_cast<std::uint16_t>(column);
  m_.debug.vars.push_back(v);
  vars_.push_back(std::move(r));
  return true;
}

Result<Module> Assembler::run() {
  while (!err_ && peek().kind != Tok::kEnd) line();
  if (!err_ && open_fn_) {
    fail(fns_[*open_fn_].at, "function '" + m_.functions[*open_fn_].name +
                                 "' is not closed: '.end' is missing before the end of the file");
  }
  if (!err_) resolve();
  if (err_) return *std::move(err_);
  if (debug_seen_) m_.header.flags |= kHasDebugInfo;
  return std::move(m_);
}

}  // namespace assembler

Result<Module> assemble(std::string_view text, std::string_view file_name) {
  Result<std::vector<text::Token>> tokens = text::lex(text, file_name);
  if (!tokens) return tokens.error();
  return assembler::Assembler(std::move(tokens).value(), file_name).run();
}

}  // namespace runa::module
