// Tier 0 on control: try statements with catch clauses and finally blocks
// and their pending completions (docs/bytecode.md §2.5.2), closures and
// their cells (§2.5.3), deep recursion and stack overflow, and the tier
// policy seeing hot functions.
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kErrors = R"(
.type 1 primitive Integer
.type 2 external TypeError layout hex ""
.type 3 external ArithmeticError layout hex ""
.type 4 external KeyError layout hex ""
)";

// The trace of what ran, a List the code appends to: local 0.
const std::string kLog = ".local log type Any slot 0 scope 0 end\nNEW_LIST 0\nSTORE_LOCAL log\n";
std::string note(std::string_view what) {
  return "PUSH_CONST extern \"list_append\"\nLOAD_LOCAL log\nPUSH_CONST \"" + std::string(what) +
         "\"\nCALL 2\nPOP\n";
}

TEST_F(Tier0Test, ACatchClauseMatchesBySubtype) {
  // DivisionByZero is an ArithmeticError: the first clause (KeyError) does
  // not match, the second does.
  const std::string code = kLog + "TRY_BEGIN clauses none\n" + note("body") +
                           "PUSH_CONST 1\nPUSH_CONST 0\nDIV\nPOP\nTRY_END\nclauses:\n"
                           "CATCH_BEGIN type KeyError\nPOP\n" +
                           note("key") +
                           "CATCH_END\n"
                           "CATCH_BEGIN type ArithmeticError\nPOP\n" +
                           note("arithmetic") + "CATCH_END\nLOAD_LOCAL log\nRETURN\nend:";
  EXPECT_EQ(eval(code, kErrors), "= [\"body\", \"arithmetic\"]");
}

TEST_F(Tier0Test, AnExceptionNoClauseMatchesPropagatesThroughFinally) {
  const std::string code = kLog + "TRY_BEGIN clauses fin\n" + note("body") +
                           "PUSH_CONST 1\nPUSH_CONST 0\nDIV\nPOP\nTRY_END\nclauses:\n"
                           "CATCH_BEGIN type KeyError\nPOP\n" +
                           note("key") +
                           "CATCH_END\n"
                           "fin:\nFINALLY_BEGIN\n" +
                           note("finally") +
                           "FINALLY_END\n"
                           "LOAD_LOCAL log\nRETURN\nend:";
  EXPECT_EQ(eval(code, kErrors), "! DivisionByZero: DIV: Integer 1 by zero");
}

TEST_F(Tier0Test, ReturnRunsTheFinallyBlocksFirst) {
  // Returns 1 from the body; the finally block runs and its note is seen.
  const std::string code = kLog +
                           "TRY_BEGIN none fin\nPUSH_CONST 1\nRETURN\nTRY_END\n"
                           "fin:\nFINALLY_BEGIN\n" +
                           note("finally") +
                           "FINALLY_END\n"
                           "PUSH_CONST 2\nRETURN\nend:";
  EXPECT_EQ(eval(code, kErrors), "= 1");
  // A RETURN inside the finally block replaces the pending return.
  const std::string replaced = kLog +
                               "TRY_BEGIN none fin\nPUSH_CONST 1\nRETURN\nTRY_END\n"
                               "fin:\nFINALLY_BEGIN\nPUSH_CONST 3\nRETURN\nFINALLY_END\n"
                               "PUSH_CONST 2\nRETURN\nend:";
  EXPECT_EQ(eval(replaced, kErrors), "= 3");
  // A RETURN through two finally blocks runs both, innermost first.
  const std::string nested = kLog +
                             "TRY_BEGIN none outer\nTRY_BEGIN none inner\n"
                             "LOAD_LOCAL log\nRETURN\nTRY_END\ninner:\nFINALLY_BEGIN\n" +
                             note("inner") + "FINALLY_END\nTRY_END\nouter:\nFINALLY_BEGIN\n" +
                             note("outer") + "FINALLY_END\nPUSH_CONST 0\nRETURN\nend:";
  EXPECT_EQ(eval(nested, kErrors), "= [\"inner\", \"outer\"]");
}

TEST_F(Tier0Test, AnExceptionInTheFinallyBlockReplacesThePendingOne) {
  const std::string code =
      "TRY_BEGIN none fin\nPUSH_CONST 1\nPUSH_CONST 0\nDIV\nPOP\nTRY_END\n"
      "fin:\nFINALLY_BEGIN\nNEW_MAP 0\nPUSH_CONST \"k\"\nGET_ITEM\nPOP\n"
      "FINALLY_END\nPUSH_CONST 0\nRETURN";
  EXPECT_EQ(eval(code, kErrors), "! KeyError: no key String \"k\"");
}

TEST_F(Tier0Test, UnwindRethrowsWhatTheClauseCaught) {
  const std::string code = kLog +
                           "TRY_BEGIN outer_clauses none\nTRY_BEGIN inner_clauses none\n"
                           "PUSH_CONST 1\nPUSH_CONST 0\nDIV\nPOP\nTRY_END\ninner_clauses:\n"
                           "CATCH_BEGIN *\nPOP\n" +
                           note("inner") +
                           "UNWIND\nCATCH_END\n"
                           "TRY_END\nouter_clauses:\nCATCH_BEGIN type ArithmeticError\n"
                           "PUSH_CONST extern \"list_append\"\nSWAP\nLOAD_LOCAL log\nSWAP\nCALL "
                           "2\nPOP\nCATCH_END\nLOAD_LOCAL log\nRETURN\nend:";
  const std::string out = eval(code, kErrors);
  EXPECT_EQ(out, "= [\"inner\", <DivisionByZero object>]");
}

TEST_F(Tier0Test, AnyValueCanBeThrownAndCaught) {
  EXPECT_EQ(eval("TRY_BEGIN clauses none\nPUSH_CONST \"oops\"\nTHROW\nTRY_END\nclauses:\n"
                 "CATCH_BEGIN *\nRETURN\nCATCH_END\nPUSH_CONST 0\nRETURN"),
            "= \"oops\"");
  EXPECT_EQ(eval("PUSH_CONST 5\nTHROW"), "! value 5");
}

TEST_F(Tier0Test, ExceptionsCrossFramesAndNatives) {
  constexpr std::string_view kRaise = R"(
.type 1 primitive Integer
.type 2 function "(Integer)->Integer" params Integer returns Integer
.type 3 external TypeError layout hex ""
.function 1 bad type "(Integer)->Integer"
  .param x type Integer
  PUSH_CONST extern "text_length"
  LOAD_LOCAL x
  CALL 1
  RETURN
.end
)";
  EXPECT_EQ(eval("TRY_BEGIN clauses none\nPUSH_CONST function bad\nPUSH_CONST 3\nCALL 1\n"
                 "RETURN\nTRY_END\nclauses:\nCATCH_BEGIN type TypeError\nPOP\nPUSH_CONST "
                 "\"caught\"\nRETURN\nCATCH_END\nPUSH_CONST 0\nRETURN",
                 kRaise),
            "= \"caught\"");
}

constexpr std::string_view kCounter = R"(
.type 1 primitive Integer
.type 2 function "()->Integer" params returns Integer
.function 1 step type "()->Integer" flags ANONYMOUS
  LOAD_UPVALUE 0
  PUSH_CONST 1
  ADD
  DUP
  STORE_UPVALUE 0
  RETURN
.end
.function 2 peek type "()->Integer" flags ANONYMOUS
  LOAD_UPVALUE 0
  RETURN
.end
; Never called: gives both functions their one upvalue (the verifier counts
; the captures of the CLOSUREs that make a function).
.function 3 keep type "()->Integer"
  .local x type Integer slot 0 scope 0 end
  CLOSURE step local x
  POP
  CLOSURE peek local x
  POP
  PUSH_CONST 0
  RETURN
end:
.end
)";

TEST_F(Tier0Test, ClosuresShareTheirCells) {
  // Two closures over one local: the counter's steps are seen by the
  // other closure and by the function that made them.
  const std::string code =
      ".local n type Integer slot 0 scope 0 end\n.local c type Any slot 1 scope 0 end\n"
      "PUSH_CONST 10\nSTORE_LOCAL n\nCLOSURE step local n\nSTORE_LOCAL c\n"
      "LOAD_LOCAL c\nCALL 0\nPOP\nLOAD_LOCAL c\nCALL 0\nPOP\n"
      "CLOSURE peek local n\nCALL 0\nLOAD_LOCAL n\nTEXT_CONCAT 2\nRETURN\nend:";
  EXPECT_EQ(eval(code, kCounter), "= \"1212\"");
  // LAMBDA copies: its own stores are its own.
  const std::string copy =
      ".local n type Integer slot 0 scope 0 end\n.local c type Any slot 1 scope 0 end\n"
      "PUSH_CONST 10\nSTORE_LOCAL n\nPUSH_CONST function step\nLAMBDA local n\nSTORE_LOCAL c\n"
      "LOAD_LOCAL c\nCALL 0\nPOP\nLOAD_LOCAL c\nCALL 0\nLOAD_LOCAL n\nTEXT_CONCAT 2\nRETURN\nend:";
  EXPECT_EQ(eval(copy, kCounter), "= \"1210\"");
  // Called bare through a local, where the verifier cannot see it.
  EXPECT_EQ(eval(".local f type Any slot 0 scope 0 end\nPUSH_CONST function step\nSTORE_LOCAL "
                 "f\nLOAD_LOCAL f\nCALL 0\nRETURN\nend:",
                 kCounter),
            "! TypeError: function step reads upvalues: call a closure of it");
}

TEST_F(Tier0Test, ALoopGivesEachIterationItsOwnCapturedVariable) {
  // for i in 0..2: closures.append(closure over `v`, declared in the body);
  // each closure sees its own iteration's v (docs/bytecode.md §2.5.3).
  const std::string code =
      ".local i type Integer slot 0 scope 0 end\n.local fs type Any slot 1 scope 0 end\n"
      ".local v type Integer slot 2 scope body next\n"
      "PUSH_CONST 0\nSTORE_LOCAL i\nNEW_LIST 0\nSTORE_LOCAL fs\n"
      "loop:\nLOAD_LOCAL i\nPUSH_CONST 3\nLT\nJUMP_IF_FALSE done\n"
      "body:\nLOAD_LOCAL i\nPUSH_CONST 100\nMUL\nSTORE_LOCAL v\n"
      "PUSH_CONST extern \"list_append\"\nLOAD_LOCAL fs\nCLOSURE peek local v\nCALL 2\nPOP\n"
      "next:\nLOAD_LOCAL i\nPUSH_CONST 1\nADD\nSTORE_LOCAL i\nJUMP loop\n"
      "done:\nLOAD_LOCAL fs\nPUSH_CONST 2\nGET_ITEM\nCALL 0\nLOAD_LOCAL fs\nPUSH_CONST 0\n"
      "GET_ITEM\nCALL 0\nTEXT_CONCAT 2\nRETURN\nend:";
  EXPECT_EQ(eval(code, kCounter), "= \"2000\"");
}

constexpr std::string_view kRecurse = R"(
.type 1 primitive Integer
.type 2 function "(Integer)->Integer" params Integer returns Integer
.type 3 external StackOverflow layout hex ""
.function 1 down type "(Integer)->Integer"
  .param n type Integer
  LOAD_LOCAL n
  PUSH_CONST 0
  EQ
  JUMP_IF_FALSE more
  PUSH_CONST 0
  RETURN
more:
  PUSH_CONST function down
  LOAD_LOCAL n
  PUSH_CONST 1
  SUB
  CALL 1
  PUSH_CONST 1
  ADD
  RETURN
.end
)";

TEST_F(Tier0Test, DeepRecursionWorksAndOverflowIsCatchable) {
  EXPECT_EQ(eval("PUSH_CONST function down\nPUSH_CONST 200000\nCALL 1\nRETURN", kRecurse),
            "= 200000");
  EXPECT_EQ(eval("TRY_BEGIN clauses none\nPUSH_CONST function down\nPUSH_CONST -1\nCALL "
                 "1\nRETURN\nTRY_END\nclauses:\nCATCH_BEGIN type StackOverflow\nPOP\nPUSH_CONST "
                 "\"overflow\"\nRETURN\nCATCH_END\nPUSH_CONST 0\nRETURN",
                 kRecurse),
            "= \"overflow\"");
  // The stack is whole again afterwards.
  EXPECT_EQ(eval("PUSH_CONST function down\nPUSH_CONST 1000\nCALL 1\nRETURN", kRecurse), "= 1000");
}

TEST_F(Tier0Test, TracesNameEveryFrame) {
  EXPECT_EQ(eval("PUSH_CONST function down\nPUSH_CONST 3\nCALL 1\nPUSH_CONST \"x\"\nADD\nRETURN",
                 kRecurse),
            "! TypeError: ADD cannot take Integer 3 and String \"x\"");
  auto m = runtime_->load(*t_, file("trace", std::string(kRecurse) + R"(
.type 9 function "()->Integer" params returns Integer
.function 9 main type "()->Integer"
  PUSH_CONST function down
  PUSH_CONST null
  CALL 1
  RETURN
.end
)"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(runtime_->run_main(*t_, **m), -1);
  char* text = nullptr;
  std::size_t size = 0;
  std::FILE* f = open_memstream(&text, &size);
  runtime_->report_uncaught(*t_, f);
  std::fclose(f);
  EXPECT_EQ(std::string(text, size),
            "uncaught TypeError: SUB cannot take Nothing nothing and Integer 1\n"
            "    at down\n    at main\n");
  std::free(text);
}

TEST_F(Tier0Test, ThePolicyHearsOfHotFunctions) {
  auto m = runtime_->load(*t_, file("hot", std::string(kRecurse) + R"(
.type 9 function "()->Integer" params returns Integer
.function 9 main type "()->Integer"
  PUSH_CONST function down
  PUSH_CONST 5000
  CALL 1
  RETURN
.end
)"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(runtime_->run_main(*t_, **m), 5000 & 0xFF);
  const rt::FunctionInfo* down = (*m)->function("down");
  EXPECT_EQ(down->profile.calls.load(), 5001u);
  EXPECT_EQ(down->profile.branches[0].not_taken.load(), 1u);
  EXPECT_EQ(down->profile.branches[0].taken.load(), 5000u);
  const auto decisions = runtime_->impl().policy().decisions();
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0],
            "down (1000 calls, 0 back-edges): hot; no tier above tier 0 is "
            "registered: stays");
}

}  // namespace
// Profile counters stop at rt::kProfileCap, so threads running the same
// code stop writing its profile's cache lines; a branch stops once its two
// counts sum to the cap. 100,000 calls, branches and back-edges, each past it.
TEST_F(Tier0Test, ProfileCountersStopAtTheCap) {
  auto m = runtime_->load(*t_, file("capped", std::string(kRecurse) + R"(
.type 9 function "()->Integer" params returns Integer
.function 9 main type "()->Integer"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 100000
  LT
  JUMP_IF_FALSE done
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST function down
  PUSH_CONST 100000
  CALL 1
  RETURN
end:
.end
)"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(runtime_->run_main(*t_, **m), 100000 & 0xFF);
  static_assert(rt::kProfileCap < 100000);
  const rt::FunctionInfo* main = (*m)->function("main");
  EXPECT_EQ(main->profile.backedges.load(), rt::kProfileCap);
  EXPECT_EQ(main->profile.branches[0].taken.load() + main->profile.branches[0].not_taken.load(),
            rt::kProfileCap);
  const rt::FunctionInfo* down = (*m)->function("down");
  EXPECT_EQ(down->profile.calls.load(), rt::kProfileCap);
  // The first 65,536 of its branches were all taken (the one not taken, at
  // the bottom, came after the cap).
  EXPECT_EQ(down->profile.branches[0].taken.load(), rt::kProfileCap);
  EXPECT_EQ(down->profile.branches[0].not_taken.load(), 0u);
}

}  // namespace runa::tier0
