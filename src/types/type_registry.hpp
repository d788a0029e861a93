// TypeRegistry: owns every type descriptor of one runtime, interns the
// structural ones and loads modules' types.
//
// Invariants:
//   - A descriptor is fully built before any caller gets its pointer, and
//     never changes afterwards (readers need no lock).
//   - Structural types are unique by their components: list_of(e) returns
//     the same descriptor for the same e, whichever module asked first.
//     Unions are flattened (a Union member that is a Union gives its
//     members), sorted by serial and without duplicates; a "union" of one
//     type is that type.
//   - Serials are dense from 1 in creation order; by_serial() is O(1).
//   - Every mutation holds `mu_`; load() holds it for the whole module, so
//     two threads loading the same module get the same ModuleTypes.
//
// Structural types on a cycle that passes through no struct (a List whose
// element type is that List) cannot be keyed by their components before they
// exist; such a type gets a descriptor of its module's own, not interned
// (module_types.cpp). Every other structural type is interned.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "runatime/heap.hpp"
#include "runatime/module.hpp"
#include "runatime/result.hpp"
#include "types/module_types.hpp"
#include "types/symbols.hpp"
#include "types/type_desc.hpp"

namespace runa::types {

class TypeRegistry {
 public:
  // Struct instances get heap layouts registered with `heap`, which must
  // outlive the registry.
  explicit TypeRegistry(heap::Heap& heap);
  TypeRegistry(const TypeRegistry&) = delete;
  TypeRegistry& operator=(const TypeRegistry&) = delete;
  TypeRegistry(TypeRegistry&&) = delete;
  TypeRegistry& operator=(TypeRegistry&&) = delete;
  ~TypeRegistry();

  // kNothing .. kTuple: the primitives and the built-in Set and Tuple.
  [[nodiscard]] const TypeDesc* primitive(Kind k) const;

  const TypeDesc* list_of(const TypeDesc* element);
  const TypeDesc* map_of(const TypeDesc* key, const TypeDesc* value);
  const TypeDesc* optional_of(const TypeDesc* base);
  const TypeDesc* union_of(std::span<const TypeDesc* const> members);
  const TypeDesc* function_of(std::span<const TypeDesc* const> params, const TypeDesc* result);

  // The descriptors of a verified module (module::verify accepted it; a
  // module it would reject may give an error or wrong descriptors). The
  // same module, loaded again, gives the same ModuleTypes.
  Result<const ModuleTypes*> load(const module::Module& m);
  // The runtime's own types (library 0's: the exceptions of
  // exceptions.hpp), loaded once before any other module: an External type
  // of a later module whose name is one of them and whose layout is empty
  // is that descriptor, so `CATCH_BEGIN TypeError` catches what the runtime
  // throws. Never collects.
  Result<const ModuleTypes*> load_runtime(const module::Module& m);
  // The runtime's type of that name, or nullptr.
  [[nodiscard]] const TypeDesc* runtime_type(std::string_view name) const {
    return runtime_ == nullptr ? nullptr : runtime_->type(name);
  }

  [[nodiscard]] Symbols& symbols() { return symbols_; }
  [[nodiscard]] heap::Heap& heap() const { return heap_; }
  [[nodiscard]] std::uint32_t count() const;                            // descriptors made
  [[nodiscard]] const TypeDesc* by_serial(std::uint32_t serial) const;  // 1 .. count()

 private:
  friend class ModuleBuilder;  // module_types.cpp builds under mu_

  using Key = std::tuple<Kind, std::vector<const TypeDesc*>, const TypeDesc*>;

  TypeDesc* make(Kind kind, std::string name);  // mu_ held
  const TypeDesc* intern(Kind kind, std::vector<const TypeDesc*> args,
                         const TypeDesc* result);  // mu_ held
  static std::vector<const TypeDesc*> union_members(std::span<const TypeDesc* const> members);

  heap::Heap& heap_;
  Symbols symbols_;
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<TypeDesc>> all_;    // all_[serial - 1]
  std::array<const TypeDesc*, 9> primitives_{};  // by Kind, kNothing .. kTuple
  std::map<Key, const TypeDesc*> interned_;
  std::deque<std::unique_ptr<ModuleTypes>> modules_;
  std::unordered_multimap<std::uint64_t, const ModuleTypes*> modules_by_hash_;
  // Set once, by load_runtime before any other load; read without a lock.
  const ModuleTypes* runtime_ = nullptr;
};

}  // namespace runa::types
