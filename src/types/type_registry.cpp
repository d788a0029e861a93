#include "types/type_registry.hpp"

#include <algorithm>

namespace runa::types {

namespace {

constexpr Kind kPrimitives[] = {Kind::kNothing, Kind::kBoolean,   Kind::kInteger,
                                Kind::kFloat,   Kind::kCharacter, Kind::kString,
                                Kind::kAny,     Kind::kSet,       Kind::kTuple};

// Names are for people; capping them keeps a crafted module's deeply nested
// types from costing quadratic time and memory in their names.
constexpr std::size_t kNameCap = 256;

std::string capped(std::string name) {
  if (name.size() > kNameCap) {
    name.resize(kNameCap - 3);
    name += "...";
  }
  return name;
}

std::string joined(const std::vector<const TypeDesc*>& types, const char* separator) {
  std::string out;
  for (const TypeDesc* t : types) {
    if (!out.empty()) out += separator;
    out += t->name;
    if (out.size() > kNameCap) break;
  }
  return out;
}

// The canonical name of a structural type, whatever a module called it.
std::string structural_name(Kind kind, const std::vector<const TypeDesc*>& args,
                            const TypeDesc* result) {
  switch (kind) {
    case Kind::kList:
      return "List[" + args[0]->name + "]";
    case Kind::kMap:
      return "Dictionary[" + args[0]->name + ", " + args[1]->name + "]";
    case Kind::kOptional:
      return "Optional[" + args[0]->name + "]";
    case Kind::kUnion:
      return joined(args, " | ");
    case Kind::kFunction:
      return "(" + joined(args, ", ") + ") -> " + result->name;
    default:
      return kind_name(kind);
  }
}

}  // namespace

TypeRegistry::TypeRegistry(heap::Heap& heap) : heap_(heap) {
  for (Kind k : kPrimitives) primitives_[static_cast<std::size_t>(k)] = make(k, kind_name(k));
}

TypeRegistry::~TypeRegistry() = default;

const TypeDesc* TypeRegistry::primitive(Kind k) const {
  const auto i = static_cast<std::size_t>(k);
  return i < primitives_.size() ? primitives_[i] : nullptr;
}

TypeDesc* TypeRegistry::make(Kind kind, std::string name) {
  auto d = std::make_unique<TypeDesc>();
  d->kind = kind;
  d->name = std::move(name);
  d->serial = static_cast<std::uint32_t>(all_.size() + 1);
  all_.push_back(std::move(d));
  return all_.back().get();
}

const TypeDesc* TypeRegistry::intern(Kind kind, std::vector<const TypeDesc*> args,
                                     const TypeDesc* result) {
  Key key{kind, args, result};
  if (auto it = interned_.find(key); it != interned_.end()) return it->second;
  TypeDesc* d = make(kind, capped(structural_name(kind, args, result)));
  d->args = std::move(args);
  d->result = result;
  interned_.emplace(std::move(key), d);
  return d;
}

std::vector<const TypeDesc*> TypeRegistry::union_members(std::span<const TypeDesc* const> members) {
  std::vector<const TypeDesc*> out;
  for (const TypeDesc* m : members) {
    if (m->kind == Kind::kUnion) {
      out.insert(out.end(), m->args.begin(), m->args.end());
    } else {
      out.push_back(m);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const TypeDesc* a, const TypeDesc* b) { return a->serial < b->serial; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const TypeDesc* TypeRegistry::list_of(const TypeDesc* element) {
  std::lock_guard lock(mu_);
  return intern(Kind::kList, {element}, nullptr);
}

const TypeDesc* TypeRegistry::map_of(const TypeDesc* key, const TypeDesc* value) {
  std::lock_guard lock(mu_);
  return intern(Kind::kMap, {key, value}, nullptr);
}

const TypeDesc* TypeRegistry::optional_of(const TypeDesc* base) {
  std::lock_guard lock(mu_);
  return intern(Kind::kOptional, {base}, nullptr);
}

const TypeDesc* TypeRegistry::union_of(std::span<const TypeDesc* const> members) {
  std::lock_guard lock(mu_);
  std::vector<const TypeDesc*> flat = union_members(members);
  if (flat.size() == 1) return flat[0];
  return intern(Kind::kUnion, std::move(flat), nullptr);
}

const TypeDesc* TypeRegistry::function_of(std::span<const TypeDesc* const> params,
                                          const TypeDesc* result) {
  std::lock_guard lock(mu_);
  return intern(Kind::kFunction, {params.begin(), params.end()}, result);
}

std::uint32_t TypeRegistry::count() const {
  std::lock_guard lock(mu_);
  return static_cast<std::uint32_t>(all_.size());
}

const TypeDesc* TypeRegistry::by_serial(std::uint32_t serial) const {
  std::lock_guard lock(mu_);
  if (serial == 0 || serial > all_.size()) return nullptr;
  return all_[serial - 1].get();
}

}  // namespace runa::types
