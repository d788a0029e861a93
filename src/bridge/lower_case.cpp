// lower_case.hpp's mappings: the per-Character table and the ASCII bulk form.
#include "bridge/lower_case.hpp"

#include <cstring>

namespace runa::bridge {

namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// Bit 7 of each byte of w (eight ASCII bytes) that is A..Z. The sums stay
// within their bytes (0x7F + 0x3F < 0x100): a byte is at least 'A' (0x41)
// when adding 0x3F sets its bit 7, and above 'Z' (0x5A) when adding 0x25
// does.
std::uint64_t upper_bits(std::uint64_t w) {
  const std::uint64_t at_least_a = (w + 0x3F3F3F3F3F3F3F3FULL) & kHighBits;
  const std::uint64_t above_z = (w + 0x2525252525252525ULL) & kHighBits;
  return at_least_a & ~above_z;
}

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

}  // namespace

bool has_ascii_upper(std::string_view ascii) {
  std::uint64_t upper = 0;
  std::size_t i = 0;
  for (; i + 8 <= ascii.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, ascii.data() + i, sizeof w);
    upper |= upper_bits(w);
  }
  for (; i < ascii.size(); ++i) upper |= is_upper(ascii[i]) ? 1 : 0;
  return upper != 0;
}

void lower_ascii(std::string_view ascii, std::uint8_t* out) {
  std::size_t i = 0;
  for (; i + 8 <= ascii.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, ascii.data() + i, sizeof w);
    w |= upper_bits(w) >> 2;  // bit 7 to bit 5: 'A' + 0x20 is 'a'
    std::memcpy(out + i, &w, sizeof w);
  }
  for (; i < ascii.size(); ++i) {
    const char c = ascii[i];
    out[i] = static_cast<std::uint8_t>(is_upper(c) ? c + ('a' - 'A') : c);
  }
}

std::uint32_t lower_case(std::uint32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
  // Latin-1: À..Þ except the multiplication sign ×.
  if (c >= 0xC0 && c <= 0xDE) return c == 0xD7 ? c : c + 0x20;
  // Latin Extended-A: capital and small alternate, capitals even from
  // Ā (U+0100) to Ķ (U+0136) and from Ŋ (U+014A) to Ŷ (U+0176); capitals
  // odd from Ĺ (U+0139) to Ň (U+0147) and from Ź (U+0179) to Ž (U+017D).
  // İ (U+0130) lowercases to i; Ÿ (U+0178) to ÿ.
  if (c == 0x130) return 'i';
  if (c == 0x178) return 0xFF;
  if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c | 1;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) != 0 ? c + 1 : c;
  // Greek: Α..Ω (U+0391..U+03A9, U+03A2 unassigned), and the accented
  // capitals Ά (U+0386), Έ..Ί (U+0388..U+038A), Ό (U+038C), Ύ Ώ (U+038E, U+038F).
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 0x25;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 0x3F;
  // Cyrillic: Ѐ..Џ (U+0400..U+040F) to ѐ..џ, А..Я (U+0410..U+042F) to а..я.
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  return c;
}

}  // namespace runa::bridge
