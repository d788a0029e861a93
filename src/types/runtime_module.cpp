#include "types/runtime_module.hpp"

#include <string>

namespace runa::types {

namespace {

// The fields a type has: its supertype's, then its own.
std::string fields_of(std::string_view name) {
  for (const RuntimeType& t : kRuntimeTypes) {
    if (t.name != name) continue;
    std::string inherited = t.super.empty() ? std::string() : fields_of(t.super);
    if (!inherited.empty() && !t.fields.empty()) inherited += ' ';
    return inherited + std::string(t.fields);
  }
  return {};
}

std::string text() {
  std::string types = ".type 1 primitive String\n.type 2 primitive Any\n";
  std::string supers;
  std::uint32_t id = 3;
  for (const RuntimeType& t : kRuntimeTypes) {
    types += ".type " + std::to_string(id++) + " struct " + std::string(t.name) + "\n";
    const std::string fields = fields_of(t.name);
    for (std::size_t at = 0; at < fields.size();) {
      const std::size_t space = fields.find(' ', at);
      const std::size_t end = fields.find(' ', space + 1);
      types += "  .field " + fields.substr(at, space - at) + " type " +
               fields.substr(space + 1, end == std::string::npos ? end : end - space - 1) + "\n";
      at = end == std::string::npos ? fields.size() : end + 1;
    }
    if (t.super.empty()) continue;
    supers += (supers.empty() ? "" : ", ") + std::string(t.name) + " " + std::string(t.super);
  }
  return ".meta supertypes " + supers + "\n" + types;
}

}  // namespace

Result<const ModuleTypes*> load_runtime_module(TypeRegistry& registry) {
  auto m = module::assemble(text(), "<runtime types>");
  if (!m) return m.error();
  return registry.load_runtime(*m);
}

}  // namespace runa::types
