#include "bridge/builtin_methods.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace runa::bridge {

namespace {

struct Binding {
  char receiver;  // BuiltinMethods::Receiver
  std::string_view method;
  std::string_view native;
};

// docs/types.md, "Methods of built-in types". Few enough that a scan, which
// allocates nothing, is the lookup.
constexpr std::array<Binding, BuiltinMethods::kCount> kBindings = {{
    {'s', "length", "text_length"},
    {'s', "lower", "text_lower"},
    {'s', "replace", "text_replace"},
    {'s', "split", "text_split"},
    {'l', "length", "list_length"},
    {'l', "append", "list_append"},
    {'d', "length", "map_length"},
    {'d', "contains", "map_contains"},
    {'d', "get", "map_get"},
    {'d', "get_or", "map_get_or"},
}};

}  // namespace

BuiltinMethods::BuiltinMethods(const Natives& natives) {
  for (std::size_t i = 0; i < kBindings.size(); ++i) {
    const Binding& b = kBindings[i];
    const Native* n = natives.find(b.native);
    if (n == nullptr) {
      std::fprintf(stderr, "runatime: built-in method %.*s needs the native %.*s\n",
                   static_cast<int>(b.method.size()), b.method.data(),
                   static_cast<int>(b.native.size()), b.native.data());
      std::abort();  // a table without the core natives: a bug in the caller
    }
    natives_[i] = n;
  }
}

BuiltinMethods::Receiver BuiltinMethods::kind_of(const types::TypeSystem& types, Value v) {
  if (types.strings().is_string(v)) return Receiver::kString;
  if (types.lists().is_list(v)) return Receiver::kList;
  if (types.dictionaries().is_dictionary(v)) return Receiver::kDictionary;
  return Receiver::kNone;
}

const Native* BuiltinMethods::find(const types::TypeSystem& types, Value receiver,
                                   std::string_view name) const {
  const Receiver r = kind_of(types, receiver);
  if (r == Receiver::kNone) return nullptr;
  for (std::size_t i = 0; i < kBindings.size(); ++i) {
    if (kBindings[i].receiver == static_cast<char>(r) && kBindings[i].method == name) {
      return natives_[i];
    }
  }
  return nullptr;
}

}  // namespace runa::bridge
