// The `.runab` writer: Module to bytes, the exact inverse of the reader.
//
// Each section is written with a zero length that is patched once
// its contents are known. The writer refuses only what cannot be encoded
// (a count or length over 4 GiB, a Map constant with an odd item count, a
// kind whose data does not have the shape the format fixes); it does not
// judge meaning, which is the verifier's job.
#include <limits>

#include "module/bytes.hpp"
#include "runatime/module.hpp"

namespace runa::module {
namespace {

class Writer {
 public:
  Bytes take() { return std::move(w_.bytes()); }
  [[nodiscard]] const std::optional<Error>& error() const { return err_; }

  void section(const char* name, auto body) {
    section_ = name;
    const std::size_t at = w_.size();
    w_.u32(0);
    body();
    const std::size_t len = w_.size() - at - 4;
    if (fits(len, "the section's length")) w_.patch_u32(at, static_cast<std::uint32_t>(len));
  }
  void count(std::size_t n, const char* what) {
    if (fits(n, what)) w_.u32(static_cast<std::uint32_t>(n));
  }
  void string(const std::string& s, const char* what) {
    count(s.size(), what);
    w_.raw(s);
  }
  void hash(const std::optional<Hash>& h) {
    w_.u8(h ? 1 : 0);
    if (h) w_.raw(*h);
  }
  void fail(std::string message) {
    if (err_) return;
    Error e;
    e.section = section_;
    e.message = "cannot write: " + std::move(message);
    err_ = std::move(e);
  }
  ByteWriter& out() { return w_; }

 private:
  bool fits(std::size_t n, const char* what) {
    if (n <= std::numeric_limits<std::uint32_t>::max()) return true;
    fail(std::string(what) + " is over 4 GiB");
    return false;
  }

  ByteWriter w_;
  std::optional<Error> err_;
  const char* section_ = "header";
};

void write_header(Writer& w, const Header& h) {
  ByteWriter& o = w.out();
  o.u16(h.format.major);
  o.u16(h.format.minor);
  o.u16(h.min_vm.major);
  o.u16(h.min_vm.minor);
  o.put(h.created);
  o.u32(h.flags);
  w.hash(h.source_hash);
  w.count(h.native_libraries.size(), "the native library count");
  for (const std::string& lib : h.native_libraries) w.string(lib, "a native library name");
}

void write_constant(Writer& w, const Constant& k, std::size_t index) {
  ByteWriter& o = w.out();
  o.u8(static_cast<std::uint8_t>(k.kind));
  switch (k.kind) {
    case ConstKind::kInteger:
      o.put(k.integer);
      break;
    case ConstKind::kDecimal:
      o.put(k.decimal);
      break;
    case ConstKind::kBoolean:
      o.u8(k.boolean ? 1 : 0);
      break;
    case ConstKind::kText:
      w.string(k.text, "a Text constant");
      break;
    case ConstKind::kNull:
      break;
    case ConstKind::kList:
    case ConstKind::kMap: {
      const bool map = k.kind == ConstKind::kMap;
      if (map && k.items.size() % 2 != 0) {
        w.fail("Map constant #" + std::to_string(index) + " has an odd number of items");
      }
      w.count(map ? k.items.size() / 2 : k.items.size(), "a constant's item count");
      for (std::uint32_t i : k.items) o.u32(i);
      break;
    }
    case ConstKind::kFunction:
    case ConstKind::kType:
      o.u32(k.ref);
      break;
    case ConstKind::kExternal:
      w.string(k.text, "an External reference name");
      o.u32(k.ref);
      break;
    default:
      w.fail("constant #" + std::to_string(index) + " has an unknown kind");
  }
}

void write_type(Writer& w, const TypeDef& t) {
  ByteWriter& o = w.out();
  o.u32(t.id);
  o.u8(static_cast<std::uint8_t>(t.kind));
  w.string(t.name, "a type name");
  auto refs = [&](std::size_t want) {
    if (t.refs.size() != want) {
      w.fail("type " + std::to_string(t.id) + " needs " + std::to_string(want) + " type ids, has " +
             std::to_string(t.refs.size()));
    }
    for (std::uint32_t id : t.refs) o.u32(id);
  };
  switch (t.kind) {
    case TypeKind::kPrimitive:
      break;
    case TypeKind::kStruct:
      w.count(t.fields.size(), "a field count");
      for (const Field& f : t.fields) {
        w.string(f.name, "a field name");
        o.u32(f.type);
        o.u32(f.offset);
        o.u8(f.flags);
      }
      break;
    case TypeKind::kList:
    case TypeKind::kOptional:
      refs(1);
      break;
    case TypeKind::kMap:
      refs(2);
      break;
    case TypeKind::kFunction:
      w.count(t.refs.size(), "a parameter count");
      refs(t.refs.size());
      o.u32(t.result);
      break;
    case TypeKind::kUnion:
      w.count(t.refs.size(), "a member count");
      refs(t.refs.size());
      break;
    case TypeKind::kExternal:
      w.count(t.layout.size(), "layout metadata");
      o.raw(t.layout);
      break;
    default:
      w.fail("type " + std::to_string(t.id) + " has an unknown kind");
  }
}

void write_function(Writer& w, const Function& f) {
  ByteWriter& o = w.out();
  o.u32(f.id);
  w.string(f.name, "a function name");
  o.u32(f.type);
  w.count(f.params.size(), "a parameter count");
  for (const Param& p : f.params) {
    w.string(p.name, "a parameter name");
    o.u32(p.type);
    o.u8(p.flags);
  }
  w.count(f.locals.size(), "a local count");
  for (const Local& l : f.locals) {
    w.string(l.name, "a local name");
    o.u32(l.type);
    o.u16(l.slot);
    o.u32(l.scope_start);
    o.u32(l.scope_end);
  }
  o.u32(f.code_offset);
  o.u32(f.code_length);
  o.u32(f.flags);
}

void write_debug(Writer& w, const DebugInfo& d) {
  ByteWriter& o = w.out();
  w.count(d.files.size(), "the source file count");
  for (const SourceFile& f : d.files) {
    o.u32(f.id);
    w.string(f.path, "a source path");
    w.hash(f.hash);
  }
  w.count(4 + d.lines.size() * 14, "the line table size");
  w.count(d.lines.size(), "the line table count");
  for (const LineEntry& l : d.lines) {
    o.u32(l.offset);
    o.u32(l.file);
    o.u32(l.line);
    o.u16(l.column);
  }
  w.count(d.vars.size(), "the variable debug count");
  for (const VarDebug& v : d.vars) {
    o.u32(v.function);
    o.u16(v.slot);
    o.u32(v.line);
    o.u16(v.column);
  }
}

}  // namespace

Result<Bytes> write(const Module& m) {
  Writer w;
  w.out().raw(kMagic);
  w.section("header", [&] { write_header(w, m.header); });
  w.section("constants", [&] {
    w.count(m.constants.size(), "the constant count");
    for (std::size_t i = 0; i < m.constants.size(); ++i) write_constant(w, m.constants[i], i);
  });
  w.section("types", [&] {
    w.count(m.types.size(), "the type count");
    for (const TypeDef& t : m.types) write_type(w, t);
  });
  w.section("functions", [&] {
    w.count(m.functions.size(), "the function count");
    for (const Function& f : m.functions) write_function(w, f);
  });
  w.section("bytecode", [&] { w.out().raw(m.code); });
  w.section("metadata", [&] {
    w.count(m.metadata.size(), "the metadata count");
    for (const MetadataEntry& e : m.metadata) {
      w.out().u8(e.type);
      w.count(e.data.size(), "a metadata entry");
      w.out().raw(e.data);
    }
  });
  if ((m.header.flags & kHasDebugInfo) != 0) {
    w.section("debug", [&] { write_debug(w, m.debug); });
  }
  if (w.error()) return *w.error();
  return w.take();
}

}  // namespace runa::module
