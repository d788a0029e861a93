// UTF-8 validation for every string the verifier sees (docs/bytecode.md §1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace runa::module {

// True when `s` is well-formed UTF-8: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool valid_utf8(std::string_view s);

// Length of the well-formed UTF-8 sequence starting at s[i] (1 for ASCII),
// or 0 if none starts there. i < s.size().
std::size_t utf8_sequence(std::string_view s, std::size_t i);

// Reads the scalar value of the well-formed sequence at p into c and
// returns the sequence's length (1 to 4). The input must be valid UTF-8
// (valid_utf8 said so, or the runtime made it): nothing is checked.
std::size_t decode_utf8(const std::uint8_t* p, std::uint32_t& c);

// Writes the UTF-8 encoding of the Unicode scalar value c to out (room for
// 4 bytes) and returns its length.
std::size_t encode_utf8(std::uint32_t c, std::uint8_t* out);

}  // namespace runa::module
