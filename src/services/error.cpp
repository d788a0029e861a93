// Error::describe — the one-line form of an error that every tool prints.
#include <array>
#include <charconv>

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
    std::array<char, 20> digits{};
    auto end = std::to_chars(digits.data(), digits.data() + digits.size(), *offset, 16).ptr;
    s += ": byte 0x";
    s.append(digits.data(), end);
  }
  s += ": ";
  s += message;
  return s;
}

}  // namespace runa
