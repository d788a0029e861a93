// Modules from files: the bytes of a file, and a module from either of its
// two forms (module.hpp, load_file). Errors name the file and the system's
// reason, so a person can act on them.
//
// read_file uses open/fstat/read, not std::ifstream: a stream's first use
// builds the C++ classic locale (some thirty facets, the wide ctype tables),
// which was a tenth of `runa run` hello world's start-up for nothing a
// module's bytes need (docs/engine.md, "Start-up").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_error(path, "cannot open");
  // The size is a hint (a pipe or /proc file says 0, a growing file more):
  // reading goes on to end of file, growing the buffer as it fills.
  struct stat st {};
  const std::size_t hint =
      ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<std::size_t>(st.st_size) : 0;
  Bytes bytes(hint + 1);
  std::size_t got = 0;
  for (;;) {
    if (got == bytes.size()) bytes.resize(2 * bytes.size());
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      errno = saved;
      return file_error(path, "cannot read");
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  bytes.resize(got);
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
