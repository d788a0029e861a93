// Tier 0's code: a verified function's bytecode translated once, at its
// first call, into an array of fixed-size instructions the interpreter
// (interp.cpp) dispatches on with computed goto.
//
// What translation settles so the loop does not:
//   - Operands are decoded: no byte reading, no little-endian assembly.
//   - Branch targets are instruction indices; a backward JUMP is LOOP (it
//     counts a back-edge and polls the safepoint).
//   - Everything resolved by name or id is resolved once: struct shapes for
//     NEW, types for INSTANCEOF/CAST/CATCH_BEGIN, functions for CLOSURE,
//     switch tables, IMPORT's names, the profile counters of each branch
//     and allocation site.
//   - Captured variables (docs/bytecode.md §2.5.3): each captured local's
//     scope start gets a MAKE_CELL, and every LOAD_LOCAL and STORE_LOCAL of
//     the slot inside that scope becomes LOAD_CELL / STORE_CELL; slots
//     captured outside any declared scope (and captured parameters) get
//     their cell in the prologue.
//   - Frequent sequences become one instruction (superinstructions: two
//     locals, a local's field, a local and a constant, a comparison and its
//     branch, ADD/SUB/MUL with an operand from a local or a constant or
//     with its result stored to a local) where no control reaches any but
//     the first alone; and some instructions peek at the one after them
//     (two locals, or a local and a constant, compared and branched on; two
//     locals added, subtracted, multiplied or indexed; a constant divisor;
//     a local returned), doing both on their inline case.
//   - Per-site caches (field sites, method sites) live in side tables of
//     the Code, shared by every thread that runs it; each entry is one
//     atomic word or an immutable record published with one atomic store,
//     so a reader never sees half an update.
//
// A Code is immutable after translate() except for those caches, and lives
// until the runtime releases it (never while a thread may run it).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "runatime/ops.hpp"
#include "runatime/runtime.hpp"

namespace runa::tier0 {

using heap::Value;
namespace ops = rt::ops;

// The interpreter's instruction set: the bytecode's, plus the forms
// translation introduces.
// clang-format off
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage): one list for the enum and the dispatch table
#define RUNA_TIER0_OPS(X)                                                            \
  X(Nop) X(PushConst) X(PushNew) X(LoadLocal) X(StoreLocal) X(LoadCell)             \
  X(StoreCell) X(MakeCell) X(LoadGlobal) X(StoreGlobal) X(LoadField) X(StoreField)  \
  X(New) X(Call) X(CallMethod) X(Return) X(Jump) X(Loop) X(JumpIfTrue)              \
  X(JumpIfFalse) X(Add) X(Sub) X(Mul) X(Div) X(Mod) X(Neg) X(Eq) X(Ne) X(Lt) X(Le)  \
  X(Gt) X(Ge) X(And) X(Or) X(Not) X(Dup) X(Pop) X(Swap) X(NewList) X(NewMap)       \
  X(GetItem) X(SetItem) X(Throw) X(TryBegin) X(TryEnd) X(CatchBegin) X(CatchEnd)    \
  X(FinallyBegin) X(FinallyEnd) X(LoadUpvalue) X(StoreUpvalue) X(Closure)           \
  X(TypeCheck) X(Cast) X(LoadModule) X(Import) X(NotAvailable) X(IterCreate)        \
  X(IterNext) X(TypeOf) X(InstanceOf) X(Lambda) X(Spread) X(Unpack) X(SwitchTable)  \
  X(IntToDouble) X(DoubleToInt) X(TextConcat) X(Unwind) X(Yield) X(Await)                 \
  /* superinstructions (translate.cpp) */                                          \
  X(LoadLocal2) X(LoadLocalField) X(LoadLocalConst) X(CompareJumpIfFalse)           \
  /* peeking at the next instruction (interp_fused.hpp) */                          \
  X(LoadLocal2Compare) X(LoadLocalConstCompare) X(LoadLocal2GetItem)               \
  X(PushConstDiv) X(LoadLocalReturn) X(AddLocals) X(SubLocals) X(MulLocals)         \
  /* arithmetic with an operand from a constant or a local, or its result */        \
  /* stored to a local: in threes, in Arith's order (arith.hpp) */                  \
  X(AddConst) X(SubConst) X(MulConst) X(AddLocal) X(SubLocal) X(MulLocal)           \
  X(AddLocalConst) X(SubLocalConst) X(MulLocalConst) X(AddStore) X(SubStore)        \
  X(MulStore) X(AddLocalConstStore) X(SubLocalConstStore) X(MulLocalConstStore)      \
  /* peeking, in threes too: two locals operated on and stored (LoadLocal2, */     \
  /* then XStore: `ij = i + j`), a local and a constant operated on and called */  \
  /* with (XLocalConst, then CALL: `fib(n - 1)`), an operation returned (then */  \
  /* RETURN), a counter stepped and looped (XLocalConstStore, then LOOP) */        \
  X(AddLocalsStore) X(SubLocalsStore) X(MulLocalsStore) X(AddLocalConstCall)        \
  X(SubLocalConstCall) X(MulLocalConstCall) X(AddReturn) X(SubReturn) X(MulReturn)  \
  X(AddLocalConstStoreLoop) X(SubLocalConstStoreLoop) X(MulLocalConstStoreLoop)     \
  /* and two locals passed to the CALL after them (`eval_a(i, j)`), a DIV */     \
  /* returned, a MUL added to the value below and stored (`s = s + a * b`) */     \
  X(LoadLocal2Call) X(DivReturn) X(MulAddStore)
// clang-format on
enum class I : std::uint16_t {
#define RUNA_TIER0_ENUM(name) k##name,  // NOLINT(cppcoreguidelines-macro-usage)
  RUNA_TIER0_OPS(RUNA_TIER0_ENUM)
#undef RUNA_TIER0_ENUM
      kCount
};

inline constexpr std::uint32_t kNone = 0xFFFFFFFF;
// Allocation instructions carry their profile site in `b`; this one has none.
inline constexpr std::uint16_t kNoSite = 0xFFFF;

// One instruction: 16 bytes. `a` and `b` are small operands (a slot, a
// count, a target index); `p` a resolved pointer or a 64-bit value.
struct Ins {
  I op = I::kNop;
  std::uint16_t b = 0;
  std::uint32_t a = 0;
  std::uintptr_t p = 0;
};
static_assert(sizeof(Ins) == 16);

// TRY_BEGIN's targets, as instruction indices (kNone when absent).
struct TryTargets {
  std::uint32_t catch_at = kNone;
  std::uint32_t finally_at = kNone;
  std::uint32_t end_at = kNone;  // after the statement
  std::uint32_t begin = 0;       // the TRY_BEGIN's bytecode offset (a saved frame names it)
};

struct Capture {
  std::uint8_t kind = 0;  // bytecode::CaptureKind
  std::uint16_t index = 0;
  bool cell = false;  // kind local: the slot holds a cell here
};

struct Captures {
  const rt::FunctionInfo* function = nullptr;  // CLOSURE's
  std::vector<Capture> items;
};

struct SwitchTable {
  std::vector<std::pair<std::int64_t, std::uint32_t>> cases;  // sorted by value
};

// A field site's cache: the heap type of the last struct seen here whose
// field count covers the site's field (0: none yet).
struct FieldCache {
  std::atomic<std::uint32_t> layout{0};
};

// A method site's cache: up to four (receiver key, function) pairs, each an
// immutable record published with one release store.
struct MethodEntry {
  std::uint64_t key = 0;
  const rt::FunctionInfo* function = nullptr;
};
struct MethodCache {
  static constexpr std::uint32_t kEntries = 4;
  std::atomic<const MethodEntry*> entries[kEntries] = {};
  rt::ReceiverProfile* feedback = nullptr;  // the site's profile record
};

struct Code {
  const rt::FunctionInfo* function = nullptr;
  Value* consts = nullptr;   // the module's constant slots (one load on return)
  Value* globals = nullptr;  // the module's global slots
  std::vector<Ins> ins;
  std::vector<std::uint32_t> offsets;  // bytecode offset of each instruction
  std::uint32_t frame_slots = 0;
  std::uint32_t max_stack = 0;
  // Values a frame needs above its base: slots, operand stack and the
  // margin push_frame keeps below the stack's limit (frames.hpp).
  std::uint32_t frame_need = 0;
  // A call needs nothing but a frame record and its cleared locals: no
  // VARARGS List, no cell in the prologue, not a generator or coroutine
  // (a call's fast path in interp.cpp; the others go through push_frame).
  bool plain = false;
  std::vector<std::uint16_t> entry_cells;  // slots given a cell in the prologue

  std::vector<std::unique_ptr<FieldCache>> field_caches;
  std::vector<std::unique_ptr<MethodCache>> method_caches;
  std::vector<std::unique_ptr<TryTargets>> tries;
  std::vector<std::unique_ptr<Captures>> captures;
  std::vector<std::unique_ptr<SwitchTable>> switches;
  std::vector<std::unique_ptr<std::vector<std::uint16_t>>> imports;
  std::vector<std::unique_ptr<ops::StructShape>> shapes;
  std::vector<std::unique_ptr<std::string>> messages;  // NotAvailable's

  // Method-cache records, freed with the Code (the caches change while the
  // rest of the Code is immutable: mutable).
  mutable std::mutex records_mu;
  mutable std::vector<std::unique_ptr<MethodEntry>> records;
};

// Whether translation fuses sequences into superinstructions. A frame
// another tier hands back mid-function may stand between two instructions
// a fusion joins; it continues in a translation without them (entry.cpp).
enum class Fusing : std::uint8_t { kOn, kOff };

// Translates a function with code (not NATIVE or EXTERNAL).
std::unique_ptr<Code> translate(const rt::FunctionInfo& f, Fusing fusing = Fusing::kOn);

// The first instruction at or after bytecode `offset` (where a resumed
// frame continues; a MAKE_CELL at a scope start comes first, as when
// control reaches it by a jump).
std::uint32_t index_at(const Code& code, std::uint32_t offset);

}  // namespace runa::tier0
