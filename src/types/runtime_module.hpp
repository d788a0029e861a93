// The runtime's own module: the struct types of library 0 that programs
// name as External types (docs/types.md, "Exceptions" and "Result"),
// declared once here in a table, built in memory from it (assembling it as
// text cost three times as much on every runtime's start-up) and loaded
// into a registry before any program module (TypeRegistry::load_runtime).
//
// Each type is a struct; a subtype repeats its supertype's fields first
// (docs/bytecode.md §2.6), so the table below lists every type's own
// fields and the text adds the inherited ones.
#pragma once

#include <array>
#include <string_view>

#include "runatime/result.hpp"
#include "types/type_registry.hpp"

namespace runa::types {

struct RuntimeType {
  std::string_view name;
  std::string_view super;   // empty for a root
  std::string_view fields;  // its own, "name Type" separated by spaces in pairs
};

// Supertypes before their subtypes.
inline constexpr std::array<RuntimeType, 19> kRuntimeTypes = {{
    {"Exception", "", "message String cause Any trace Any"},
    {"ArithmeticError", "Exception", ""},
    {"OverflowError", "ArithmeticError", ""},
    {"DivisionByZero", "ArithmeticError", ""},
    {"TypeError", "Exception", ""},
    {"IndexError", "Exception", ""},
    {"KeyError", "Exception", ""},
    {"ValueError", "Exception", ""},
    {"StackOverflow", "Exception", ""},
    {"OutOfMemory", "Exception", ""},
    {"NotAvailable", "Exception", ""},
    {"ImportError", "Exception", ""},
    {"PermissionError", "Exception", ""},
    {"IOError", "Exception", ""},
    {"Cancelled", "Exception", ""},
    {"Timeout", "Exception", ""},
    {"Result", "", ""},
    {"Ok", "Result", "value Any"},
    {"Err", "Result", "error Any"},
}};

// The module the table describes: a verified module (tested), not yet loaded.
module::Module runtime_module();

// Loads the runtime's module into `registry` (once, before any other
// module). Never collects.
Result<const ModuleTypes*> load_runtime_module(TypeRegistry& registry);

}  // namespace runa::types
