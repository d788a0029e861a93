// Modules: loading, verifying and linking the modules of one runtime
// (docs/bridge.md, "Modules").
//
// A module is loaded from a file (`.runas` assembled, anything else read as
// `.runab`) or by name through the module path, verified (a module that
// fails is refused with the verifier's message), given its type
// descriptors, and linked: every External reference of library 0 — a
// constant or a NATIVE function — is bound to a native by name, and a name
// no native has is an error naming the constant or function. References to
// other libraries (INVOKE_FFI's) stay unbound until the system issue. The
// entry points are checked as docs/bytecode.md §2.4 and §2.6 define them:
// `main` takes no parameter or one, `__init__` none.
//
// Invariants:
//   - A file is loaded once per runtime: the same file by another spelling
//     of its path (or through the module path) gives the same LoadedModule,
//     which lives as long as the Modules object and never changes.
//   - Loading holds one lock for the whole load, so two threads loading the
//     same file get one module. It allocates nothing on the heap and never
//     polls: a mutator that may block here (another is loading) enters a
//     native region first, so a collection never waits for it.
//   - Running the initializer is the bridge's (a tier runs it); this part
//     only finds it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/natives.hpp"
#include "runatime/module.hpp"
#include "runatime/result.hpp"
#include "types/type_system.hpp"

namespace runa::bridge {

struct LoadedModule {
  std::string name;  // the file name without its extension
  std::string path;  // canonical
  module::Module module;
  module::Verified facts;
  const types::ModuleTypes* types = nullptr;
  // Per constant index: the native an External constant of library 0
  // names; nullptr for every other constant.
  std::vector<const Native*> constant_natives;
  // Per function index: the native a NATIVE function is bound to, or nullptr.
  std::vector<const Native*> function_natives;

  // The index of the non-method function `name`, or -1.
  [[nodiscard]] std::int64_t function(std::string_view name) const;
};

// An error of loading `where` (a file, "module path", a section).
Error load_error(const std::string& where, std::string message);

class Modules {
 public:
  // `search` is the module path, searched in order by load_name. The type
  // system and natives must outlive this object.
  Modules(types::TypeSystem& types, const Natives& natives, std::vector<std::string> search);

  Result<const LoadedModule*> load_file(const std::string& path);
  // `name` through the module path: NAME.runab, then NAME.runas, in each
  // directory in order. A name is letters, digits, '_' and '.' (no path).
  Result<const LoadedModule*> load_name(std::string_view name);

 private:
  Result<std::unique_ptr<LoadedModule>> make(const std::string& canonical, module::Module m);

  types::TypeSystem& types_;
  const Natives& natives_;
  std::vector<std::string> search_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<LoadedModule>> by_path_;
};

}  // namespace runa::bridge
