// The `.runas` assembler's second pass for everything outside the code:
// names of types, functions and globals, struct fields along the
// supertypes, constants and their interning, metadata that names types,
// and `.vardebug` (see assembler.hpp for the two-pass design).
#include <algorithm>

#include "module/assembler.hpp"
#include "module/bytes.hpp"

namespace runa::module::assembler {
namespace {

// The pool key of a constant: its bytes in the file, so that identical
// means bitwise identical (Decimals included).
std::string key(const Constant& k) {
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>(k.kind));
  switch (k.kind) {
    case ConstKind::kInteger:
      w.put(k.integer);
      break;
    case ConstKind::kDecimal:
      w.put(k.decimal);
      break;
    case ConstKind::kBoolean:
      w.u8(k.boolean ? 1 : 0);
      break;
    case ConstKind::kText:
    case ConstKind::kExternal:
      w.u32(static_cast<std::uint32_t>(k.text.size()));
      w.raw(k.text);
      w.u32(k.ref);
      break;
    case ConstKind::kNull:
      break;
    case ConstKind::kList:
    case ConstKind::kMap:
      for (std::uint32_t i : k.items) w.u32(i);
      break;
    case ConstKind::kFunction:
    case ConstKind::kType:
      w.u32(k.ref);
      break;
  }
  return {w.bytes().begin(), w.bytes().end()};
}

std::string ids_text(const std::vector<std::uint32_t>& ids) {
  std::string s;
  for (std::uint32_t id : ids) s += (s.empty() ? "" : ", ") + std::to_string(id);
  return s;
}

bool lookup(const std::map<std::string, std::vector<std::uint32_t>>& names, const Token& t,
            std::string_view what, std::uint32_t& out, std::string& problem) {
  const auto it = names.find(t.text);
  if (it == names.end()) {
    problem = "unknown " + std::string(what) + " '" + t.text + "'";
    return false;
  }
  if (it->second.size() > 1) {
    problem = std::string(what) + " name '" + t.text + "' is ambiguous (ids " +
              ids_text(it->second) + "); write the id instead";
    return false;
  }
  out = it->second.front();
  return true;
}

}  // namespace

// A bare number is an id; a name is looked up (docs/bytecode.md §4.1).
bool Assembler::id(const Token& t, bool function, std::uint32_t& out) {
  if (t.kind == Tok::kNumber) {
    std::uint64_t v = 0;
    if (!integer(t, false, 0xFFFFFFFF, function ? "a function id" : "a type id", v)) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
  }
  std::string problem;
  return lookup(function ? function_names_ : type_names_, t, function ? "function" : "type", out,
                problem) ||
         fail(t, problem);
}

bool Assembler::type_id(const Token& t, std::uint32_t& out) {
  return id(t, false, out);
}
bool Assembler::function_id(const Token& t, std::uint32_t& out) {
  return id(t, true, out);
}

bool Assembler::global(const Token& t, std::uint64_t& out) {
  const auto it = globals_.find(t.text);
  if (it == globals_.end()) {
    return fail(t, "unknown global '" + t.text + "' (globals are declared with '.meta globals')");
  }
  out = it->second;
  return true;
}

// Struct.field: the field's index in the struct, inherited fields first. A
// subtype's own list starts with its supertype's fields (docs/bytecode.md
// §2.6), so a name not in the list is looked up along the supertypes.
bool Assembler::field(const Token& t, std::uint64_t& out) {
  bool struct_found = false;
  for (std::size_t dot = t.text.rfind('.'); dot != std::string::npos && dot > 0;
       dot = t.text.rfind('.', dot - 1)) {
    const std::string owner = t.text.substr(0, dot);
    const std::string member = t.text.substr(dot + 1);
    const auto it = type_names_.find(owner);
    if (it == type_names_.end() || it->second.size() != 1) continue;
    std::uint32_t id = it->second.front();
    for (std::size_t hops = 0; hops <= m_.types.size(); ++hops) {
      const auto type = std::find_if(m_.types.begin(), m_.types.end(),
                                     [&](const TypeDef& d) { return d.id == id; });
      if (type == m_.types.end() || type->kind != TypeKind::kStruct) break;
      struct_found = true;
      for (std::size_t i = 0; i < type->fields.size(); ++i) {
        if (type->fields[i].name == member) {
          out = i;
          return true;
        }
      }
      const auto up = supertype_.find(id);
      if (up == supertype_.end()) break;
      id = up->second;
    }
    if (struct_found) {
      return fail(t,
                  "struct '" + owner + "' has no field '" + member + "' (nor do its supertypes)");
    }
  }
  return fail(t, "'" + t.text + "' is not a field: expected a field index or Struct.field");
}

bool Assembler::finish_constant(const ConstSpec& spec, Constant& out) {
  out = spec.value;
  if (!spec.ref) return true;
  return out.kind == ConstKind::kFunction ? function_id(*spec.ref, out.ref)
                                          : type_id(*spec.ref, out.ref);
}

bool Assembler::intern(const ConstSpec& spec, const Token& at, std::uint64_t& out) {
  Constant k;
  if (!finish_constant(spec, k)) return false;
  const auto [it, added] =
      pool_.try_emplace(key(k), static_cast<std::uint32_t>(m_.constants.size()));
  if (added) {
    if (m_.constants.size() > 0xFFFF) {
      return fail(at, "the inline constant would be pool entry " +
                          std::to_string(m_.constants.size()) +
                          ", past the 65535 an instruction can name");
    }
    m_.constants.push_back(std::move(k));
  }
  out = it->second;
  return true;
}

bool Assembler::resolve_types() {
  for (std::size_t i = 0; i < m_.types.size(); ++i) {
    TypeDef& t = m_.types[i];
    TypeRefs& r = types_[i];
    t.refs.resize(r.refs.size());
    for (std::size_t j = 0; j < r.refs.size(); ++j) {
      if (!type_id(r.refs[j], t.refs[j])) return false;
    }
    if (r.result && !type_id(*r.result, t.result)) return false;
    for (std::size_t j = 0; j < r.fields.size(); ++j) {
      if (!type_id(r.fields[j], t.fields[j].type)) return false;
    }
  }
  return true;
}

bool Assembler::resolve_meta() {
  bool first_globals = true;
  for (MetaRefs& r : metas_) {
    ByteWriter w;
    w.u32(static_cast<std::uint32_t>(r.pairs.size()));
    for (std::size_t i = 0; i < r.pairs.size(); ++i) {
      const auto& [a, b] = r.pairs[i];
      std::uint32_t b_id = 0;
      if (!type_id(b, b_id)) return false;
      if (r.form == text::MetaForm::kGlobals) {
        w.u32(static_cast<std::uint32_t>(a.text.size()));
        w.raw(a.text);
        if (first_globals) globals_.try_emplace(a.text, static_cast<std::uint32_t>(i));
      } else {
        std::uint32_t a_id = 0;
        if (!type_id(a, a_id)) return false;
        w.u32(a_id);
        supertype_.try_emplace(a_id, b_id);
      }
      w.u32(b_id);
    }
    if (r.form == text::MetaForm::kGlobals) first_globals = false;
    m_.metadata[r.index].data = std::move(w.bytes());
  }
  return true;
}

bool Assembler::resolve_vars() {
  for (std::size_t i = 0; i < vars_.size(); ++i) {
    const VarRefs& r = vars_[i];
    VarDebug& v = m_.debug.vars[i];
    if (!function_id(r.function, v.function)) return false;
    std::uint64_t s = 0;
    if (r.slot.kind == Tok::kNumber) {
      if (!integer(r.slot, false, 0xFFFF, "a slot", s)) return false;
    } else {
      const auto f = std::find_if(fns_.begin(), fns_.end(), [&](const FunctionSpec& spec) {
        return m_.functions[spec.index].id == v.function;
      });
      if (f == fns_.end()) {
        return fail(r.slot, "function " + std::to_string(v.function) +
                                " is not defined in this file, so slot '" + r.slot.text +
                                "' cannot be looked up; write the slot number");
      }
      if (!slot(*f, r.slot, s)) return false;
    }
    v.slot = static_cast<std::uint16_t>(s);
  }
  return true;
}

bool Assembler::resolve() {
  for (const TypeDef& t : m_.types) type_names_[t.name].push_back(t.id);
  for (const Function& f : m_.functions) function_names_[f.name].push_back(f.id);
  if (!resolve_types()) return false;
  for (const ConstSpec& spec : consts_) {
    Constant& k = m_.constants.emplace_back();
    if (!finish_constant(spec, k)) return false;
    pool_.try_emplace(key(k), static_cast<std::uint32_t>(m_.constants.size() - 1));
  }
  return resolve_meta() && resolve_functions() && resolve_vars();
}

}  // namespace runa::module::assembler
