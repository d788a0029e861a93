// The invariants the fuzz targets check, shared with the regression test
// (regression_test.cpp) that replays fuzz/regressions/ and fuzz/corpus/ in
// every build. Each check runs one input through the module API and returns
// a description of the first broken invariant, or nothing when all hold.
// "Broken" never means "the input is invalid": invalid input must simply be
// rejected with a clear error (a section and a message), never crash.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace runa::fuzz {

// Binary input: read → verify. A module the verifier accepts must write back
// to the same bytes and survive disassemble → assemble unchanged; a module
// the reader accepts must write back to the same bytes and disassemble.
std::optional<std::string> check_read_verify(std::span<const std::uint8_t> bytes);

// Text input: assemble. A module that assembles must disassemble; if it
// also verifies, it must survive write → read and disassemble → assemble
// unchanged.
std::optional<std::string> check_assemble(std::string_view text);

}  // namespace runa::fuzz
