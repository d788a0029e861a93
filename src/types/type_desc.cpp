#include "types/type_desc.hpp"

#include <algorithm>

namespace runa::types {

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kNothing:
      return "Nothing";
    case Kind::kBoolean:
      return "Boolean";
    case Kind::kInteger:
      return "Integer";
    case Kind::kFloat:
      return "Float";
    case Kind::kCharacter:
      return "Character";
    case Kind::kString:
      return "String";
    case Kind::kAny:
      return "Any";
    case Kind::kSet:
      return "Set";
    case Kind::kTuple:
      return "Tuple";
    case Kind::kStruct:
      return "Struct";
    case Kind::kList:
      return "List";
    case Kind::kMap:
      return "Dictionary";
    case Kind::kOptional:
      return "Optional";
    case Kind::kUnion:
      return "Union";
    case Kind::kFunction:
      return "Function";
    case Kind::kExternal:
      return "External";
  }
  return "?";
}

const FieldDesc* TypeDesc::field(std::string_view field_name) const {
  auto it = std::find_if(fields.begin(), fields.end(),
                         [&](const FieldDesc& f) { return f.name == field_name; });
  return it == fields.end() ? nullptr : &*it;
}

namespace {

// Whether `nothing` is a value of t.
bool admits_nothing(const TypeDesc* t) {
  switch (t->kind) {
    case Kind::kNothing:
    case Kind::kAny:
    case Kind::kOptional:
      return true;
    case Kind::kUnion:
      return std::any_of(t->args.begin(), t->args.end(), admits_nothing);
    default:
      return false;
  }
}

}  // namespace

bool is_subtype(const TypeDesc* s, const TypeDesc* t) {
  if (s == t || t->kind == Kind::kAny) return true;
  // An Optional on the left is the union of Nothing and its base.
  if (s->kind == Kind::kOptional) return admits_nothing(t) && is_subtype(s->args[0], t);
  // A Union on the left: every value of s is of one of its members.
  if (s->kind == Kind::kUnion) {
    return std::all_of(s->args.begin(), s->args.end(),
                       [&](const TypeDesc* m) { return is_subtype(m, t); });
  }
  switch (t->kind) {
    case Kind::kStruct:
      return s->kind == Kind::kStruct && is_struct_subtype(s, t);
    case Kind::kOptional:
      return s->kind == Kind::kNothing || is_subtype(s, t->args[0]);
    case Kind::kUnion:
      return std::any_of(t->args.begin(), t->args.end(),
                         [&](const TypeDesc* m) { return is_subtype(s, m); });
    // §2.5.5: element types are not checked; a function type is matched by
    // its arity.
    case Kind::kList:
    case Kind::kMap:
      return s->kind == t->kind;
    case Kind::kFunction:
      return s->kind == Kind::kFunction && s->args.size() == t->args.size();
    default:
      return false;
  }
}

}  // namespace runa::types
