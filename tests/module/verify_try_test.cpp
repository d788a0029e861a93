// The verifier's exception checks (docs/bytecode.md §2.5.2, §3 item 8):
// try-statement layout and nesting, TRY_BEGIN's operands, regions and jumps,
// UNWIND, and the stack heights at a statement's markers.
#include <gtest/gtest.h>

#include "module_builder.hpp"

namespace runa::verify_test {
namespace {

constexpr std::uint32_t kAbsent = 0xFFFFFFFF;
constexpr std::uint16_t kAny = 0xFFFF;

// Writes one try statement into `c`, filling in TRY_BEGIN's operands from
// where the parts turn out to be; statements nest by writing one inside a
// part of another.
class Try {
 public:
  explicit Try(Code& c) : c_(c), begin_(c.pc()) { c.op(Op::kTryBegin).u32(kAbsent).u32(kAbsent); }
  Try& end_body() {
    c_.op(Op::kTryEnd);
    return *this;
  }
  Try& clause(std::uint16_t type) {
    if (!clauses_) c_.patch(begin_ + 1, c_.pc());
    clauses_ = true;
    c_.op(Op::kCatchBegin).u16(type);
    return *this;
  }
  Try& end_clause() {
    c_.op(Op::kCatchEnd);
    return *this;
  }
  Try& finally() {
    c_.patch(begin_ + 5, c_.pc());
    c_.op(Op::kFinallyBegin);
    return *this;
  }
  Try& end_finally() {
    c_.op(Op::kFinallyEnd);
    return *this;
  }
  [[nodiscard]] std::uint32_t begin() const { return begin_; }

 private:
  Code& c_;
  std::uint32_t begin_;
  bool clauses_ = false;
};

Module with_main(const Code& code) {
  ModuleBuilder b;
  b.main(code);
  return b.build();
}

// try { 7; pop } catch Point { pop } catch * { pop } finally { } return 7
Code full_try() {
  Code c;
  Try t(c);
  c.op(Op::kPushConst).u16(kConst7).op(Op::kPop);  // 9
  t.end_body();                                    // 13
  t.clause(kConstPoint);                           // 14
  c.op(Op::kPop);
  t.end_clause();
  t.clause(kAny);  // 19
  c.op(Op::kPop);
  t.end_clause();
  t.finally();  // 24
  t.end_finally();
  c.ret();  // 26
  return c;
}

TEST(VerifyTry, CatchClausesAndFinally) {
  auto r = module::verify(with_main(full_try()));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->functions[0].max_stack, 1U);
}

TEST(VerifyTry, CatchOnlyAndFinallyOnly) {
  Code catch_only;
  Try a(catch_only);
  a.end_body().clause(kAny);
  catch_only.op(Op::kPop);
  a.end_clause();
  catch_only.ret();
  EXPECT_TRUE(accepts(with_main(catch_only)));

  Code finally_only;
  Try b(finally_only);
  b.end_body().finally().end_finally();
  finally_only.ret();
  EXPECT_TRUE(accepts(with_main(finally_only)));
}

TEST(VerifyTry, NestedInBodyHandlerAndFinally) {
  Code c;
  c.op(Op::kPushConst).u16(kConst7);  // the statements begin at height 1
  Try outer(c);
  {
    Try inner(c);  // in the body
    inner.end_body().finally().end_finally();
  }
  outer.end_body().clause(kAny);
  {
    Try inner(c);  // in the handler, with the exception still on the stack
    inner.end_body().clause(kAny);
    c.op(Op::kPop);
    inner.end_clause();
  }
  c.op(Op::kPop);
  outer.end_clause().finally();
  {
    Try inner(c);  // in the finally block
    c.op(Op::kPushConst).u16(kConst7);
    c.op(Op::kReturn);  // a RETURN inside leaves the rest unreachable
    inner.end_body().clause(kConstPoint);
    c.op(Op::kReturn);
    inner.end_clause();
  }
  outer.end_finally();
  c.op(Op::kReturn);
  auto r = module::verify(with_main(c));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->functions[0].max_stack, 3U);  // 7, the outer and the inner exception
}

TEST(VerifyTry, BodyAndHandlerMayReturn) {
  // TRY_END and CATCH_END are unreachable, so nothing follows the statement.
  Code c;
  Try t(c);
  c.ret();
  t.end_body().clause(kAny);
  c.op(Op::kReturn);
  t.end_clause();
  EXPECT_TRUE(accepts(with_main(c)));
}

TEST(VerifyTry, CatchTargetIsTheFirstClause) {
  Code c = full_try();
  c.patch(1, 19);
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 0 (TRY_BEGIN): the catch target is 19, but its first CATCH_BEGIN is "
                      "at pc 14"));
  c.patch(1, kAbsent);
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U, "the catch target is none, but its first"));

  Code no_clause;
  Try t(no_clause);
  t.end_body().finally().end_finally();
  no_clause.ret();
  no_clause.patch(1, 3);
  EXPECT_TRUE(rejects(with_main(no_clause), "bytecode", 1U,
                      "the catch target is 3, but the statement has no catch clause (expected "
                      "none)"));
}

TEST(VerifyTry, FinallyTargetIsTheFinallyBlock) {
  Code c = full_try();
  c.patch(5, 25);
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "(TRY_BEGIN): the finally target is 25, but its FINALLY_BEGIN is at pc 24"));
  c.patch(5, kAbsent);
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U, "the finally target is none, but"));
}

TEST(VerifyTry, NeedsAClauseOrAFinallyBlock) {
  Code c;
  Try t(c);
  t.end_body();
  c.ret();
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 0 (TRY_BEGIN): the try statement has neither a catch clause nor a "
                      "finally block"));
}

TEST(VerifyTry, MissingEnds) {
  Code body;
  Try a(body);
  body.ret();
  EXPECT_TRUE(rejects(with_main(body), "bytecode", 1U,
                      "at pc 0 (TRY_BEGIN): the try body has no TRY_END before the end"));

  Code no_try_end;
  Try b(no_try_end);
  no_try_end.op(Op::kNop);
  b.clause(kAny);
  no_try_end.op(Op::kReturn).op(Op::kCatchEnd);
  EXPECT_TRUE(rejects(with_main(no_try_end), "bytecode", 1U,
                      "at pc 10 (CATCH_BEGIN): CATCH_BEGIN must come right after the TRY_END or a "
                      "CATCH_END of its try statement, but it is inside the try body opened at "
                      "pc 0"));

  Code handler;
  Try d(handler);
  d.end_body().clause(kAny);
  handler.op(Op::kReturn);
  EXPECT_TRUE(rejects(with_main(handler), "bytecode", 1U,
                      "at pc 10 (CATCH_BEGIN): the catch handler has no CATCH_END"));

  Code finally;
  Try e(finally);
  e.end_body().finally();
  finally.ret();
  EXPECT_TRUE(rejects(with_main(finally), "bytecode", 1U,
                      "at pc 10 (FINALLY_BEGIN): the finally block has no FINALLY_END"));
}

TEST(VerifyTry, MisplacedMarkers) {
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kTryEnd)), "bytecode", 1U,
                      "at pc 0 (TRY_END): TRY_END must end a try body, but it is in no try "
                      "statement"));
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kCatchBegin).u16(kAny).op(Op::kReturn)), "bytecode",
                      1U, "CATCH_BEGIN must come right after"));
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kFinallyBegin).ret()), "bytecode", 1U,
                      "FINALLY_BEGIN must come right after"));

  Code catch_end_in_body;
  Try a(catch_end_in_body);
  catch_end_in_body.op(Op::kCatchEnd);
  EXPECT_TRUE(rejects(with_main(catch_end_in_body), "bytecode", 1U,
                      "at pc 9 (CATCH_END): CATCH_END must end a catch handler, but it is inside "
                      "the try body opened at pc 0"));

  Code finally_end_in_handler;
  Try b(finally_end_in_handler);
  b.end_body().clause(kAny);
  finally_end_in_handler.op(Op::kFinallyEnd);
  EXPECT_TRUE(rejects(with_main(finally_end_in_handler), "bytecode", 1U,
                      "(FINALLY_END): FINALLY_END must end a finally block, but it is inside the "
                      "catch handler opened at pc 10"));

  // A clause after the finally block belongs to no statement.
  Code late_clause;
  Try d(late_clause);
  d.end_body().finally().end_finally();
  late_clause.op(Op::kCatchBegin).u16(kAny).op(Op::kReturn).op(Op::kCatchEnd);
  EXPECT_TRUE(rejects(with_main(late_clause), "bytecode", 1U,
                      "at pc 12 (CATCH_BEGIN): CATCH_BEGIN must come right after"));
}

TEST(VerifyTry, CatchTypeIsATypeReference) {
  Code c;
  Try t(c);
  t.end_body().clause(kConst7);
  c.op(Op::kPop);
  t.end_clause();
  c.ret();
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 10 (CATCH_BEGIN): constant #0 must be a Type reference (or 0xFFFF for "
                      "any exception)"));
}

// ---- regions ----

TEST(VerifyTry, BreakThroughTryEndAndCatchEnd) {
  // In the body: jump to TRY_END; in the handler: jump to CATCH_END.
  Code c;
  Try t(c);
  c.op(Op::kPushConst).u16(kConstTrue).op(Op::kJumpIfTrue).u32(19);  // 9, 12
  c.op(Op::kNop).op(Op::kNop);                                       // 17, 18
  t.end_body();                                                      // 19
  t.clause(kAny);                                                    // 20
  c.op(Op::kPop).op(Op::kJump).u32(29);                              // 23, 24
  t.end_clause();                                                    // 29
  c.ret();
  EXPECT_TRUE(accepts(with_main(c)));
}

TEST(VerifyTry, LoopAroundATryStatement) {
  Code c;
  Try t(c);  // 0
  t.end_body().finally().end_finally();
  c.op(Op::kPushConst).u16(kConstTrue).op(Op::kJumpIfTrue).u32(0);  // 12: back to TRY_BEGIN
  c.ret();
  EXPECT_TRUE(accepts(with_main(c)));
}

TEST(VerifyTry, JumpOutOfAHandler) {
  Code c;
  Try t(c);
  t.end_body().clause(kAny);             // 9, 10
  c.op(Op::kPop).op(Op::kJump).u32(20);  // 13, 14
  t.end_clause();                        // 19
  c.ret();                               // 20
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 14 (JUMP): branch target 20 is outside the branch's innermost "
                      "region"));
}

TEST(VerifyTry, JumpIntoABody) {
  Code c;
  c.op(Op::kJump).u32(14);  // 0
  Try t(c);                 // 5
  c.op(Op::kNop);           // 14
  t.end_body().finally().end_finally();
  c.ret();
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 0 (JUMP): branch target 14 is outside the branch's innermost region"));
}

TEST(VerifyTry, JumpOutOfANestedBody) {
  // From the inner body straight to the outer TRY_END skips the inner TRY_END.
  Code c;
  Try outer(c);                              // 0
  Try inner(c);                              // 9
  c.op(Op::kJump).u32(25);                   // 18
  inner.end_body().finally().end_finally();  // 23, 24, 25
  outer.end_body().finally().end_finally();  // 26, 27, 28
  c.ret();
  c.patch(19, 26);
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 18 (JUMP): branch target 26 is outside the branch's innermost"));
}

TEST(VerifyTry, CatchAndFinallyBeginAreNeverJumpTargets) {
  Code c;
  Try t(c);
  c.op(Op::kJump).u32(15);  // 9
  t.end_body();             // 14
  t.clause(kAny);           // 15
  c.op(Op::kPop);
  t.end_clause();
  c.ret();
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 9 (JUMP): branch target 15 is a CATCH_BEGIN, which control reaches "
                      "only from its try statement"));
}

TEST(VerifyTry, UnwindOnlyInACatchHandler) {
  Code ok;
  Try a(ok);
  a.end_body().clause(kAny);
  {
    Try inner(ok);  // a body nested in the handler is still inside it
    ok.op(Op::kUnwind);
    inner.end_body().finally().end_finally();
  }
  ok.op(Op::kUnwind);
  a.end_clause();
  ok.ret();
  EXPECT_TRUE(accepts(with_main(ok)));

  Code in_body;
  Try b(in_body);
  in_body.op(Op::kUnwind);
  b.end_body().clause(kAny);
  in_body.op(Op::kUnwind);
  b.end_clause();
  in_body.ret();
  EXPECT_TRUE(rejects(with_main(in_body), "bytecode", 1U,
                      "at pc 9 (UNWIND): UNWIND outside every catch handler"));

  Code in_finally;
  Try d(in_finally);
  d.end_body().finally();
  in_finally.op(Op::kUnwind);
  d.end_finally();
  in_finally.ret();
  EXPECT_TRUE(rejects(with_main(in_finally), "bytecode", 1U, "(UNWIND): UNWIND outside every"));

  EXPECT_TRUE(rejects(with_main(Code().op(Op::kUnwind)), "bytecode", 1U,
                      "at pc 0 (UNWIND): UNWIND outside every catch handler"));
}

// ---- heights ----

TEST(VerifyTry, BodyEndsAtTheStatementsHeight) {
  Code c;
  Try t(c);
  c.op(Op::kPushConst).u16(kConst7);
  t.end_body().finally().end_finally();
  c.ret();
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 12 (TRY_END): the stack holds 1 values here, but the try statement "
                      "at pc 0 began with 0"));
}

TEST(VerifyTry, HandlerEndsAtTheStatementsHeight) {
  Code c;
  Try t(c);
  t.end_body().clause(kAny);  // the exception is left on the stack
  t.end_clause();
  c.ret();
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 13 (CATCH_END): the stack holds 1 values here, but the try statement "
                      "at pc 0 began with 0"));
}

TEST(VerifyTry, FinallyBlockEndsAtTheStatementsHeight) {
  Code c;
  Try t(c);
  t.end_body().finally();
  c.op(Op::kPushConst).u16(kConst7);
  t.end_finally();
  c.ret();
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 14 (FINALLY_END): the stack holds 1 values here"));
}

TEST(VerifyTry, StatementAtTheEndOfTheCodeFallsOff) {
  Code c;
  Try t(c);
  t.end_body().finally().end_finally();
  EXPECT_TRUE(rejects(with_main(c), "bytecode", 1U,
                      "at pc 11 (FINALLY_END): control falls off the end of the code"));
  Code d;
  Try u(d);
  u.end_body().clause(kAny);
  d.op(Op::kPop);
  u.end_clause();
  EXPECT_TRUE(rejects(with_main(d), "bytecode", 1U, "control falls off the end of the code"));
}

}  // namespace
}  // namespace runa::verify_test
