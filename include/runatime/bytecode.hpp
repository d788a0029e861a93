// runatime/bytecode.hpp — the instruction set of `.runab` 1.2 and its decoder.
//
// One table describes every opcode (name, operand shape, stack effect,
// whether it branches or ends a block); the verifier, the disassembler, the
// assembler and the execution tiers all read it, so that none of them keeps
// its own copy of the instruction set. docs/bytecode.md explains each entry.
//
// Operands are little-endian. Branch targets (JUMP*, TRY_BEGIN, ITER_NEXT,
// SWITCH_TABLE) are byte offsets from the start of the function's code.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "runatime/result.hpp"

namespace runa::bytecode {

enum class Op : std::uint8_t {
  kNop = 0x01,
  kPushConst = 0x02,
  kLoadLocal = 0x03,
  kStoreLocal = 0x04,
  kLoadGlobal = 0x05,
  kStoreGlobal = 0x06,
  kLoadField = 0x07,
  kStoreField = 0x08,
  kNew = 0x09,
  kCall = 0x0A,
  kCallMethod = 0x0B,
  kReturn = 0x0C,
  kJump = 0x0D,
  kJumpIfTrue = 0x0E,
  kJumpIfFalse = 0x0F,
  kAdd = 0x10,
  kSub = 0x11,
  kMul = 0x12,
  kDiv = 0x13,
  kMod = 0x14,
  kNeg = 0x15,
  kEq = 0x16,
  kNe = 0x17,
  kLt = 0x18,
  kLe = 0x19,
  kGt = 0x1A,
  kGe = 0x1B,
  kAnd = 0x1C,
  kOr = 0x1D,
  kNot = 0x1E,
  kDup = 0x1F,
  kPop = 0x20,
  kSwap = 0x21,
  kNewList = 0x22,
  kNewMap = 0x23,
  kGetItem = 0x24,
  kSetItem = 0x25,
  kThrow = 0x26,
  kTryBegin = 0x27,
  kTryEnd = 0x28,
  kCatchBegin = 0x29,
  kCatchEnd = 0x2A,
  kFinallyBegin = 0x2B,
  kFinallyEnd = 0x2C,
  kLoadUpvalue = 0x2D,
  kStoreUpvalue = 0x2E,
  kClosure = 0x2F,
  kTypeCheck = 0x30,
  kCast = 0x31,
  kLoadModule = 0x32,
  kImport = 0x33,
  kYield = 0x40,
  kAwait = 0x41,
  kIterCreate = 0x42,
  kIterNext = 0x43,
  kTypeOf = 0x44,
  kInstanceOf = 0x45,
  kLambda = 0x46,
  kSpread = 0x47,
  kUnpack = 0x48,
  kSwitchTable = 0x49,
  kInvokeFfi = 0x4A,
  kIntToDouble = 0x4B,
  kDoubleToInt = 0x4C,
  kTextConcat = 0x4D,
  kUnwind = 0x4E,
  kDebugBreak = 0x4F,
};

// How the operand bytes after the opcode are laid out.
enum class Shape : std::uint8_t {
  kNone,      // -
  kU8,        // a: u8
  kU16,       // a: u16
  kU32,       // a: u32
  kU16U8,     // a: u16, b: u8                     (CALL_METHOD)
  kU32U32,    // a: u32, b: u32                    (TRY_BEGIN)
  kClosure,   // a: u32 function id, count: u8, count x {u8 kind, u16 index}
  kCaptures,  // count: u8, count x {u8 kind, u16 index}           (LAMBDA)
  kSymbols,   // count: u16, count x u16 constant index            (IMPORT)
  kSwitch,    // count: u32, count x {i64 value, u32 target}       (SWITCH_TABLE)
};

// What an operand means, for checking and printing it.
enum class Operand : std::uint8_t {
  kNone,
  kConst,     // constant-pool index
  kLocal,     // frame slot
  kGlobal,    // global index (metadata GLOBALS)
  kField,     // field index in declared order, inherited fields first
  kType,      // type id
  kFunction,  // function id
  kCount,     // a count: arguments, elements, pairs, values
  kTarget,    // branch target, function-relative byte offset
  kUpvalue,   // upvalue index
  kLine,      // source line (DEBUG_BREAK)
};

enum OpFlag : std::uint8_t {
  kBranches = 0x1,   // has branch targets
  kEndsBlock = 0x2,  // control never falls through to the next instruction
};

struct OpInfo {
  std::string_view name;  // as in RUNAB-1.2, e.g. "PUSH_CONST"
  Shape shape = Shape::kNone;
  Operand a = Operand::kNone;  // meaning of the first fixed operand
  Operand b = Operand::kNone;  // meaning of the second fixed operand
  // Values popped and pushed. Where the count depends on an operand,
  // stack_effect() computes it and these hold the fixed part.
  std::uint8_t pops = 0;
  std::uint8_t pushes = 0;
  std::uint8_t flags = 0;
  std::string_view summary;  // one line for listings: what it does
};

// nullptr for bytes that are not an opcode.
const OpInfo* info(std::uint8_t opcode);
// nullptr for an unknown name; names are matched case-insensitively.
const OpInfo* info_by_name(std::string_view name, Op* op_out);

// Upvalue / capture spec kinds for CLOSURE and LAMBDA.
enum CaptureKind : std::uint8_t {
  kCaptureLocal = 0,    // a slot of the function executing CLOSURE/LAMBDA
  kCaptureUpvalue = 1,  // an upvalue of that function
};

struct Capture {
  std::uint8_t kind = 0;
  std::uint16_t index = 0;
};

struct SwitchCase {
  std::int64_t value = 0;
  std::uint32_t target = 0;
};

// One decoded instruction. Variable-length operand lists stay in the code
// bytes and are read with the accessors, so decoding never allocates.
struct Instruction {
  Op op = Op::kNop;
  const OpInfo* meta = nullptr;
  std::uint32_t offset = 0;  // of the opcode, from the start of the code given
  std::uint32_t length = 0;  // opcode and operands
  std::uint32_t a = 0;       // first fixed operand
  std::uint32_t b = 0;       // second fixed operand
  std::uint32_t count = 0;   // number of list items (kClosure ... kSwitch)
  const std::uint8_t* items = nullptr;

  [[nodiscard]] Capture capture(std::uint32_t i) const;         // kClosure, kCaptures
  [[nodiscard]] std::uint16_t symbol(std::uint32_t i) const;    // kSymbols
  [[nodiscard]] SwitchCase switch_case(std::uint32_t i) const;  // kSwitch
};

// Decodes the instruction at `pc`. Fails (message only; the caller adds
// where) on an unknown opcode or operands that run past the end of `code`.
Result<Instruction> decode(std::span<const std::uint8_t> code, std::uint32_t pc);

struct Effect {
  std::uint32_t pops = 0;
  std::uint32_t pushes = 0;
};
// Stack effect on the fall-through path. `ffi_params` is the parameter count
// of INVOKE_FFI's target and is ignored for every other opcode. ITER_NEXT's
// branch pops its iterator and pushes nothing; CATCH_BEGIN is entered with
// the exception already pushed (docs/bytecode.md, "Exceptions").
Effect stack_effect(const Instruction& ins, std::uint32_t ffi_params = 0);

}  // namespace runa::bytecode
