// TypeDesc: what RunaTime knows about one type at run time.
//
// A descriptor is made once and never changes after its registry publishes
// it, so any thread may read it without a lock. Descriptors live as long as
// their TypeRegistry; pointers to them are the types' identities (two
// descriptors are the same type exactly when they are the same object).
//
// Three families:
//   - built-in primitives (Integer, Float, Boolean, Character, String,
//     Nothing, Any) and the built-in Set and Tuple: one each per registry;
//   - structural types (List, Map, Optional, Union, Function): interned by
//     their components, so `List[Integer]` is made once whatever module
//     names it, and differs from `List[String]`;
//   - nominal types (Struct, External): one per (module, type); loading the
//     same module again gives the same descriptors (module_types.hpp).
//
// Structs use single inheritance (docs/bytecode.md §2.6: a subtype's fields
// start with its supertype's). Every field is one value word, in declaration
// order, inherited fields first, so field i is at slot i in the type and all
// its subtypes, and a tier's field access needs no per-type offset
// (docs/types.md, "Object layout and field order"). The subtype test is a
// Cohen display: `display` lists the ancestors from the root down to the
// type itself, so "S is a subtype of T" is one bounds check and one load;
// its first eight entries are also kept inline (`primary`), so that for a
// T less than eight deep the test is one load and one compare.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "runatime/types.hpp"

namespace runa::types {

struct ModuleTypes;
struct TypeDesc;

// The kinds are the public API's (runatime/types.hpp), value for value.
using Kind = rt::TypeKind;

[[nodiscard]] const char* kind_name(Kind k);

struct FieldDesc {
  std::string name;
  const TypeDesc* type = nullptr;
  const TypeDesc* owner = nullptr;  // the struct that declared it (a supertype for inherited ones)
  std::uint32_t slot = 0;           // value-word index after the object header
  std::uint8_t flags = 0;           // module::FieldFlag
};

// A method as the module declares it: the function `function` of `module`.
// The execution bridge binds it to an entry it can call.
struct MethodDesc {
  std::uint32_t selector = 0;  // the interned name (Symbols)
  std::string name;
  const TypeDesc* owner = nullptr;
  const ModuleTypes* module = nullptr;
  std::uint32_t function = 0;  // index into the module's function section
  bool constructor = false;
};

// One vtable slot: a method as found on a receiver type. Caches that must
// read the type, the selector and the method in one load point at a binding.
struct Binding {
  const TypeDesc* receiver = nullptr;
  std::uint32_t selector = 0;
  const MethodDesc* method = nullptr;
};

struct TypeDesc {
  Kind kind = Kind::kAny;
  std::string name;
  std::uint32_t serial = 0;             // registry-unique, dense from 1: tables may index by it
  const ModuleTypes* module = nullptr;  // nominal types: where declared

  // kList {element}; kMap {key, value}; kOptional {base}; kUnion: members
  // (sorted by serial, no duplicates); kFunction: parameter types.
  std::vector<const TypeDesc*> args;
  const TypeDesc* result = nullptr;  // kFunction

  // kStruct.
  const TypeDesc* super = nullptr;
  std::uint32_t depth = 0;               // 0 for a root struct
  std::vector<const TypeDesc*> display;  // ancestors, root first; display[depth] == this
  // display's first kPrimary entries, inline and null-padded, so that the
  // subtype test against a shallow type reads no vector (HotSpot's primary
  // supers): primary[d] is the ancestor at depth d, or nullptr.
  static constexpr std::uint32_t kPrimary = 8;
  const TypeDesc* primary[kPrimary] = {};
  std::vector<FieldDesc> fields;  // inherited first; fields[i].slot == i
  std::vector<Binding> vtable;    // inherited slots first; overrides replace
  std::unordered_map<std::uint32_t, std::uint32_t> slots_by_selector;  // selector -> vtable index
  std::uint32_t heap_layout = 0;  // the heap's type index for instances

  std::vector<std::uint8_t> external_layout;  // kExternal: opaque to RunaTime

  // The method `selector` names on this struct, inherited ones included;
  // nullptr when there is none (or for other kinds).
  [[nodiscard]] const MethodDesc* method(std::uint32_t selector) const {
    auto it = slots_by_selector.find(selector);
    return it == slots_by_selector.end() ? nullptr : vtable[it->second].method;
  }
  [[nodiscard]] const FieldDesc* field(std::string_view field_name) const;
};

// "Every instance of s is an instance of t" for struct types: constant time.
[[nodiscard]] inline bool is_struct_subtype(const TypeDesc* s, const TypeDesc* t) {
  if (t->depth < TypeDesc::kPrimary) return s->primary[t->depth] == t;
  return t->depth < s->display.size() && s->display[t->depth] == t;
}

// The type relation of docs/bytecode.md §2.5.5 between two descriptors:
// t is Any, s itself, a supertype of a struct s, an Optional whose base s is
// a subtype of (or s is Nothing), a Union with a member s is a subtype of, or
// a Union s all of whose members are subtypes of t.
[[nodiscard]] bool is_subtype(const TypeDesc* s, const TypeDesc* t);

}  // namespace runa::types
