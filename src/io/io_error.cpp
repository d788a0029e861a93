// io_error: see io_error.hpp.
#include "io/io_error.hpp"

#include <cstring>

namespace runa::io {

Error io_error(const std::string& what, int err) {
  Error e;
  e.section = "event loop";
  e.message = what + ": " + std::strerror(err);
  return e;
}

}  // namespace runa::io
