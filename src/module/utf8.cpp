// UTF-8 validation (see utf8.hpp), following the well-formed byte sequences
// of the Unicode standard (table 3-7). Most strings in a module are ASCII
// names, so runs of ASCII are skipped eight bytes at a time.
#include "module/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace runa::module {

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p < end) {
    if (end - p >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, p, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char b = *p;
    if (b < 0x80) {
      ++p;
      continue;
    }
    // The lead byte fixes the length and the range the second byte may take;
    // the narrowed ranges are what exclude overlong forms, surrogates and
    // code points above U+10FFFF.
    int extra = 0;
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
      return false;  // continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (end - p <= extra) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= extra; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    }
    p += 1 + extra;
  }
  return true;
}

}  // namespace runa::module
