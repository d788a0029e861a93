// Modules from files: the bytes of a file, and a module from either of its
// two forms (module.hpp, load_file). Errors name the file and the system's
// reason, so a person can act on them.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "runatime/module.hpp"

namespace runa::module {

namespace {

Error file_error(const std::string& path, const char* what) {
  Error e;
  e.section = "file";
  e.message = path + ": " + what + ": " + std::strerror(errno);
  return e;
}

}  // namespace

Result<Bytes> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_error(path, "cannot open");
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return file_error(path, "cannot read");
  return bytes;
}

Result<Module> load_file(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  const bool text = path.size() >= 6 && path.compare(path.size() - 6, 6, ".runas") == 0;
  if (text) {
    std::string_view source(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    return assemble(source, path);
  }
  Result<Module> m = read(*bytes);
  if (!m.ok()) {
    Error e = m.error();
    e.section = path + ": " + e.section;
    return e;
  }
  return m;
}

}  // namespace runa::module
