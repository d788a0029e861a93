// Reflection: fields of struct instances by name, for tools, natives and
// the C ABI (docs/types.md, "Reflection"). Types, fields and methods are
// enumerated from the descriptors themselves (TypeRegistry::by_serial,
// TypeDesc::fields, TypeDesc::vtable).
//
// The rules a program cannot bypass hold here too: PRIVATE fields are not
// visible (reflection is outside every module), READONLY fields are never
// stored (only a constructor may, and it uses STORE_FIELD), and a stored
// value must be of the field's declared type. Errors name the type, the
// field and what is wrong, in the section "reflection".
#pragma once

#include <string_view>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "types/type_system.hpp"

namespace runa::types {

// The value of field `name` of the struct instance `object`. Never collects.
Result<Value> get_field(const TypeSystem& ts, Value object, std::string_view name);
// Stores the value in `value` into field `name` of the instance in
// `object`. Never collects.
Result<bool> set_field(const TypeSystem& ts, heap::Mutator& m, const heap::Handle& object,
                       std::string_view name, const heap::Handle& value);

}  // namespace runa::types
