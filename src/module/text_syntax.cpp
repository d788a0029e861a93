// Shared spelling of the `.runas` text form (see text_syntax.hpp).
#include "module/text_syntax.hpp"

#include "module/bytes.hpp"
#include "module/utf8.hpp"

namespace runa::module::text {
namespace {

// Every word the grammar gives a meaning where a name could also stand.
// A name equal to one of them (in any case) is always written quoted.
constexpr std::string_view kKeywords[] = {
    "bool",       "end",      "extern",    "external", "false",   "flags", "float",
    "float_bits", "function", "hash",      "hex",      "int",     "key",   "layout",
    "list",       "local",    "map",       "none",     "null",    "of",    "offset",
    "optional",   "params",   "primitive", "returns",  "scope",   "slot",  "struct",
    "text",       "true",     "type",      "union",    "upvalue", "value",
};

}  // namespace

bool same_word(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  for (char c : s) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '.' && c != '$') return false;
  }
  return true;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        out += "\\0";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (c >= 0x20 && c < 0x7F) {
          out += static_cast<char>(c);
        } else if (const std::size_t n = c >= 0x80 ? utf8_sequence(s, i) : 0; n != 0) {
          out += s.substr(i, n);
          i += n;
          continue;
        } else {
          out += "\\x" + hex(c, 2);
        }
    }
    ++i;
  }
  return out + "\"";
}

std::string name(std::string_view s) {
  if (!is_identifier(s)) return quote(s);
  for (std::string_view k : kKeywords) {
    if (same_word(s, k)) return quote(s);
  }
  return std::string(s);
}

std::string flags(std::uint32_t value, std::span<const FlagName> names) {
  std::string out;
  for (const FlagName& f : names) {
    if ((value & f.bit) == 0) continue;
    out += (out.empty() ? "" : "|") + std::string(f.name);
    value &= ~f.bit;
  }
  if (value != 0) {
    int digits = 1;
    while (digits < 8 && (value >> (4 * digits)) != 0) ++digits;
    out += (out.empty() ? "0x" : "|0x") + hex(value, digits);
  }
  return out.empty() ? "0" : out;
}

std::string hash(const Hash& h) {
  return hex_bytes(h);
}

}  // namespace runa::module::text
