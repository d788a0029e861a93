#include "types/runtime_module.hpp"

#include <string>
#include <utility>

namespace runa::types {

namespace {

constexpr std::uint32_t kString = 1;  // the module's type ids
constexpr std::uint32_t kAny = 2;
constexpr std::uint32_t kFirstStruct = 3;

std::uint32_t id_of(std::string_view name) {
  for (std::uint32_t i = 0; i < kRuntimeTypes.size(); ++i) {
    if (kRuntimeTypes[i].name == name) return kFirstStruct + i;
  }
  return 0;  // not reached: the table names only its own types
}

// The fields a type has: its supertype's, then its own ("name Type" pairs).
void add_fields(const RuntimeType& t, module::TypeDef& def) {
  if (!t.super.empty()) add_fields(kRuntimeTypes[id_of(t.super) - kFirstStruct], def);
  std::string_view rest = t.fields;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view name = rest.substr(0, space);
    rest.remove_prefix(space + 1);
    const std::size_t end = rest.find(' ');
    const std::string_view type = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    module::Field f;
    f.name = std::string(name);
    f.type = type == "String" ? kString : kAny;
    f.offset = static_cast<std::uint32_t>(8 * def.fields.size());  // the assembler's default
    def.fields.push_back(std::move(f));
  }
}

void put_u32(module::Bytes& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

}  // namespace

module::Module runtime_module() {
  module::Module m;
  module::TypeDef string;
  string.id = kString;
  string.name = "String";
  module::TypeDef any;
  any.id = kAny;
  any.name = "Any";
  m.types = {string, any};
  module::MetadataEntry supers;
  supers.type = module::kMetaSupertypes;
  std::uint32_t pairs = 0;
  for (const RuntimeType& t : kRuntimeTypes) {
    module::TypeDef def;
    def.id = id_of(t.name);
    def.kind = module::TypeKind::kStruct;
    def.name = std::string(t.name);
    add_fields(t, def);
    m.types.push_back(std::move(def));
    if (!t.super.empty()) ++pairs;
  }
  put_u32(supers.data, pairs);
  for (const RuntimeType& t : kRuntimeTypes) {
    if (t.super.empty()) continue;
    put_u32(supers.data, id_of(t.name));
    put_u32(supers.data, id_of(t.super));
  }
  m.metadata.push_back(std::move(supers));
  return m;
}

Result<const ModuleTypes*> load_runtime_module(TypeRegistry& registry) {
  return registry.load_runtime(runtime_module());
}

}  // namespace runa::types
