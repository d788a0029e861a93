// The verifier's bytecode checks (docs/bytecode.md §3 items 7 and 9):
// decoding, every opcode's operand checks, branch targets, the stack-height
// interpretation, LAMBDA's statically known function and upvalue counts.
// Try statements are in verify_try_test.cpp.
#include <gtest/gtest.h>

#include <functional>

#include "module_builder.hpp"

namespace runa::verify_test {
namespace {

using module::kFnAsync;
using module::kFnExternal;
using module::kFnGenerator;

// A module whose main is `code`.
Module with_main(const Code& code) {
  ModuleBuilder b;
  b.main(code);
  return b.build();
}

// A module with f(Integer) -> Integer, id 2, running `code`.
Module with_f(const Code& code, std::uint32_t flags = 0) {
  ModuleBuilder b;
  b.add_function(2, "f", kFnIntInt, code, flags);
  return b.build();
}

// A globals metadata entry declaring `n` Integer globals g0, g1, ...
module::MetadataEntry globals(std::uint32_t n) {
  Code data;
  data.u32(n);
  for (std::uint32_t k = 0; k < n; ++k)
    data.u32(2).u8('g').u8(static_cast<std::uint8_t>('0' + k)).u32(kInt);
  return {module::kMetaGlobals, data.bytes()};
}

// ---- decoding ----

// The operand stack may reach kMaxStack values and no more: a crafted
// function cannot make a tier reserve more for its frame.
TEST(VerifyStack, HeightIsCappedAtTheLimit) {
  auto deep = [](std::uint32_t n) {
    Code c;
    for (std::uint32_t i = 0; i < n; ++i) c.op(Op::kPushConst).u16(kConst7);
    for (std::uint32_t i = 1; i < n; ++i) c.op(Op::kPop);
    c.op(Op::kReturn);
    return with_main(c);
  };
  auto ok = module::verify(deep(module::kMaxStack));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->functions[0].max_stack, module::kMaxStack);
  EXPECT_TRUE(rejects(deep(module::kMaxStack + 1), "bytecode", 1U,
                      "the operand stack grows past 65535 values"));
}

TEST(VerifyDecode, UnknownOpcode) {
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kNop).u8(0x00)), "bytecode", 1U,
                      "function 1 'main', at pc 1: unknown opcode 0x00"));
  EXPECT_TRUE(rejects(with_main(Code().u8(0x34)), "bytecode", 1U, "unknown opcode 0x34"));
}

TEST(VerifyDecode, OperandsStayInsideTheFunction) {
  // main ends with PUSH_CONST and one byte of its operand; the next
  // function's first byte must not complete it.
  ModuleBuilder b;
  b.main(Code().op(Op::kPushConst).u16(0).op(Op::kReturn).op(Op::kPushConst).u8(0));
  b.add_function(2, "f", kFnInt, Code().ret());
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U, "at pc 4: PUSH_CONST"));
}

TEST(VerifyDecode, DebugBreakAndNopNeedNothing) {
  EXPECT_TRUE(accepts(with_main(Code().op(Op::kNop).op(Op::kDebugBreak).u16(12).ret())));
}

// ---- operands ----

TEST(VerifyOperands, PushConstIndexInRange) {
  EXPECT_TRUE(accepts(with_main(Code().ret(kConstTrue))));
  EXPECT_TRUE(rejects(with_main(Code().ret(4)), "bytecode", 1U,
                      "at pc 0 (PUSH_CONST): constant #4 does not exist (the pool has 4)"));
}

TEST(VerifyOperands, LocalSlotsInsideTheFrame) {
  EXPECT_TRUE(accepts(with_f(Code().op(Op::kLoadLocal).u16(0).op(Op::kStoreLocal).u16(0).ret())));
  EXPECT_TRUE(rejects(with_f(Code().op(Op::kLoadLocal).u16(1).op(Op::kReturn)), "bytecode", 2U,
                      "at pc 0 (LOAD_LOCAL): slot 1 is outside the frame of 1 slots"));
  EXPECT_TRUE(rejects(with_f(Code().op(Op::kPushConst).u16(0).op(Op::kStoreLocal).u16(7).ret()),
                      "bytecode", 2U, "(STORE_LOCAL): slot 7"));
}

TEST(VerifyOperands, GlobalsDeclaredInMetadata) {
  const Code load = Code().op(Op::kLoadGlobal).u16(1).op(Op::kStoreGlobal).u16(0).ret();
  ModuleBuilder b;
  b.main(load);
  b.m().metadata.push_back(globals(2));
  EXPECT_TRUE(accepts(b.build()));
  b.m().metadata = {globals(1)};
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U,
                      "(LOAD_GLOBAL): global 1 does not exist (the module declares 1)"));
  b.m().metadata.clear();
  b.main(Code().op(Op::kPushConst).u16(0).op(Op::kStoreGlobal).u16(0).ret());
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U, "(STORE_GLOBAL): global 0 does not exist"));
}

TEST(VerifyOperands, FieldIndexBelowTheMostFields) {
  const auto code = [](std::uint16_t field) {
    return Code().op(Op::kNew).u32(kPoint).op(Op::kLoadField).u16(field).op(Op::kReturn);
  };
  EXPECT_TRUE(accepts(with_main(code(1))));
  EXPECT_TRUE(rejects(with_main(code(2)), "bytecode", 1U,
                      "(LOAD_FIELD): field 2 is not below the most fields any struct of the "
                      "module has (2)"));
  EXPECT_TRUE(rejects(with_main(Code()
                                    .op(Op::kNew)
                                    .u32(kPoint)
                                    .op(Op::kPushConst)
                                    .u16(0)
                                    .op(Op::kStoreField)
                                    .u16(2)
                                    .ret()),
                      "bytecode", 1U, "(STORE_FIELD): field 2"));
}

TEST(VerifyOperands, NewTakesAStruct) {
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kNew).u32(kInt).op(Op::kReturn)), "bytecode", 1U,
                      "(NEW): NEW needs a Struct type, but type 1 'Integer' is not one"));
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kNew).u32(99).op(Op::kReturn)), "bytecode", 1U,
                      "(NEW): type id 99 does not exist"));
}

TEST(VerifyOperands, TypeOperandsResolve) {
  for (Op op : {Op::kTypeCheck, Op::kCast, Op::kInstanceOf}) {
    const Code ok = Code().op(Op::kPushConst).u16(0).op(op).u32(kListInt).op(Op::kReturn);
    EXPECT_TRUE(accepts(with_main(ok)));
    const Code bad = Code().op(Op::kPushConst).u16(0).op(op).u32(42).op(Op::kReturn);
    EXPECT_TRUE(rejects(with_main(bad), "bytecode", 1U, "type id 42 does not exist"));
  }
}

TEST(VerifyOperands, CallsCountTheirArguments) {
  // f(7) via CALL 1, then recv.size() via CALL_METHOD with no arguments.
  ModuleBuilder b;
  const std::uint16_t fref = b.add_const(reference(ConstKind::kFunction, 1));
  b.main(Code()
             .op(Op::kPushConst)
             .u16(fref)
             .op(Op::kPushConst)
             .u16(kConst7)
             .op(Op::kCall)
             .u8(1)
             .op(Op::kCallMethod)
             .u16(kConstName)
             .u8(0)
             .op(Op::kReturn));
  EXPECT_TRUE(accepts(b.build()));
  b.main(Code().op(Op::kPushConst).u16(fref).op(Op::kCall).u8(1).op(Op::kReturn));
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U, "(CALL): stack underflow: it pops 2 values"));
}

TEST(VerifyOperands, NamesAreTextConstants) {
  const auto call = [](std::uint16_t name) {
    return Code().op(Op::kPushConst).u16(0).op(Op::kCallMethod).u16(name).u8(0).op(Op::kReturn);
  };
  EXPECT_TRUE(rejects(with_main(call(kConst7)), "bytecode", 1U,
                      "(CALL_METHOD): constant #0 must be a Text constant (the method's name)"));
  EXPECT_TRUE(rejects(with_main(call(9)), "bytecode", 1U, "constant #9 does not exist"));

  EXPECT_TRUE(accepts(with_main(Code().op(Op::kLoadModule).u16(kConstName).op(Op::kReturn))));
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kLoadModule).u16(kConstTrue).op(Op::kReturn)),
                      "bytecode", 1U, "(LOAD_MODULE): constant #3 must be a Text constant"));

  const auto import = [](std::uint16_t second) {
    return Code()
        .op(Op::kLoadModule)
        .u16(kConstName)
        .op(Op::kImport)
        .u16(2)
        .u16(kConstName)
        .u16(second)
        .op(Op::kReturn);
  };
  auto r = module::verify(with_main(import(kConstName)));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->functions[0].max_stack, 2U);  // IMPORT pushes its two symbols
  EXPECT_TRUE(rejects(with_main(import(kConstPoint)), "bytecode", 1U,
                      "(IMPORT): symbol 1: constant #2 must be a Text constant"));
}

TEST(VerifyOperands, InvokeFfiTakesAnExternalFunction) {
  ModuleBuilder b;
  b.add_function(2, "sin", kFnIntInt, Code(), kFnExternal);
  // INVOKE_FFI pops sin's one parameter.
  b.main(Code().op(Op::kPushConst).u16(0).op(Op::kInvokeFfi).u32(2).op(Op::kReturn));
  EXPECT_TRUE(accepts(b.build()));
  b.main(Code().op(Op::kInvokeFfi).u32(2).op(Op::kReturn));
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U, "(INVOKE_FFI): stack underflow: it pops 1"));
  b.main(Code().op(Op::kInvokeFfi).u32(1).op(Op::kReturn));
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U,
                      "INVOKE_FFI needs an EXTERNAL function, but function 1 'main' is not one"));
  b.main(Code().op(Op::kInvokeFfi).u32(9).op(Op::kReturn));
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U, "(INVOKE_FFI): function id 9 does not exist"));
}

TEST(VerifyOperands, YieldOnlyInGenerators) {
  const Code code = Code().op(Op::kPushConst).u16(0).op(Op::kYield).op(Op::kReturn);
  EXPECT_TRUE(accepts(with_f(code, kFnGenerator)));
  EXPECT_TRUE(rejects(with_f(code), "bytecode", 2U, "(YIELD): YIELD outside a GENERATOR function"));
  EXPECT_TRUE(rejects(with_f(code, kFnAsync), "bytecode", 2U, "YIELD outside a GENERATOR"));
}

TEST(VerifyOperands, AwaitOnlyInAsyncFunctions) {
  const Code code = Code().op(Op::kPushConst).u16(0).op(Op::kAwait).op(Op::kReturn);
  EXPECT_TRUE(accepts(with_f(code, kFnAsync)));
  EXPECT_TRUE(rejects(with_f(code), "bytecode", 2U, "(AWAIT): AWAIT outside an ASYNC function"));
  EXPECT_TRUE(rejects(with_f(code, kFnGenerator), "bytecode", 2U, "AWAIT outside an ASYNC"));
}

TEST(VerifyOperands, SwitchTable) {
  // 0: LOAD_LOCAL 0   3: SWITCH_TABLE 1 -> 32, 2 -> 36   32, 36, 40: PUSH_CONST; RETURN
  // Case values are at 8 and 20, targets at 16 and 28.
  Code ok;
  ok.op(Op::kLoadLocal).u16(0);
  ok.op(Op::kSwitchTable).u32(2).i64(1).u32(32).i64(2).u32(36);
  ok.ret().ret().ret();
  EXPECT_TRUE(accepts(with_f(ok)));
  Code dup = ok;
  dup.patch(20, 1);
  EXPECT_TRUE(rejects(with_f(dup), "bytecode", 2U,
                      "at pc 3 (SWITCH_TABLE): case value 1 appears more than once"));
  Code past = ok;
  past.patch(28, 44);
  EXPECT_TRUE(rejects(with_f(past), "bytecode", 2U,
                      "(SWITCH_TABLE): branch target 44 is past the end of the code (44 bytes)"));
  Code inside = ok;
  inside.patch(16, 33);
  EXPECT_TRUE(rejects(with_f(inside), "bytecode", 2U,
                      "(SWITCH_TABLE): branch target 33 is inside an instruction"));
}

// ---- branch targets ----

TEST(VerifyTargets, OnInstructionBoundaries) {
  // 0: PUSH_CONST true  3: JUMP_IF_FALSE 12  8: PUSH_CONST; RETURN  12: PUSH_CONST; RETURN
  const auto code = [](Op jump, std::uint32_t target) {
    return Code().op(Op::kPushConst).u16(kConstTrue).op(jump).u32(target).ret().ret();
  };
  EXPECT_TRUE(accepts(with_main(code(Op::kJumpIfFalse, 12))));
  EXPECT_TRUE(accepts(with_main(code(Op::kJumpIfTrue, 8))));
  EXPECT_TRUE(rejects(with_main(code(Op::kJumpIfFalse, 13)), "bytecode", 1U,
                      "at pc 3 (JUMP_IF_FALSE): branch target 13 is inside an instruction"));
  EXPECT_TRUE(rejects(with_main(code(Op::kJumpIfTrue, 16)), "bytecode", 1U,
                      "branch target 16 is past the end of the code (16 bytes)"));
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kJump).u32(0xFFFFFFFF)), "bytecode", 1U,
                      "(JUMP): branch target 4294967295 is past the end"));
}

// ---- the stack ----

TEST(VerifyStack, Underflow) {
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kPop).ret()), "bytecode", 1U,
                      "at pc 0 (POP): stack underflow: it pops 1 values but the stack holds 0"));
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kPushConst).u16(0).op(Op::kSwap).op(Op::kReturn)),
                      "bytecode", 1U, "(SWAP): stack underflow"));
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kNewMap).u8(1).op(Op::kReturn)), "bytecode", 1U,
                      "(NEW_MAP): stack underflow: it pops 2 values"));
}

TEST(VerifyStack, MaxStackIsTheHighestHeight) {
  const Code code = Code()
                        .op(Op::kPushConst)
                        .u16(0)
                        .op(Op::kDup)
                        .op(Op::kDup)
                        .op(Op::kNewList)
                        .u8(3)
                        .op(Op::kUnpack)
                        .u8(3)
                        .op(Op::kTextConcat)
                        .u8(3)
                        .op(Op::kReturn);
  auto r = module::verify(with_main(code));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->functions[0].max_stack, 3U);
}

TEST(VerifyStack, HeightsAgreeWhereControlMerges) {
  // 0: PUSH_CONST true  3: JUMP_IF_TRUE 10  8: PUSH_CONST 7 ... 10 is reached
  // with 0 values by the jump and with 1 by falling through.
  Code bad;
  bad.op(Op::kPushConst).u16(kConstTrue).op(Op::kJumpIfTrue).u32(11);
  bad.op(Op::kPushConst).u16(0);  // 8
  bad.op(Op::kPushConst).u16(0);  // 11
  bad.op(Op::kReturn);            // 14
  EXPECT_TRUE(rejects(with_main(bad), "bytecode", 1U,
                      "at pc 11 (PUSH_CONST): the stack holds 1 values on the path from pc 8 but 0 "
                      "on another path"));
  Code ok;
  ok.op(Op::kPushConst).u16(kConstTrue).op(Op::kJumpIfTrue).u32(11);
  ok.op(Op::kNop).op(Op::kNop).op(Op::kNop);  // 8
  ok.ret();                                   // 11
  EXPECT_TRUE(accepts(with_main(ok)));
}

TEST(VerifyStack, ControlNeverFallsOffTheEnd) {
  EXPECT_TRUE(rejects(with_main(Code().op(Op::kPushConst).u16(0).op(Op::kPop)), "bytecode", 1U,
                      "at pc 3 (POP): control falls off the end of the code"));
  // A conditional branch to the end is falling off too.
  Code jump;
  jump.op(Op::kPushConst).u16(kConstTrue).op(Op::kJumpIfTrue).u32(12).ret();
  EXPECT_TRUE(rejects(with_main(jump), "bytecode", 1U, "branch target 12 is past the end"));
  // THROW ends a path.
  EXPECT_TRUE(accepts(with_main(Code().op(Op::kPushConst).u16(0).op(Op::kThrow))));
}

TEST(VerifyStack, UnreachableCodeIsNotInterpreted) {
  EXPECT_TRUE(accepts(with_main(Code().ret().op(Op::kAdd).op(Op::kReturn))));
}

TEST(VerifyStack, IterationLoop) {
  // f(list): for item in list: pop item.  The end target pops the iterator.
  //  0: LOAD_LOCAL 0   3: ITER_CREATE   4: ITER_NEXT 14   9: POP   10: JUMP 4
  // 15: PUSH_CONST 7; RETURN
  const auto loop = [](bool pop) {
    Code c;
    c.op(Op::kLoadLocal).u16(0).op(Op::kIterCreate);
    c.op(Op::kIterNext).u32(pop ? 15 : 14);
    if (pop) c.op(Op::kPop);
    c.op(Op::kJump).u32(4);
    c.ret();
    return c;
  };
  ModuleBuilder b;
  b.add_function(2, "each", kFnListInt, loop(true));
  auto r = module::verify(b.build());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->functions[1].max_stack, 2U);

  ModuleBuilder no_pop;
  no_pop.add_function(2, "each", kFnListInt, loop(false));
  EXPECT_TRUE(rejects(no_pop.build(), "bytecode", 2U,
                      "at pc 4 (ITER_NEXT): the stack holds 2 values on the path from pc 9 but 1"));
}

// ---- LAMBDA's function ----

// f(x) -> Integer makes a lambda of g (id 3) and returns it.
ModuleBuilder lambda_module(const std::function<void(Code&, std::uint16_t)>& body) {
  ModuleBuilder b;
  const std::uint16_t g = b.add_const(reference(ConstKind::kFunction, 3));
  Code c;
  body(c, g);
  b.add_function(2, "f", kFnIntInt, c);
  b.add_function(3, "g", kFnInt, Code().op(Op::kLoadUpvalue).u16(0).op(Op::kReturn));
  return b;
}

TEST(VerifyLambda, FunctionFromPushConst) {
  auto b = lambda_module([](Code& c, std::uint16_t g) {
    c.op(Op::kPushConst).u16(g).op(Op::kLambda).u8(1).u8(0).u16(0).op(Op::kReturn);
  });
  auto r = module::verify(b.build());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->functions[2].upvalues, 1U);
}

TEST(VerifyLambda, FunctionMovedByDupAndSwap) {
  auto b = lambda_module([](Code& c, std::uint16_t g) {
    c.op(Op::kPushConst).u16(g);           // g
    c.op(Op::kPushConst).u16(0);           // g 7
    c.op(Op::kSwap);                       // 7 g
    c.op(Op::kDup);                        // 7 g g
    c.op(Op::kLambda).u8(1).u8(0).u16(0);  // 7 g λ
    c.op(Op::kPop);                        // 7 g
    c.op(Op::kLambda).u8(1).u8(0).u16(0);  // 7 λ
    c.op(Op::kReturn);
  });
  EXPECT_TRUE(accepts(b.build()));
}

// g reads an upvalue: a lambda of it may be called, g itself may not (it
// would run with no captured variables). A function without upvalues may
// be called bare.
TEST(VerifyLambda, AFunctionThatReadsUpvaluesIsNotCalledBare) {
  auto bare = lambda_module([](Code& c, std::uint16_t g) {
    c.op(Op::kPushConst).u16(g).op(Op::kLambda).u8(1).u8(0).u16(0).op(Op::kPop);  // g is a closure
    c.op(Op::kPushConst).u16(g).op(Op::kCall).u8(0).op(Op::kReturn);  // ...and called bare
  });
  EXPECT_TRUE(rejects(bare.build(), "bytecode", 2U,
                      "at pc 12 (CALL): it calls function 3 'g' directly, but that function reads "
                      "upvalues: call a closure of it"));
  auto closure = lambda_module([](Code& c, std::uint16_t g) {
    c.op(Op::kPushConst).u16(g).op(Op::kLambda).u8(1).u8(0).u16(0);
    c.op(Op::kCall).u8(0).op(Op::kReturn);
  });
  EXPECT_TRUE(accepts(closure.build()));
  ModuleBuilder plain;
  const std::uint16_t h = plain.add_const(reference(ConstKind::kFunction, 3));
  plain.add_function(2, "f", kFnIntInt,
                     Code().op(Op::kPushConst).u16(h).op(Op::kCall).u8(0).op(Op::kReturn));
  plain.add_function(3, "h", kFnInt, Code().ret());
  EXPECT_TRUE(accepts(plain.build()));
}

TEST(VerifyLambda, FunctionMustBeStaticallyKnown) {
  auto b = lambda_module([](Code& c, std::uint16_t g) {
    c.op(Op::kPushConst).u16(g).op(Op::kPushConst).u16(0).op(Op::kPop);
    c.op(Op::kLoadLocal).u16(0);  // not a known function
    c.op(Op::kLambda).u8(1).u8(0).u16(0).op(Op::kReturn);
  });
  EXPECT_TRUE(rejects(b.build(), "bytecode", 2U,
                      "at pc 10 (LAMBDA): the function LAMBDA pops is not statically known"));
}

TEST(VerifyLambda, PathsMustAgreeOnTheFunction) {
  // 0: LOAD_LOCAL 0  3: JUMP_IF_TRUE 14  8: PUSH_CONST a  11: JUMP 17
  // 16: PUSH_CONST b  19: LAMBDA 0  21: RETURN
  const auto module = [](bool same) {
    ModuleBuilder b;
    const std::uint16_t g = b.add_const(reference(ConstKind::kFunction, 3));
    const std::uint16_t h = b.add_const(reference(ConstKind::kFunction, same ? 3 : 4));
    Code c;
    c.op(Op::kLoadLocal).u16(0).op(Op::kJumpIfTrue).u32(16);
    c.op(Op::kPushConst).u16(g).op(Op::kJump).u32(19);
    c.op(Op::kPushConst).u16(h);
    c.op(Op::kLambda).u8(0).op(Op::kReturn);
    b.add_function(2, "f", kFnIntInt, c);
    b.add_function(3, "g", kFnInt, Code().ret());
    b.add_function(4, "h", kFnInt, Code().ret());
    return b.build();
  };
  EXPECT_TRUE(accepts(module(true)));
  EXPECT_TRUE(rejects(module(false), "bytecode", 2U,
                      "at pc 19 (LAMBDA): the function LAMBDA pops is not statically known"));
}

TEST(VerifyLambda, KnownFunctionSurvivesDeepStacksAndLoops) {
  // g stays known under values pushed and popped in a loop.
  auto b = lambda_module([](Code& c, std::uint16_t g) {
    c.op(Op::kPushConst).u16(g);                               // 0
    for (int k = 0; k < 40; ++k) c.op(Op::kPushConst).u16(0);  // 3 .. 123
    c.op(Op::kNewList).u8(40);                                 // 123
    c.op(Op::kIterCreate);                                     // 125
    c.op(Op::kIterNext).u32(137);                              // 126
    c.op(Op::kPop).op(Op::kJump).u32(126);                     // 131, 132
    c.op(Op::kLambda).u8(1).u8(0).u16(0).op(Op::kReturn);      // 137
  });
  EXPECT_TRUE(accepts(b.build()));
}

TEST(VerifyLambda, TargetHasCode) {
  ModuleBuilder b;
  const std::uint16_t ext = b.add_const(reference(ConstKind::kFunction, 2));
  b.add_function(2, "sin", kFnIntInt, Code(), kFnExternal);
  b.main(Code().op(Op::kPushConst).u16(ext).op(Op::kLambda).u8(0).op(Op::kReturn));
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U,
                      "(LAMBDA): it makes a closure of function 2 'sin', which has no bytecode"));
}

// ---- closures and upvalues ----

TEST(VerifyClosures, FunctionResolvesAndHasCode) {
  ModuleBuilder b;
  b.add_function(2, "sin", kFnIntInt, Code(), kFnExternal);
  b.main(Code().op(Op::kClosure).u32(2).u8(0).op(Op::kReturn));
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U,
                      "(CLOSURE): it makes a closure of function 2 'sin', which has no bytecode"));
  b.main(Code().op(Op::kClosure).u32(8).u8(0).op(Op::kReturn));
  EXPECT_TRUE(rejects(b.build(), "bytecode", 1U, "(CLOSURE): function id 8 does not exist"));
}

TEST(VerifyClosures, CaptureKindsAndIndices) {
  const auto closure = [](std::uint8_t kind, std::uint16_t index) {
    ModuleBuilder b;
    b.add_function(2, "f", kFnIntInt,
                   Code().op(Op::kClosure).u32(3).u8(1).u8(kind).u16(index).op(Op::kReturn));
    b.add_function(3, "g", kFnInt, Code().op(Op::kLoadUpvalue).u16(0).op(Op::kReturn));
    return b.build();
  };
  EXPECT_TRUE(accepts(closure(0, 0)));
  EXPECT_TRUE(rejects(closure(0, 1), "bytecode", 2U,
                      "(CLOSURE): capture 0: slot 1 is outside the frame of 1 slots"));
  EXPECT_TRUE(rejects(closure(2, 0), "bytecode", 2U,
                      "(CLOSURE): capture 0 has kind 2; the kinds are 0 (a local slot) and 1"));
  // Kind 1 captures an upvalue of f, and no CLOSURE creates f.
  EXPECT_TRUE(rejects(closure(1, 0), "bytecode", 2U,
                      "at pc 0 (CLOSURE): upvalue 0 does not exist: no CLOSURE or LAMBDA creates "
                      "this function"));
}

TEST(VerifyClosures, UpvalueIndicesBelowTheCount) {
  const auto module = [](std::uint16_t index) {
    ModuleBuilder b;
    b.add_function(2, "f", kFnIntInt,
                   Code().op(Op::kClosure).u32(3).u8(1).u8(0).u16(0).op(Op::kReturn));
    b.add_function(3, "g", kFnInt,
                   Code()
                       .op(Op::kLoadUpvalue)
                       .u16(0)
                       .op(Op::kStoreUpvalue)
                       .u16(index)
                       .op(Op::kLoadUpvalue)
                       .u16(0)
                       .op(Op::kReturn));
    return b.build();
  };
  EXPECT_TRUE(accepts(module(0)));
  EXPECT_TRUE(rejects(module(1), "bytecode", 3U,
                      "function 3 'g', at pc 3 (STORE_UPVALUE): upvalue 1 does not exist: the "
                      "CLOSURE and LAMBDA instructions creating this function capture 1"));
  ModuleBuilder uncreated;
  uncreated.main(Code().op(Op::kLoadUpvalue).u16(0).op(Op::kReturn));
  EXPECT_TRUE(
      rejects(uncreated.build(), "bytecode", 1U, "(LOAD_UPVALUE): upvalue 0 does not exist"));
}

TEST(VerifyClosures, CreatorsAgreeOnTheCount) {
  ModuleBuilder b;
  const std::uint16_t g = b.add_const(reference(ConstKind::kFunction, 3));
  b.add_function(2, "f", kFnIntInt,
                 Code()
                     .op(Op::kClosure)
                     .u32(3)
                     .u8(2)
                     .u8(0)
                     .u16(0)
                     .u8(0)
                     .u16(0)
                     .op(Op::kPushConst)
                     .u16(g)
                     .op(Op::kLambda)
                     .u8(1)
                     .u8(0)
                     .u16(0)
                     .op(Op::kReturn));
  b.add_function(3, "g", kFnInt, Code().ret());
  EXPECT_TRUE(rejects(b.build(), "bytecode", 2U,
                      "at pc 15 (LAMBDA): it creates function 3 'g' with 1 captures, but function "
                      "2 'f' at pc 0 creates it with 2"));
  ModuleBuilder two;
  two.add_function(2, "f", kFnIntInt,
                   Code().op(Op::kClosure).u32(3).u8(1).u8(0).u16(0).op(Op::kReturn));
  two.add_function(3, "g", kFnInt, Code().ret());
  two.main(Code().op(Op::kClosure).u32(3).u8(0).op(Op::kReturn));
  EXPECT_TRUE(rejects(two.build(), "bytecode", 2U,
                      "at pc 0 (CLOSURE): it creates function 3 'g' with 1 captures, but function "
                      "1 'main' at pc 0 creates it with 0"));
}

}  // namespace
}  // namespace runa::verify_test
