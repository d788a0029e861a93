// Argument parsing, file access and module loading for the `runa` command.
#include "cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace runa::cli {

Args parse(std::span<char*> argv, std::span<const std::string_view> known, bool takes_output) {
  Args a;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string_view s = argv[i];
    if (s == "-h" || s == "--help") {
      a.help = true;
    } else if (takes_output && s == "-o") {
      if (i + 1 == argv.size()) {
        a.error = "-o needs a file name";
        return a;
      }
      a.output = argv[++i];
    } else if (s.size() > 1 && s[0] == '-') {
      if (std::find(known.begin(), known.end(), s) == known.end()) {
        a.error = "unknown option '" + std::string(s) + "'";
        return a;
      }
      a.flags.push_back(s);
    } else {
      a.operands.push_back(s);
    }
  }
  return a;
}

bool has(const Args& a, std::string_view flag) {
  return std::find(a.flags.begin(), a.flags.end(), flag) != a.flags.end();
}

int usage_error(std::string_view cmd, std::string_view message) {
  std::fprintf(stderr, "runa %.*s: %.*s\n(see 'runa %.*s --help')\n", static_cast<int>(cmd.size()),
               cmd.data(), static_cast<int>(message.size()), message.data(),
               static_cast<int>(cmd.size()), cmd.data());
  return kUsage;
}

int input_error(std::string_view cmd, std::string_view message) {
  std::fprintf(stderr, "runa %.*s: %.*s\n", static_cast<int>(cmd.size()), cmd.data(),
               static_cast<int>(message.size()), message.data());
  return kBadInput;
}

bool write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes,
                       std::string& error) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) {
    error = path + ": cannot create a temporary file beside it: " + std::strerror(errno);
    return false;
  }
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": cannot write: " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // mkstemp creates 0600; a module is an ordinary file.
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0 ||
      std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = path + ": cannot finish writing: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace runa::cli
