// Tier 0 on generators (docs/bytecode.md §2.5.6): a call makes a suspension
// without running the body; ITER_NEXT and SPREAD continue it to its next
// YIELD; the saved frame keeps slots, operand values, cells and open try
// statements across each suspension; exceptions leave through the
// consumer and finish the generator; re-entry and runaway nesting raise.
// Under the tier0-stress label every allocation collects, so each saved
// frame moves between its resumes.
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kTypes = R"(
.type 1 primitive Integer
.type 4 function "(Any)->Any" params Any returns Any
.type 5 function "(Integer,Integer)->Any" params Integer Integer returns Any
.type 6 external DivisionByZero layout hex ""
)";

// The items of the generator made by `make` (code that pushes it), as a List.
std::string items_of(std::string_view make) {
  return "NEW_LIST 0\n" + std::string(make) + "\nSPREAD\nRETURN";
}

TEST_F(Tier0Test, AGeneratorYieldsItsValuesInOrder) {
  const std::string gen = std::string(kTypes) + R"(
.function 1 count type "(Integer,Integer)->Any" flags GENERATOR
  .param from type Integer flags MUTABLE
  .param to type Integer
loop:
  LOAD_LOCAL from
  LOAD_LOCAL to
  LT
  JUMP_IF_FALSE done
  LOAD_LOCAL from
  YIELD
  POP
  LOAD_LOCAL from
  PUSH_CONST 1
  ADD
  STORE_LOCAL from
  JUMP loop
done:
  PUSH_CONST null
  RETURN
.end
)";
  EXPECT_EQ(eval(items_of("PUSH_CONST function count\nPUSH_CONST 3\nPUSH_CONST 7\nCALL 2"), gen),
            "= [3, 4, 5, 6]");
  EXPECT_EQ(eval(items_of("PUSH_CONST function count\nPUSH_CONST 7\nPUSH_CONST 3\nCALL 2"), gen),
            "= []");
  // The call runs nothing: a wrong argument type surfaces only when stepped.
  EXPECT_EQ(eval("PUSH_CONST function count\nPUSH_CONST \"a\"\nPUSH_CONST 3\nCALL 2\nPOP\n"
                 "PUSH_CONST 1\nRETURN",
                 gen),
            "= 1");
}

// Operand values below the YIELD (here an iterator) survive it.
TEST_F(Tier0Test, OperandValuesAndCellsSurviveAYield) {
  const std::string gen = std::string(kTypes) + R"(
.function 1 doubled type "(Any)->Any" flags GENERATOR
  .param source type Any
  .local v type Any slot 1 scope 0 end
  LOAD_LOCAL source
  ITER_CREATE
loop:
  ITER_NEXT done
  STORE_LOCAL v
  PUSH_CONST 100
  LOAD_LOCAL v
  PUSH_CONST 2
  MUL
  YIELD
  POP
  PUSH_CONST 100
  EQ
  JUMP_IF_TRUE loop
  PUSH_CONST "the operand value was lost"
  THROW
done:
  PUSH_CONST null
  RETURN
end:
.end
.function 2 counter type "()->Any" flags GENERATOR
  .local n type Any slot 0 scope 0 end
  .local bump type Any slot 1 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL n
  CLOSURE step local n
  STORE_LOCAL bump
  LOAD_LOCAL bump
  CALL 0
  YIELD
  POP
  LOAD_LOCAL bump
  CALL 0
  YIELD
  POP
  LOAD_LOCAL n
  YIELD
  RETURN
end:
.end
.function 3 step type "()->Any" flags ANONYMOUS
  LOAD_UPVALUE 0
  PUSH_CONST 1
  ADD
  DUP
  STORE_UPVALUE 0
  RETURN
.end
)";
  EXPECT_EQ(eval(items_of("PUSH_CONST function doubled\nPUSH_CONST 1\nPUSH_CONST 2\nPUSH_CONST "
                          "3\nNEW_LIST 3\nCALL 1"),
                 gen),
            "= [2, 4, 6]");
  EXPECT_EQ(eval(items_of("PUSH_CONST function counter\nCALL 0"), gen), "= [1, 2, 2]");
}

// A try statement open at a YIELD is open again after it: its catch
// clause catches what the body throws after the resume, and its finally
// block (which yields too) runs once.
TEST_F(Tier0Test, TryStatementsStayOpenAcrossYields) {
  const std::string gen = std::string(kTypes) + R"(
.function 1 guarded type "()->Any" flags GENERATOR
  TRY_BEGIN clauses fin
  PUSH_CONST 1
  YIELD
  POP
  PUSH_CONST 1
  PUSH_CONST 0
  DIV
  POP
  TRY_END
clauses:
  CATCH_BEGIN type DivisionByZero
  POP
  PUSH_CONST 2
  YIELD
  POP
  CATCH_END
fin:
  FINALLY_BEGIN
  PUSH_CONST 3
  YIELD
  POP
  FINALLY_END
  PUSH_CONST 4
  YIELD
  RETURN
.end
.function 2 returning type "()->Any" flags GENERATOR
  TRY_BEGIN none fin
  PUSH_CONST 1
  YIELD
  RETURN
  TRY_END
fin:
  FINALLY_BEGIN
  PUSH_CONST 2
  YIELD
  POP
  FINALLY_END
  PUSH_CONST 3
  YIELD
  RETURN
.end
)";
  EXPECT_EQ(eval(items_of("PUSH_CONST function guarded\nCALL 0"), gen), "= [1, 2, 3, 4]");
  // A RETURN pending through a finally block that yields: the block's
  // YIELD suspends with the return pending, and the return then ends it.
  EXPECT_EQ(eval(items_of("PUSH_CONST function returning\nCALL 0"), gen), "= [1, 2]");
}

// An exception leaves through the consumer's ITER_NEXT; the generator is
// finished then, and stepping it again ends at once.
TEST_F(Tier0Test, AnExceptionFinishesTheGenerator) {
  const std::string gen = std::string(kTypes) + R"(
.function 1 failing type "()->Any" flags GENERATOR
  PUSH_CONST 1
  YIELD
  POP
  PUSH_CONST 1
  PUSH_CONST 0
  DIV
  YIELD
  RETURN
.end
)";
  EXPECT_EQ(eval(items_of("PUSH_CONST function failing\nCALL 0"), gen),
            "! DivisionByZero: DIV: Integer 1 by zero");
  EXPECT_EQ(eval(".local g type Any slot 0 scope 0 end\n"
                 ".local got type Any slot 1 scope 0 end\n"
                 "PUSH_CONST function failing\nCALL 0\nSTORE_LOCAL g\n"
                 "NEW_LIST 0\nSTORE_LOCAL got\n"
                 "TRY_BEGIN c none\nLOAD_LOCAL got\nLOAD_LOCAL g\nSPREAD\nPOP\nTRY_END\n"
                 "c:\nCATCH_BEGIN *\nPOP\nCATCH_END\n"
                 "LOAD_LOCAL got\nLOAD_LOCAL g\nSPREAD\nRETURN\nend:",
                 gen),
            "= [1]");
}

// A generator stepping itself is re-entry: ValueError, not a corrupt frame.
TEST_F(Tier0Test, AGeneratorCannotResumeItself) {
  const std::string gen = std::string(kTypes) + R"(
.function 1 selfish type "(Any)->Any" flags GENERATOR
  .param holder type Any
  LOAD_LOCAL holder
  PUSH_CONST 0
  GET_ITEM
  ITER_CREATE
  ITER_NEXT done
  YIELD
  RETURN
done:
  PUSH_CONST null
  RETURN
.end
)";
  EXPECT_EQ(eval(".local h type Any slot 0 scope 0 end\n"
                 "NEW_LIST 0\nSTORE_LOCAL h\n"
                 "PUSH_CONST extern \"list_append\"\nLOAD_LOCAL h\n"
                 "PUSH_CONST function selfish\nLOAD_LOCAL h\nCALL 1\nCALL 2\nPOP\n"
                 "NEW_LIST 0\nLOAD_LOCAL h\nPUSH_CONST 0\nGET_ITEM\nSPREAD\nRETURN\nend:",
                 gen),
            "! ValueError: the generator is already running");
}

// Generators nested through their consumers: each level is a resume from
// C++, so a runaway nesting is a StackOverflow, never a crash.
TEST_F(Tier0Test, NestedGeneratorsAreBoundedByTheNativeDepth) {
  const std::string gen = std::string(kTypes) + R"(
.function 1 nest type "(Any)->Any" flags GENERATOR
  .param n type Any
  LOAD_LOCAL n
  PUSH_CONST 0
  EQ
  JUMP_IF_FALSE deeper
  LOAD_LOCAL n
  YIELD
  RETURN
deeper:
  PUSH_CONST function nest
  LOAD_LOCAL n
  PUSH_CONST 1
  SUB
  CALL 1
  ITER_CREATE
loop:
  ITER_NEXT done
  LOAD_LOCAL n
  ADD
  YIELD
  POP
  JUMP loop
done:
  PUSH_CONST null
  RETURN
.end
)";
  EXPECT_EQ(eval(items_of("PUSH_CONST function nest\nPUSH_CONST 300\nCALL 1"), gen), "= [45150]");
  EXPECT_EQ(
      eval(items_of("PUSH_CONST function nest\nPUSH_CONST 100000\nCALL 1"), gen).substr(0, 16),
      "! StackOverflow:");
}

// Many generators alive at once, stepped in turns: each saved frame is
// its own, and they move with every collection.
TEST_F(Tier0Test, ManyGeneratorsSteppedInTurns) {
  const std::string gen = std::string(kTypes) + R"(
.function 1 squares type "(Any)->Any" flags GENERATOR
  .param n type Any flags MUTABLE
loop:
  LOAD_LOCAL n
  LOAD_LOCAL n
  MUL
  YIELD
  POP
  LOAD_LOCAL n
  PUSH_CONST 1
  ADD
  STORE_LOCAL n
  JUMP loop
.end
)";
  // gens[i] = squares(i) for i < 50; total = sum over three rounds of the
  // next item of every generator: sum of i^2 + (i+1)^2 + (i+2)^2.
  const std::string code = R"(
  .local gens type Any slot 0 scope 0 end
  .local i type Any slot 1 scope 0 end
  .local round type Any slot 2 scope 0 end
  .local total type Any slot 3 scope 0 end
  NEW_LIST 0
  STORE_LOCAL gens
  PUSH_CONST 0
  STORE_LOCAL i
make:
  LOAD_LOCAL i
  PUSH_CONST 50
  LT
  JUMP_IF_FALSE made
  PUSH_CONST extern "list_append"
  LOAD_LOCAL gens
  PUSH_CONST function squares
  LOAD_LOCAL i
  CALL 1
  ITER_CREATE
  CALL 2
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP make
made:
  PUSH_CONST 0
  STORE_LOCAL total
  PUSH_CONST 0
  STORE_LOCAL round
rounds:
  LOAD_LOCAL round
  PUSH_CONST 3
  LT
  JUMP_IF_FALSE finished
  LOAD_LOCAL gens
  ITER_CREATE
each:
  ITER_NEXT next_round
  ITER_NEXT never
  LOAD_LOCAL total
  ADD
  STORE_LOCAL total
  POP
  JUMP each
never:
  PUSH_CONST -1
  RETURN
next_round:
  LOAD_LOCAL round
  PUSH_CONST 1
  ADD
  STORE_LOCAL round
  JUMP rounds
finished:
  LOAD_LOCAL total
  RETURN
end:
)";
  // sum_{i<50} i^2 + (i+1)^2 + (i+2)^2 = 40425 + 42925 + 45525
  EXPECT_EQ(eval(code, gen), "= 128875");
}

}  // namespace
}  // namespace runa::tier0

namespace runa::tier0 {
namespace {

// generator_send: YIELD's result is the value sent; the first send starts
// the body (its value dropped); sending to a finished generator raises.
TEST_F(Tier0Test, SendingIntoAGenerator) {
  const std::string gen = R"(
.type 1 primitive Integer
.type 4 function "(Any)->Any" params Any returns Any
; running_total(): yields the sum of everything sent so far
.function 1 running_total type "()->Any" flags GENERATOR
  .local sum type Any slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL sum
loop:
  LOAD_LOCAL sum
  YIELD
  LOAD_LOCAL sum
  ADD
  STORE_LOCAL sum
  JUMP loop
end:
.end
.function 2 once type "()->Any" flags GENERATOR
  PUSH_CONST 1
  YIELD
  RETURN
.end
)";
  const std::string send = "PUSH_CONST extern \"generator_send\"\nLOAD_LOCAL g\n";
  EXPECT_EQ(eval(".local g type Any slot 0 scope 0 end\n"
                 "PUSH_CONST function running_total\nCALL 0\nSTORE_LOCAL g\n" +
                     send + "PUSH_CONST 99\nCALL 2\nPOP\n" + send + "PUSH_CONST 5\nCALL 2\nPOP\n" +
                     send + "PUSH_CONST 7\nCALL 2\nRETURN\nend:",
                 gen),
            "= 12");
  EXPECT_EQ(
      eval(".local g type Any slot 0 scope 0 end\n"
           "PUSH_CONST function once\nCALL 0\nSTORE_LOCAL g\n" +
               send + "PUSH_CONST 0\nCALL 2\nPOP\n" + send + "PUSH_CONST 0\nCALL 2\nRETURN\nend:",
           gen),
      "! ValueError: generator_send: the generator has finished");
  EXPECT_EQ(
      eval("PUSH_CONST extern \"generator_send\"\nPUSH_CONST 1\nPUSH_CONST 2\nCALL 2\nRETURN"),
      "! TypeError: generator_send: argument 1 must be a Generator, not Integer 1");
}

}  // namespace
}  // namespace runa::tier0
