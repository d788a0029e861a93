// Building a module's descriptors (TypeRegistry::load).
//
// Order matters because types refer to each other in any order, recursion
// included (docs/bytecode.md §2.3):
//   1. every Struct and External type gets its descriptor first, empty, so
//      that any reference to it resolves;
//   2. every other type is resolved depth first into primitives and
//      interned structural types; a structural type met again while it is
//      being resolved is on a cycle through no struct, and gets a
//      descriptor of the module's own (type_registry.hpp);
//   3. structs are completed in order of depth in the supertype forest
//      (metadata 0x20), so a supertype's display, fields and vtable are
//      complete before its subtypes copy them;
//   4. their instances' heap layouts are registered: one value word per
//      field, every word scanned (docs/types.md, "Object layout and field
//      order"), WEAK fields as the heap's weak fields, and the descriptor
//      as the layout's, so an instance's type is one load away
//      (Heap::descriptor_of).
#include <algorithm>
#include <optional>
#include <unordered_set>
#include <vector>

#include "module/bytes.hpp"
#include "types/type_registry.hpp"

namespace runa::types {

namespace {

std::uint64_t fnv1a(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}

std::optional<Kind> primitive_kind(std::string_view name) {
  if (name == "Integer") return Kind::kInteger;
  if (name == "Float" || name == "Decimal") return Kind::kFloat;
  if (name == "Boolean") return Kind::kBoolean;
  if (name == "String" || name == "Text") return Kind::kString;
  if (name == "Character") return Kind::kCharacter;
  if (name == "Nothing") return Kind::kNothing;
  if (name == "Any") return Kind::kAny;
  return std::nullopt;
}

Error types_error(std::string message) {
  Error e;
  e.section = "types";
  e.message = std::move(message);
  return e;
}

}  // namespace

class ModuleBuilder {
 public:
  ModuleBuilder(TypeRegistry& registry, ModuleTypes& out)
      : reg_(registry), out_(out), m_(out.module) {}

  std::optional<Error> build() {
    for (const module::TypeDef& d : m_.types) defs_[d.id] = &d;
    read_supertypes();
    for (const module::TypeDef& d : m_.types) {
      if (d.kind != module::TypeKind::kStruct && d.kind != module::TypeKind::kExternal) continue;
      if (d.kind == module::TypeKind::kExternal && d.layout.empty()) {
        if (const TypeDesc* r = reg_.runtime_type(d.name)) {
          done_[d.id] = r;  // the runtime's own type (TypeRegistry::load_runtime)
          continue;
        }
      }
      TypeDesc* t =
          reg_.make(d.kind == module::TypeKind::kStruct ? Kind::kStruct : Kind::kExternal, d.name);
      t->module = &out_;
      t->external_layout = d.layout;
      nominal_[d.id] = t;
    }
    for (const module::TypeDef& d : m_.types) {
      const TypeDesc* t = resolve(d.id);
      if (t == nullptr) return error_;
      out_.by_id[d.id] = t;
      out_.by_name[d.name] = t;
    }
    std::vector<std::uint32_t> structs = structs_by_depth();
    for (std::uint32_t id : structs) {
      if (auto e = complete_struct(id)) return e;
    }
    collect_methods();
    for (std::uint32_t id : structs) build_vtable(nominal_[id]);
    for (std::uint32_t id : structs) {
      if (auto e = register_layout(nominal_[id])) return e;
    }
    return std::nullopt;
  }

 private:
  void read_supertypes() {
    for (const module::MetadataEntry& e : m_.metadata) {
      if (e.type != module::kMetaSupertypes) continue;
      ByteReader r(e.data);
      std::uint32_t count = 0;
      r.u32(count);
      for (std::uint32_t k = 0; k < count; ++k) {
        std::uint32_t sub = 0;
        std::uint32_t super = 0;
        if (!r.u32(sub) || !r.u32(super)) break;  // the verifier checked the length
        parent_[sub] = super;
      }
    }
  }

  const TypeDesc* resolve(std::uint32_t id) {
    if (auto it = done_.find(id); it != done_.end()) return it->second;
    auto def = defs_.find(id);
    if (def == defs_.end()) {
      error_ = types_error("type id " + std::to_string(id) + " does not exist");
      return nullptr;
    }
    const module::TypeDef& d = *def->second;
    const TypeDesc* t = nullptr;
    switch (d.kind) {
      case module::TypeKind::kPrimitive: {
        auto k = primitive_kind(d.name);
        if (!k) {
          error_ = types_error("\"" + d.name + "\" is not a primitive type");
          return nullptr;
        }
        t = reg_.primitive(*k);
        break;
      }
      case module::TypeKind::kStruct:
      case module::TypeKind::kExternal:
        t = nominal_.at(id);
        break;
      default:
        t = resolve_structural(d);
        break;
    }
    if (t != nullptr) done_[id] = t;
    return t;
  }

  const TypeDesc* resolve_structural(const module::TypeDef& d) {
    if (visiting_.contains(d.id)) {
      // On a cycle through no struct: the module's own descriptor, filled
      // in when the outer resolve() of d returns here.
      auto [it, fresh] = own_.try_emplace(d.id, nullptr);
      if (fresh) {
        it->second = reg_.make(structural_kind(d.kind), d.name);
        it->second->module = &out_;
      }
      return it->second;
    }
    visiting_.insert(d.id);
    std::vector<const TypeDesc*> args;
    for (std::uint32_t r : d.refs) {
      const TypeDesc* a = resolve(r);
      if (a == nullptr) return nullptr;
      args.push_back(a);
    }
    const TypeDesc* result = nullptr;
    if (d.kind == module::TypeKind::kFunction && (result = resolve(d.result)) == nullptr) {
      return nullptr;
    }
    visiting_.erase(d.id);
    if (auto it = own_.find(d.id); it != own_.end()) {
      it->second->args =
          d.kind == module::TypeKind::kUnion ? TypeRegistry::union_members(args) : args;
      it->second->result = result;
      return it->second;
    }
    if (d.kind == module::TypeKind::kUnion) {
      std::vector<const TypeDesc*> flat = TypeRegistry::union_members(args);
      if (flat.size() == 1) return flat[0];
      return reg_.intern(Kind::kUnion, std::move(flat), nullptr);
    }
    return reg_.intern(structural_kind(d.kind), std::move(args), result);
  }

  static Kind structural_kind(module::TypeKind k) {
    switch (k) {
      case module::TypeKind::kList:
        return Kind::kList;
      case module::TypeKind::kMap:
        return Kind::kMap;
      case module::TypeKind::kOptional:
        return Kind::kOptional;
      case module::TypeKind::kUnion:
        return Kind::kUnion;
      default:
        return Kind::kFunction;
    }
  }

  std::uint32_t depth(std::uint32_t id) {
    if (auto it = depth_.find(id); it != depth_.end()) return it->second;
    auto p = parent_.find(id);
    // The verifier rejects cycles, so the recursion ends.
    const std::uint32_t d = p == parent_.end() ? 0 : depth(p->second) + 1;
    depth_[id] = d;
    return d;
  }

  std::vector<std::uint32_t> structs_by_depth() {
    std::vector<std::uint32_t> ids;
    for (const module::TypeDef& d : m_.types) {
      if (d.kind == module::TypeKind::kStruct) ids.push_back(d.id);
    }
    std::stable_sort(ids.begin(), ids.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return depth(a) < depth(b); });
    return ids;
  }

  std::optional<Error> complete_struct(std::uint32_t id) {
    TypeDesc* t = nominal_[id];
    const module::TypeDef& d = *defs_[id];
    if (auto p = parent_.find(id); p != parent_.end()) {
      const TypeDesc* super = nominal_.at(p->second);
      t->super = super;
      t->depth = super->depth + 1;
      t->display = super->display;
    }
    t->display.push_back(t);
    std::copy_n(t->display.begin(), std::min<std::size_t>(t->display.size(), TypeDesc::kPrimary),
                t->primary);
    t->fields.reserve(d.fields.size());
    for (std::size_t i = 0; i < d.fields.size(); ++i) {
      const module::Field& f = d.fields[i];
      FieldDesc fd;
      fd.name = f.name;
      fd.type = out_.by_id.at(f.type);
      fd.owner = t->super != nullptr && i < t->super->fields.size() ? t->super->fields[i].owner : t;
      fd.slot = static_cast<std::uint32_t>(i);
      fd.flags = f.flags;
      t->fields.push_back(std::move(fd));
    }
    return std::nullopt;
  }

  void collect_methods() {
    for (std::size_t i = 0; i < m_.functions.size(); ++i) {
      const module::Function& f = m_.functions[i];
      if ((f.flags & module::kFnMethod) == 0 || f.params.empty()) continue;
      MethodDesc& md = out_.methods.emplace_back();
      md.selector = reg_.symbols().intern(f.name);
      md.name = f.name;
      md.owner = out_.by_id.at(f.params[0].type);
      md.module = &out_;
      md.function = static_cast<std::uint32_t>(i);
      md.constructor = (f.flags & module::kFnConstructor) != 0;
      if (md.owner->kind == Kind::kStruct && md.owner->module == &out_) {
        own_methods_[md.owner].push_back(&md);
      } else {
        out_.extensions[(std::uint64_t{md.owner->serial} << 32) | md.selector] = &md;
      }
    }
  }

  void build_vtable(TypeDesc* t) {
    if (t->super != nullptr) {
      t->vtable = t->super->vtable;
      for (Binding& b : t->vtable) b.receiver = t;
      t->slots_by_selector = t->super->slots_by_selector;
    }
    for (const MethodDesc* md : own_methods_[t]) {
      auto [it, fresh] = t->slots_by_selector.try_emplace(
          md->selector, static_cast<std::uint32_t>(t->vtable.size()));
      if (fresh) {
        t->vtable.push_back({t, md->selector, md});
      } else {
        t->vtable[it->second].method = md;  // an override keeps the inherited slot
      }
    }
  }

  std::optional<Error> register_layout(TypeDesc* t) {
    heap::Layout l;
    l.kind = heap::LayoutKind::kPlain;
    l.size = static_cast<std::uint32_t>(sizeof(heap::Value) * (t->fields.size() + 1));
    l.refs = static_cast<std::uint32_t>(t->fields.size());
    l.name = t->name.c_str();
    l.descriptor = t;
    // WEAK fields (docs/bytecode.md §2.3) are the heap's weak fields.
    std::vector<std::uint32_t> weak;
    for (const FieldDesc& f : t->fields) {
      if ((f.flags & module::kFieldWeak) != 0) weak.push_back(f.slot);
    }
    l.weak_fields = weak.data();
    l.weak_count = static_cast<std::uint32_t>(weak.size());
    std::vector<const char*> names;  // for heap snapshots and leak paths
    for (const FieldDesc& f : t->fields) names.push_back(f.name.c_str());
    l.field_names = names.data();
    auto r = reg_.heap().register_layout(l);
    if (!r) return types_error(t->name + ": " + r.error().message);
    t->heap_layout = *r;
    return std::nullopt;
  }

  TypeRegistry& reg_;
  ModuleTypes& out_;
  const module::Module& m_;
  std::unordered_map<std::uint32_t, const module::TypeDef*> defs_;
  std::unordered_map<std::uint32_t, std::uint32_t> parent_;
  std::unordered_map<std::uint32_t, std::uint32_t> depth_;
  std::unordered_map<std::uint32_t, TypeDesc*> nominal_;
  std::unordered_map<std::uint32_t, TypeDesc*> own_;  // structural types on struct-free cycles
  std::unordered_map<std::uint32_t, const TypeDesc*> done_;
  std::unordered_set<std::uint32_t> visiting_;
  std::unordered_map<const TypeDesc*, std::vector<const MethodDesc*>> own_methods_;
  Error error_;
};

Result<const ModuleTypes*> TypeRegistry::load(const module::Module& m) {
  auto bytes = module::write(m);
  if (!bytes) return bytes.error();
  const std::uint64_t hash = fnv1a(*bytes);
  std::lock_guard lock(mu_);
  auto [first, last] = modules_by_hash_.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    if (it->second->module == m) return it->second;
  }
  auto loaded = std::make_unique<ModuleTypes>();
  loaded->module = m;
  loaded->hash = hash;
  ModuleBuilder builder(*this, *loaded);
  if (auto e = builder.build()) return *e;
  const ModuleTypes* result = loaded.get();
  modules_by_hash_.emplace(hash, result);
  modules_.push_back(std::move(loaded));
  return result;
}

Result<const ModuleTypes*> TypeRegistry::load_runtime(const module::Module& m) {
  auto loaded = load(m);
  if (loaded) runtime_ = *loaded;
  return loaded;
}

}  // namespace runa::types
