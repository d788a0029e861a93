// runa::module::verify — the checks of meaning that make a module safe to
// hand to an execution tier (docs/bytecode.md §3). This file checks the
// header, the constants, the types and the functions (items 2–6) and runs
// the rest: verify_meta.cpp checks the metadata and the debug information
// (items 10, 11), verify_code.cpp the bytecode (items 7–9).
//
// Order: the sections in file order, except that the metadata comes before
// the bytecode, whose LOAD_GLOBAL and STORE_GLOBAL need the globals it
// declares; the debug information comes last, as its line table must point
// at instruction starts. The first problem found is reported.
//
// Ids are any u32 the compiler chose, so everything keyed by id is a hash
// map, built once up front; all work is linear (or n log n) in the module's
// size, whatever its contents, and scratch buffers are reused across items.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <unordered_set>

#include "module/bytes.hpp"
#include "module/utf8.hpp"
#include "module/verify_code.hpp"
#include "module/verify_meta.hpp"
#include "runatime/module.hpp"

namespace runa::module {
namespace {

bool primitive_name(std::string_view n) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "Integer", "Float", "Boolean", "String", "Character", "Nothing", "Any", "Text", "Decimal"};
  return std::find(kNames.begin(), kNames.end(), n) != kNames.end();
}

bool hashable(ConstKind k) {
  switch (k) {
    case ConstKind::kInteger:
    case ConstKind::kDecimal:
    case ConstKind::kBoolean:
    case ConstKind::kText:
    case ConstKind::kNull:
    case ConstKind::kType:
      return true;
    default:
      return false;
  }
}

// A METHOD's identity: its owner type and its name.
struct MethodKey {
  std::uint32_t owner = 0;
  std::string_view name;
  bool operator==(const MethodKey&) const = default;
};
struct MethodKeyHash {
  std::size_t operator()(const MethodKey& k) const {
    return std::hash<std::string_view>{}(k.name) ^ (std::size_t{k.owner} * 0x9E3779B97F4A7C15ULL);
  }
};

class Verifier {
 public:
  explicit Verifier(const Module& m) : m_(m) {}

  Result<Verified> run() {
    index_ids();
    if (auto e = header()) return *e;
    if (auto e = constants()) return *e;
    if (auto e = types()) return *e;
    if (auto e = functions()) return *e;
    if (auto e = verify_metadata(m_, index_)) return *e;
    if (auto e = verify_code(m_, index_, facts_, starts_)) return *e;
    if (auto e = verify_debug(m_, index_, facts_, starts_)) return *e;
    return std::move(facts_);
  }

 private:
  // Id -> index maps; a duplicate id keeps its first index, and the type or
  // function check reports the later one.
  void index_ids() {
    index_.types.reserve(m_.types.size());
    for (std::uint32_t i = 0; i < m_.types.size(); ++i) index_.types.try_emplace(m_.types[i].id, i);
    index_.functions.reserve(m_.functions.size());
    for (std::uint32_t i = 0; i < m_.functions.size(); ++i) {
      index_.functions.try_emplace(m_.functions[i].id, i);
    }
  }

  [[nodiscard]] const TypeDef* type(std::uint32_t id) const {
    const auto it = index_.types.find(id);
    return it == index_.types.end() ? nullptr : &m_.types[it->second];
  }

  static Error fail(const char* section, const std::vector<std::uint64_t>& layout, std::size_t i,
                    std::string message) {
    Error e;
    e.section = section;
    if (i < layout.size()) e.offset = layout[i];
    e.message = std::move(message);
    return e;
  }

  // ---- header (item 2) ----

  std::optional<Error> header() {
    const Header& h = m_.header;
    const Layout& at = m_.layout;
    // Offsets are known for modules read from bytes (0 means "built in
    // memory": the header never starts at byte 0, the magic does).
    auto bad = [](std::string message, std::uint64_t offset) {
      Error e;
      e.section = "header";
      if (offset != 0) e.offset = offset;
      e.message = std::move(message);
      return e;
    };
    auto version = [](Version v) {
      return std::to_string(v.major) + "." + std::to_string(v.minor);
    };
    if (h.format.major != kFormatVersion.major || h.format.minor > kFormatVersion.minor) {
      return bad(
          "format version " + version(h.format) + " is not one this RunaTime reads (1.0 to 1.2)",
          at.format);
    }
    if (h.min_vm.major > kVmVersion.major ||
        (h.min_vm.major == kVmVersion.major && h.min_vm.minor > kVmVersion.minor)) {
      return bad("the module needs VM " + version(h.min_vm) + ", but RunaTime implements VM " +
                     version(kVmVersion),
                 at.min_vm);
    }
    if ((h.flags & ~kHeaderFlagsKnown) != 0) {
      return bad("unknown flag bits 0x" + hex(h.flags & ~kHeaderFlagsKnown, 8), at.flags);
    }
    for (std::size_t i = 0; i < h.native_libraries.size(); ++i) {
      const std::string& lib = h.native_libraries[i];
      const std::string what = "native library " + std::to_string(i + 1);
      const std::uint64_t offset = i < at.native_libraries.size() ? at.native_libraries[i] : 0;
      if (lib.empty()) return bad(what + " has an empty name", offset);
      if (!valid_utf8(lib)) return bad(what + "'s name is not valid UTF-8", offset);
    }
    return std::nullopt;
  }

  // ---- constants (items 3, 4) ----

  std::optional<Error> constants() {
    for (std::size_t i = 0; i < m_.constants.size(); ++i) {
      if (auto msg = constant(i)) {
        return fail("constants", m_.layout.constants, i,
                    "constant #" + std::to_string(i) + ": " + *msg);
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> constant(std::size_t i) const {
    const Constant& c = m_.constants[i];
    switch (c.kind) {
      case ConstKind::kInteger:
      case ConstKind::kDecimal:
      case ConstKind::kBoolean:
      case ConstKind::kNull:
        return std::nullopt;
      case ConstKind::kText:
        if (valid_utf8(c.text)) return std::nullopt;
        return std::string("Text is not valid UTF-8");
      case ConstKind::kList:
      case ConstKind::kMap: {
        const bool map = c.kind == ConstKind::kMap;
        if (map && c.items.size() % 2 != 0) {
          return std::string("a Map has an odd number of items (keys and values alternate)");
        }
        for (std::size_t k = 0; k < c.items.size(); ++k) {
          const std::uint32_t item = c.items[k];
          if (item >= i) {
            return (map ? "a Map refers to constant #" : "a List refers to constant #") +
                   std::to_string(item) + "; items must be constants with a smaller index";
          }
          if (map && k % 2 == 0 && !hashable(m_.constants[item].kind)) {
            return "Map key constant #" + std::to_string(item) +
                   " is not hashable (Integer, Decimal, Boolean, Text, Null or Type reference)";
          }
        }
        return std::nullopt;
      }
      case ConstKind::kFunction:
        if (index_.functions.contains(c.ref)) return std::nullopt;
        return "Function reference to function id " + std::to_string(c.ref) +
               ", which does not exist";
      case ConstKind::kType:
        if (index_.types.contains(c.ref)) return std::nullopt;
        return "Type reference to type id " + std::to_string(c.ref) + ", which does not exist";
      case ConstKind::kExternal:
        if (c.text.empty()) return std::string("External reference with an empty name");
        if (!valid_utf8(c.text)) return std::string("External reference name is not valid UTF-8");
        if (c.ref > m_.header.native_libraries.size()) {
          return "External reference " + quote(c.text) + " names native library " +
                 std::to_string(c.ref) + ", but the header lists " +
                 std::to_string(m_.header.native_libraries.size()) + " (0 is RunaTime's own)";
        }
        return std::nullopt;
    }
    return "unknown constant kind 0x" + hex(static_cast<std::uint8_t>(c.kind), 2);
  }

  // ---- types (items 3, 5) ----

  std::optional<Error> types() {
    names_.clear();
    names_.reserve(m_.types.size());
    for (std::size_t i = 0; i < m_.types.size(); ++i) {
      const TypeDef& t = m_.types[i];
      std::optional<std::string> msg;
      if (index_.types.at(t.id) != i) {
        msg = "the id is also used by " + name_of(m_.types[index_.types.at(t.id)]);
      } else if (t.name.empty()) {
        msg = "the name is empty";
      } else if (!valid_utf8(t.name)) {
        msg = "the name is not valid UTF-8";
      } else if (!names_.insert(t.name).second) {
        msg = "another type has the same name";
      } else {
        msg = type_body(t);
      }
      if (msg) return fail("types", m_.layout.types, i, name_of(t) + ": " + *msg);
    }
    return std::nullopt;
  }

  std::optional<std::string> type_body(const TypeDef& t) {
    // `what` and, unless kNone, its number name the reference in a message.
    auto resolve = [&](std::uint32_t id, const char* what,
                       std::size_t k) -> std::optional<std::string> {
      if (index_.types.contains(id)) return std::nullopt;
      return what + (k == kNone ? std::string() : " " + std::to_string(k)) + " is type id " +
             std::to_string(id) + ", which does not exist";
    };
    auto refs = [&](std::size_t want, const char* what) -> std::optional<std::string> {
      if (t.refs.size() != want) {
        return std::string("a ") + what + " type refers to " + std::to_string(want) +
               (want == 1 ? " type" : " types") + ", not " + std::to_string(t.refs.size());
      }
      for (std::size_t k = 0; k < want; ++k) {
        if (auto msg = resolve(t.refs[k], "referenced type", k)) return msg;
      }
      return std::nullopt;
    };
    switch (t.kind) {
      case TypeKind::kPrimitive:
        if (primitive_name(t.name)) return std::nullopt;
        return std::string(
            "not a primitive's name (Integer, Float, Boolean, String, Character, Nothing, Any; "
            "Text and Decimal as aliases)");
      case TypeKind::kStruct:
        return fields(t);
      case TypeKind::kList:
        return refs(1, "List");
      case TypeKind::kOptional:
        return refs(1, "Optional");
      case TypeKind::kMap:
        return refs(2, "Map");
      case TypeKind::kFunction:
        for (std::size_t k = 0; k < t.refs.size(); ++k) {
          if (auto msg = resolve(t.refs[k], "parameter", k)) return msg;
        }
        return resolve(t.result, "the return type", kNone);
      case TypeKind::kUnion: {
        if (t.refs.size() < 2) return std::string("a Union needs at least two members");
        members_.clear();
        for (std::size_t k = 0; k < t.refs.size(); ++k) {
          if (auto msg = resolve(t.refs[k], "member", k)) return msg;
          if (!members_.insert(t.refs[k]).second) {
            return "member type id " + std::to_string(t.refs[k]) + " appears more than once";
          }
        }
        return std::nullopt;
      }
      case TypeKind::kExternal:
        return std::nullopt;
    }
    return "unknown type kind 0x" + hex(static_cast<std::uint8_t>(t.kind), 2);
  }

  std::optional<std::string> fields(const TypeDef& t) {
    field_names_.clear();
    for (std::size_t k = 0; k < t.fields.size(); ++k) {
      const Field& f = t.fields[k];
      auto what = [&] { return "field " + std::to_string(k) + " " + quote(f.name); };
      if (!valid_utf8(f.name)) return "field " + std::to_string(k) + "'s name is not valid UTF-8";
      if (!field_names_.insert(f.name).second) return what() + " repeats an earlier field's name";
      if (!index_.types.contains(f.type)) {
        return what() + " has type id " + std::to_string(f.type) + ", which does not exist";
      }
      if ((f.flags & ~kFieldFlagsKnown) != 0) {
        return what() + " has unknown flag bits 0x" + hex(f.flags & ~kFieldFlagsKnown, 2);
      }
      if (k > 0 && f.offset <= t.fields[k - 1].offset) {
        return what() + " has offset " + std::to_string(f.offset) +
               ", but offsets must increase in declaration order (the previous is " +
               std::to_string(t.fields[k - 1].offset) + ")";
      }
    }
    index_.max_fields = std::max(index_.max_fields, static_cast<std::uint32_t>(t.fields.size()));
    return std::nullopt;
  }

  // ---- functions (items 3, 6) ----

  std::optional<Error> functions() {
    facts_.functions.assign(m_.functions.size(), FunctionFacts{});
    names_.clear();
    names_.reserve(m_.functions.size());
    methods_.clear();
    std::uint64_t next = 0;  // where the next function's code must start
    for (std::size_t i = 0; i < m_.functions.size(); ++i) {
      const Function& f = m_.functions[i];
      std::optional<std::string> msg = function(i);
      if (!msg && f.code_offset != next) {
        msg = "the code starts at offset " + std::to_string(f.code_offset) +
              " of the bytecode section, but the functions' code lies back to back in function "
              "order, so it must start at " +
              std::to_string(next);
      }
      next += f.code_length;
      if (!msg && next > m_.code.size()) {
        msg = "the code runs to offset " + std::to_string(next) +
              ", past the end of the bytecode section (" + std::to_string(m_.code.size()) +
              " bytes)";
      }
      if (msg) {
        Error e = fail("functions", m_.layout.functions, i, name_of(f) + ": " + *msg);
        e.function = f.id;
        return e;
      }
    }
    if (next != m_.code.size()) {
      Error e;
      e.section = "functions";
      if (m_.layout.code != 0) e.offset = m_.layout.code + next;
      e.message = "the bytecode section has " + std::to_string(m_.code.size() - next) +
                  " bytes after the last function's code; every byte must belong to a function";
      return e;
    }
    return std::nullopt;
  }

  std::optional<std::string> function(std::size_t i) {
    const Function& f = m_.functions[i];
    if (index_.functions.at(f.id) != i) {
      return "the id is also used by " + name_of(m_.functions[index_.functions.at(f.id)]);
    }
    if (f.name.empty()) return std::string("the name is empty");
    if (!valid_utf8(f.name)) return std::string("the name is not valid UTF-8");
    if ((f.flags & ~kFunctionFlagsKnown) != 0) {
      return "unknown flag bits 0x" + hex(f.flags & ~kFunctionFlagsKnown, 8);
    }
    if (auto msg = signature(f)) return msg;
    if (auto msg = kind(f)) return msg;
    return locals(i);
  }

  // The function type, the parameters and their flags.
  std::optional<std::string> signature(const Function& f) const {
    const TypeDef* t = type(f.type);
    if (t == nullptr) return "the function type id " + std::to_string(f.type) + " does not exist";
    if (t->kind != TypeKind::kFunction) {
      return "the function type " + name_of(*t) + " is not a Function type";
    }
    if (t->refs.size() != f.params.size()) {
      return "it has " + std::to_string(f.params.size()) + " parameters, but its type " +
             name_of(*t) + " has " + std::to_string(t->refs.size());
    }
    const bool varargs = (f.flags & kFnVarargs) != 0;
    for (std::size_t k = 0; k < f.params.size(); ++k) {
      const Param& p = f.params[k];
      auto what = [&] { return "parameter " + std::to_string(k) + " " + quote(p.name); };
      if (!valid_utf8(p.name)) {
        return "parameter " + std::to_string(k) + "'s name is not valid UTF-8";
      }
      if (p.type != t->refs[k]) {
        return what() + " has type id " + std::to_string(p.type) + ", but the function type says " +
               std::to_string(t->refs[k]);
      }
      if ((p.flags & ~kParamFlagsKnown) != 0) {
        return what() + " has unknown flag bits 0x" + hex(p.flags & ~kParamFlagsKnown, 2);
      }
      const bool last = k + 1 == f.params.size();
      if ((p.flags & kParamVariadic) != 0 && !(last && varargs)) {
        return what() + " is VARIADIC, which only the last parameter of a VARARGS function may be";
      }
    }
    if (varargs && (f.params.empty() || (f.params.back().flags & kParamVariadic) == 0)) {
      return std::string("a VARARGS function's last parameter must be VARIADIC");
    }
    return std::nullopt;
  }

  // Code or none, methods, constructors and name uniqueness.
  std::optional<std::string> kind(const Function& f) {
    const bool external = (f.flags & kFnExternal) != 0;
    const bool native = (f.flags & kFnNative) != 0;
    if (external && native) return std::string("it is both EXTERNAL and NATIVE");
    if ((external || native) && f.code_length != 0) {
      return std::string(external ? "an EXTERNAL" : "a NATIVE") +
             " function has no bytecode, but its code length is " + std::to_string(f.code_length);
    }
    if (!external && !native && f.code_length == 0) {
      return std::string("it has no code (only EXTERNAL and NATIVE functions have none)");
    }
    const bool method = (f.flags & kFnMethod) != 0;
    if (!method) {
      if ((f.flags & kFnConstructor) != 0) return std::string("a CONSTRUCTOR must be a METHOD");
      if (!names_.insert(f.name).second) {
        return std::string("another non-method function has the same name");
      }
      return std::nullopt;
    }
    if (f.params.empty()) {
      return std::string("a METHOD needs a first parameter, its receiver (self)");
    }
    const std::uint32_t owner = f.params[0].type;
    if (!methods_.insert({owner, f.name}).second) {
      return "type id " + std::to_string(owner) + " already has a method " + quote(f.name);
    }
    const TypeDef* receiver = type(owner);
    if ((f.flags & kFnConstructor) != 0 && receiver != nullptr &&
        receiver->kind != TypeKind::kStruct) {
      return "a CONSTRUCTOR must be a method of a Struct type, but " + name_of(*receiver) +
             " is not one";
    }
    return std::nullopt;
  }

  // Locals, and the frame size they give.
  std::optional<std::string> locals(std::size_t i) {
    const Function& f = m_.functions[i];
    auto frame = static_cast<std::uint32_t>(f.params.size());
    order_.clear();
    for (std::uint32_t k = 0; k < f.locals.size(); ++k) {
      const Local& l = f.locals[k];
      auto what = [&] { return "local " + std::to_string(k) + " " + quote(l.name); };
      if (!valid_utf8(l.name)) return "local " + std::to_string(k) + "'s name is not valid UTF-8";
      if (!index_.types.contains(l.type)) {
        return what() + " has type id " + std::to_string(l.type) + ", which does not exist";
      }
      if (l.scope_start > l.scope_end || l.scope_end > f.code_length) {
        return what() + " has scope [" + std::to_string(l.scope_start) + ", " +
               std::to_string(l.scope_end) + "), which is not inside the code [0, " +
               std::to_string(f.code_length) + ")";
      }
      frame = std::max(frame, std::uint32_t{l.slot} + 1);
      if (l.scope_start < l.scope_end) order_.push_back(k);
    }
    if (frame > kMaxFrameSlots) {
      return "the frame needs " + std::to_string(frame) + " slots for parameters and locals, " +
             "more than the limit of " + std::to_string(kMaxFrameSlots);
    }
    facts_.functions[i].frame_slots = frame;
    // Sorted by slot, then scope start: a local overlaps an earlier one of
    // its slot exactly when it starts before the furthest end seen so far.
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
      const Local& x = f.locals[a];
      const Local& y = f.locals[b];
      return x.slot != y.slot ? x.slot < y.slot : x.scope_start < y.scope_start;
    });
    for (std::size_t k = 1, furthest = 0; k < order_.size(); ++k) {
      const Local& prev = f.locals[order_[furthest]];
      const Local& l = f.locals[order_[k]];
      if (l.slot != prev.slot) {
        furthest = k;
        continue;
      }
      if (l.scope_start < prev.scope_end) {
        return "local " + std::to_string(order_[k]) + " " + quote(l.name) + " and local " +
               std::to_string(order_[furthest]) + " " + quote(prev.name) + " share slot " +
               std::to_string(l.slot) + " with overlapping scopes";
      }
      if (l.scope_end > prev.scope_end) furthest = k;
    }
    return std::nullopt;
  }

  const Module& m_;
  ModuleIndex index_;
  Verified facts_;
  std::vector<bool>
      starts_;  // per byte of the code: an instruction starts here (set by verify_code)

  // Scratch, reused across items.
  std::unordered_set<std::string_view> names_;
  std::unordered_set<std::string_view> field_names_;
  std::unordered_set<std::uint32_t> members_;
  std::unordered_set<MethodKey, MethodKeyHash> methods_;
  std::vector<std::uint32_t> order_;
};

}  // namespace

Result<Verified> verify(const Module& m) {
  return Verifier(m).run();
}

}  // namespace runa::module
