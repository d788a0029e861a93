// The `.runas` disassembler (docs/bytecode.md §4, §4.7): the exact text it
// writes, the annotated listing, and that it never fails on bad modules.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "runatime/module.hpp"

namespace runa::module {
namespace {

Module assembled(const std::string& text) {
  Result<Module> m = assemble(text, "test.runas");
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().describe()) << "\n" << text;
  return m.ok() ? std::move(m).value() : Module{};
}

constexpr const char* kFib = R"(
.type 1 primitive Integer
.type 2 function "(Integer)->Integer" params Integer returns Integer
.source 1 "examples/fib.runa"
.const int 2
.function 2 fib type "(Integer)->Integer"
  .param n type Integer
  .loc 1 3 5
  LOAD_LOCAL n
  PUSH_CONST 2
  LT
  JUMP_IF_FALSE recurse
  LOAD_LOCAL n
  RETURN
recurse:
  .loc 1 4 3
  LOAD_LOCAL n
  RETURN
.end
.vardebug fib n 1 9
)";

TEST(Disassembler, WritesEveryPartExplicitly) {
  const std::string text = disassemble(assembled(kFib), {.annotate = false});
  EXPECT_EQ(text, R"(.format 1.2
.min_vm 1.0
.created 0
.flags HAS_DEBUG_INFO
.source 1 "examples/fib.runa"

.const int 2

.type 1 primitive Integer
.type 2 function "(Integer)->Integer" params Integer returns Integer

.function 2 fib type "(Integer)->Integer" flags 0
  .param n type Integer flags 0
  .loc 1 3 5
  LOAD_LOCAL 0
  PUSH_CONST #0
  LT
  JUMP_IF_FALSE L0010
  LOAD_LOCAL 0
  RETURN
L0010:
  .loc 1 4 3
  LOAD_LOCAL 0
  RETURN
.end

.vardebug fib 0 1 9
)");
}

TEST(Disassembler, AnnotatedListing) {
  const std::string text = disassemble(assembled(kFib));
  EXPECT_NE(text.find("  @0000  LOAD_LOCAL 0             ; line 3   push local n\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  @0003  PUSH_CONST #0            ; line 3   push constant Integer 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  @0006  LT                       ; line 3   second < top\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  @0007  JUMP_IF_FALSE L0010      ; line 3   pop; jump if false to 0010\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  @0010  LOAD_LOCAL 0             ; line 4   push local n\n"),
            std::string::npos)
      << text;
}

TEST(Disassembler, AnnotationWithoutDebugInfoHasNoLineColumn) {
  const Module m = assembled(R"(
.type 1 primitive Integer
.function 1 main type 1
  .local total type Integer slot 0 scope 0 8
  NEW_LIST 3
  CALL_METHOD "push" 1
  STORE_LOCAL total
  TRY_BEGIN 18 none
  CATCH_BEGIN *
  CLOSURE main local total upvalue 1
  SWITCH_TABLE 1 0, -5 18
.end
)");
  const std::string text = disassemble(m);
  EXPECT_NE(text.find("  @0000  NEW_LIST 3               ; list of the top 3 values\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("; call a method of the receiver below the arguments: Text \"push\", 1 argument"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("; pop into local total"), std::string::npos) << text;
  EXPECT_NE(text.find("TRY_BEGIN L0012 none"), std::string::npos) << text;
  EXPECT_NE(text.find("catch 0012, finally none"), std::string::npos) << text;
  EXPECT_NE(text.find("CATCH_BEGIN *            ; start a handler for a type: any exception"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("CLOSURE main local 0 upvalue 1"), std::string::npos) << text;
  EXPECT_NE(text.find("SWITCH_TABLE 1 L0000, -5 L0012"), std::string::npos) << text;
  EXPECT_EQ(text.find("line "), std::string::npos) << text;
}

TEST(Disassembler, QuotesNamesThatAreNotPlainIdentifiers) {
  Module m;
  m.types.push_back(TypeDef{1, TypeKind::kPrimitive, "List[Integer]", {}, {}, 0, {}});
  m.types.push_back(TypeDef{2, TypeKind::kPrimitive, "42", {}, {}, 0, {}});
  m.types.push_back(TypeDef{3, TypeKind::kPrimitive, "returns", {}, {}, 0, {}});
  m.types.push_back(TypeDef{4, TypeKind::kFunction, "f", {}, {3, 2}, 1, {}});
  m.types.push_back(TypeDef{5, TypeKind::kPrimitive, "dup", {}, {}, 0, {}});
  m.types.push_back(TypeDef{6, TypeKind::kPrimitive, "dup", {}, {}, 0, {}});
  m.types.push_back(TypeDef{7, TypeKind::kList, "l", {}, {5}, 0, {}});
  Constant text;
  text.kind = ConstKind::kText;
  text.text = std::string("a\"\\\n\x01\xff\xc3\xa9\xed\xa0\x80", 11);
  m.constants.push_back(text);
  const std::string out = disassemble(m);
  EXPECT_NE(out.find(".type 1 primitive \"List[Integer]\""), std::string::npos) << out;
  EXPECT_NE(out.find(".type 2 primitive \"42\""), std::string::npos) << out;
  EXPECT_NE(out.find("params \"returns\" \"42\" returns \"List[Integer]\""), std::string::npos)
      << out;
  EXPECT_NE(out.find(".type 7 list l of 5"), std::string::npos) << out;  // "dup" is ambiguous
  // Valid UTF-8 stays readable; invalid bytes (a lone 0xff, a surrogate) are escaped.
  EXPECT_NE(out.find(".const text \"a\\\"\\\\\\n\\x01\\xff\xc3\xa9\\xed\\xa0\\x80\""),
            std::string::npos)
      << out;
  Result<Module> back = assemble(out, "quoted.runas");
  ASSERT_TRUE(back.ok()) << back.error().describe() << "\n" << out;
  EXPECT_EQ(back.value(), m);
}

TEST(Disassembler, FloatsInShortestFormOrBits) {
  Module m;
  for (std::uint64_t bits :
       {0x3ff8000000000000ull, 0x8000000000000000ull, 0x7ff0000000000000ull, 0x7ff8000000000001ull,
        0x0000000000000001ull, 0x4415af1d78b58c40ull, 0x3ff0000000000000ull}) {
    Constant k;
    k.kind = ConstKind::kDecimal;
    std::memcpy(&k.decimal, &bits, sizeof bits);
    m.constants.push_back(k);
  }
  const std::string out = disassemble(m, {.annotate = false});
  EXPECT_NE(out.find(".const float 1.5\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".const float -0.0\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".const float float_bits 0x7ff0000000000000\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".const float float_bits 0x7ff8000000000001\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".const float 5e-324\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".const float 1e+20\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".const float 1.0\n"), std::string::npos) << out;
  Result<Module> back = assemble(out, "floats.runas");
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back.value(), m);
}

TEST(Disassembler, MetadataKnownFormsAndRaw) {
  const Module m = assembled(R"(
.type 1 primitive Integer
.type 2 struct A
.type 3 struct B
.meta module_deps "core" ">=1.0", "io" "1.2"
.meta native_lib_deps "libm.so.6"
.meta opt_level 2
.meta jit_hints hex "0102"
.meta supertypes B A
.meta globals counter Integer
.meta 0x05 hex "01"
.meta 0x09 hex "0102"
.meta 0x40 hex ""
.meta author "\xff"
)");
  const std::string out = disassemble(m, {.annotate = false});
  EXPECT_NE(out.find(".meta module_deps \"core\" \">=1.0\", \"io\" \"1.2\"\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find(".meta native_lib_deps \"libm.so.6\"\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".meta opt_level 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".meta jit_hints hex \"0102\"\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".meta supertypes B A\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".meta globals counter Integer\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".meta 0x05 hex \"01\"\n"), std::string::npos) << out;  // malformed deps
  EXPECT_NE(out.find(".meta 0x09 hex \"0102\"\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".meta 0x40 hex \"\"\n"), std::string::npos) << out;
  EXPECT_NE(out.find(".meta author \"\\xff\"\n"), std::string::npos) << out;
}

// Modules that read() accepts but verify() would reject still disassemble,
// and what the text form can hold survives.
TEST(Disassembler, NeverFailsOnBadModules) {
  Module m;
  m.header.flags = kHasDebugInfo | 0x8000;
  m.code = {0x03, 0x00, 0x00, 0xFF, 0x10, 0x02, 0x00, 0x00, 0x46, 0x01, 0x02, 0x00, 0x00, 0x0D};
  Function ok;
  ok.id = 1;
  ok.name = "with space";
  ok.type = 99;
  ok.code_offset = 0;
  ok.code_length = 5;  // LOAD_LOCAL 0, then 0xFF 0x10: not an opcode
  Function capture;
  capture.id = 2;
  capture.name = "";
  capture.code_offset = 5;
  capture.code_length = 8;  // PUSH_CONST 0, LAMBDA with capture kind 2
  Function truncated;
  truncated.id = 3;
  truncated.name = "t";
  truncated.code_offset = 13;
  truncated.code_length = 1;  // JUMP without its operand
  Function outside;
  outside.id = 4;
  outside.name = "outside";
  outside.code_offset = 0xFFFFFFF0;
  outside.code_length = 0x20;  // past the end, and the sum overflows 32 bits
  m.functions = {ok, capture, truncated, outside};
  m.debug.lines = {{0, 1, 1, 1}, {1, 1, 2, 2}, {5, 1, 3, 3}, {0xFFFFFF, 1, 4, 4}};
  m.debug.vars = {{9, 70, 1, 1}};
  m.metadata.push_back({kMetaGlobals, {1, 0, 0}});

  for (bool annotate : {true, false}) {
    const std::string out = disassemble(m, {.annotate = annotate});
    EXPECT_NE(out.find(".flags HAS_DEBUG_INFO|0x8000"), std::string::npos) << out;
    EXPECT_NE(out.find(".function 1 \"with space\" type 99"), std::string::npos) << out;
    EXPECT_NE(out.find(".bytes hex \"ff10\""), std::string::npos) << out;
    EXPECT_NE(out.find(".bytes hex \"4601020000\""), std::string::npos) << out;
    EXPECT_NE(out.find(".bytes hex \"0d\""), std::string::npos) << out;
    EXPECT_NE(out.find("; note: line-table entry 1"), std::string::npos) << out;
    EXPECT_NE(out.find("runs past the bytecode section"), std::string::npos) << out;
    EXPECT_NE(out.find(".meta 0x21 hex \"010000\""), std::string::npos) << out;
    Result<Module> back = assemble(out, "bad.runas");
    ASSERT_TRUE(back.ok()) << back.error().describe() << "\n" << out;
    // The first three functions keep their code exactly.
    EXPECT_EQ(Bytes(back->code.begin(), back->code.begin() + 14), m.code);
    EXPECT_EQ(back->functions[1].name, "");
    EXPECT_EQ(back->functions[3].code_length, 0u);
  }
}

TEST(Disassembler, EmptyModule) {
  const std::string out = disassemble(Module{}, {.annotate = false});
  EXPECT_EQ(out, ".format 1.2\n.min_vm 1.0\n.created 0\n.flags 0\n");
  Result<Module> back = assemble(out, "empty.runas");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), Module{});
}

}  // namespace
}  // namespace runa::module
