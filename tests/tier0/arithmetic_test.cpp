// Tier 0 on the value instructions: arithmetic with its checks, comparison,
// logic, stack shuffling, conversions and TEXT_CONCAT (docs/bytecode.md
// §2.5.1, docs/types.md) — each result and each error it can raise.
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

std::string binary(std::string_view a, std::string_view op, std::string_view b) {
  return "PUSH_CONST " + std::string(a) + "\nPUSH_CONST " + std::string(b) + "\n" +
         std::string(op) + "\nRETURN";
}

TEST_F(Tier0Test, IntegerArithmeticIsChecked) {
  EXPECT_EQ(eval(binary("2", "ADD", "3")), "= 5");
  EXPECT_EQ(eval(binary("2", "SUB", "3")), "= -1");
  EXPECT_EQ(eval(binary("-7", "MUL", "6")), "= -42");
  EXPECT_EQ(eval(binary("-7", "DIV", "2")), "= -3");
  EXPECT_EQ(eval(binary("-7", "MOD", "2")), "= -1");
  // The small-Integer range ends at 2^60: beyond it values are boxed, exactly.
  EXPECT_EQ(eval(binary("1152921504606846975", "ADD", "1")), "= 1152921504606846976");
  EXPECT_EQ(eval(binary("9223372036854775807", "SUB", "1")), "= 9223372036854775806");
  EXPECT_EQ(eval(binary("9223372036854775807", "ADD", "1")),
            "! OverflowError: ADD: the result of Integer 9223372036854775807 and Integer 1 is "
            "outside the 64-bit Integer range");
  EXPECT_EQ(eval(binary("4611686018427387904", "MUL", "2")).substr(0, 16), "! OverflowError:");
  EXPECT_EQ(eval(binary("-9223372036854775808", "DIV", "-1")).substr(0, 16), "! OverflowError:");
  EXPECT_EQ(eval(binary("-9223372036854775808", "MOD", "-1")), "= 0");
  EXPECT_EQ(eval(binary("1", "DIV", "0")), "! DivisionByZero: DIV: Integer 1 by zero");
  EXPECT_EQ(eval(binary("1", "MOD", "0")), "! DivisionByZero: MOD: Integer 1 by zero");
  EXPECT_EQ(eval("PUSH_CONST 5\nNEG\nRETURN"), "= -5");
  EXPECT_EQ(eval("PUSH_CONST -9223372036854775808\nNEG\nRETURN").substr(0, 16), "! OverflowError:");
}

TEST_F(Tier0Test, FloatsFollowIeee) {
  EXPECT_EQ(eval(binary("1.5", "ADD", "2.25")), "= 3.75");
  EXPECT_EQ(eval(binary("1", "ADD", "0.5")), "= 1.5") << "an Integer mixed with a Float";
  EXPECT_EQ(eval(binary("1.0", "DIV", "0.0")), "= inf");
  EXPECT_EQ(eval(binary("7.5", "MOD", "2.0")), "= 1.5");
  EXPECT_EQ(eval(binary("1e300", "MUL", "1e300")), "= inf");
  EXPECT_EQ(eval(binary("1e-300", "MUL", "1e-300")), "= 0.0");
  EXPECT_EQ(eval("PUSH_CONST 2.5\nNEG\nRETURN"), "= -2.5");
}

TEST_F(Tier0Test, StringsConcatenateWithAdd) {
  EXPECT_EQ(eval(binary("\"run\"", "ADD", "\"time\"")), "= \"runtime\"");
  EXPECT_EQ(eval(binary("\"a\"", "ADD", "1")),
            "! TypeError: ADD cannot take String \"a\" and Integer 1");
  EXPECT_EQ(eval(binary("true", "SUB", "1")),
            "! TypeError: SUB cannot take Boolean true and Integer 1");
  EXPECT_EQ(eval("PUSH_CONST \"x\"\nNEG\nRETURN"), "! TypeError: NEG cannot take String \"x\"");
}

TEST_F(Tier0Test, ComparisonsOrderNumbersAndStrings) {
  EXPECT_EQ(eval(binary("2", "LT", "3")), "= true");
  EXPECT_EQ(eval(binary("3", "LE", "3")), "= true");
  EXPECT_EQ(eval(binary("2", "GT", "3")), "= false");
  EXPECT_EQ(eval(binary("2", "GE", "2.5")), "= false") << "exact across Integer and Float";
  EXPECT_EQ(eval(binary("\"apple\"", "LT", "\"banana\"")), "= true");
  EXPECT_EQ(eval(binary("\"b\"", "GT", "\"ab\"")), "= true");
  EXPECT_EQ(eval(binary("1", "LT", "\"a\"")),
            "! TypeError: LT orders numbers and Strings, not Integer 1 and String \"a\"");
  EXPECT_EQ(eval(binary("float float_bits 0x7ff8000000000000", "LT", "1.0")), "= false");
  EXPECT_EQ(eval(binary("float float_bits 0x7ff8000000000000", "GE", "1.0")), "= false");
}

TEST_F(Tier0Test, EqualityComparesAnyTwoValues) {
  EXPECT_EQ(eval(binary("1", "EQ", "1.0")), "= true");
  EXPECT_EQ(eval(binary("1", "EQ", "\"1\"")), "= false");
  EXPECT_EQ(eval(binary("\"ab\"", "EQ", "\"ab\"")), "= true");
  EXPECT_EQ(eval(binary("null", "EQ", "null")), "= true");
  EXPECT_EQ(eval(binary("null", "NE", "0")), "= true");
  EXPECT_EQ(eval(binary("float float_bits 0x7ff8000000000000", "EQ",
                        "float float_bits 0x7ff8000000000000")),
            "= false")
      << "NaN is unequal to itself";
  // Strings built differently (a concatenation) are equal by content.
  EXPECT_EQ(eval("PUSH_CONST \"ab\"\nPUSH_CONST \"a\"\nPUSH_CONST \"b\"\nADD\nEQ\nRETURN"),
            "= true");
}

// ADD, SUB and MUL fused with a local or constant operand or a store to a
// local (translate.cpp) give what their parts give, on the inline cases
// and on the slow ones: boxing, String concatenation, errors. (binary()
// above already fuses its second PUSH_CONST with the operation.)
TEST_F(Tier0Test, FusedArithmeticBehavesAsItsParts) {
  const std::string locals =
      ".local x type Any slot 0 scope 0 end\n.local y type Any slot 1 scope 0 end\n";
  const auto with_x = [&](std::string_view x, std::string_view code) {
    return eval(locals + "PUSH_CONST " + std::string(x) + "\nSTORE_LOCAL x\n" + std::string(code) +
                "\nend:");
  };
  // a local operand: PUSH_CONST 10, LOAD_LOCAL x, SUB
  const std::string local_operand = "PUSH_CONST 10\nLOAD_LOCAL x\nSUB\nRETURN";
  EXPECT_EQ(with_x("4", local_operand), "= 6");
  EXPECT_EQ(with_x("0.5", local_operand), "= 9.5");
  EXPECT_EQ(with_x("-9223372036854775807", local_operand).substr(0, 16), "! OverflowError:");
  // a local and a constant: LOAD_LOCAL x, PUSH_CONST, ADD
  EXPECT_EQ(with_x("1152921504606846975", "LOAD_LOCAL x\nPUSH_CONST 1\nADD\nRETURN"),
            "= 1152921504606846976");
  EXPECT_EQ(with_x("\"run\"", "LOAD_LOCAL x\nPUSH_CONST \"time\"\nADD\nRETURN"), "= \"runtime\"");
  // the result stored: MUL, STORE_LOCAL y
  const std::string stored = "LOAD_LOCAL x\nDUP\nMUL\nSTORE_LOCAL y\nLOAD_LOCAL y\nRETURN";
  EXPECT_EQ(with_x("-7", stored), "= 49");
  EXPECT_EQ(with_x("1e300", stored), "= inf");
  EXPECT_EQ(with_x("4611686018427387904", stored).substr(0, 16), "! OverflowError:");
  EXPECT_EQ(with_x("\"s\"", stored), "! TypeError: MUL cannot take String \"s\" and String \"s\"");
  // all four: LOAD_LOCAL x, PUSH_CONST, ADD, STORE_LOCAL x (a loop's counter)
  const std::string counter =
      "LOAD_LOCAL x\nPUSH_CONST 1\nADD\nSTORE_LOCAL x\nLOAD_LOCAL x\nRETURN";
  EXPECT_EQ(with_x("41", counter), "= 42");
  EXPECT_EQ(with_x("1152921504606846975", counter), "= 1152921504606846976");
  EXPECT_EQ(with_x("9223372036854775807", counter).substr(0, 16), "! OverflowError:");
  EXPECT_EQ(with_x("null", counter), "! TypeError: ADD cannot take Nothing nothing and Integer 1");
  // INT_TO_DOUBLE beyond the small Integers
  EXPECT_EQ(eval("PUSH_CONST 4611686018427387904\nINT_TO_DOUBLE\nRETURN"),
            "= 4611686018427387904.0");
}

// Callees of the peeking instructions that hand over to a CALL.
constexpr std::string_view kCallees = R"(
.type 2 function "(Any)->Any" params Any returns Any
.type 3 function "(Any,Any)->Any" params Any Any returns Any
.function 1 twice type "(Any)->Any"
  .param a type Any
  LOAD_LOCAL a
  PUSH_CONST 2
  MUL
  RETURN
.end
.function 2 minus type "(Any,Any)->Any"
  .param a type Any
  .param b type Any
  LOAD_LOCAL a
  LOAD_LOCAL b
  SUB
  RETURN
.end
)";

// The instructions that peek at the next one (interp_fused.hpp) against
// the same code with a NOP between the two (so that nothing fuses or
// peeks): the same result or error for every kind of operand, also where
// their inline case misses.
TEST_F(Tier0Test, PeekingInstructionsBehaveAsTheirParts) {
  const std::string locals =
      ".local x type Any slot 0 scope 0 end\n.local y type Any slot 1 scope 0 end\n";
  const auto with = [&](std::string_view x, std::string_view y, std::string_view code) {
    return eval(locals + "PUSH_CONST " + std::string(x) + "\nSTORE_LOCAL x\n" + "PUSH_CONST " +
                    std::string(y) + "\nSTORE_LOCAL y\n" + std::string(code) + "\nend:",
                kCallees);
  };
  const auto same = [&](std::string_view x, std::string_view y, const std::string& peeking,
                        std::string_view first, std::string_view second) {
    std::string plain = peeking;
    plain.replace(plain.find(first), first.size(), std::string(first) + "\nNOP");
    const std::string got = with(x, y, peeking);
    EXPECT_EQ(got, with(x, y, plain))
        << peeking << " with x = " << x << ", y = " << y << " (" << second << ")";
    return got;
  };
  // Two locals compared and branched on.
  const std::string compare =
      "LOAD_LOCAL x\nLOAD_LOCAL y\nLT\nJUMP_IF_FALSE no\nPUSH_CONST \"yes\"\nRETURN\nno:\n"
      "PUSH_CONST \"no\"\nRETURN";
  EXPECT_EQ(same("1", "2", compare, "LOAD_LOCAL x", "LT"), "= \"yes\"");
  EXPECT_EQ(same("2", "1", compare, "LOAD_LOCAL x", "LT"), "= \"no\"");
  EXPECT_EQ(same("1.5", "2", compare, "LOAD_LOCAL x", "LT"), "= \"yes\"");
  EXPECT_EQ(same("\"a\"", "\"b\"", compare, "LOAD_LOCAL x", "LT"), "= \"yes\"");
  EXPECT_EQ(same("4611686018427387904", "4611686018427387905", compare, "LOAD_LOCAL x", "LT"),
            "= \"yes\"");
  EXPECT_EQ(same("1", "\"b\"", compare, "LOAD_LOCAL x", "LT").substr(0, 12), "! TypeError:");
  // A local and a constant compared and branched on.
  const std::string below_two =
      "LOAD_LOCAL x\nPUSH_CONST 2\nLE\nJUMP_IF_FALSE no\nPUSH_CONST \"yes\"\nRETURN\nno:\n"
      "PUSH_CONST \"no\"\nRETURN";
  EXPECT_EQ(same("2", "0", below_two, "LOAD_LOCAL x", "LE"), "= \"yes\"");
  EXPECT_EQ(same("3", "0", below_two, "LOAD_LOCAL x", "LE"), "= \"no\"");
  EXPECT_EQ(same("1.99", "0", below_two, "LOAD_LOCAL x", "LE"), "= \"yes\"");
  EXPECT_EQ(same("null", "0", below_two, "LOAD_LOCAL x", "LE").substr(0, 12), "! TypeError:");
  // Two locals added, subtracted, multiplied; and so, then stored (`y = x op y`).
  for (const char* op : {"ADD", "SUB", "MUL"}) {
    for (const char* then : {"\nRETURN", "\nSTORE_LOCAL y\nLOAD_LOCAL y\nRETURN"}) {
      const std::string code = std::string("LOAD_LOCAL x\nLOAD_LOCAL y\n") + op + then;
      same("6", "7", code, "LOAD_LOCAL x", op);
      same("1.5", "-2.25", code, "LOAD_LOCAL x", op);
      same("4611686018427387903", "4611686018427387903", code, "LOAD_LOCAL x", op);
      same("-9223372036854775807", "9223372036854775807", code, "LOAD_LOCAL x", op);
      same("\"run\"", "\"time\"", code, "LOAD_LOCAL x", op);
      same("1", "null", code, "LOAD_LOCAL x", op);
    }
  }
  EXPECT_EQ(same("6", "7", "LOAD_LOCAL x\nLOAD_LOCAL y\nMUL\nRETURN", "LOAD_LOCAL x", "MUL"),
            "= 42");
  EXPECT_EQ(
      same("\"run\"", "\"time\"", "LOAD_LOCAL x\nLOAD_LOCAL y\nADD\nRETURN", "LOAD_LOCAL x", "ADD"),
      "= \"runtime\"");
  EXPECT_EQ(same("4611686018427387903", "4611686018427387903",
                 "LOAD_LOCAL x\nLOAD_LOCAL y\nMUL\nRETURN", "LOAD_LOCAL x", "MUL")
                .substr(0, 16),
            "! OverflowError:");
  // A local returned, also from a try statement whose finally block runs
  // first and changes the local: the pending result is the value before.
  EXPECT_EQ(same("5", "0", "LOAD_LOCAL x\nRETURN", "LOAD_LOCAL x", "RETURN"), "= 5");
  const std::string finally =
      "TRY_BEGIN none fin\nLOAD_LOCAL x\nRETURN\nTRY_END\nfin:\nFINALLY_BEGIN\n"
      "PUSH_CONST 99\nSTORE_LOCAL x\nFINALLY_END\nPUSH_CONST -1\nRETURN";
  EXPECT_EQ(same("5", "0", finally, "LOAD_LOCAL x", "RETURN"), "= 5");
  // Its comparison also reached by a jump with other operands.
  const std::string target =
      "LOAD_LOCAL x\nPUSH_CONST 0\nGT\nJUMP_IF_FALSE direct\nLOAD_LOCAL x\nLOAD_LOCAL y\n"
      "cmp:\nGE\nJUMP_IF_FALSE no\nPUSH_CONST \"yes\"\nRETURN\ndirect:\nPUSH_CONST 3\n"
      "PUSH_CONST 5\nJUMP cmp\nno:\nPUSH_CONST \"no\"\nRETURN";
  EXPECT_EQ(with("7", "7", target), "= \"yes\"");
  EXPECT_EQ(with("-1", "7", target), "= \"no\"");
  // Two locals indexed.
  const std::string list = "LOAD_LOCAL x\nLOAD_LOCAL y\nGET_ITEM\nRETURN";
  const std::string ten_twenty = "PUSH_CONST 10\nPUSH_CONST 20\nNEW_LIST 2\nSTORE_LOCAL x\n";
  const auto indexed = [&](std::string_view y) {
    return same("0", y, ten_twenty + list, "LOAD_LOCAL x", "GET_ITEM");
  };
  EXPECT_EQ(indexed("1"), "= 20");
  EXPECT_EQ(indexed("2").substr(0, 13), "! IndexError:");
  EXPECT_EQ(indexed("-1"), with("0", "-1",
                                ten_twenty + "LOAD_LOCAL x\nNOP\nLOAD_LOCAL y\n"
                                             "GET_ITEM\nRETURN"));
  EXPECT_EQ(indexed("\"k\"").substr(0, 12), "! TypeError:");
  EXPECT_EQ(same("\"abc\"", "1", list, "LOAD_LOCAL x", "GET_ITEM"), "= \"b\"");
  // A constant divisor (the NOP first keeps LOAD_LOCAL and PUSH_CONST apart:
  // they would fuse).
  const std::string halve = "LOAD_LOCAL x\nNOP\nPUSH_CONST 2\nDIV\nRETURN";
  EXPECT_EQ(same("7", "0", halve, "PUSH_CONST 2", "DIV"), "= 3");
  EXPECT_EQ(same("-7", "0", halve, "PUSH_CONST 2", "DIV"), "= -3");
  EXPECT_EQ(same("7.0", "0", halve, "PUSH_CONST 2", "DIV"), "= 3.5");
  EXPECT_EQ(same("4611686018427387904", "0", halve, "PUSH_CONST 2", "DIV"),
            "= 2305843009213693952");
  const std::string by_zero = "LOAD_LOCAL x\nNOP\nPUSH_CONST 0\nDIV\nRETURN";
  EXPECT_EQ(same("7", "0", by_zero, "PUSH_CONST 0", "DIV").substr(0, 17), "! DivisionByZero:");
  EXPECT_EQ(same("\"s\"", "0", halve, "PUSH_CONST 2", "DIV").substr(0, 12), "! TypeError:");
  EXPECT_EQ(same("6", "7", "LOAD_LOCAL x\nLOAD_LOCAL y\nSUB\nSTORE_LOCAL y\nLOAD_LOCAL y\nRETURN",
                 "LOAD_LOCAL x", "SUB"),
            "= -1");
  // An operation returned (the NOP keeps the locals from peeking at it),
  // also through a finally block, which runs with the result pending.
  for (const char* op : {"ADD", "SUB", "MUL"}) {
    const std::string code = std::string("LOAD_LOCAL x\nLOAD_LOCAL y\nNOP\n") + op + "\nRETURN";
    same("6", "7", code, op, "RETURN");
    same("1.5", "-2.25", code, op, "RETURN");
    same("4611686018427387903", "4611686018427387903", code, op, "RETURN");
    same("\"run\"", "\"time\"", code, op, "RETURN");
    same("1", "null", code, op, "RETURN");
  }
  EXPECT_EQ(same("6", "7", "LOAD_LOCAL x\nLOAD_LOCAL y\nNOP\nADD\nRETURN", "ADD", "RETURN"),
            "= 13");
  const std::string sum_finally =
      "TRY_BEGIN none fin\nLOAD_LOCAL x\nLOAD_LOCAL y\nNOP\nADD\nRETURN\nTRY_END\nfin:\n"
      "FINALLY_BEGIN\nPUSH_CONST 99\nSTORE_LOCAL x\nFINALLY_END\nPUSH_CONST -1\nRETURN";
  EXPECT_EQ(same("5", "1", sum_finally, "ADD", "RETURN"), "= 6");
  // A DIV returned, and a product added to the value below and stored
  // (`y = y + x * x`, each of the two missing on its own): (x, y, the
  // outcome or the start of the error).
  const std::string quotient = "LOAD_LOCAL x\nLOAD_LOCAL y\nNOP\nDIV\nRETURN";
  const std::string dot =
      "LOAD_LOCAL y\nLOAD_LOCAL x\nLOAD_LOCAL x\nNOP\nMUL\nADD\nSTORE_LOCAL y\nLOAD_LOCAL y\n"
      "RETURN";
  struct Case {
    const char* x;
    const char* y;
    std::string_view want;
  };
  for (const Case& c :
       {Case{"7", "2", "= 3"}, Case{"1.0", "4.0", "= 0.25"}, Case{"1", "0", "! DivisionByZero:"},
        Case{"-9223372036854775808", "-1", "! OverflowError:"},
        Case{"\"s\"", "1", "! TypeError:"}}) {
    EXPECT_EQ(same(c.x, c.y, quotient, "DIV", "RETURN").substr(0, c.want.size()), c.want);
  }
  EXPECT_EQ(same("6", "3",
                 "TRY_BEGIN none fin\nLOAD_LOCAL x\nLOAD_LOCAL y\nNOP\nDIV\nRETURN\nTRY_END\n"
                 "fin:\nFINALLY_BEGIN\nPUSH_CONST 99\nSTORE_LOCAL x\nFINALLY_END\nPUSH_CONST -1\n"
                 "RETURN",
                 "DIV", "RETURN"),
            "= 2");
  for (const Case& c :
       {Case{"3", "1", "= 10"}, Case{"1.5", "0.25", "= 2.5"},
        Case{"3", "1152921504606846975", "= 1152921504606846984"},
        Case{"1073741824", "0", "= 1152921504606846976"},
        Case{"4294967296", "0", "! OverflowError:"}, Case{"1e200", "1.0", "= inf"},
        Case{"3", "\"s\"", "! TypeError: ADD cannot take String \"s\" and Integer 9"},
        Case{"\"s\"", "1", "! TypeError: MUL"}}) {
    EXPECT_EQ(same(c.x, c.y, dot, "MUL", "ADD").substr(0, c.want.size()), c.want);
  }
  // A local and a constant operated on and passed to a call: `twice(x - 1)`,
  // also of something that is not a function.
  const std::string call =
      "PUSH_CONST function twice\nLOAD_LOCAL x\nPUSH_CONST 1\nSUB\nCALL 1\nRETURN";
  EXPECT_EQ(same("5", "0", call, "SUB", "CALL"), "= 8");
  EXPECT_EQ(same("1.5", "0", call, "SUB", "CALL"), "= 1.0");
  EXPECT_EQ(same("-1152921504606846975", "0", call, "SUB", "CALL"), "= -2305843009213693952");
  EXPECT_EQ(same("-9223372036854775808", "0", call, "SUB", "CALL").substr(0, 16),
            "! OverflowError:");
  EXPECT_EQ(same("\"s\"", "0", call, "SUB", "CALL").substr(0, 12), "! TypeError:");
  EXPECT_EQ(
      same("3", "0", "PUSH_CONST 7\nLOAD_LOCAL x\nPUSH_CONST 1\nADD\nCALL 1\nRETURN", "ADD", "CALL")
          .substr(0, 12),
      "! TypeError:");
  // Two locals passed to a call: `minus(x, y)`, the callee's errors its own.
  const std::string call2 = "PUSH_CONST function minus\nLOAD_LOCAL x\nLOAD_LOCAL y\nCALL 2\nRETURN";
  EXPECT_EQ(same("7", "2", call2, "LOAD_LOCAL x", "CALL"), "= 5");
  EXPECT_EQ(same("\"s\"", "2", call2, "LOAD_LOCAL x", "CALL").substr(0, 12), "! TypeError:");
  EXPECT_EQ(same("7", "2", "PUSH_CONST function twice\nLOAD_LOCAL x\nLOAD_LOCAL y\nCALL 2\nRETURN",
                 "LOAD_LOCAL x", "CALL"),
            with("7", "2",
                 "PUSH_CONST function twice\nLOAD_LOCAL x\nPOP\nLOAD_LOCAL x\nLOAD_LOCAL y\n"
                 "CALL 2\nRETURN"));
  // A counter stepped and looped: `while x < y: x = x + 2`, across the end
  // of the small Integers, in Floats, to an overflow, and on a String.
  const std::string loop =
      "top:\nLOAD_LOCAL x\nLOAD_LOCAL y\nLT\nJUMP_IF_FALSE done\nLOAD_LOCAL x\nPUSH_CONST 2\nADD\n"
      "STORE_LOCAL x\nJUMP top\ndone:\nLOAD_LOCAL x\nRETURN";
  const auto stepped = [&](std::string_view x, std::string_view y) {
    return same(x, y, loop, "STORE_LOCAL x", "JUMP");
  };
  EXPECT_EQ(stepped("0", "9"), "= 10");
  EXPECT_EQ(stepped("0.5", "3"), "= 4.5");
  EXPECT_EQ(stepped("1152921504606846970", "1152921504606846980"), "= 1152921504606846980");
  EXPECT_EQ(stepped("9223372036854775804", "9223372036854775807").substr(0, 16),
            "! OverflowError:");
  EXPECT_EQ(stepped("\"a\"", "\"b\""), "! TypeError: ADD cannot take String \"a\" and Integer 2");
}

TEST_F(Tier0Test, LogicOnBooleansAndBitsOnIntegers) {
  EXPECT_EQ(eval(binary("true", "AND", "false")), "= false");
  EXPECT_EQ(eval(binary("true", "OR", "false")), "= true");
  EXPECT_EQ(eval(binary("12", "AND", "10")), "= 8");
  EXPECT_EQ(eval(binary("12", "OR", "3")), "= 15");
  EXPECT_EQ(eval("PUSH_CONST true\nNOT\nRETURN"), "= false");
  EXPECT_EQ(eval("PUSH_CONST 0\nNOT\nRETURN"), "= -1");
  EXPECT_EQ(eval(binary("true", "AND", "1")),
            "! TypeError: AND cannot take Boolean true and Integer 1");
  EXPECT_EQ(eval("PUSH_CONST \"s\"\nNOT\nRETURN"), "! TypeError: NOT cannot take String \"s\"");
}

TEST_F(Tier0Test, ConditionalJumpsNeedBooleans) {
  EXPECT_EQ(eval("PUSH_CONST 1\nJUMP_IF_TRUE yes\nPUSH_CONST \"no\"\nRETURN\nyes:\nPUSH_CONST "
                 "\"yes\"\nRETURN"),
            "! TypeError: JUMP_IF_TRUE needs a Boolean, not Integer 1");
  EXPECT_EQ(eval("PUSH_CONST false\nJUMP_IF_FALSE no\nPUSH_CONST \"yes\"\nRETURN\nno:\nPUSH_CONST "
                 "\"no\"\nRETURN"),
            "= \"no\"");
}

TEST_F(Tier0Test, StackShuffling) {
  EXPECT_EQ(eval("PUSH_CONST 1\nPUSH_CONST 2\nSWAP\nSUB\nRETURN"), "= 1");
  EXPECT_EQ(eval("PUSH_CONST 4\nDUP\nMUL\nRETURN"), "= 16");
  EXPECT_EQ(eval("PUSH_CONST 1\nPUSH_CONST 2\nPOP\nNOP\nRETURN"), "= 1");
}

TEST_F(Tier0Test, ConversionsAndTheirErrors) {
  EXPECT_EQ(eval("PUSH_CONST 3\nINT_TO_DOUBLE\nRETURN"), "= 3.0");
  EXPECT_EQ(eval("PUSH_CONST 3.99\nDOUBLE_TO_INT\nRETURN"), "= 3");
  EXPECT_EQ(eval("PUSH_CONST -3.99\nDOUBLE_TO_INT\nRETURN"), "= -3");
  EXPECT_EQ(eval("PUSH_CONST 1e19\nDOUBLE_TO_INT\nRETURN"),
            "! ArithmeticError: DOUBLE_TO_INT: Float 1e+19 has no 64-bit Integer value");
  EXPECT_EQ(
      eval("PUSH_CONST float float_bits 0x7ff8000000000000\nDOUBLE_TO_INT\nRETURN").substr(0, 18),
      "! ArithmeticError:");
  EXPECT_EQ(eval("PUSH_CONST \"1\"\nINT_TO_DOUBLE\nRETURN"),
            "! TypeError: INT_TO_DOUBLE needs an Integer, not String \"1\"");
  EXPECT_EQ(eval("PUSH_CONST 1\nDOUBLE_TO_INT\nRETURN"),
            "! TypeError: DOUBLE_TO_INT needs a Float, not Integer 1");
}

TEST_F(Tier0Test, TextConcatJoinsTextForms) {
  EXPECT_EQ(eval("PUSH_CONST \"n=\"\nPUSH_CONST 7\nPUSH_CONST \", \"\nPUSH_CONST 1.5\nPUSH_CONST "
                 "true\nTEXT_CONCAT 5\nRETURN"),
            "= \"n=7, 1.5true\"");
  EXPECT_EQ(eval("TEXT_CONCAT 0\nRETURN"), "= \"\"");
}

TEST_F(Tier0Test, SwitchTableJumpsOnIntegers) {
  const std::string code =
      "SWITCH_TABLE 1 one, 5 five\nPUSH_CONST \"other\"\nRETURN\none:\nPUSH_CONST \"one\"\n"
      "RETURN\nfive:\nPUSH_CONST \"five\"\nRETURN";
  EXPECT_EQ(eval("PUSH_CONST 5\n" + code), "= \"five\"");
  EXPECT_EQ(eval("PUSH_CONST 1\n" + code), "= \"one\"");
  EXPECT_EQ(eval("PUSH_CONST 2\n" + code), "= \"other\"");
  EXPECT_EQ(eval("PUSH_CONST 1.0\n" + code), "! TypeError: SWITCH_TABLE needs an Integer");
}

}  // namespace
}  // namespace runa::tier0
