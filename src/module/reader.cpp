// The `.runab` reader: bytes to Module, checking structure only.
//
// The file is the magic followed by length-prefixed sections in a fixed
// order (docs/bytecode.md, "File layout"). Each section is read by its own
// function through a Cursor confined to that section's bytes, so a corrupt
// length can never make one section read another's bytes, and a section
// whose contents end before (or after) its declared length is an error.
// Counts are checked against the bytes left before anything is reserved:
// a forged count of four billion costs nothing.
#include <cstring>

#include "module/bytes.hpp"
#include "runatime/module.hpp"

namespace runa::module {
namespace {

// A ByteReader over one section that knows where it is in the file and
// builds errors that say so.
class Cursor {
 public:
  Cursor(std::span<const std::uint8_t> bytes, std::uint64_t base, std::string section)
      : r_(bytes), base_(base), section_(std::move(section)) {}

  [[nodiscard]] std::uint64_t at() const { return base_ + r_.position(); }
  [[nodiscard]] std::size_t remaining() const { return r_.remaining(); }
  ByteReader& raw() { return r_; }

  [[nodiscard]] Error error(std::string message) const {
    return error_at(at(), std::move(message));
  }
  [[nodiscard]] Error error_at(std::uint64_t offset, std::string message) const {
    Error e;
    e.section = section_;
    e.offset = offset;
    e.message = std::move(message);
    return e;
  }

  // Each read records the first error (fail) and returns false when the
  // bytes run out.
  template <class T, class Out>
  bool get(Out& out, const char* what) {
    if (r_.read<T>(out)) return true;
    return truncated(what);
  }
  bool string(std::string& out, const char* what) {
    std::uint32_t n = 0;
    if (!get<std::uint32_t>(n, what)) return false;
    std::span<const std::uint8_t> b;
    if (!r_.bytes(n, b)) {
      return fail(error("the length of " + std::string(what) + " (" + std::to_string(n) +
                        " bytes) runs past the end of the section"));
    }
    out.assign(b.begin(), b.end());
    return true;
  }
  bool blob(Bytes& out, std::size_t n, const char* what) {
    std::span<const std::uint8_t> b;
    if (!r_.bytes(n, b)) return truncated(what);
    out.assign(b.begin(), b.end());
    return true;
  }
  bool flag_byte(bool& out, const char* what) {
    std::uint64_t at_byte = at();
    std::uint8_t v = 0;
    if (!get<std::uint8_t>(v, what)) return false;
    if (v > 1) {
      return fail(
          error_at(at_byte, std::string(what) + " must be 0 or 1, not " + std::to_string(v)));
    }
    out = v == 1;
    return true;
  }
  bool hash(std::optional<Hash>& out, const char* what) {
    bool present = false;
    if (!flag_byte(present, what)) return false;
    if (!present) return true;
    Hash h{};
    std::span<const std::uint8_t> b;
    if (!r_.bytes(h.size(), b)) return truncated(what);
    std::memcpy(h.data(), b.data(), h.size());
    out = h;
    return true;
  }
  // A count of entries each at least `min_size` bytes long: rejects counts
  // that cannot fit before anything is allocated for them.
  bool count(std::uint32_t& out, std::size_t min_size, const char* what) {
    std::uint64_t at_count = at();
    if (!get<std::uint32_t>(out, what)) return false;
    if (std::uint64_t{out} * min_size > remaining()) {
      return fail(error_at(at_count, std::string(what) + " " + std::to_string(out) +
                                         " cannot fit in the " + std::to_string(remaining()) +
                                         " bytes left in the section"));
    }
    return true;
  }
  bool truncated(const char* what) {
    return fail(error(std::string("the section ends in the middle of ") + what));
  }
  bool fail(Error e) {
    if (!err_) err_ = std::move(e);
    return false;
  }
  // The section must be consumed exactly.
  bool finish() {
    if (remaining() == 0) return true;
    return fail(error("the section's length says " + std::to_string(remaining()) +
                      " more bytes follow its last entry"));
  }

  // The first failure, if any; a section whose reader returned false
  // without one is reported as unreadable.
  std::optional<Error> take_error(bool ok) {
    if (!ok && !err_) err_ = error("unreadable section");
    return std::move(err_);
  }

 private:
  std::optional<Error> err_;
  ByteReader r_;
  std::uint64_t base_;
  std::string section_;
};

bool read_header(Cursor& c, Header& h, Layout& at) {
  if (c.remaining() >= kMagic.size() &&
      std::memcmp(c.raw().here(), kMagic.data(), kMagic.size()) == 0) {
    return c.fail(c.error(
        "the header starts with the magic again; RunaTime reads v1.2 with the magic once, at "
        "offset 0, before the header (docs/bytecode.md, \"The magic\")"));
  }
  std::uint64_t at_version = c.at();
  at.format = at_version;
  if (!c.get<std::uint16_t>(h.format.major, "the format version") ||
      !c.get<std::uint16_t>(h.format.minor, "the format version")) {
    return false;
  }
  if (h.format.major != kFormatVersion.major || h.format.minor > kFormatVersion.minor) {
    return c.fail(c.error_at(at_version, "format version " + std::to_string(h.format.major) + "." +
                                             std::to_string(h.format.minor) +
                                             " is not one this RunaTime reads (1.0 to 1.2)"));
  }
  std::uint32_t nlibs = 0;
  at.min_vm = c.at();
  if (!c.get<std::uint16_t>(h.min_vm.major, "the minimum VM version") ||
      !c.get<std::uint16_t>(h.min_vm.minor, "the minimum VM version") ||
      !c.get<std::int64_t>(h.created, "the creation time")) {
    return false;
  }
  at.flags = c.at();
  if (!c.get<std::uint32_t>(h.flags, "the flags") || !c.hash(h.source_hash, "the source hash") ||
      !c.count(nlibs, 4, "native library count")) {
    return false;
  }
  h.native_libraries.resize(nlibs);
  at.native_libraries.clear();
  for (std::string& lib : h.native_libraries) {
    at.native_libraries.push_back(c.at());
    if (!c.string(lib, "a native library name")) return false;
  }
  return c.finish();
}

bool read_constant(Cursor& c, Constant& k) {
  std::uint64_t at_kind = c.at();
  std::uint8_t kind = 0;
  if (!c.get<std::uint8_t>(kind, "a constant's kind")) return false;
  k.kind = static_cast<ConstKind>(kind);
  switch (k.kind) {
    case ConstKind::kInteger:
      return c.get<std::int64_t>(k.integer, "an Integer constant");
    case ConstKind::kDecimal:
      return c.get<double>(k.decimal, "a Decimal constant");
    case ConstKind::kBoolean:
      return c.flag_byte(k.boolean, "a Boolean constant");
    case ConstKind::kText:
      return c.string(k.text, "a Text constant");
    case ConstKind::kNull:
      return true;
    case ConstKind::kList:
    case ConstKind::kMap: {
      const bool map = k.kind == ConstKind::kMap;
      std::uint32_t n = 0;
      if (!c.count(n, map ? 8 : 4, map ? "Map pair count" : "List element count")) return false;
      k.items.resize(map ? std::size_t{n} * 2 : n);
      for (std::uint32_t& i : k.items) {
        if (!c.get<std::uint32_t>(i, "a constant index")) return false;
      }
      return true;
    }
    case ConstKind::kFunction:
      return c.get<std::uint32_t>(k.ref, "a function id");
    case ConstKind::kType:
      return c.get<std::uint32_t>(k.ref, "a type id");
    case ConstKind::kExternal:
      return c.string(k.text, "an External reference name") &&
             c.get<std::uint32_t>(k.ref, "a native-library index");
  }
  return c.fail(c.error_at(at_kind, "unknown constant kind 0x" + hex(kind, 2)));
}

bool read_type(Cursor& c, TypeDef& t) {
  std::uint8_t kind = 0;
  if (!c.get<std::uint32_t>(t.id, "a type id")) return false;
  std::uint64_t at_kind = c.at();
  if (!c.get<std::uint8_t>(kind, "a type kind") || !c.string(t.name, "a type name")) return false;
  t.kind = static_cast<TypeKind>(kind);
  auto ids = [&](std::size_t n) {
    t.refs.resize(n);
    for (std::uint32_t& id : t.refs) {
      if (!c.get<std::uint32_t>(id, "a type id")) return false;
    }
    return true;
  };
  switch (t.kind) {
    case TypeKind::kPrimitive:
      return true;
    case TypeKind::kStruct: {
      std::uint32_t n = 0;
      if (!c.count(n, 13, "field count")) return false;
      t.fields.resize(n);
      for (Field& f : t.fields) {
        if (!c.string(f.name, "a field name") || !c.get<std::uint32_t>(f.type, "a field type") ||
            !c.get<std::uint32_t>(f.offset, "a field offset") ||
            !c.get<std::uint8_t>(f.flags, "field flags")) {
          return false;
        }
      }
      return true;
    }
    case TypeKind::kList:
    case TypeKind::kOptional:
      return ids(1);
    case TypeKind::kMap:
      return ids(2);
    case TypeKind::kFunction: {
      std::uint32_t n = 0;
      return c.count(n, 4, "parameter count") && ids(n) &&
             c.get<std::uint32_t>(t.result, "a return type");
    }
    case TypeKind::kUnion: {
      std::uint32_t n = 0;
      return c.count(n, 4, "member count") && ids(n);
    }
    case TypeKind::kExternal: {
      std::uint32_t n = 0;
      return c.count(n, 1, "layout metadata length") && c.blob(t.layout, n, "layout metadata");
    }
  }
  return c.fail(c.error_at(at_kind, "unknown type kind 0x" + hex(kind, 2)));
}

bool read_function(Cursor& c, Function& f) {
  std::uint32_t nparams = 0;
  if (!c.get<std::uint32_t>(f.id, "a function id") || !c.string(f.name, "a function name") ||
      !c.get<std::uint32_t>(f.type, "a function type") || !c.count(nparams, 9, "parameter count")) {
    return false;
  }
  f.params.resize(nparams);
  for (Param& p : f.params) {
    if (!c.string(p.name, "a parameter name") ||
        !c.get<std::uint32_t>(p.type, "a parameter type") ||
        !c.get<std::uint8_t>(p.flags, "parameter flags")) {
      return false;
    }
  }
  std::uint32_t nlocals = 0;
  if (!c.count(nlocals, 18, "local count")) return false;
  f.locals.resize(nlocals);
  for (Local& l : f.locals) {
    if (!c.string(l.name, "a local name") || !c.get<std::uint32_t>(l.type, "a local type") ||
        !c.get<std::uint16_t>(l.slot, "a local slot") ||
        !c.get<std::uint32_t>(l.scope_start, "a local scope start") ||
        !c.get<std::uint32_t>(l.scope_end, "a local scope end")) {
      return false;
    }
  }
  return c.get<std::uint32_t>(f.code_offset, "a bytecode offset") &&
         c.get<std::uint32_t>(f.code_length, "a bytecode length") &&
         c.get<std::uint32_t>(f.flags, "function flags");
}

// Reads `count` then `count` entries with `one`, recording where each began.
template <class T, class ReadOne>
bool read_list(Cursor& c, std::vector<T>& out, std::vector<std::uint64_t>& at, std::size_t min_size,
               const char* what, ReadOne one) {
  std::uint32_t n = 0;
  if (!c.count(n, min_size, what)) return false;
  out.resize(n);
  at.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    at[i] = c.at();
    if (!one(c, out[i])) return false;
  }
  return c.finish();
}

bool read_metadata(Cursor& c, MetadataEntry& m) {
  std::uint32_t n = 0;
  return c.get<std::uint8_t>(m.type, "a metadata type") && c.count(n, 1, "metadata length") &&
         c.blob(m.data, n, "metadata");
}

bool read_debug(Cursor& c, DebugInfo& d, Layout& at) {
  std::uint32_t nfiles = 0;
  if (!c.count(nfiles, 9, "source file count")) return false;
  d.files.resize(nfiles);
  for (SourceFile& f : d.files) {
    at.debug_files.push_back(c.at());
    if (!c.get<std::uint32_t>(f.id, "a source file id") || !c.string(f.path, "a source path") ||
        !c.hash(f.hash, "a source file hash")) {
      return false;
    }
  }
  std::uint64_t at_size = c.at();
  std::uint32_t table_size = 0;
  std::uint32_t nlines = 0;
  if (!c.get<std::uint32_t>(table_size, "the line table size") ||
      !c.count(nlines, 14, "line table count")) {
    return false;
  }
  if (std::uint64_t{table_size} != 4 + std::uint64_t{nlines} * 14) {
    return c.fail(c.error_at(at_size, "the line table size is " + std::to_string(table_size) +
                                          " bytes but its " + std::to_string(nlines) +
                                          " entries take " + std::to_string(4 + nlines * 14ULL)));
  }
  d.lines.resize(nlines);
  for (LineEntry& l : d.lines) {
    at.debug_lines.push_back(c.at());
    if (!c.get<std::uint32_t>(l.offset, "a line entry") ||
        !c.get<std::uint32_t>(l.file, "a line entry") ||
        !c.get<std::uint32_t>(l.line, "a line entry") ||
        !c.get<std::uint16_t>(l.column, "a line entry")) {
      return false;
    }
  }
  std::uint32_t nvars = 0;
  if (!c.count(nvars, 12, "variable debug count")) return false;
  d.vars.resize(nvars);
  for (VarDebug& v : d.vars) {
    at.debug_vars.push_back(c.at());
    if (!c.get<std::uint32_t>(v.function, "a variable debug entry") ||
        !c.get<std::uint16_t>(v.slot, "a variable debug entry") ||
        !c.get<std::uint32_t>(v.line, "a variable debug entry") ||
        !c.get<std::uint16_t>(v.column, "a variable debug entry")) {
      return false;
    }
  }
  return c.finish();
}

// Splits off the next length-prefixed section as its own Cursor.
std::optional<Cursor> next_section(ByteReader& file, const char* name, std::optional<Error>& err) {
  std::uint64_t at = file.position();
  std::uint32_t len = 0;
  Cursor whole(std::span<const std::uint8_t>(file.here(), file.remaining()), at, name);
  if (!file.u32(len)) {
    err = whole.error(file.remaining() == 0
                          ? "the file ends where the " + std::string(name) + " section should start"
                          : "the file ends inside the " + std::string(name) + " section's length");
    return std::nullopt;
  }
  std::span<const std::uint8_t> body;
  if (!file.bytes(len, body)) {
    err = whole.error("the section's length (" + std::to_string(len) + " bytes) runs " +
                      std::to_string(len - file.remaining()) + " bytes past the end of the file");
    return std::nullopt;
  }
  return Cursor(body, at + 4, name);
}

}  // namespace

Result<Module> read(std::span<const std::uint8_t> bytes) {
  Module m;
  ByteReader file(bytes);
  {
    Cursor magic(bytes, 0, "magic");
    std::span<const std::uint8_t> got;
    if (!file.bytes(kMagic.size(), got) ||
        std::memcmp(got.data(), kMagic.data(), kMagic.size()) != 0) {
      const bool after_length =
          bytes.size() >= 12 && std::memcmp(bytes.data() + 4, kMagic.data(), kMagic.size()) == 0;
      return magic.error_at(
          0, after_length ? "the magic 'RUNABYTC' follows a length; it must open the "
                            "file by itself (docs/bytecode.md, \"The magic\")"
                          : "not a .runab module: the file does not start with 'RUNABYTC'");
    }
  }
  std::optional<Error> err;
  auto section = [&](const char* name, auto body) {
    if (err) return;
    std::optional<Cursor> c = next_section(file, name, err);
    if (!c) return;
    const bool ok = body(*c);
    err = c->take_error(ok);
  };
  section("header", [&](Cursor& c) { return read_header(c, m.header, m.layout); });
  section("constants", [&](Cursor& c) {
    return read_list(c, m.constants, m.layout.constants, 1, "constant count", read_constant);
  });
  section("types", [&](Cursor& c) {
    return read_list(c, m.types, m.layout.types, 9, "type count", read_type);
  });
  section("functions", [&](Cursor& c) {
    return read_list(c, m.functions, m.layout.functions, 32, "function count", read_function);
  });
  section("bytecode", [&](Cursor& c) {
    m.layout.code = c.at();
    return c.blob(m.code, c.remaining(), "bytecode");
  });
  section("metadata", [&](Cursor& c) {
    return read_list(c, m.metadata, m.layout.metadata, 5, "metadata count", read_metadata);
  });
  if ((m.header.flags & kHasDebugInfo) != 0) {
    section("debug", [&](Cursor& c) { return read_debug(c, m.debug, m.layout); });
  }
  if (err) return *std::move(err);
  if (file.remaining() != 0) {
    Error e;
    e.section = "file";
    e.offset = file.position();
    e.message = std::to_string(file.remaining()) + " bytes follow the last section" +
                ((m.header.flags & kHasDebugInfo) == 0
                     ? " (debug information is read only when the header has HAS_DEBUG_INFO)"
                     : "");
    return e;
  }
  return m;
}

}  // namespace runa::module
