// The verifier's checks of the sections after the code (docs/bytecode.md
// §2.6, §2.7, §3 items 10 and 11); verify.cpp runs them.
#pragma once

#include <optional>
#include <vector>

#include "module/verify_code.hpp"
#include "runatime/module.hpp"

namespace runa::module {

// Known metadata entries: well-formed, at most one of each type; the
// supertypes and globals entries as §2.6 says. Sets index.globals.
// Needs index.types.
std::optional<Error> verify_metadata(const Module& m, ModuleIndex& index);

// The debug information, present exactly when the header says so. `starts`
// marks the first byte of every instruction in Module::code and `facts`
// holds each function's frame size.
std::optional<Error> verify_debug(const Module& m, const ModuleIndex& index, const Verified& facts,
                                  const std::vector<bool>& starts);

}  // namespace runa::module
