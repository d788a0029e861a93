// Simple lowercase mapping of Unicode scalar values, for `text_lower`
// (docs/natives.md). Covered: ASCII, Latin-1, Latin Extended-A, Greek and
// Cyrillic capitals — the one-to-one mappings of UnicodeData.txt in those
// blocks; every other character maps to itself. No locale is consulted:
// the result is the same on every machine. ASCII text also has a bulk
// form, eight bytes a step, for the common case of a String that is all
// ASCII.
#pragma once

#include <cstdint>
#include <string_view>

namespace runa::bridge {

[[nodiscard]] std::uint32_t lower_case(std::uint32_t c);

// ASCII text only (every byte below 0x80).
// Whether it holds a capital A..Z (lower-casing would change it).
[[nodiscard]] bool has_ascii_upper(std::string_view ascii);
// Writes it lower-cased to out (room for ascii.size() bytes).
void lower_ascii(std::string_view ascii, std::uint8_t* out);

}  // namespace runa::bridge
