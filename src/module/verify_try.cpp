// The try-statement parser (see verify_try.hpp).
//
// One left-to-right scan with a stack of the statements still open,
// innermost last; nesting needs no recursion, so depth costs only memory
// proportional to the code. Each open statement is in one part: its body,
// just after its body or a clause (where only CATCH_BEGIN or FINALLY_BEGIN
// may continue it; anything else ends it), a handler, or its finally block.
#include "module/verify_try.hpp"

#include <string>

namespace runa::module {
namespace {

using bytecode::Op;

enum class Part : std::uint8_t { kBody, kAfterBody, kHandler, kAfterClause, kFinally };

struct Open {
  std::uint32_t statement = 0;  // index into TryLayout::tries
  Part part = Part::kBody;
  std::uint32_t region = 0;     // the region of the current part (body, handler, finally)
  std::uint32_t opened = 0;     // the instruction that opened the current part
  std::uint32_t enclosing = 0;  // the region TRY_BEGIN is in
};

class Parser {
 public:
  Parser(const Decoded& code, TryLayout& out) : code_(code), out_(out) {}

  std::optional<Fault> run() {
    const std::uint32_t n = code_.size();
    out_.tries.clear();
    out_.regions.assign(1, Region{});
    out_.region.assign(n, 0);
    out_.owner.assign(n, kNone);
    out_.clause_end.assign(n, kNone);
    for (std::uint32_t i = 0; i <= n; ++i) {
      const bool more = i < n;
      const Op op = more ? code_.ins[i].op : Op::kNop;
      if (!open_.empty() && between_parts(open_.back()) &&
          !(more && (op == Op::kCatchBegin || op == Op::kFinallyBegin))) {
        if (auto f = close(i)) return f;
      }
      if (!more) break;
      if (auto f = step(i, op)) return f;
    }
    if (open_.empty()) return std::nullopt;
    const Open& o = open_.back();
    switch (o.part) {
      case Part::kBody:
        return Fault{o.opened, "the try body has no TRY_END before the end of the code"};
      case Part::kHandler:
        return Fault{o.opened, "the catch handler has no CATCH_END before the end of the code"};
      default:
        return Fault{o.opened, "the finally block has no FINALLY_END before the end of the code"};
    }
  }

 private:
  static bool between_parts(const Open& o) {
    return o.part == Part::kAfterBody || o.part == Part::kAfterClause;
  }

  [[nodiscard]] std::uint32_t current() const { return open_.empty() ? 0 : open_.back().region; }

  std::uint32_t new_region(std::uint32_t parent, bool handler) {
    out_.regions.push_back({parent, handler || out_.regions[parent].in_handler});
    return static_cast<std::uint32_t>(out_.regions.size() - 1);
  }

  [[nodiscard]] std::string pc(std::uint32_t i) const {
    return "pc " + std::to_string(code_.pc(i));
  }

  [[nodiscard]] std::string innermost() const {
    if (open_.empty()) return "it is in no try statement";
    const Open& o = open_.back();
    switch (o.part) {
      case Part::kBody:
        return "it is inside the try body opened at " + pc(o.opened);
      case Part::kHandler:
        return "it is inside the catch handler opened at " + pc(o.opened);
      default:
        return "it is inside the finally block opened at " + pc(o.opened);
    }
  }

  std::optional<Fault> step(std::uint32_t i, Op op) {
    switch (op) {
      case Op::kTryBegin: {
        const std::uint32_t enclosing = current();
        const auto t = static_cast<std::uint32_t>(out_.tries.size());
        out_.tries.push_back({.begin = i});
        out_.region[i] = enclosing;
        out_.owner[i] = t;
        open_.push_back({t, Part::kBody, new_region(enclosing, false), i, enclosing});
        return std::nullopt;
      }
      case Op::kTryEnd:
        if (open_.empty() || open_.back().part != Part::kBody) {
          return Fault{i, "TRY_END must end a try body, but " + innermost()};
        }
        mark(i, open_.back().region);
        open_.back().part = Part::kAfterBody;
        return std::nullopt;
      case Op::kCatchEnd:
        if (open_.empty() || open_.back().part != Part::kHandler) {
          return Fault{i, "CATCH_END must end a catch handler, but " + innermost()};
        }
        mark(i, open_.back().region);
        out_.clause_end[open_.back().opened] = i;
        open_.back().part = Part::kAfterClause;
        return std::nullopt;
      case Op::kFinallyEnd:
        if (open_.empty() || open_.back().part != Part::kFinally) {
          return Fault{i, "FINALLY_END must end a finally block, but " + innermost()};
        }
        mark(i, open_.back().region);
        return close(i + 1);
      case Op::kCatchBegin:
      case Op::kFinallyBegin: {
        const bool clause = op == Op::kCatchBegin;
        if (open_.empty() || !between_parts(open_.back())) {
          return Fault{i, std::string(clause ? "CATCH_BEGIN" : "FINALLY_BEGIN") +
                              " must come right after the TRY_END or a CATCH_END of its try "
                              "statement, but " +
                              innermost()};
        }
        Open& o = open_.back();
        mark(i, kNone);
        TryStatement& t = out_.tries[o.statement];
        if (clause) {
          if (t.first_clause == kNone) t.first_clause = i;
        } else {
          t.finally = i;
        }
        o.part = clause ? Part::kHandler : Part::kFinally;
        o.region = new_region(o.enclosing, clause);
        o.opened = i;
        return std::nullopt;
      }
      case Op::kUnwind:
        out_.region[i] = current();
        if (!out_.regions[current()].in_handler) {
          return Fault{i,
                       "UNWIND outside every catch handler (it rethrows the exception a "
                       "handler caught)"};
        }
        return std::nullopt;
      default:
        out_.region[i] = current();
        return std::nullopt;
    }
  }

  void mark(std::uint32_t i, std::uint32_t region) {
    out_.region[i] = region;
    out_.owner[i] = open_.back().statement;
  }

  // Ends the innermost statement before instruction `end` and checks
  // TRY_BEGIN's operands against the layout found.
  std::optional<Fault> close(std::uint32_t end) {
    TryStatement& t = out_.tries[open_.back().statement];
    open_.pop_back();
    t.end = end;
    const bytecode::Instruction& b = code_.ins[t.begin];
    if (t.first_clause == kNone && t.finally == kNone) {
      return Fault{t.begin, "the try statement has neither a catch clause nor a finally block"};
    }
    if (auto f =
            agree(t.begin, "catch", b.a, t.first_clause, "catch clause", "its first CATCH_BEGIN")) {
      return f;
    }
    return agree(t.begin, "finally", b.b, t.finally, "finally block", "its FINALLY_BEGIN");
  }

  // TRY_BEGIN's `target` operand must be the offset of `found`, or none
  // when the statement has no such part.
  std::optional<Fault> agree(std::uint32_t at, const char* target, std::uint32_t operand,
                             std::uint32_t found, const char* part, const char* marker) const {
    const std::uint32_t want = found == kNone ? kNone : code_.pc(found);
    if (operand == want) return std::nullopt;
    std::string m = std::string("the ") + target + " target is " +
                    (operand == kNone ? "none" : std::to_string(operand)) + ", but ";
    m += found == kNone ? std::string("the statement has no ") + part + " (expected none)"
                        : std::string(marker) + " is at " + pc(found);
    return Fault{at, std::move(m)};
  }

  const Decoded& code_;
  TryLayout& out_;
  std::vector<Open> open_;
};

}  // namespace

std::optional<Fault> parse_tries(const Decoded& code, TryLayout& out) {
  return Parser(code, out).run();
}

}  // namespace runa::module
