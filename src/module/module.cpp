// Module equality and the hex helpers of bytes.hpp.
#include <bit>

#include "module/bytes.hpp"
#include "runatime/module.hpp"

namespace runa {

std::string hex(std::uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kDigits[v & 0xF];
  return s;
}

std::string hex_bytes(std::span<const std::uint8_t> bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) s += hex(b, 2);
  return s;
}

namespace module {

// Decimals compare by bit pattern: a NaN constant equals itself, and -0.0
// differs from 0.0, exactly as the bytes in the file do.
bool operator==(const Constant& a, const Constant& b) {
  return a.kind == b.kind && a.integer == b.integer &&
         std::bit_cast<std::uint64_t>(a.decimal) == std::bit_cast<std::uint64_t>(b.decimal) &&
         a.boolean == b.boolean && a.text == b.text && a.items == b.items && a.ref == b.ref;
}

bool operator==(const Module& a, const Module& b) {
  return a.header == b.header && a.constants == b.constants && a.types == b.types &&
         a.functions == b.functions && a.code == b.code && a.metadata == b.metadata &&
         a.debug == b.debug;
}

}  // namespace module
}  // namespace runa
