// UTF-8 validation (see utf8.hpp), following the well-formed byte sequences
// of the Unicode standard (table 3-7). Most strings in a module are ASCII
// names, so runs of ASCII are skipped eight bytes at a time.
#include "module/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace runa::module {

std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  const std::size_t left = s.size() - i;
  const unsigned char b = *p;
  if (b < 0x80) return 1;
  // The lead byte fixes the length and the range the second byte may take;
  // the narrowed ranges are what exclude overlong forms, surrogates and
  // code points above U+10FFFF.
  std::size_t extra = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    extra = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    extra = 2;
    if (b == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (b == 0xED) hi = 0x9F;  // surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    extra = 3;
    if (b == 0xF0) lo = 0x90;  // overlong below U+10000
    if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (left <= extra) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (std::size_t k = 2; k <= extra; ++k) {
    if (p[k] < 0x80 || p[k] > 0xBF) return 0;
  }
  return 1 + extra;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s.size() - i >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, s.data() + i, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t decode_utf8(const std::uint8_t* p, std::uint32_t& c) {
  const std::uint8_t b = p[0];
  if (b < 0x80) {
    c = b;
    return 1;
  }
  if (b < 0xE0) {
    c = ((b & 0x1FU) << 6) | (p[1] & 0x3FU);
    return 2;
  }
  if (b < 0xF0) {
    c = ((b & 0x0FU) << 12) | ((p[1] & 0x3FU) << 6) | (p[2] & 0x3FU);
    return 3;
  }
  c = ((b & 0x07U) << 18) | ((p[1] & 0x3FU) << 12) | ((p[2] & 0x3FU) << 6) | (p[3] & 0x3FU);
  return 4;
}

std::size_t encode_utf8(std::uint32_t c, std::uint8_t* out) {
  if (c < 0x80) {
    out[0] = static_cast<std::uint8_t>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<std::uint8_t>(0xC0 | (c >> 6));
    out[1] = static_cast<std::uint8_t>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<std::uint8_t>(0xE0 | (c >> 12));
    out[1] = static_cast<std::uint8_t>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<std::uint8_t>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<std::uint8_t>(0xF0 | (c >> 18));
  out[1] = static_cast<std::uint8_t>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<std::uint8_t>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<std::uint8_t>(0x80 | (c & 0x3F));
  return 4;
}

}  // namespace runa::module
