// The methods CALL_METHOD finds on built-in types (docs/bytecode.md §2.5.6;
// the list and its rules are docs/types.md, "Methods of built-in types").
//
// Each is a native whose first argument is the receiver, so a tier calls
// it as it calls the native, with the receiver in slot 0: `s.length()` is
// `text_length(s)`. Lookup order at a call site: the module's own methods
// on the type (ModuleTypes::extension) first, then these.
//
// Invariants: built once from a filled Natives table and only read after,
// like it; every entry names a native of that table.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "bridge/natives.hpp"

namespace runa::bridge {

class BuiltinMethods {
 public:
  static constexpr std::size_t kCount = 10;  // methods, all types together

  // Binds the methods to their natives in `natives`, which must hold the
  // core natives (add_core_natives) and outlive this object.
  explicit BuiltinMethods(const Natives& natives);

  // The native serving method `name` on `receiver`'s built-in type, or
  // nullptr (the tier raises TypeError: no method of that name). Never
  // collects.
  [[nodiscard]] const Native* find(const types::TypeSystem& types, Value receiver,
                                   std::string_view name) const;

 private:
  enum class Receiver : char { kString = 's', kList = 'l', kDictionary = 'd', kNone = 0 };
  static Receiver kind_of(const types::TypeSystem& types, Value v);

  std::array<const Native*, kCount> natives_{};  // by the bindings' order (builtin_methods.cpp)
};

}  // namespace runa::bridge
