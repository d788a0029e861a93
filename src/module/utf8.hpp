// UTF-8 validation for every string the verifier sees (docs/bytecode.md §1).
#pragma once

#include <string_view>

namespace runa::module {

// True when `s` is well-formed UTF-8: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool valid_utf8(std::string_view s);

}  // namespace runa::module
