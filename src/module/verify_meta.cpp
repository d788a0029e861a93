// The verifier's checks of the metadata and the debug information (see
// verify_meta.hpp). Structured metadata entries are parsed with a
// ByteReader confined to the entry's data, so a forged count can only run
// out of bytes, never past them; nothing is reserved from a count that the
// bytes have not been shown to hold.
#include "module/verify_meta.hpp"

#include <array>
#include <string>
#include <string_view>
#include <unordered_set>

#include "module/bytes.hpp"
#include "module/json_check.hpp"
#include "module/utf8.hpp"

namespace runa::module {
namespace {

std::string_view view(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

const char* meta_name(std::uint8_t type) {
  switch (type) {
    case kMetaSourcePath:
      return "source file path";
    case kMetaCompilerVersion:
      return "compiler version";
    case kMetaCompileOptions:
      return "compilation options";
    case kMetaLicense:
      return "license";
    case kMetaModuleDeps:
      return "module dependencies";
    case kMetaNativeLibDeps:
      return "native library dependencies";
    case kMetaAuthor:
      return "author";
    case kMetaVersion:
      return "version string";
    case kMetaOptLevel:
      return "optimization level";
    case kMetaJitHints:
      return "JIT hints";
    case kMetaSecurity:
      return "security requirements";
    case kMetaSupertypes:
      return "supertypes";
    case kMetaGlobals:
      return "globals";
    default:
      return nullptr;
  }
}

class MetaVerifier {
 public:
  MetaVerifier(const Module& m, ModuleIndex& index) : m_(m), index_(index) {}

  std::optional<Error> run() {
    std::array<bool, 256> seen{};
    for (std::size_t i = 0; i < m_.metadata.size(); ++i) {
      const MetadataEntry& e = m_.metadata[i];
      const char* name = meta_name(e.type);
      if (name == nullptr) continue;  // unknown types are kept and ignored
      std::optional<std::string> msg;
      if (seen[e.type]) {
        msg = "a second entry of this type (each known type appears at most once)";
      } else {
        seen[e.type] = true;
        msg = meta_entry(e);
      }
      if (msg) {
        return fail(i, "metadata entry " + std::to_string(i) + " (" + name + ", 0x" +
                           hex(e.type, 2) + "): " + *msg);
      }
    }
    return std::nullopt;
  }

 private:
  std::optional<std::string> meta_entry(const MetadataEntry& e) {
    switch (e.type) {
      case kMetaSourcePath:
      case kMetaCompilerVersion:
      case kMetaLicense:
      case kMetaAuthor:
      case kMetaVersion:
        if (valid_utf8(view(e.data))) return std::nullopt;
        return std::string("the text is not valid UTF-8");
      case kMetaCompileOptions:
      case kMetaSecurity:
        if (auto msg = check_json(view(e.data))) return "not well-formed JSON: " + *msg;
        return std::nullopt;
      case kMetaModuleDeps:
        return string_list(e.data, 2);
      case kMetaNativeLibDeps:
        return string_list(e.data, 1);
      case kMetaOptLevel:
        if (e.data.size() == 1 && e.data[0] <= 3) return std::nullopt;
        if (e.data.size() != 1) {
          return "the data is " + std::to_string(e.data.size()) + " bytes, not 1";
        }
        return "level " + std::to_string(e.data[0]) + " is not 0 to 3";
      case kMetaSupertypes:
        return supertypes(e.data);
      case kMetaGlobals:
        return globals(e.data);
      default:
        return std::nullopt;  // JIT hints: opaque
    }
  }

  // Reads a `string` (u32 length, bytes) from the entry's data.
  static bool read_string(ByteReader& r, std::string_view& out) {
    std::uint32_t n = 0;
    std::span<const std::uint8_t> b;
    if (!r.u32(n) || !r.bytes(n, b)) return false;
    out = {reinterpret_cast<const char*>(b.data()), b.size()};
    return true;
  }

  static std::optional<std::string> truncated(std::size_t at) {
    return "the data ends in the middle of an item (at byte " + std::to_string(at) + ")";
  }

  static std::optional<std::string> finished(const ByteReader& r) {
    if (r.remaining() == 0) return std::nullopt;
    return std::to_string(r.remaining()) + " bytes follow the last item";
  }

  // u32 count, then count items of `per_item` strings each.
  static std::optional<std::string> string_list(const Bytes& data, int per_item) {
    ByteReader r(data);
    std::uint32_t count = 0;
    if (!r.u32(count)) return truncated(r.position());
    for (std::uint32_t k = 0; k < count; ++k) {
      for (int s = 0; s < per_item; ++s) {
        std::string_view text;
        if (!read_string(r, text)) return truncated(r.position());
        if (!valid_utf8(text)) return "item " + std::to_string(k) + " is not valid UTF-8";
      }
    }
    return finished(r);
  }

  std::optional<std::string> supertypes(const Bytes& data) {
    ByteReader r(data);
    std::uint32_t count = 0;
    if (!r.u32(count)) return truncated(r.position());
    if (std::uint64_t{count} * 8 != r.remaining()) {
      return std::to_string(count) + " pairs take " + std::to_string(std::uint64_t{count} * 8) +
             " bytes, but " + std::to_string(r.remaining()) + " follow the count";
    }
    std::unordered_map<std::uint32_t, std::uint32_t> parent;
    parent.reserve(count);
    for (std::uint32_t k = 0; k < count; ++k) {
      std::uint32_t sub = 0;
      std::uint32_t super = 0;
      r.u32(sub);
      r.u32(super);
      const TypeDef* s = type(sub);
      const TypeDef* p = type(super);
      auto pair = [k] { return "pair " + std::to_string(k) + ": "; };
      if (s == nullptr || p == nullptr) {
        return pair() + "type id " + std::to_string(s == nullptr ? sub : super) + " does not exist";
      }
      if (s->kind != TypeKind::kStruct || p->kind != TypeKind::kStruct) {
        return pair() + name_of(s->kind != TypeKind::kStruct ? *s : *p) + " is not a Struct";
      }
      if (!parent.try_emplace(sub, super).second) {
        return pair() + name_of(*s) + " already has a supertype";
      }
      if (p->fields.size() > s->fields.size()) {
        return pair() + name_of(*s) + " has fewer fields than its supertype " + name_of(*p);
      }
      for (std::size_t f = 0; f < p->fields.size(); ++f) {
        const Field& a = s->fields[f];
        const Field& b = p->fields[f];
        if (a.name != b.name || a.type != b.type) {
          return pair() + name_of(*s) + "'s field " + std::to_string(f) + " " + quote(a.name) +
                 " (type id " + std::to_string(a.type) + ") differs from its supertype " +
                 name_of(*p) + "'s " + quote(b.name) + " (type id " + std::to_string(b.type) +
                 "); a subtype's fields start with its supertype's";
        }
      }
    }
    // Each type has at most one supertype, so following parents from every
    // type finds any cycle; a type is walked over at most once.
    std::unordered_map<std::uint32_t, std::uint8_t> state;  // 1: on this walk, 2: done
    state.reserve(count);
    for (const auto& [start, unused] : parent) {
      std::uint32_t x = start;
      for (auto it = parent.find(x); it != parent.end() && state[x] == 0; it = parent.find(x)) {
        state[x] = 1;
        x = it->second;
      }
      if (state[x] == 1) {
        return name_of(*type(x)) + " is its own supertype through a cycle";
      }
      for (x = start; state[x] == 1; x = parent[x]) state[x] = 2;
    }
    return std::nullopt;
  }

  std::optional<std::string> globals(const Bytes& data) {
    ByteReader r(data);
    std::uint32_t count = 0;
    if (!r.u32(count)) return truncated(r.position());
    std::unordered_set<std::string_view> names;
    for (std::uint32_t k = 0; k < count; ++k) {
      std::string_view name;
      std::uint32_t type_id = 0;
      if (!read_string(r, name) || !r.u32(type_id)) return truncated(r.position());
      auto what = [&] { return "global " + std::to_string(k) + " " + quote(name); };
      if (!valid_utf8(name)) return "global " + std::to_string(k) + "'s name is not valid UTF-8";
      if (!names.insert(name).second) return what() + " repeats an earlier global's name";
      if (type(type_id) == nullptr) {
        return what() + " has type id " + std::to_string(type_id) + ", which does not exist";
      }
    }
    if (auto msg = finished(r)) return msg;
    index_.globals = count;
    return std::nullopt;
  }

  [[nodiscard]] const TypeDef* type(std::uint32_t id) const {
    const auto it = index_.types.find(id);
    return it == index_.types.end() ? nullptr : &m_.types[it->second];
  }

  [[nodiscard]] Error fail(std::size_t i, std::string message) const {
    Error e;
    e.section = "metadata";
    if (i < m_.layout.metadata.size()) e.offset = m_.layout.metadata[i];
    e.message = std::move(message);
    return e;
  }

  const Module& m_;
  ModuleIndex& index_;
};

}  // namespace

std::optional<Error> verify_metadata(const Module& m, ModuleIndex& index) {
  return MetaVerifier(m, index).run();
}

std::optional<Error> verify_debug(const Module& m, const ModuleIndex& index, const Verified& facts,
                                  const std::vector<bool>& starts) {
  const DebugInfo& d = m.debug;
  // The entry's offset in the file, when the module was read from bytes.
  auto bad = [](std::string message, const std::vector<std::uint64_t>& offsets, std::size_t k) {
    Error e;
    e.section = "debug";
    if (k < offsets.size()) e.offset = offsets[k];
    e.message = std::move(message);
    return e;
  };
  if ((m.header.flags & kHasDebugInfo) == 0) {
    if (d.files.empty() && d.lines.empty() && d.vars.empty()) return std::nullopt;
    Error e;
    e.section = "debug";
    if (m.layout.flags != 0) e.offset = m.layout.flags;
    e.message = "the module has debug information, but the header lacks HAS_DEBUG_INFO";
    return e;
  }
  const Layout& at = m.layout;
  std::unordered_set<std::uint32_t> files;
  files.reserve(d.files.size());
  for (std::size_t k = 0; k < d.files.size(); ++k) {
    const SourceFile& f = d.files[k];
    auto what = [&] {
      return "source file " + std::to_string(k) + " (id " + std::to_string(f.id) + ")";
    };
    if (!files.insert(f.id).second) {
      return bad(what() + ": another file has the same id", at.debug_files, k);
    }
    if (!valid_utf8(f.path))
      return bad(what() + ": the path is not valid UTF-8", at.debug_files, k);
  }
  for (std::size_t k = 0; k < d.lines.size(); ++k) {
    const LineEntry& l = d.lines[k];
    auto what = [k] { return "line entry " + std::to_string(k) + ": "; };
    if (k > 0 && l.offset < d.lines[k - 1].offset) {
      return bad(what() + "offset " + std::to_string(l.offset) + " comes after offset " +
                     std::to_string(d.lines[k - 1].offset) + "; entries are sorted by offset",
                 at.debug_lines, k);
    }
    if (l.offset >= starts.size() || !starts[l.offset]) {
      return bad(
          what() + "offset " + std::to_string(l.offset) + " is not the start of an instruction",
          at.debug_lines, k);
    }
    if (!files.contains(l.file)) {
      return bad(what() + "source file id " + std::to_string(l.file) + " does not exist",
                 at.debug_lines, k);
    }
  }
  for (std::size_t k = 0; k < d.vars.size(); ++k) {
    const VarDebug& v = d.vars[k];
    auto what = [k] { return "variable entry " + std::to_string(k) + ": "; };
    const auto it = index.functions.find(v.function);
    if (it == index.functions.end()) {
      return bad(what() + "function id " + std::to_string(v.function) + " does not exist",
                 at.debug_vars, k);
    }
    const std::uint32_t frame = facts.functions[it->second].frame_slots;
    if (v.slot >= frame) {
      Error e = bad(what() + name_of(m.functions[it->second]) + " has no slot " +
                        std::to_string(v.slot) + " (its frame has " + std::to_string(frame) + ")",
                    at.debug_vars, k);
      e.function = v.function;
      return e;
    }
  }
  return std::nullopt;
}

}  // namespace runa::module
