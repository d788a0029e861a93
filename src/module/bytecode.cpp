// The opcode table and the instruction decoder (see runatime/bytecode.hpp).
//
// The table is indexed by opcode byte; a hole (empty name) is a byte that is
// not an opcode. Stack effects here are the fixed parts; stack_effect() adds
// the parts that depend on operands. docs/bytecode.md lists the same facts
// for people, and a unit test checks that the two agree.
#include <array>
#include <cstring>

#include "module/bytes.hpp"
#include "runatime/bytecode.hpp"

namespace runa::bytecode {
namespace {

using enum Shape;
using O = Operand;

constexpr std::uint8_t B = kBranches;
constexpr std::uint8_t E = kEndsBlock;

struct Row {
  std::uint8_t code = 0;
  OpInfo info;
};

// clang-format off
constexpr Row kRows[] = {
  {0x01, {"NOP",           kNone,    O::kNone,     O::kNone,  0, 0, 0,     "do nothing"}},
  {0x02, {"PUSH_CONST",    kU16,     O::kConst,    O::kNone,  0, 1, 0,     "push constant"}},
  {0x03, {"LOAD_LOCAL",    kU16,     O::kLocal,    O::kNone,  0, 1, 0,     "push local"}},
  {0x04, {"STORE_LOCAL",   kU16,     O::kLocal,    O::kNone,  1, 0, 0,     "pop into local"}},
  {0x05, {"LOAD_GLOBAL",   kU16,     O::kGlobal,   O::kNone,  0, 1, 0,     "push global"}},
  {0x06, {"STORE_GLOBAL",  kU16,     O::kGlobal,   O::kNone,  1, 0, 0,     "pop into global"}},
  {0x07, {"LOAD_FIELD",    kU16,     O::kField,    O::kNone,  1, 1, 0,     "replace object with its field"}},
  {0x08, {"STORE_FIELD",   kU16,     O::kField,    O::kNone,  2, 0, 0,     "pop value and object, store the field"}},
  {0x09, {"NEW",           kU32,     O::kType,     O::kNone,  0, 1, 0,     "push a new instance"}},
  {0x0A, {"CALL",          kU8,      O::kCount,    O::kNone,  1, 1, 0,     "call the callee below the arguments"}},
  {0x0B, {"CALL_METHOD",   kU16U8,   O::kConst,    O::kCount, 1, 1, 0,     "call a method of the receiver below the arguments"}},
  {0x0C, {"RETURN",        kNone,    O::kNone,     O::kNone,  1, 0, E,     "return the top value"}},
  {0x0D, {"JUMP",          kU32,     O::kTarget,   O::kNone,  0, 0, B | E, "jump"}},
  {0x0E, {"JUMP_IF_TRUE",  kU32,     O::kTarget,   O::kNone,  1, 0, B,     "pop; jump if true"}},
  {0x0F, {"JUMP_IF_FALSE", kU32,     O::kTarget,   O::kNone,  1, 0, B,     "pop; jump if false"}},
  {0x10, {"ADD",           kNone,    O::kNone,     O::kNone,  2, 1, 0,     "add"}},
  {0x11, {"SUB",           kNone,    O::kNone,     O::kNone,  2, 1, 0,     "subtract top from second"}},
  {0x12, {"MUL",           kNone,    O::kNone,     O::kNone,  2, 1, 0,     "multiply"}},
  {0x13, {"DIV",           kNone,    O::kNone,     O::kNone,  2, 1, 0,     "divide second by top"}},
  {0x14, {"MOD",           kNone,    O::kNone,     O::kNone,  2, 1, 0,     "remainder of second by top"}},
  {0x15, {"NEG",           kNone,    O::kNone,     O::kNone,  1, 1, 0,     "negate"}},
  {0x16, {"EQ",            kNone,    O::kNone,     O::kNone,  2, 1, 0,     "equal"}},
  {0x17, {"NE",            kNone,    O::kNone,     O::kNone,  2, 1, 0,     "not equal"}},
  {0x18, {"LT",            kNone,    O::kNone,     O::kNone,  2, 1, 0,     "second < top"}},
  {0x19, {"LE",            kNone,    O::kNone,     O::kNone,  2, 1, 0,     "second <= top"}},
  {0x1A, {"GT",            kNone,    O::kNone,     O::kNone,  2, 1, 0,     "second > top"}},
  {0x1B, {"GE",            kNone,    O::kNone,     O::kNone,  2, 1, 0,     "second >= top"}},
  {0x1C, {"AND",           kNone,    O::kNone,     O::kNone,  2, 1, 0,     "logical (Boolean) or bitwise (Integer) and"}},
  {0x1D, {"OR",            kNone,    O::kNone,     O::kNone,  2, 1, 0,     "logical (Boolean) or bitwise (Integer) or"}},
  {0x1E, {"NOT",           kNone,    O::kNone,     O::kNone,  1, 1, 0,     "logical (Boolean) or bitwise (Integer) not"}},
  {0x1F, {"DUP",           kNone,    O::kNone,     O::kNone,  1, 2, 0,     "duplicate top"}},
  {0x20, {"POP",           kNone,    O::kNone,     O::kNone,  1, 0, 0,     "drop top"}},
  {0x21, {"SWAP",          kNone,    O::kNone,     O::kNone,  2, 2, 0,     "swap top two"}},
  {0x22, {"NEW_LIST",      kU8,      O::kCount,    O::kNone,  0, 1, 0,     "list of the top count values"}},
  {0x23, {"NEW_MAP",       kU8,      O::kCount,    O::kNone,  0, 1, 0,     "map of the top count key/value pairs"}},
  {0x24, {"GET_ITEM",      kNone,    O::kNone,     O::kNone,  2, 1, 0,     "container[key]"}},
  {0x25, {"SET_ITEM",      kNone,    O::kNone,     O::kNone,  3, 0, 0,     "container[key] = value"}},
  {0x26, {"THROW",         kNone,    O::kNone,     O::kNone,  1, 0, E,     "throw the top value"}},
  {0x27, {"TRY_BEGIN",     kU32U32,  O::kTarget,   O::kTarget,0, 0, B,     "open a try statement (catch, finally)"}},
  {0x28, {"TRY_END",       kNone,    O::kNone,     O::kNone,  0, 0, E,     "close the protected body"}},
  {0x29, {"CATCH_BEGIN",   kU16,     O::kConst,    O::kNone,  0, 0, 0,     "start a handler for a type"}},
  {0x2A, {"CATCH_END",     kNone,    O::kNone,     O::kNone,  0, 0, E,     "end a handler"}},
  {0x2B, {"FINALLY_BEGIN", kNone,    O::kNone,     O::kNone,  0, 0, 0,     "start the finally block"}},
  {0x2C, {"FINALLY_END",   kNone,    O::kNone,     O::kNone,  0, 0, 0,     "end the finally block, resume the pending completion"}},
  {0x2D, {"LOAD_UPVALUE",  kU16,     O::kUpvalue,  O::kNone,  0, 1, 0,     "push captured variable"}},
  {0x2E, {"STORE_UPVALUE", kU16,     O::kUpvalue,  O::kNone,  1, 0, 0,     "pop into captured variable"}},
  {0x2F, {"CLOSURE",       kClosure, O::kFunction, O::kNone,  0, 1, 0,     "closure sharing the captured variables"}},
  {0x30, {"TYPE_CHECK",    kU32,     O::kType,     O::kNone,  1, 2, 0,     "keep top, push whether it is of the type"}},
  {0x31, {"CAST",          kU32,     O::kType,     O::kNone,  1, 1, 0,     "cast top to the type or throw"}},
  {0x32, {"LOAD_MODULE",   kU16,     O::kConst,    O::kNone,  0, 1, 0,     "push a module by name"}},
  {0x33, {"IMPORT",        kSymbols, O::kNone,     O::kNone,  1, 0, 0,     "pop module, push the named symbols"}},
  {0x40, {"YIELD",         kNone,    O::kNone,     O::kNone,  1, 1, 0,     "yield top, push the value sent back"}},
  {0x41, {"AWAIT",         kNone,    O::kNone,     O::kNone,  1, 1, 0,     "await top, push its result"}},
  {0x42, {"ITER_CREATE",   kNone,    O::kNone,     O::kNone,  1, 1, 0,     "iterator of top"}},
  {0x43, {"ITER_NEXT",     kU32,     O::kTarget,   O::kNone,  1, 2, B,     "push next item, or pop iterator and jump"}},
  {0x44, {"TYPEOF",        kNone,    O::kNone,     O::kNone,  1, 1, 0,     "type of top"}},
  {0x45, {"INSTANCEOF",    kU32,     O::kType,     O::kNone,  1, 1, 0,     "whether top is an instance of the type"}},
  {0x46, {"LAMBDA",        kCaptures,O::kNone,     O::kNone,  1, 1, 0,     "lambda of the function on top, capturing values"}},
  {0x47, {"SPREAD",        kNone,    O::kNone,     O::kNone,  2, 1, 0,     "append the items of top to the list or map below"}},
  {0x48, {"UNPACK",        kU8,      O::kCount,    O::kNone,  1, 0, 0,     "replace a structure by its count items"}},
  {0x49, {"SWITCH_TABLE",  kSwitch,  O::kNone,     O::kNone,  1, 0, B,     "pop integer, jump to its case or fall through"}},
  {0x4A, {"INVOKE_FFI",    kU32,     O::kFunction, O::kNone,  0, 1, 0,     "call a foreign function"}},
  {0x4B, {"INT_TO_DOUBLE", kNone,    O::kNone,     O::kNone,  1, 1, 0,     "Integer to Float"}},
  {0x4C, {"DOUBLE_TO_INT", kNone,    O::kNone,     O::kNone,  1, 1, 0,     "Float to Integer, truncating"}},
  {0x4D, {"TEXT_CONCAT",   kU8,      O::kCount,    O::kNone,  0, 1, 0,     "concatenate the top count values as text"}},
  {0x4E, {"UNWIND",        kNone,    O::kNone,     O::kNone,  0, 0, E,     "rethrow the exception being handled"}},
  {0x4F, {"DEBUG_BREAK",   kU16,     O::kLine,     O::kNone,  0, 0, 0,     "breakpoint"}},
};
// clang-format on

constexpr std::array<OpInfo, 256> make_table() {
  std::array<OpInfo, 256> t{};
  for (const Row& r : kRows) t[r.code] = r.info;
  return t;
}
constexpr std::array<OpInfo, 256> kTable = make_table();

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (x != b[i]) return false;
  }
  return true;
}

Error decode_error(std::string message) {
  Error e;
  e.section = "bytecode";
  e.message = std::move(message);
  return e;
}

}  // namespace

const OpInfo* info(std::uint8_t opcode) {
  const OpInfo& i = kTable[opcode];
  return i.name.empty() ? nullptr : &i;
}

const OpInfo* info_by_name(std::string_view name, Op* op_out) {
  for (const Row& r : kRows) {
    if (same_name(name, r.info.name)) {
      if (op_out != nullptr) *op_out = static_cast<Op>(r.code);
      return &kTable[r.code];
    }
  }
  return nullptr;
}

Capture Instruction::capture(std::uint32_t i) const {
  const std::uint8_t* p = items + std::size_t{i} * 3;
  return {p[0], load_le<std::uint16_t>(p + 1)};
}

std::uint16_t Instruction::symbol(std::uint32_t i) const {
  return load_le<std::uint16_t>(items + std::size_t{i} * 2);
}

SwitchCase Instruction::switch_case(std::uint32_t i) const {
  const std::uint8_t* p = items + std::size_t{i} * 12;
  return {load_le<std::int64_t>(p), load_le<std::uint32_t>(p + 8)};
}

Result<Instruction> decode(std::span<const std::uint8_t> code, std::uint32_t pc) {
  if (pc >= code.size()) return decode_error("instruction starts past the end of the code");
  const OpInfo* meta = info(code[pc]);
  if (meta == nullptr) {
    return decode_error("unknown opcode 0x" + hex(code[pc], 2));
  }
  Instruction ins;
  ins.op = static_cast<Op>(code[pc]);
  ins.meta = meta;
  ins.offset = pc;
  ByteReader r(code.subspan(pc + 1));
  bool ok = true;
  auto list = [&](std::uint32_t count, std::size_t item_size) {
    ins.count = count;
    ins.items = r.here();
    ok = ok && r.skip(std::size_t{count} * item_size);
  };
  switch (meta->shape) {
    case kNone:
      break;
    case kU8:
      ok = r.u8(ins.a);
      break;
    case kU16:
      ok = r.u16(ins.a);
      break;
    case kU32:
      ok = r.u32(ins.a);
      break;
    case kU16U8:
      ok = r.u16(ins.a) && r.u8(ins.b);
      break;
    case kU32U32:
      ok = r.u32(ins.a) && r.u32(ins.b);
      break;
    case kClosure: {
      std::uint32_t n = 0;
      ok = r.u32(ins.a) && r.u8(n);
      if (ok) list(n, 3);
      break;
    }
    case kCaptures: {
      std::uint32_t n = 0;
      ok = r.u8(n);
      if (ok) list(n, 3);
      break;
    }
    case kSymbols: {
      std::uint32_t n = 0;
      ok = r.u16(n);
      if (ok) list(n, 2);
      break;
    }
    case kSwitch: {
      std::uint32_t n = 0;
      ok = r.u32(n);
      if (ok) list(n, 12);
      break;
    }
  }
  if (!ok) {
    return decode_error(std::string(meta->name) + " at the end of the code has truncated operands");
  }
  ins.length = static_cast<std::uint32_t>(1 + r.position());
  return ins;
}

Effect stack_effect(const Instruction& ins, std::uint32_t ffi_params) {
  Effect e{ins.meta->pops, ins.meta->pushes};
  switch (ins.op) {
    case Op::kCall:
    case Op::kCallMethod:
      e.pops += ins.op == Op::kCall ? ins.a : ins.b;
      break;
    case Op::kNewList:
    case Op::kTextConcat:
      e.pops += ins.a;
      break;
    case Op::kNewMap:
      e.pops += 2 * ins.a;
      break;
    case Op::kImport:
      e.pushes += ins.count;
      break;
    case Op::kUnpack:
      e.pushes += ins.a;
      break;
    case Op::kInvokeFfi:
      e.pops += ffi_params;
      break;
    default:
      break;
  }
  return e;
}

}  // namespace runa::bytecode
