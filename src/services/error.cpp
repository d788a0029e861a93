// Error::describe — the one-line form of an error that every tool prints.
#include <cstdio>

#include "runatime/result.hpp"

namespace runa {

std::string Error::describe() const {
  std::string s = section;
  if (line) {
    s += ":" + std::to_string(*line);
    if (column) s += ":" + std::to_string(*column);
  }
  if (function) s += ": function " + std::to_string(*function);
  if (offset) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ": byte 0x%llx", static_cast<unsigned long long>(*offset));
    s += buf;
  }
  s += ": ";
  s += message;
  return s;
}

}  // namespace runa
