// Tier 0 on objects and calls: locals, globals and the initializer, structs
// and fields, calls (arity, VARARGS, non-callables), methods with dispatch
// and inline caches, Lists, Dictionaries and items, SPREAD, UNPACK, types,
// iteration, LOAD_MODULE and IMPORT, and what is not available yet.
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPoint = R"(
.type 1 primitive Integer
.type 2 struct Point
  .field x type Integer
  .field y type Integer
.type 3 struct Point3
  .field x type Integer
  .field y type Integer
  .field z type Integer
.meta supertypes Point3 Point
.type 4 function "(Point)->Integer" params Point returns Integer
.type 5 function "(Point3)->Integer" params Point3 returns Integer
.function 1 sum type "(Point)->Integer" flags METHOD
  .param self type Point
  LOAD_LOCAL self
  LOAD_FIELD Point.x
  LOAD_LOCAL self
  LOAD_FIELD Point.y
  ADD
  RETURN
.end
.function 2 depth type "(Point3)->Integer" flags METHOD
  .param self type Point3
  LOAD_LOCAL self
  LOAD_FIELD Point3.z
  RETURN
.end
)";

TEST_F(Tier0Test, StructsFieldsAndMethods) {
  const std::string make =
      "NEW Point3\nDUP\nPUSH_CONST 1\nSTORE_FIELD Point3.x\nDUP\nPUSH_CONST "
      "2\nSTORE_FIELD Point3.y\nDUP\nPUSH_CONST 3\nSTORE_FIELD Point3.z\n";
  EXPECT_EQ(eval(make + "CALL_METHOD \"sum\" 0\nRETURN", kPoint), "= 3") << "inherited";
  EXPECT_EQ(eval(make + "CALL_METHOD \"depth\" 0\nRETURN", kPoint), "= 3");
  EXPECT_EQ(eval("NEW Point\nLOAD_FIELD Point.y\nRETURN", kPoint), "= nothing");
  EXPECT_EQ(eval("NEW Point\nCALL_METHOD \"depth\" 0\nRETURN", kPoint),
            "! TypeError: CALL_METHOD: Point <Point object> has no method depth");
  EXPECT_EQ(eval("PUSH_CONST 7\nLOAD_FIELD 0\nRETURN", kPoint),
            "! TypeError: LOAD_FIELD 0: Integer 7 is not a struct with 1 fields");
  EXPECT_EQ(eval("NEW Point\nLOAD_FIELD 2\nRETURN", kPoint).substr(0, 25),
            "! TypeError: LOAD_FIELD 2");
  EXPECT_EQ(eval("PUSH_CONST null\nPUSH_CONST 1\nSTORE_FIELD 0\nPUSH_CONST 0\nRETURN", kPoint),
            "! TypeError: STORE_FIELD 0: Nothing nothing is not a struct with 1 fields");
}

// One call site sees several receiver types: its cache goes polymorphic,
// then megamorphic, and every call still finds the right method.
TEST_F(Tier0Test, AMethodSiteAcrossManyReceiverTypes) {
  std::string types = ".type 1 primitive Integer\n";
  std::string funcs;
  for (int i = 0; i < 6; ++i) {
    const std::string s = "S" + std::to_string(i);
    types += ".type " + std::to_string(10 + i) + " struct " + s + "\n  .field v type Integer\n";
    types += ".type " + std::to_string(20 + i) + " function \"(" + s + ")->Integer\" params " + s +
             " returns Integer\n";
    funcs += ".function " + std::to_string(10 + i) + " get type \"(" + s +
             ")->Integer\" flags METHOD\n  .param self type " + s + "\n  PUSH_CONST " +
             std::to_string(i * 10) + "\n  RETURN\n.end\n";
  }
  types += ".type 30 function \"(Any)->Integer\" params Any returns Integer\n";
  funcs +=
      ".function 30 ask type \"(Any)->Integer\"\n  .param o type Any\n  LOAD_LOCAL o\n"
      "  CALL_METHOD \"get\" 0\n  RETURN\n.end\n";
  std::string code = "PUSH_CONST 0\n";
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 6; ++i) {
      code += "PUSH_CONST function ask\nNEW S" + std::to_string(i) + "\nCALL 1\nADD\n";
    }
  }
  EXPECT_EQ(eval(code + "RETURN", types + funcs), "= 300");
}

TEST_F(Tier0Test, CallsCheckTheirCallee) {
  constexpr std::string_view kTwo = R"(
.type 1 primitive Integer
.type 2 list "List[Integer]" of Integer
.type 3 function "(Integer,Integer)->Integer" params Integer Integer returns Integer
.type 4 function "(Integer,List[Integer])->Integer" params Integer "List[Integer]" returns Integer
.function 1 two type "(Integer,Integer)->Integer"
  .param a type Integer
  .param b type Integer
  LOAD_LOCAL a
  LOAD_LOCAL b
  SUB
  RETURN
.end
.function 2 count type "(Integer,List[Integer])->Integer" flags VARARGS
  .param first type Integer
  .param rest type "List[Integer]" flags VARIADIC
  PUSH_CONST extern "list_length"
  LOAD_LOCAL rest
  CALL 1
  RETURN
.end
)";
  EXPECT_EQ(eval("PUSH_CONST function two\nPUSH_CONST 5\nPUSH_CONST 3\nCALL 2\nRETURN", kTwo),
            "= 2");
  EXPECT_EQ(eval("PUSH_CONST function two\nPUSH_CONST 5\nCALL 1\nRETURN", kTwo),
            "! TypeError: two takes 2 arguments, got 1");
  EXPECT_EQ(eval("PUSH_CONST 5\nPUSH_CONST 1\nCALL 1\nRETURN", kTwo),
            "! TypeError: CALL: Integer 5 is not callable");
  EXPECT_EQ(eval("PUSH_CONST function count\nPUSH_CONST 1\nPUSH_CONST 2\nPUSH_CONST 3\nCALL "
                 "3\nRETURN",
                 kTwo),
            "= 2");
  EXPECT_EQ(eval("PUSH_CONST function count\nPUSH_CONST 1\nCALL 1\nRETURN", kTwo), "= 0");
  EXPECT_EQ(eval("PUSH_CONST function count\nCALL 0\nRETURN", kTwo),
            "! TypeError: count takes at least 1 argument, got 0");
  EXPECT_EQ(eval("PUSH_CONST extern \"text_length\"\nPUSH_CONST \"abc\"\nCALL 1\nRETURN"), "= 3");
  EXPECT_EQ(eval("PUSH_CONST \"abc\"\nCALL_METHOD \"length\" 0\nRETURN"), "= 3");
  EXPECT_EQ(eval("PUSH_CONST \"abc\"\nCALL_METHOD \"nope\" 0\nRETURN"),
            "! TypeError: CALL_METHOD: String \"abc\" has no method nope");
}

TEST_F(Tier0Test, ListsDictionariesAndItems) {
  EXPECT_EQ(eval("PUSH_CONST 1\nPUSH_CONST 2\nNEW_LIST 2\nDUP\nPUSH_CONST 0\nPUSH_CONST "
                 "9\nSET_ITEM\nRETURN"),
            "= [9, 2]");
  EXPECT_EQ(eval("PUSH_CONST 1\nNEW_LIST 1\nPUSH_CONST 1\nGET_ITEM\nRETURN"),
            "! IndexError: List index 1 is outside 0 .. 1 - 1");
  EXPECT_EQ(eval("PUSH_CONST 1\nNEW_LIST 1\nPUSH_CONST -1\nGET_ITEM\nRETURN").substr(0, 13),
            "! IndexError:");
  EXPECT_EQ(eval("PUSH_CONST 1\nNEW_LIST 1\nPUSH_CONST \"0\"\nGET_ITEM\nRETURN"),
            "! TypeError: List index must be an Integer, not String \"0\"");
  EXPECT_EQ(eval("PUSH_CONST \"k\"\nPUSH_CONST 1\nNEW_MAP 1\nPUSH_CONST \"k\"\nGET_ITEM\nRETURN"),
            "= 1");
  EXPECT_EQ(eval("NEW_MAP 0\nPUSH_CONST \"j\"\nGET_ITEM\nRETURN"),
            "! KeyError: no key String \"j\"");
  EXPECT_EQ(eval("NEW_MAP 0\nNEW_LIST 0\nPUSH_CONST 1\nSET_ITEM\nPUSH_CONST 0\nRETURN"),
            "! TypeError: List[Any] [] cannot be a Dictionary key");
  EXPECT_EQ(eval("PUSH_CONST \"na\xC3\xAFve\"\nPUSH_CONST 2\nGET_ITEM\nRETURN"), "= \"\xC3\xAF\"");
  EXPECT_EQ(eval("PUSH_CONST 3\nPUSH_CONST 0\nGET_ITEM\nRETURN"),
            "! TypeError: GET_ITEM needs a List, Dictionary, String or Tuple, not Integer 3");
  EXPECT_EQ(eval("PUSH_CONST \"s\"\nPUSH_CONST 0\nPUSH_CONST 1\nSET_ITEM\nPUSH_CONST 0\nRETURN"),
            "! TypeError: SET_ITEM needs a List or a Dictionary, not String \"s\"");
}

TEST_F(Tier0Test, ConstantListsAreNewEachTime) {
  constexpr std::string_view kConsts = R"(
.const int 1
.const int 2
.const list #0 #1
)";
  EXPECT_EQ(eval("PUSH_CONST #2\nDUP\nPUSH_CONST 0\nPUSH_CONST 7\nSET_ITEM\nPOP\nPUSH_CONST "
                 "#2\nRETURN",
                 kConsts),
            "= [1, 2]")
      << "a PUSH_CONST of a List constant pushes a new List; the pool is never changed";
}

TEST_F(Tier0Test, SpreadAndUnpack) {
  EXPECT_EQ(eval("PUSH_CONST 1\nNEW_LIST 1\nDUP\nPUSH_CONST 2\nPUSH_CONST 3\nNEW_LIST "
                 "2\nSPREAD\nPOP\nRETURN"),
            "= [1, 2, 3]");
  EXPECT_EQ(eval("PUSH_CONST 1\nPUSH_CONST 2\nNEW_LIST 2\nUNPACK 2\nSUB\nRETURN"), "= -1");
  EXPECT_EQ(eval("PUSH_CONST 1\nNEW_LIST 1\nUNPACK 2\nRETURN"),
            "! ValueError: UNPACK 2: List[Any] [1] has 1 items");
  EXPECT_EQ(eval("NEW_MAP 0\nPUSH_CONST 1\nSPREAD\nRETURN").substr(0, 25),
            "! TypeError: SPREAD needs");
}

TEST_F(Tier0Test, TypeTestsAndCasts) {
  constexpr std::string_view kTypes = R"(
.type 1 primitive Integer
.type 2 primitive Float
.type 3 primitive String
.type 4 union "Integer|String" of Integer String
.type 5 optional "Integer?" of Integer
)";
  EXPECT_EQ(eval("PUSH_CONST 1\nINSTANCEOF Integer\nRETURN", kTypes), "= true");
  EXPECT_EQ(eval("PUSH_CONST \"a\"\nINSTANCEOF \"Integer|String\"\nRETURN", kTypes), "= true");
  EXPECT_EQ(eval("PUSH_CONST null\nINSTANCEOF \"Integer?\"\nRETURN", kTypes), "= true");
  EXPECT_EQ(eval("PUSH_CONST 1.5\nTYPE_CHECK Integer\nSWAP\nPOP\nRETURN", kTypes), "= false");
  EXPECT_EQ(eval("PUSH_CONST 2\nCAST Float\nRETURN", kTypes), "= 2.0");
  EXPECT_EQ(eval("PUSH_CONST \"x\"\nCAST Integer\nRETURN", kTypes),
            "! TypeError: CAST: cannot cast String \"x\" to Integer");
  EXPECT_EQ(eval("PUSH_CONST 1\nTYPEOF\nRETURN", kTypes).substr(0, 2), "= ");
  EXPECT_EQ(eval("PUSH_CONST 1\nTYPEOF\nPUSH_CONST 2\nTYPEOF\nEQ\nRETURN", kTypes), "= true");
}

TEST_F(Tier0Test, IterationOverBuiltInsAndStructs) {
  const std::string sum =
      "ITER_CREATE\nloop:\nITER_NEXT done\nLOAD_LOCAL total\nADD\nSTORE_LOCAL total\nJUMP "
      "loop\ndone:\nLOAD_LOCAL total\nRETURN\nend:";
  const std::string locals =
      ".local total type Any slot 0 scope 0 end\nPUSH_CONST 0\nSTORE_LOCAL total\n";
  EXPECT_EQ(eval(locals + "PUSH_CONST 1\nPUSH_CONST 2\nPUSH_CONST 3\nNEW_LIST 3\n" + sum), "= 6");
  // A String's Characters (ADD does not take a Character; TEXT_CONCAT does).
  EXPECT_EQ(eval(".local total type Any slot 0 scope 0 end\nPUSH_CONST \"\"\nSTORE_LOCAL "
                 "total\nPUSH_CONST \"abc\"\nITER_CREATE\nloop:\nITER_NEXT done\nLOAD_LOCAL "
                 "total\nTEXT_CONCAT 2\nSTORE_LOCAL total\nJUMP loop\ndone:\nLOAD_LOCAL "
                 "total\nRETURN\nend:"),
            "= \"cba\"");
  EXPECT_EQ(eval(locals + "PUSH_CONST 5\nITER_CREATE\nRETURN\nend:"),
            "! TypeError: ITER_CREATE: Integer 5 is not iterable");
  // Appending while iterating is seen at the next step.
  EXPECT_EQ(
      eval(".local l type Any slot 0 scope 0 end\nPUSH_CONST 1\nPUSH_CONST 2\nNEW_LIST "
           "2\nSTORE_LOCAL l\nLOAD_LOCAL l\nITER_CREATE\nloop:\nITER_NEXT done\nPOP\nPUSH_CONST "
           "extern \"list_append\"\nLOAD_LOCAL l\nPUSH_CONST 9\nCALL 2\nPOP\nJUMP "
           "loop\ndone:\nPUSH_CONST 0\nRETURN\nend:"),
      "! ValueError: ITER_NEXT: the List or Dictionary changed while it was iterated");
  // A struct iterable: iterator(), then has_next() and next().
  constexpr std::string_view kCountdown = R"(
.type 1 primitive Integer
.type 2 primitive Boolean
.type 3 struct Countdown
  .field n type Integer
.type 4 function "(Countdown)->Countdown" params Countdown returns Countdown
.type 5 function "(Countdown)->Boolean" params Countdown returns Boolean
.type 6 function "(Countdown)->Integer" params Countdown returns Integer
.function 1 iterator type "(Countdown)->Countdown" flags METHOD
  .param self type Countdown
  LOAD_LOCAL self
  RETURN
.end
.function 2 has_next type "(Countdown)->Boolean" flags METHOD
  .param self type Countdown
  LOAD_LOCAL self
  LOAD_FIELD Countdown.n
  PUSH_CONST 0
  GT
  RETURN
.end
.function 3 next type "(Countdown)->Integer" flags METHOD
  .param self type Countdown
  LOAD_LOCAL self
  LOAD_LOCAL self
  LOAD_FIELD Countdown.n
  PUSH_CONST 1
  SUB
  STORE_FIELD Countdown.n
  LOAD_LOCAL self
  LOAD_FIELD Countdown.n
  RETURN
.end
)";
  EXPECT_EQ(eval(locals + "NEW Countdown\nDUP\nPUSH_CONST 4\nSTORE_FIELD Countdown.n\n" + sum,
                 kCountdown),
            "= 6")
      << "3 + 2 + 1 + 0";
}

TEST_F(Tier0Test, GlobalsAndTheInitializer) {
  constexpr std::string_view kGlobals = R"(
.meta globals counter Integer
.type 1 primitive Integer
.type 2 function "()->Integer" params returns Integer
.function 1 __init__ type "()->Integer"
  PUSH_CONST 41
  STORE_GLOBAL counter
  PUSH_CONST null
  RETURN
.end
)";
  EXPECT_EQ(
      eval("LOAD_GLOBAL counter\nPUSH_CONST 1\nADD\nDUP\nSTORE_GLOBAL counter\nRETURN", kGlobals),
      "= 42");
  constexpr std::string_view kThrows = R"(
.type 1 primitive Integer
.type 2 function "()->Integer" params returns Integer
.function 1 __init__ type "()->Integer"
  PUSH_CONST 1
  PUSH_CONST 0
  DIV
  RETURN
.end
)";
  EXPECT_EQ(eval("PUSH_CONST 0\nRETURN", kThrows), "! DivisionByZero: DIV: Integer 1 by zero")
      << "an initializer that throws fails the load with its exception";
}

TEST_F(Tier0Test, LoadModuleAndImport) {
  file("shapes", R"(
.meta globals unit Integer
.type 1 primitive Integer
.type 2 function "()->Integer" params returns Integer
.type 3 function "(Integer)->Integer" params Integer returns Integer
.type 4 struct Square
  .field side type Integer
.function 1 __init__ type "()->Integer"
  PUSH_CONST 10
  STORE_GLOBAL unit
  PUSH_CONST null
  RETURN
.end
.function 2 twice type "(Integer)->Integer"
  .param x type Integer
  LOAD_LOCAL x
  PUSH_CONST 2
  MUL
  RETURN
.end
)");
  EXPECT_EQ(eval("LOAD_MODULE \"shapes\"\nIMPORT \"unit\" \"twice\"\nSWAP\nCALL 1\nRETURN"),
            "= 20");
  EXPECT_EQ(eval("LOAD_MODULE \"shapes\"\nIMPORT \"Square\"\nRETURN").substr(0, 2), "= ");
  EXPECT_EQ(eval("LOAD_MODULE \"shapes\"\nIMPORT \"nope\"\nRETURN"),
            "! ImportError: module shapes has no global, function or type nope");
  EXPECT_EQ(eval("LOAD_MODULE \"missing\"\nRETURN").substr(0, 41),
            "! ImportError: LOAD_MODULE missing: modul");
  EXPECT_EQ(eval("PUSH_CONST 1\nIMPORT \"x\"\nRETURN"),
            "! TypeError: IMPORT needs a Module, not Integer 1");
}

}  // namespace
}  // namespace runa::tier0

namespace runa::tier0 {
namespace {

// Superinstructions (translate.cpp) do what their two instructions do,
// errors included; a pair whose second instruction is a branch target is
// not fused, and control reaching it alone still works.
TEST_F(Tier0Test, FusedPairsBehaveAsTheirParts) {
  const std::string locals =
      ".local x type Any slot 0 scope 0 end\n.local y type Any slot 1 scope 0 end\n";
  EXPECT_EQ(eval(locals + "PUSH_CONST 7\nSTORE_LOCAL x\nLOAD_LOCAL x\nLOAD_FIELD 0\nRETURN\nend:",
                 kPoint),
            "! TypeError: LOAD_FIELD 0: Integer 7 is not a struct with 1 fields");
  EXPECT_EQ(eval(locals + "NEW Point\nDUP\nPUSH_CONST 5\nSTORE_FIELD Point.y\nSTORE_LOCAL "
                          "x\nLOAD_LOCAL x\nLOAD_FIELD Point.y\nRETURN\nend:",
                 kPoint),
            "= 5");
  EXPECT_EQ(
      eval(locals + "PUSH_CONST \"a\"\nSTORE_LOCAL x\nLOAD_LOCAL x\nPUSH_CONST 1\nLT\n"
                    "JUMP_IF_FALSE no\nPUSH_CONST 1\nRETURN\nno:\nPUSH_CONST 0\nRETURN\nend:"),
      "! TypeError: LT orders numbers and Strings, not String \"a\" and Integer 1");
  EXPECT_EQ(eval(locals + "PUSH_CONST \"a\"\nSTORE_LOCAL x\nPUSH_CONST \"b\"\nSTORE_LOCAL "
                          "y\nLOAD_LOCAL x\nLOAD_LOCAL y\nLT\nJUMP_IF_FALSE no\nPUSH_CONST "
                          "\"less\"\nRETURN\nno:\nPUSH_CONST \"not less\"\nRETURN\nend:"),
            "= \"less\"");
  // The second LOAD_LOCAL is a jump target: reached alone from the JUMP.
  EXPECT_EQ(
      eval(locals + "PUSH_CONST 3\nSTORE_LOCAL x\nPUSH_CONST 4\nSTORE_LOCAL y\nPUSH_CONST "
                    "100\nJUMP second\nLOAD_LOCAL x\nsecond:\nLOAD_LOCAL y\nADD\nRETURN\nend:"),
      "= 104");
}

}  // namespace
}  // namespace runa::tier0

namespace runa::tier0 {
namespace {

// A method site's receiver types reach its profile record: the inline-cache
// states of docs/types.md, first seen first.
TEST_F(Tier0Test, MethodSitesRecordTheirReceiverTypes) {
  auto m = runtime_->load(*t_, file("dispatch", std::string(kPoint) + R"(
.type 20 primitive Any
.type 21 function "(Any)->Integer" params Any returns Integer
.function 20 ask type "(Any)->Integer"
  .param o type Any
  LOAD_LOCAL o
  CALL_METHOD "sum" 0
  RETURN
.end
)"));
  ASSERT_TRUE(m.ok()) << m.error().describe();
  const rt::FunctionInfo* ask = (*m)->function("ask");
  ASSERT_EQ(ask->profile.receiver_offsets.size(), 1u);
  const rt::ReceiverProfile& site = ask->profile.receivers[0];
  EXPECT_EQ(site.state.load(), 0u);
  auto call_ask = [&](const char* type_name) {
    heap::HandleScope scope(*t_->m);
    const std::string text(type_name);
    auto made = runtime_->load(*t_, file(std::string("make_") + type_name, std::string(kPoint) + R"(
.type 20 primitive Any
.type 21 function "()->Any" params returns Any
.function 20 make type "()->Any"
  NEW )" + text + R"(
  DUP
  PUSH_CONST 1
  STORE_FIELD 0
  DUP
  PUSH_CONST 2
  STORE_FIELD 1
  RETURN
.end
)"));
    EXPECT_TRUE(made.ok());
    heap::Handle obj(*t_->m, types::kNothing);
    EXPECT_TRUE(runtime_->call(*t_, (*made)->function("make")->object, nullptr, 0, obj.slot()));
    heap::Handle out(*t_->m, types::kNothing);
    EXPECT_TRUE(runtime_->call(*t_, ask->object, obj.slot(), 1, out.slot()));
    return types::as_int(out.value());
  };
  EXPECT_EQ(call_ask("Point"), 3);
  EXPECT_EQ(site.state.load(), 1u) << "monomorphic";
  EXPECT_EQ(call_ask("Point"), 3);
  EXPECT_EQ(site.state.load(), 1u) << "the same type again: still monomorphic";
  EXPECT_EQ(call_ask("Point3"), 3);
  EXPECT_EQ(site.state.load(), 2u) << "polymorphic";
  EXPECT_EQ(static_cast<const types::TypeDesc*>(site.types[0].load())->name, "Point");
  EXPECT_EQ(static_cast<const types::TypeDesc*>(site.types[1].load())->name, "Point3");
}

}  // namespace
}  // namespace runa::tier0
