// The tokens of the `.runas` text form (docs/bytecode.md, "Lexical rules").
//
// The lexer turns the whole text into tokens, each with its 1-based line and
// column, and a kNewline token at the end of every non-empty line, since the
// grammar is line-oriented. It decides only what a token looks like: a number
// keeps its spelling so that the parser can read it as the integer, float,
// version or hash that the context expects, and reports a malformed one where
// it is used. Strings are decoded here (escapes to bytes), so a bad escape is
// reported at its own column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/result.hpp"

namespace runa::module::text {

enum class Tok : std::uint8_t {
  kIdent,       // [A-Za-z_][A-Za-z0-9_.$]*
  kDirective,   // .name; text is the name without the dot
  kNumber,      // starts with a digit or a sign and a digit; text is the spelling
  kString,      // "..."; text is the decoded bytes
  kConstIndex,  // #N; text is the digits
  kOffset,      // @HHHH; text is the hex digits
  kColon,
  kComma,
  kPipe,
  kStar,
  kNewline,
  kEnd,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// A name for the kind of token, for "expected X, found Y" messages.
std::string describe(const Token& t);

// Tokens of `source`, ending with kEnd. Errors carry `file_name` as section.
Result<std::vector<Token>> lex(std::string_view source, std::string_view file_name);

}  // namespace runa::module::text
