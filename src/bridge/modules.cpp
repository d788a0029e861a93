#include "bridge/modules.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace runa::bridge {

Error load_error(const std::string& where, std::string message) {
  Error e;
  e.section = where;
  e.message = std::move(message);
  return e;
}

namespace {

bool is_module_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool is_method(const module::Function& f) {
  return (f.flags & module::kFnMethod) != 0;
}

}  // namespace

std::int64_t LoadedModule::function(std::string_view wanted) const {
  for (std::size_t i = 0; i < module.functions.size(); ++i) {
    const module::Function& f = module.functions[i];
    if (f.name == wanted && !is_method(f)) return static_cast<std::int64_t>(i);
  }
  return -1;
}

Modules::Modules(types::TypeSystem& types, const Natives& natives, std::vector<std::string> search)
    : types_(types), natives_(natives), search_(std::move(search)) {}

Result<const LoadedModule*> Modules::load_file(const std::string& path) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) {
    return load_error("file", path + ": cannot open: " + std::strerror(errno));
  }
  const std::string canonical = resolved;
  std::lock_guard lock(mu_);
  if (auto it = by_path_.find(canonical); it != by_path_.end()) return it->second.get();
  auto m = module::load_file(path);
  if (!m) return m.error();
  auto loaded = make(canonical, std::move(*m));
  if (!loaded) {
    Error e = loaded.error();
    e.section = path + ": " + e.section;
    return e;
  }
  const LoadedModule* result = loaded->get();
  by_path_.emplace(canonical, std::move(*loaded));
  return result;
}

Result<const LoadedModule*> Modules::load_name(std::string_view name) {
  if (!is_module_name(name)) {
    return load_error("module path", "\"" + std::string(name) +
                                         "\" is not a module name (letters, digits, '_' and "
                                         "'.'; no directories)");
  }
  std::string searched;
  for (const std::string& dir : search_) {
    for (const char* ext : {".runab", ".runas"}) {
      const std::filesystem::path candidate =
          std::filesystem::path(dir) / (std::string(name) + ext);
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec)) return load_file(candidate.string());
    }
    searched += (searched.empty() ? "" : ", ") + dir;
  }
  return load_error("module path", "no module \"" + std::string(name) + "\" in " +
                                       (searched.empty() ? "an empty module path" : searched));
}

Result<std::unique_ptr<LoadedModule>> Modules::make(const std::string& canonical,
                                                    module::Module m) {
  auto verified = module::verify(m);
  if (!verified) {
    Error e = verified.error();
    e.message = "the module does not verify: " + e.message;
    return e;
  }
  auto out = std::make_unique<LoadedModule>();
  out->name = std::filesystem::path(canonical).stem().string();
  out->path = canonical;
  out->facts = std::move(*verified);
  out->constant_natives.assign(m.constants.size(), nullptr);
  for (std::size_t i = 0; i < m.constants.size(); ++i) {
    const module::Constant& c = m.constants[i];
    if (c.kind != module::ConstKind::kExternal || c.ref != 0) continue;
    const Native* n = natives_.find(c.text);
    if (n == nullptr) {
      return load_error("constants", "constant " + std::to_string(i) + " names the native \"" +
                                         c.text + "\", which RunaTime does not have");
    }
    out->constant_natives[i] = n;
  }
  out->function_natives.assign(m.functions.size(), nullptr);
  for (std::size_t i = 0; i < m.functions.size(); ++i) {
    const module::Function& f = m.functions[i];
    if ((f.flags & module::kFnNative) != 0) {
      const Native* n = natives_.find(f.name);
      if (n == nullptr) {
        return load_error("functions",
                          "NATIVE function " + f.name + " names no native RunaTime has");
      }
      out->function_natives[i] = n;
    }
    if (is_method(f)) continue;
    if (f.name == "__init__" && !f.params.empty()) {
      return load_error("functions", "function __init__ takes " + std::to_string(f.params.size()) +
                                         " parameters: a module initializer takes none");
    }
    if (f.name == "main" && f.params.size() > 1) {
      return load_error("functions", "function main takes " + std::to_string(f.params.size()) +
                                         " parameters: main takes none or one (the List of "
                                         "the program's arguments)");
    }
  }
  auto types = types_.registry().load(m);
  if (!types) return types.error();
  out->types = *types;
  out->module = std::move(m);
  return out;
}

}  // namespace runa::bridge
