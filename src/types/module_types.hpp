// ModuleTypes: the descriptors of one loaded module, by the module's own
// type ids and names, and its methods.
//
// A method whose receiver is a struct of the module sits in that struct's
// vtable. A method whose receiver is any other type (a primitive, a List
// type...) extends a type the module does not own; such methods are kept
// here, per module, so that two modules may each give Integer a method of
// the same name without seeing each other's (docs/types.md, "Methods").
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runatime/module.hpp"
#include "types/type_desc.hpp"

namespace runa::types {

struct ModuleTypes {
  module::Module module;   // a copy: methods name its functions
  std::uint64_t hash = 0;  // of the module's bytes (module::write)

  std::unordered_map<std::uint32_t, const TypeDesc*> by_id;  // the module's type ids
  std::unordered_map<std::string, const TypeDesc*> by_name;  // the module's type names
  std::deque<MethodDesc> methods;                            // every METHOD function
  // Methods on types the module does not own: key (owner serial << 32) | selector.
  std::unordered_map<std::uint64_t, const MethodDesc*> extensions;

  [[nodiscard]] const TypeDesc* type(std::string_view name) const {
    auto it = by_name.find(std::string(name));
    return it == by_name.end() ? nullptr : it->second;
  }
  [[nodiscard]] const MethodDesc* extension(const TypeDesc* owner, std::uint32_t selector) const {
    auto it = extensions.find((std::uint64_t{owner->serial} << 32) | selector);
    return it == extensions.end() ? nullptr : it->second;
  }
};

}  // namespace runa::types
