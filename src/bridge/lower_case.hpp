// Simple lowercase mapping of Unicode scalar values, for `text_lower`
// (docs/natives.md). Covered: ASCII, Latin-1, Latin Extended-A, Greek and
// Cyrillic capitals — the one-to-one mappings of UnicodeData.txt in those
// blocks; every other character maps to itself. No locale is consulted:
// the result is the same on every machine.
#pragma once

#include <cstdint>

namespace runa::bridge {

[[nodiscard]] std::uint32_t lower_case(std::uint32_t c);

}  // namespace runa::bridge
