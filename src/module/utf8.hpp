// UTF-8 validation for every string the verifier sees (docs/bytecode.md §1).
#pragma once

#include <cstddef>
#include <string_view>

namespace runa::module {

// True when `s` is well-formed UTF-8: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool valid_utf8(std::string_view s);

// Length of the well-formed UTF-8 sequence starting at s[i] (1 for ASCII),
// or 0 if none starts there. i < s.size().
std::size_t utf8_sequence(std::string_view s, std::size_t i);

}  // namespace runa::module
