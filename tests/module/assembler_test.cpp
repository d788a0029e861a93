// The `.runas` assembler (docs/bytecode.md §4): every directive, every
// opcode's operand forms, inline constants, forward references, labels,
// `@` checks, the published examples, and errors with line and column.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "runatime/bytecode.hpp"
#include "runatime/module.hpp"

namespace runa::module {
namespace {

using bytecode::Op;

Module assembled(const std::string& text) {
  Result<Module> m = assemble(text, "test.runas");
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().describe()) << "\n" << text;
  return m.ok() ? std::move(m).value() : Module{};
}

// The instructions of function `index`, decoded.
std::vector<bytecode::Instruction> code_of(const Module& m, std::size_t index) {
  std::vector<bytecode::Instruction> out;
  const Function& f = m.functions.at(index);
  const std::span<const std::uint8_t> code(m.code.data() + f.code_offset, f.code_length);
  for (std::uint32_t pc = 0; pc < code.size();) {
    Result<bytecode::Instruction> ins = bytecode::decode(code, pc);
    EXPECT_TRUE(ins.ok()) << "at " << pc;
    if (!ins.ok()) break;
    out.push_back(*ins);
    pc += ins->length;
  }
  return out;
}

TEST(Assembler, PublishedAddExample) {
  const Module m = assembled(R"(
.type 1 primitive Integer
.type 2 function "(Integer,Integer)->Integer" params Integer Integer returns Integer
.function 1 add type "(Integer,Integer)->Integer" flags 0
  .param a type Integer
  .param b type Integer
  LOAD_LOCAL a
  LOAD_LOCAL b
  ADD
  RETURN
.end
)");
  ASSERT_EQ(m.functions.size(), 1u);
  const Function& f = m.functions[0];
  EXPECT_EQ(f.id, 1u);
  EXPECT_EQ(f.name, "add");
  EXPECT_EQ(f.type, 2u);
  ASSERT_EQ(f.params.size(), 2u);
  EXPECT_EQ(f.params[1].name, "b");
  EXPECT_EQ(f.params[1].type, 1u);
  EXPECT_EQ(f.code_offset, 0u);
  EXPECT_EQ(m.code, (Bytes{0x03, 0, 0, 0x03, 1, 0, 0x10, 0x0C}));
  EXPECT_EQ(f.code_length, 8u);
  EXPECT_EQ(m.types[1].kind, TypeKind::kFunction);
  EXPECT_EQ(m.types[1].refs, (std::vector<std::uint32_t>{1, 1}));
  EXPECT_EQ(m.types[1].result, 1u);
  EXPECT_EQ(m.header.flags, 0u);
  EXPECT_EQ(m.header.format, kFormatVersion);
  EXPECT_EQ(m.header.min_vm, (Version{1, 0}));
}

constexpr const char* kPerson = R"(
; The published Person example: a struct, its constructor and a method.
.type 1 primitive Text
.type 2 primitive Integer
.type 3 primitive Boolean
.type 4 struct Person
  .field name type Text
  .field age type Integer
.type 5 function "(Person,Text,Integer)->Person" params Person Text Integer returns Person
.type 6 function "(Person)->Boolean" params Person returns Boolean

.function 1 initialize type "(Person,Text,Integer)->Person" flags METHOD|CONSTRUCTOR
  .param self type Person
  .param name type Text
  .param age type Integer
  LOAD_LOCAL self
  LOAD_LOCAL name
  STORE_FIELD Person.name
  LOAD_LOCAL self
  LOAD_LOCAL age
  STORE_FIELD Person.age
  LOAD_LOCAL self
  RETURN
.end

.function 2 is_adult type "(Person)->Boolean" flags METHOD
  .param self type Person
  LOAD_LOCAL 0
  LOAD_FIELD 1
  PUSH_CONST 18
  GE
  RETURN
.end
)";

TEST(Assembler, PublishedPersonExample) {
  const Module m = assembled(kPerson);
  ASSERT_EQ(m.functions.size(), 2u);
  EXPECT_EQ(m.functions[0].flags, kFnMethod | kFnConstructor);
  EXPECT_EQ(m.functions[1].flags, kFnMethod);
  const TypeDef& person = m.types[3];
  ASSERT_EQ(person.fields.size(), 2u);
  EXPECT_EQ(person.fields[0].offset, 0u);
  EXPECT_EQ(person.fields[1].offset, 8u);
  EXPECT_EQ(person.fields[1].type, 2u);

  const auto init = code_of(m, 0);
  ASSERT_EQ(init.size(), 8u);
  const Op init_ops[] = {Op::kLoadLocal, Op::kLoadLocal,  Op::kStoreField, Op::kLoadLocal,
                         Op::kLoadLocal, Op::kStoreField, Op::kLoadLocal,  Op::kReturn};
  const std::uint32_t init_a[] = {0, 1, 0, 0, 2, 1, 0, 0};
  for (std::size_t i = 0; i < init.size(); ++i) {
    EXPECT_EQ(init[i].op, init_ops[i]) << i;
    EXPECT_EQ(init[i].a, init_a[i]) << i;
  }

  const auto adult = code_of(m, 1);
  ASSERT_EQ(adult.size(), 5u);
  EXPECT_EQ(adult[0].op, Op::kLoadLocal);
  EXPECT_EQ(adult[0].a, 0u);
  EXPECT_EQ(adult[1].op, Op::kLoadField);
  EXPECT_EQ(adult[1].a, 1u);
  EXPECT_EQ(adult[2].op, Op::kPushConst);
  ASSERT_LT(adult[2].a, m.constants.size());
  EXPECT_EQ(m.constants[adult[2].a].kind, ConstKind::kInteger);
  EXPECT_EQ(m.constants[adult[2].a].integer, 18);
  EXPECT_EQ(adult[3].op, Op::kGe);
  EXPECT_EQ(adult[4].op, Op::kReturn);
  // Functions' code is back to back in .function order.
  EXPECT_EQ(m.functions[1].code_offset, m.functions[0].code_length);
  EXPECT_EQ(m.code.size(), m.functions[0].code_length + m.functions[1].code_length);
}

TEST(Assembler, HeaderDirectives) {
  const Module m = assembled(R"(
.format 1.1
.min_vm 1.2
.created -1764000000
.flags OPTIMIZED|strict_types|0x100
.source_hash 00112233445566778899aabbccddeeff
.native "libm.so.6"
.native "libz.so.1"
)");
  EXPECT_EQ(m.header.format, (Version{1, 1}));
  EXPECT_EQ(m.header.min_vm, (Version{1, 2}));
  EXPECT_EQ(m.header.created, -1764000000);
  EXPECT_EQ(m.header.flags, kOptimized | kStrictTypes | 0x100u);
  ASSERT_TRUE(m.header.source_hash.has_value());
  EXPECT_EQ((*m.header.source_hash)[0], 0x00);
  EXPECT_EQ((*m.header.source_hash)[15], 0xff);
  EXPECT_EQ(m.header.native_libraries, (std::vector<std::string>{"libm.so.6", "libz.so.1"}));
}

TEST(Assembler, ConstantDirectives) {
  const Module m = assembled(R"(
.const int 42
.const int -9223372036854775808
.const int 0xffffffffffffffff
.const float 1.5
.const float -0.0
.const float 1e-9
.const float float_bits 0x7ff8000000000001
.const bool true
.const text "hello\n\t\r\0\\\"\x00\xff\u{e9}\u{1F600}"
.const null
.const list #0 #1 #2
.const map #0 #1 #2 #3
.const function fib
.const type Integer
.const extern "print" 0
.const extern "sin" 2
.const function 77
.const bool false
.type 5 primitive Integer
.function 9 fib type 5 flags NATIVE
.end
)");
  ASSERT_EQ(m.constants.size(), 18u);
  EXPECT_EQ(m.constants[0].integer, 42);
  EXPECT_EQ(m.constants[1].integer, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(m.constants[2].integer, -1);
  EXPECT_EQ(m.constants[3].decimal, 1.5);
  EXPECT_TRUE(std::signbit(m.constants[4].decimal));
  EXPECT_EQ(m.constants[5].decimal, 1e-9);
  std::uint64_t bits = 0;
  std::memcpy(&bits, &m.constants[6].decimal, 8);
  EXPECT_EQ(bits, 0x7ff8000000000001u);
  EXPECT_TRUE(m.constants[7].boolean);
  EXPECT_EQ(m.constants[8].text,
            std::string("hello\n\t\r\0\\\"\x00\xff\xc3\xa9\xf0\x9f\x98\x80", 19));
  EXPECT_EQ(m.constants[9].kind, ConstKind::kNull);
  EXPECT_EQ(m.constants[10].items, (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_EQ(m.constants[11].kind, ConstKind::kMap);
  EXPECT_EQ(m.constants[11].items.size(), 4u);
  EXPECT_EQ(m.constants[12].kind, ConstKind::kFunction);
  EXPECT_EQ(m.constants[12].ref, 9u);  // forward reference by name
  EXPECT_EQ(m.constants[13].ref, 5u);
  EXPECT_EQ(m.constants[14].text, "print");
  EXPECT_EQ(m.constants[14].ref, 0u);
  EXPECT_EQ(m.constants[15].ref, 2u);
  EXPECT_EQ(m.constants[16].ref, 77u);  // a bare number is an id, not checked
  EXPECT_FALSE(m.constants[17].boolean);
}

TEST(Assembler, TypeDirectives) {
  const Module m = assembled(R"(
.type 1 primitive Integer
.type 2 primitive String
.type 3 struct Person
  .field name type String
  .field age type Integer offset 12 flags READONLY|weak
.type 4 list "List[Integer]" of Integer
.type 5 map "Map[String,Integer]" key String value Integer
.type 6 function "(Integer,Integer)->Integer" params Integer Integer returns Integer
.type 7 optional "Integer?" of Integer
.type 8 union "Integer|String" of Integer String
.type 9 external FileHandle layout hex "0800"
.type 10 function "()->Later" params returns Later
.type 11 primitive Later
)");
  ASSERT_EQ(m.types.size(), 11u);
  EXPECT_EQ(m.types[2].fields[0].offset, 0u);
  EXPECT_EQ(m.types[2].fields[1].offset, 12u);
  EXPECT_EQ(m.types[2].fields[1].flags, kFieldReadonly | kFieldWeak);
  EXPECT_EQ(m.types[3].refs, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(m.types[4].refs, (std::vector<std::uint32_t>{2, 1}));
  EXPECT_EQ(m.types[5].refs.size(), 2u);
  EXPECT_EQ(m.types[6].kind, TypeKind::kOptional);
  EXPECT_EQ(m.types[7].refs, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(m.types[8].layout, (Bytes{0x08, 0x00}));
  EXPECT_TRUE(m.types[9].refs.empty());
  EXPECT_EQ(m.types[9].result, 11u);
}

TEST(Assembler, MetadataDirectives) {
  const Module m = assembled(R"(
.meta source_path "hello.runa"
.meta compiler_version "runac 0.1"
.meta compile_options "{\"opt\": 2}"
.meta license "MIT"
.meta module_deps "core" ">=1.0", "io" "1.2"
.meta native_lib_deps "libm.so.6", "libz.so.1"
.meta author "A. Person"
.meta version "1.0.0"
.meta opt_level 2
.meta jit_hints hex "0102"
.meta security "{}"
.meta supertypes Dog Animal
.meta globals counter Integer, greeting 2
.meta 0x7f hex "00ff"
.meta module_deps
.type 1 primitive Integer
.type 3 struct Animal
.type 4 struct Dog
)");
  ASSERT_EQ(m.metadata.size(), 15u);
  const auto text = [&](std::size_t i) {
    return std::string(m.metadata[i].data.begin(), m.metadata[i].data.end());
  };
  EXPECT_EQ(m.metadata[0].type, kMetaSourcePath);
  EXPECT_EQ(text(0), "hello.runa");
  EXPECT_EQ(text(2), "{\"opt\": 2}");
  EXPECT_EQ(m.metadata[4].type, kMetaModuleDeps);
  EXPECT_EQ(m.metadata[4].data,
            (Bytes{2,   0,   0,   0,   4, 0, 0, 0, 'c', 'o', 'r', 'e', 5, 0, 0,   0,   '>',
                   '=', '1', '.', '0', 2, 0, 0, 0, 'i', 'o', 3,   0,   0, 0, '1', '.', '2'}));
  EXPECT_EQ(m.metadata[5].data.size(), 4u + 13 + 13);
  EXPECT_EQ(m.metadata[8].data, (Bytes{2}));
  EXPECT_EQ(m.metadata[9].data, (Bytes{1, 2}));
  EXPECT_EQ(m.metadata[11].type, kMetaSupertypes);
  EXPECT_EQ(m.metadata[11].data, (Bytes{1, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0}));
  EXPECT_EQ(m.metadata[12].data,
            (Bytes{2, 0, 0, 0, 7, 0,   0,   0,   'c', 'o', 'u', 'n', 't', 'e', 'r', 1, 0, 0,
                   0, 8, 0, 0, 0, 'g', 'r', 'e', 'e', 't', 'i', 'n', 'g', 2,   0,   0, 0}));
  EXPECT_EQ(m.metadata[13].type, 0x7f);
  EXPECT_EQ(m.metadata[13].data, (Bytes{0x00, 0xff}));
  EXPECT_EQ(m.metadata[14].data, (Bytes{0, 0, 0, 0}));
}

TEST(Assembler, DebugDirectives) {
  const Module m = assembled(R"(
.type 1 primitive Integer
.source 1 "examples/fib.runa" hash 00112233445566778899aabbccddeeff
.source 2 "other.runa"
.function 1 main type 1
  .local x type Integer slot 0 scope 0 4
  .loc 1 12 5
  NOP
  .loc 1 13 1
  .loc 2 1 1
  LOAD_LOCAL x
.end
.function 2 next type 1
  .loc 1 20 3
  RETURN
.end
.vardebug main x 12 9
.vardebug 2 3 20 1
)");
  EXPECT_EQ(m.header.flags, kHasDebugInfo);  // implied by .source, .loc, .vardebug
  ASSERT_EQ(m.debug.files.size(), 2u);
  EXPECT_TRUE(m.debug.files[0].hash.has_value());
  EXPECT_FALSE(m.debug.files[1].hash.has_value());
  ASSERT_EQ(m.debug.lines.size(), 4u);
  EXPECT_EQ(m.debug.lines[0], (LineEntry{0, 1, 12, 5}));
  EXPECT_EQ(m.debug.lines[1], (LineEntry{1, 1, 13, 1}));
  EXPECT_EQ(m.debug.lines[2], (LineEntry{1, 2, 1, 1}));
  EXPECT_EQ(m.debug.lines[3], (LineEntry{4, 1, 20, 3}));  // section offset, not function's
  ASSERT_EQ(m.debug.vars.size(), 2u);
  EXPECT_EQ(m.debug.vars[0], (VarDebug{1, 0, 12, 9}));
  EXPECT_EQ(m.debug.vars[1], (VarDebug{2, 3, 20, 1}));
}

// One row per line of a function that uses every opcode; `a` and `b` are
// the decoded fixed operands, kEnd stands for the offset of the end label.
constexpr std::uint32_t kEnd = 0xEEEEEEEE;
struct Row {
  const char* text;
  Op op;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
};

// Constants: #0 int 7, #1 text "size" (also used inline), then inline ones.
const Row kRows[] = {
    {"NOP", Op::kNop},
    {"PUSH_CONST #0", Op::kPushConst, 0},
    {"PUSH_CONST 7", Op::kPushConst, 0},        // interned: same as #0
    {"PUSH_CONST int 8", Op::kPushConst, 2},    // appended after the pool
    {"PUSH_CONST 8", Op::kPushConst, 2},        // reused
    {"PUSH_CONST float 8", Op::kPushConst, 3},  // a Decimal, not the Integer
    {"LOAD_LOCAL i", Op::kLoadLocal, 1},
    {"STORE_LOCAL 0", Op::kStoreLocal, 0},
    {"LOAD_GLOBAL greeting", Op::kLoadGlobal, 1},
    {"STORE_GLOBAL 0", Op::kStoreGlobal, 0},
    {"LOAD_FIELD Dog.name", Op::kLoadField, 0},
    {"STORE_FIELD Dog.tricks", Op::kStoreField, 1},
    {"NEW Dog", Op::kNew, 4},
    {"CALL 2", Op::kCall, 2},
    {"CALL_METHOD \"size\" 1", Op::kCallMethod, 1, 1},
    {"RETURN", Op::kReturn},
    {"JUMP top", Op::kJump, 0},
    {"JUMP_IF_TRUE end", Op::kJumpIfTrue, kEnd},
    {"JUMP_IF_FALSE 3", Op::kJumpIfFalse, 3},
    {"ADD", Op::kAdd},
    {"SUB", Op::kSub},
    {"MUL", Op::kMul},
    {"DIV", Op::kDiv},
    {"MOD", Op::kMod},
    {"NEG", Op::kNeg},
    {"EQ", Op::kEq},
    {"NE", Op::kNe},
    {"LT", Op::kLt},
    {"LE", Op::kLe},
    {"GT", Op::kGt},
    {"GE", Op::kGe},
    {"AND", Op::kAnd},
    {"OR", Op::kOr},
    {"NOT", Op::kNot},
    {"DUP", Op::kDup},
    {"POP", Op::kPop},
    {"SWAP", Op::kSwap},
    {"NEW_LIST 3", Op::kNewList, 3},
    {"new_map 255", Op::kNewMap, 255},
    {"GET_ITEM", Op::kGetItem},
    {"SET_ITEM", Op::kSetItem},
    {"THROW", Op::kThrow},
    {"TRY_BEGIN top none", Op::kTryBegin, 0, 0xFFFFFFFF},
    {"TRY_END", Op::kTryEnd},
    {"CATCH_BEGIN *", Op::kCatchBegin, 0xFFFF},
    {"CATCH_BEGIN type Animal", Op::kCatchBegin, 4},
    {"CATCH_END", Op::kCatchEnd},
    {"FINALLY_BEGIN", Op::kFinallyBegin},
    {"FINALLY_END", Op::kFinallyEnd},
    {"LOAD_UPVALUE 0", Op::kLoadUpvalue, 0},
    {"STORE_UPVALUE 0x10", Op::kStoreUpvalue, 16},
    {"CLOSURE helper local i upvalue 2", Op::kClosure, 2},
    {"TYPE_CHECK Integer", Op::kTypeCheck, 1},
    {"CAST 1", Op::kCast, 1},
    {"LOAD_MODULE \"io\"", Op::kLoadModule, 5},
    {"IMPORT \"print\" #1 \"io\"", Op::kImport},
    {"YIELD", Op::kYield},
    {"AWAIT", Op::kAwait},
    {"ITER_CREATE", Op::kIterCreate},
    {"ITER_NEXT end", Op::kIterNext, kEnd},
    {"TYPEOF", Op::kTypeOf},
    {"INSTANCEOF Animal", Op::kInstanceOf, 3},
    {"LAMBDA local 0 upvalue 1", Op::kLambda},
    {"SPREAD", Op::kSpread},
    {"UNPACK 2", Op::kUnpack, 2},
    {"SWITCH_TABLE 1 top, -2 end, 0x10 7", Op::kSwitchTable},
    {"INVOKE_FFI sin", Op::kInvokeFfi, 3},
    {"INT_TO_DOUBLE", Op::kIntToDouble},
    {"DOUBLE_TO_INT", Op::kDoubleToInt},
    {"TEXT_CONCAT 0", Op::kTextConcat, 0},
    {"UNWIND", Op::kUnwind},
    {"DEBUG_BREAK 42", Op::kDebugBreak, 42},
};

std::string every_opcode_source() {
  std::string s = R"(
.const int 7
.const text "size"
.type 1 primitive Integer
.type 2 function "()->Integer" params returns Integer
.type 3 struct Animal
  .field name type Integer
.type 4 struct Dog
  .field name type Integer
  .field tricks type Integer
.meta supertypes Dog Animal
.meta globals counter Integer, greeting Integer
.function 1 main type "()->Integer"
  .param argv type Integer
  .local i type Integer slot 1 scope top end
top:
)";
  for (const Row& r : kRows) s += "  " + std::string(r.text) + "\n";
  s += R"(end:
.end
.function 2 helper type 2
  RETURN
.end
.function 3 sin type 2 flags EXTERNAL
.end
)";
  return s;
}

TEST(Assembler, EveryOpcodeAndOperandForm) {
  const Module m = assembled(every_opcode_source());
  const auto code = code_of(m, 0);
  ASSERT_EQ(code.size(), std::size(kRows));
  const std::uint32_t end = m.functions[0].code_length;
  std::set<Op> seen;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const Row& r = kRows[i];
    SCOPED_TRACE(r.text);
    EXPECT_EQ(code[i].op, r.op);
    EXPECT_EQ(code[i].a, r.a == kEnd ? end : r.a);
    EXPECT_EQ(code[i].b, r.b == kEnd ? end : r.b);
    seen.insert(code[i].op);
  }
  std::size_t opcodes = 0;
  for (int b = 0; b < 256; ++b) opcodes += bytecode::info(static_cast<std::uint8_t>(b)) != nullptr;
  EXPECT_EQ(seen.size(), opcodes);  // the table has 67: 0x01-0x33 and 0x40-0x4F

  EXPECT_EQ(m.functions[0].locals[0].scope_start, 0u);
  EXPECT_EQ(m.functions[0].locals[0].scope_end, end);

  // Variable operand lists.
  auto find = [&](Op op) {
    for (const auto& ins : code) {
      if (ins.op == op) return ins;
    }
    return bytecode::Instruction{};
  };
  const auto closure = find(Op::kClosure);
  ASSERT_EQ(closure.count, 2u);
  EXPECT_EQ(closure.capture(0).kind, bytecode::kCaptureLocal);
  EXPECT_EQ(closure.capture(0).index, 1u);
  EXPECT_EQ(closure.capture(1).kind, bytecode::kCaptureUpvalue);
  EXPECT_EQ(closure.capture(1).index, 2u);
  const auto lambda = find(Op::kLambda);
  ASSERT_EQ(lambda.count, 2u);
  EXPECT_EQ(lambda.capture(1).kind, bytecode::kCaptureUpvalue);
  const auto import = find(Op::kImport);
  ASSERT_EQ(import.count, 3u);
  EXPECT_EQ(import.symbol(1), 1u);
  EXPECT_EQ(import.symbol(2), 5u);  // "io", interned from LOAD_MODULE
  EXPECT_EQ(m.constants[import.symbol(0)].text, "print");
  const auto sw = find(Op::kSwitchTable);
  ASSERT_EQ(sw.count, 3u);
  EXPECT_EQ(sw.switch_case(0).value, 1);
  EXPECT_EQ(sw.switch_case(0).target, 0u);
  EXPECT_EQ(sw.switch_case(1).value, -2);
  EXPECT_EQ(sw.switch_case(1).target, end);
  EXPECT_EQ(sw.switch_case(2).value, 16);
  EXPECT_EQ(sw.switch_case(2).target, 7u);
}

TEST(Assembler, InlineConstantsAreInternedInOrderOfFirstUse) {
  const Module m = assembled(R"(
.const float float_bits 0x7ff8000000000001
.const text "a"
.const int 1
.const int 1
.function 1 main type 1
  PUSH_CONST float float_bits 0x7ff8000000000001
  PUSH_CONST float float_bits 0x7ff8000000000002
  PUSH_CONST 1
  PUSH_CONST "b"
  PUSH_CONST "a"
  PUSH_CONST -0.0
  PUSH_CONST 0.0
  PUSH_CONST float -0.0
  PUSH_CONST true
  PUSH_CONST bool true
  PUSH_CONST null
  PUSH_CONST function main
  PUSH_CONST type T
  PUSH_CONST type 9
  PUSH_CONST extern "print"
  PUSH_CONST extern "print" 1
  PUSH_CONST text "b"
.end
.type 9 primitive T
)");
  const std::uint32_t want[] = {0, 4, 2, 5, 1, 6, 7, 6, 8, 8, 9, 10, 11, 11, 12, 13, 5};
  const auto code = code_of(m, 0);
  ASSERT_EQ(code.size(), std::size(want));
  for (std::size_t i = 0; i < code.size(); ++i) EXPECT_EQ(code[i].a, want[i]) << i;
  ASSERT_EQ(m.constants.size(), 14u);
  EXPECT_EQ(m.constants[3].integer, 1);  // the duplicate .const stays
  EXPECT_EQ(m.constants[10].kind, ConstKind::kFunction);
  EXPECT_EQ(m.constants[11].ref, 9u);
  EXPECT_EQ(m.constants[13].ref, 1u);
}

TEST(Assembler, ForwardReferencesAndLabels) {
  const Module m = assembled(R"(
.function 1 main type Fn
  JUMP later
back:
  CALL_METHOD "x" 0
  CLOSURE helper
  NEW Box
later:
  JUMP_IF_TRUE back
  JUMP 0x0
.end
.function 2 helper type Fn
  RETURN
.end
.type 7 function Fn params returns Box
.type 8 struct Box
)");
  const auto code = code_of(m, 0);
  ASSERT_EQ(code.size(), 6u);
  EXPECT_EQ(m.functions[0].type, 7u);
  EXPECT_EQ(code[0].a, 20u);  // after JUMP 5, CALL_METHOD 4, CLOSURE 6 and NEW 5 bytes
  EXPECT_EQ(code[2].a, 2u);
  EXPECT_EQ(code[3].a, 8u);
  EXPECT_EQ(code[4].a, 5u);
  EXPECT_EQ(code[5].a, 0u);
}

TEST(Assembler, OffsetColumnIsChecked) {
  const Module m = assembled(R"(
.function 1 main type 1
  @0000  NOP          ; comment
  @0001  PUSH_CONST 1
  @4     .bytes hex "ff00"
  @0006  RETURN
.end
)");
  EXPECT_EQ(m.code, (Bytes{0x01, 0x02, 0, 0, 0xff, 0x00, 0x0C}));

  Result<Module> bad =
      assemble(".function 1 main type 1\n  @0000 NOP\n  @0002 NOP\n.end\n", "x.runas");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().line, 3u);
  EXPECT_EQ(bad.error().column, 3u);
  EXPECT_NE(bad.error().message.find("offset 0001"), std::string::npos) << bad.error().message;
}

TEST(Assembler, InheritedFieldsViaSupertypes) {
  const Module m = assembled(R"(
.type 1 primitive Integer
.type 2 struct Animal
  .field legs type Integer
.type 3 struct Dog
  .field legs type Integer
  .field tricks type Integer
.type 4 struct Puppy
  .field legs type Integer
  .field tricks type Integer
  .field age type Integer
.meta supertypes Dog Animal, Puppy Dog
.function 1 main type 1
  LOAD_FIELD Puppy.legs
  LOAD_FIELD Puppy.tricks
  LOAD_FIELD Puppy.age
  LOAD_FIELD Animal.legs
.end
)");
  const auto code = code_of(m, 0);
  ASSERT_EQ(code.size(), 4u);
  EXPECT_EQ(code[0].a, 0u);
  EXPECT_EQ(code[1].a, 1u);
  EXPECT_EQ(code[2].a, 2u);
  EXPECT_EQ(code[3].a, 0u);
  // A field the subtype's list lacks is found along its supertypes.
  const Module sparse = assembled(R"(
.type 2 struct Animal
  .field legs type 1
.type 3 struct Dog
.meta supertypes Dog Animal
.function 1 main type 1
  LOAD_FIELD Dog.legs
.end
)");
  EXPECT_EQ(code_of(sparse, 0)[0].a, 0u);
}

TEST(Assembler, KeywordsAndOpcodesIgnoreCaseNamesDoNot) {
  const Module m = assembled(R"(
.TYPE 1 Primitive Integer
.Function 1 Main TYPE Integer FLAGS method|Constructor
  .PARAM Self Type Integer
  load_local Self
  Return
.END
)");
  EXPECT_EQ(m.functions[0].flags, kFnMethod | kFnConstructor);
  EXPECT_EQ(m.code, (Bytes{0x03, 0, 0, 0x0C}));
  EXPECT_FALSE(assemble(".type 1 primitive Integer\n.function 1 f type integer\n.end\n", "x").ok());
}

struct Mistake {
  const char* source;
  std::uint32_t line;
  std::uint32_t column;
  const char* message;  // a part of the message
};

const Mistake kMistakes[] = {
    {".function 1 main type 1\n  LOAD_LOCL 0\n.end\n", 2, 3,
     "unknown opcode 'LOAD_LOCL' (did you mean LOAD_LOCAL?)"},
    {".function 1 main type 1\n  JUMP loop\n.end\n", 2, 8,
     "label 'loop' is not defined in function 'main'"},
    {".function 1 main type 1\nx:\n  NOP\nx:\n.end\n", 4, 1,
     "label 'x' is already defined at line 2 in function 'main'"},
    {".const text \"a\\qb\"\n", 1, 15, "bad escape '\\q'"},
    {".const text \"abc\n", 1, 13, "unterminated string"},
    {".const text \"\\xZZ\"\n", 1, 14, "\\x must be followed by exactly two hex digits"},
    {".const text \"\\u{110000}\"\n", 1, 14, "not a Unicode scalar value"},
    {".function 1 main type 1\n  PUSH_CONST #70000\n.end\n", 2, 14,
     "PUSH_CONST's constant index 70000 is out of range (0 to 65535)"},
    {".function 1 main type 1\n  NEW_LIST 256\n.end\n", 2, 12,
     "NEW_LIST's count 256 is out of range (0 to 255)"},
    {".function 1 main type Missing\n.end\n", 1, 23, "unknown type 'Missing'"},
    {".const function nope\n", 1, 17, "unknown function 'nope'"},
    {"ADD\n", 1, 1, "instruction ADD is outside a function"},
    {".field x type 1\n", 1, 1, "'.field' must follow a '.type ... struct' line"},
    {".function 1 main type 1\n  LOAD_LOCAL\n.end\n", 2, 13, "expected LOAD_LOCAL's slot"},
    {".function 1 main type 1\n  ADD 1\n.end\n", 2, 7,
     "unexpected number 1 at the end of the line"},
    {".function 1 main type 1\n  NOP\n  .param a type 1\n.end\n", 3, 3,
     "'.param' must come before the first instruction of 'main'"},
    {"\n.function 1 main type 1\n  NOP\n", 2, 1, "'.end' is missing"},
    {".type 9 external F layout hex \"abc\"\n", 1, 31, "even number of hex digits"},
    {".function 1 main type 1 flags METHD\n.end\n", 1, 31, "unknown function flag 'METHD'"},
    {".function 1 main type 1\n  LOAD_LOCAL nobody\n.end\n", 2, 14,
     "'nobody' is not a parameter or local of function 'main'"},
    {".function 1 a type 1\n.end\n.function 2 a type 1\n.end\n.const function a\n", 5, 17,
     "function name 'a' is ambiguous (ids 1, 2)"},
    {".frobnicate 1\n", 1, 1, "unknown directive '.frobnicate'"},
    {".function 1 main type 1\n  .const int 1\n.end\n", 2, 3,
     "'.const' is not allowed inside function 'main' (is its '.end' missing?)"},
    {".function 1 main type 1\n  LOAD_GLOBAL g\n.end\n", 2, 15, "unknown global 'g'"},
    {".type 1 struct P\n  .field a type 1\n.function 1 main type 1\n  LOAD_FIELD P.b\n.end\n", 4,
     14, "struct 'P' has no field 'b'"},
    {".const map #1 #2 #3\n", 1, 8, "a map constant needs key/value pairs"},
    {".format 1\n", 1, 9, "expected a version MAJOR.MINOR"},
    {".const int 9223372036854775808\n", 1, 12, "out of range"},
    {".source_hash 0011\n", 1, 14, "expected a hash of exactly 32 hex digits"},
    {".end\n", 1, 1, "'.end' belongs inside a function"},
    {".function 1 main type 1\n  PUSH_CONST *\n.end\n", 2, 14, "only for CATCH_BEGIN"},
    {".const float 1e999\n", 1, 14, "out of range"},
    {".const int 1 2\n", 1, 14, "unexpected number 2 at the end of the line"},
    {".function 1 main type 1\n  CLOSURE main local\n.end\n", 2, 21, "expected CLOSURE's slot"},
    {".type 1 prim Integer\n", 1, 9, "expected a type kind"},
    {".meta unknown \"x\"\n", 1, 7, "expected a metadata entry"},
    {"  ! \n", 1, 3, "unexpected character '!'"},
};

TEST(Assembler, ErrorsSayWhereAndWhat) {
  for (const Mistake& k : kMistakes) {
    SCOPED_TRACE(k.source);
    Result<Module> m = assemble(k.source, "bad.runas");
    ASSERT_FALSE(m.ok());
    const Error& e = m.error();
    EXPECT_EQ(e.section, "bad.runas");
    EXPECT_EQ(e.line, k.line) << e.describe();
    EXPECT_EQ(e.column, k.column) << e.describe();
    EXPECT_NE(e.message.find(k.message), std::string::npos) << e.describe();
  }
}

}  // namespace
}  // namespace runa::module
