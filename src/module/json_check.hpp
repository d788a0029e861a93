// Well-formedness of the JSON metadata entries (compilation options,
// security requirements; docs/bytecode.md §2.6).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace runa::module {

// Containers may nest this deep; deeper text is rejected, so that no later
// consumer (a recursive parser in a tool or tier) can be driven into stack
// exhaustion by a module that the verifier accepted.
inline constexpr std::size_t kJsonMaxDepth = 256;

// nullopt when `text` is one well-formed RFC 8259 JSON text in UTF-8;
// otherwise what is wrong and at which byte.
std::optional<std::string> check_json(std::string_view text);

}  // namespace runa::module
