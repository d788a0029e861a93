// The try-statement parser of the bytecode verifier (docs/bytecode.md
// §2.5.2, §3 item 8): recovers each try statement from the fixed layout
//   TRY_BEGIN C F  body TRY_END  (CATCH_BEGIN handler CATCH_END)*
//   (FINALLY_BEGIN block FINALLY_END)?
// checks that TRY_BEGIN's operands agree with it, and assigns every
// instruction its innermost region (body, handler, finally block), which
// decides where jumps may go and where UNWIND may appear.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "module/verify_code.hpp"

namespace runa::module {

struct TryStatement {
  std::uint32_t begin = kNone;         // TRY_BEGIN (instruction index)
  std::uint32_t first_clause = kNone;  // the first CATCH_BEGIN, kNone without clauses
  std::uint32_t finally = kNone;       // FINALLY_BEGIN, kNone without a finally block
  std::uint32_t end = kNone;           // the first instruction after the statement
                                       // (Decoded::size() when it ends the code)
};

struct Region {
  std::uint32_t parent = kNone;  // kNone for the function's top level (region 0)
  bool in_handler = false;       // this region or one enclosing it is a catch handler
};

struct TryLayout {
  std::vector<TryStatement> tries;
  std::vector<Region> regions;
  // Per instruction: its innermost region; kNone for CATCH_BEGIN and
  // FINALLY_BEGIN, which belong to none and so are never jump targets.
  std::vector<std::uint32_t> region;
  // Per instruction: for TRY_BEGIN .. FINALLY_END, the try statement they
  // belong to (index into tries); kNone for every other instruction.
  std::vector<std::uint32_t> owner;
  // Per CATCH_BEGIN: its clause's CATCH_END (index); kNone elsewhere.
  std::vector<std::uint32_t> clause_end;
};

// Parses `code` into `out` (whose buffers are reused). Rejects misplaced
// markers, unclosed statements, operands that disagree with the layout,
// statements with neither a clause nor a finally block, and UNWIND outside
// every catch handler.
std::optional<Fault> parse_tries(const Decoded& code, TryLayout& out);

}  // namespace runa::module
