// A test-only builder of `.runab` byte images, written from docs/bytecode.md
// §1–2 and independent of src/module/writer.cpp: the reader and writer tests
// compare the production code against images built here, so a mistake in
// the writer cannot hide behind the same mistake in the expected bytes.
//
// Bytes appends little-endian fields; File lays out the magic and the
// length-prefixed sections and remembers where each one starts, so that
// tests can name the byte offsets the reader must report.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/module.hpp"

namespace runa::test {

class Bytes {
 public:
  Bytes() = default;
  Bytes(std::initializer_list<std::uint8_t> init) : b_(init) {}

  Bytes& u8(std::uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  Bytes& u16(std::uint16_t v) { return le(v, 2); }
  Bytes& u32(std::uint32_t v) { return le(v, 4); }
  Bytes& i64(std::int64_t v) { return le(static_cast<std::uint64_t>(v), 8); }
  Bytes& f64_bits(std::uint64_t bits) { return le(bits, 8); }
  Bytes& f64(double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    return f64_bits(bits);
  }
  // `string` of the format: u32 byte length, then the bytes.
  Bytes& str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    return raw(s);
  }
  Bytes& raw(std::string_view s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(const Bytes& other) {
    b_.insert(b_.end(), other.b_.begin(), other.b_.end());
    return *this;
  }
  Bytes& raw(const std::vector<std::uint8_t>& other) {
    b_.insert(b_.end(), other.begin(), other.end());
    return *this;
  }
  // `hash` of the format: presence byte, then 16 bytes when present.
  Bytes& no_hash() { return u8(0); }
  Bytes& hash(std::uint8_t first) {
    u8(1);
    for (std::uint8_t i = 0; i < 16; ++i) u8(static_cast<std::uint8_t>(first + i));
    return *this;
  }

  [[nodiscard]] std::size_t size() const { return b_.size(); }
  [[nodiscard]] const std::vector<std::uint8_t>& vec() const { return b_; }

 private:
  Bytes& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  std::vector<std::uint8_t> b_;
};

// The contents (after the length field) of each section of one file.
struct Sections {
  Bytes header;
  Bytes constants;
  Bytes types;
  Bytes functions;
  Bytes bytecode;
  Bytes metadata;
  std::optional<Bytes> debug;  // written only when set
};

// Header contents: format 1.2, minimum VM 1.0, creation time 0, the given
// flags, no source hash, no native libraries.
inline Bytes header_body(std::uint32_t flags = 0, std::uint16_t major = 1,
                         std::uint16_t minor = 2) {
  Bytes h;
  h.u16(major).u16(minor).u16(1).u16(0).i64(0).u32(flags).no_hash().u32(0);
  return h;
}

// The smallest file the reader accepts: every section present and empty.
inline Sections empty_sections(std::uint32_t flags = 0) {
  Sections s;
  s.header = header_body(flags);
  s.constants.u32(0);
  s.types.u32(0);
  s.functions.u32(0);
  s.metadata.u32(0);
  if ((flags & 0x1) != 0) {
    s.debug.emplace();
    s.debug->u32(0).u32(4).u32(0).u32(0);
  }
  return s;
}

// A laid-out file: its bytes and where each section's length field starts.
struct File {
  std::vector<std::uint8_t> bytes;
  struct Where {
    std::string name;
    std::size_t length_at = 0;  // offset of the u32 length
    std::size_t body_at = 0;    // offset of the first content byte
    std::size_t end = 0;        // offset just past the contents
  };
  std::vector<Where> sections;

  [[nodiscard]] const Where& at(std::string_view name) const {
    for (const Where& w : sections) {
      if (w.name == name) return w;
    }
    throw std::out_of_range("no section named " + std::string(name));
  }
};

inline File lay_out(const Sections& s) {
  File f;
  Bytes out;
  out.raw("RUNABYTC");
  auto put = [&](const char* name, const Bytes& body) {
    File::Where w;
    w.name = name;
    w.length_at = out.size();
    out.u32(static_cast<std::uint32_t>(body.size()));
    w.body_at = out.size();
    out.raw(body);
    w.end = out.size();
    f.sections.push_back(w);
  };
  put("header", s.header);
  put("constants", s.constants);
  put("types", s.types);
  put("functions", s.functions);
  put("bytecode", s.bytecode);
  put("metadata", s.metadata);
  if (s.debug) put("debug", *s.debug);
  f.bytes = out.vec();
  return f;
}

// The sample: one file that uses every section, every constant kind, every
// type kind, parameters and locals, a source hash, native libraries,
// metadata and debug information. sample_sections() is its bytes, spelled
// out from the format; sample_module() is the Module that says the same.
inline constexpr std::uint64_t kQuietNanPayload = 0x7ff8000000000001ULL;
inline constexpr std::uint64_t kNegativeNanPayload = 0xfff0000000000abcULL;
inline constexpr std::uint64_t kNegativeZero = 0x8000000000000000ULL;

inline Sections sample_sections() {
  Sections s;
  s.header.u16(1).u16(2).u16(1).u16(1).i64(1764000000).u32(0x3).hash(0x10).u32(2);
  s.header.str("libm.so.6").str("libz.so.1");

  s.constants.u32(17);
  s.constants.u8(0x01).i64(-7);
  s.constants.u8(0x01).i64(INT64_MIN);
  s.constants.u8(0x02).f64(1.5);
  s.constants.u8(0x02).f64_bits(kNegativeZero);
  s.constants.u8(0x02).f64_bits(kQuietNanPayload);
  s.constants.u8(0x02).f64_bits(kNegativeNanPayload);
  s.constants.u8(0x03).u8(1);
  s.constants.u8(0x03).u8(0);
  s.constants.u8(0x04).str("h\xc3\xa9llo");
  s.constants.u8(0x04).str("");
  s.constants.u8(0x05);
  s.constants.u8(0x06).u32(3).u32(0).u32(2).u32(6);
  s.constants.u8(0x07).u32(2).u32(8).u32(0).u32(9).u32(6);
  s.constants.u8(0x08).u32(1);
  s.constants.u8(0x09).u32(3);
  s.constants.u8(0x0A).str("print").u32(0);
  s.constants.u8(0x06).u32(0);

  s.types.u32(10);
  s.types.u32(1).u8(0x01).str("Integer");
  s.types.u32(2).u8(0x01).str("String");
  s.types.u32(3).u8(0x02).str("Person").u32(2);
  s.types.str("name").u32(2).u32(0).u8(0);
  s.types.str("age").u32(1).u32(8).u8(0x1);
  s.types.u32(4).u8(0x03).str("List[Integer]").u32(1);
  s.types.u32(5).u8(0x04).str("Map[String,Integer]").u32(2).u32(1);
  s.types.u32(6).u8(0x05).str("(Integer,Integer)->Integer").u32(2).u32(1).u32(1).u32(1);
  s.types.u32(7).u8(0x06).str("Integer?").u32(1);
  s.types.u32(8).u8(0x07).str("Integer|String").u32(2).u32(1).u32(2);
  s.types.u32(9).u8(0x08).str("FileHandle").u32(2).u8(0x08).u8(0x00);
  s.types.u32(10).u8(0x05).str("()->Integer").u32(0).u32(1);

  s.functions.u32(2);
  s.functions.u32(1).str("add").u32(6).u32(2);
  s.functions.str("a").u32(1).u8(0);
  s.functions.str("b").u32(1).u8(0x2);
  s.functions.u32(1).str("tmp").u32(1).u16(2).u32(0).u32(8);
  s.functions.u32(0).u32(8).u32(0);
  s.functions.u32(2).str("main").u32(10).u32(0).u32(0).u32(8).u32(12).u32(0);

  // add: LOAD_LOCAL 0, LOAD_LOCAL 1, ADD, RETURN
  s.bytecode = Bytes{0x03, 0x00, 0x00, 0x03, 0x01, 0x00, 0x10, 0x0C};
  // main: PUSH_CONST #13, PUSH_CONST #0, PUSH_CONST #0, CALL 2, RETURN
  s.bytecode.raw(Bytes{0x02, 0x0D, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x0A, 0x02, 0x0C});

  s.metadata.u32(3);
  s.metadata.u8(0x01).str("add.runa");
  s.metadata.u8(0x09).u32(1).u8(2);
  s.metadata.u8(0x7F).u32(2).u8(0x00).u8(0xFF);

  s.debug.emplace();
  s.debug->u32(2);
  s.debug->u32(1).str("add.runa").hash(0x40);
  s.debug->u32(2).str("lib/core.runa").no_hash();
  s.debug->u32(4 + 14 * 2).u32(2);
  s.debug->u32(0).u32(1).u32(1).u16(5);
  s.debug->u32(8).u32(1).u32(4).u16(1);
  s.debug->u32(1);
  s.debug->u32(1).u16(2).u32(2).u16(7);
  return s;
}

inline module::Hash hash_from(std::uint8_t first) {
  module::Hash h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(first + i);
  return h;
}

inline module::Constant decimal_bits(std::uint64_t bits) {
  module::Constant k;
  k.kind = module::ConstKind::kDecimal;
  std::memcpy(&k.decimal, &bits, sizeof bits);
  return k;
}

inline module::Module sample_module() {
  using namespace runa::module;
  Module m;
  m.header.format = {1, 2};
  m.header.min_vm = {1, 1};
  m.header.created = 1764000000;
  m.header.flags = kHasDebugInfo | kOptimized;
  m.header.source_hash = hash_from(0x10);
  m.header.native_libraries = {"libm.so.6", "libz.so.1"};

  auto constant = [&](ConstKind kind) -> Constant& {
    Constant& k = m.constants.emplace_back();
    k.kind = kind;
    return k;
  };
  constant(ConstKind::kInteger).integer = -7;
  constant(ConstKind::kInteger).integer = INT64_MIN;
  constant(ConstKind::kDecimal).decimal = 1.5;
  m.constants.push_back(decimal_bits(kNegativeZero));
  m.constants.push_back(decimal_bits(kQuietNanPayload));
  m.constants.push_back(decimal_bits(kNegativeNanPayload));
  constant(ConstKind::kBoolean).boolean = true;
  constant(ConstKind::kBoolean).boolean = false;
  constant(ConstKind::kText).text = "h\xc3\xa9llo";
  constant(ConstKind::kText);
  constant(ConstKind::kNull);
  constant(ConstKind::kList).items = {0, 2, 6};
  constant(ConstKind::kMap).items = {8, 0, 9, 6};
  constant(ConstKind::kFunction).ref = 1;
  constant(ConstKind::kType).ref = 3;
  Constant& ext = constant(ConstKind::kExternal);
  ext.text = "print";
  ext.ref = 0;
  constant(ConstKind::kList);

  auto type = [&](std::uint32_t id, TypeKind kind, std::string name) -> TypeDef& {
    TypeDef& t = m.types.emplace_back();
    t.id = id;
    t.kind = kind;
    t.name = std::move(name);
    return t;
  };
  type(1, TypeKind::kPrimitive, "Integer");
  type(2, TypeKind::kPrimitive, "String");
  type(3, TypeKind::kStruct, "Person").fields = {{"name", 2, 0, 0}, {"age", 1, 8, kFieldReadonly}};
  type(4, TypeKind::kList, "List[Integer]").refs = {1};
  type(5, TypeKind::kMap, "Map[String,Integer]").refs = {2, 1};
  TypeDef& binary = type(6, TypeKind::kFunction, "(Integer,Integer)->Integer");
  binary.refs = {1, 1};
  binary.result = 1;
  type(7, TypeKind::kOptional, "Integer?").refs = {1};
  type(8, TypeKind::kUnion, "Integer|String").refs = {1, 2};
  type(9, TypeKind::kExternal, "FileHandle").layout = {0x08, 0x00};
  type(10, TypeKind::kFunction, "()->Integer").result = 1;

  Function& add = m.functions.emplace_back();
  add.id = 1;
  add.name = "add";
  add.type = 6;
  add.params = {{"a", 1, 0}, {"b", 1, kParamMutable}};
  add.locals = {{"tmp", 1, 2, 0, 8}};
  add.code_offset = 0;
  add.code_length = 8;
  Function& main_fn = m.functions.emplace_back();
  main_fn.id = 2;
  main_fn.name = "main";
  main_fn.type = 10;
  main_fn.code_offset = 8;
  main_fn.code_length = 12;

  m.code = {0x03, 0x00, 0x00, 0x03, 0x01, 0x00, 0x10, 0x0C, 0x02, 0x0D,
            0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x0A, 0x02, 0x0C};

  m.metadata = {{kMetaSourcePath, {'a', 'd', 'd', '.', 'r', 'u', 'n', 'a'}},
                {kMetaOptLevel, {2}},
                {0x7F, {0x00, 0xFF}}};

  m.debug.files = {{1, "add.runa", hash_from(0x40)}, {2, "lib/core.runa", std::nullopt}};
  m.debug.lines = {{0, 1, 1, 5}, {8, 1, 4, 1}};
  m.debug.vars = {{1, 2, 2, 7}};
  return m;
}

}  // namespace runa::test
