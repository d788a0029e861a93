// The bytecode verifier (docs/bytecode.md §3, items 7–9): its interface to
// verify.cpp, and what its passes share.
//
// Each function's code is decoded once, over a span of exactly that
// function's bytes (so no operand can run into the next function), into a
// Decoded that the later passes read: the try-statement parser
// (verify_try.cpp) and the stack-height interpretation (verify_stack.cpp).
// Passes report a Fault naming an instruction; verify_code.cpp turns it into
// an Error with the function, the file offset and "at pc N (OPNAME)".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runatime/bytecode.hpp"
#include "runatime/module.hpp"

namespace runa::module {

// "No such thing" for ids, indices and offsets; also the encoding of an
// absent TRY_BEGIN target.
inline constexpr std::uint32_t kNone = 0xFFFFFFFF;

// What the checks of the other sections established, for the code checks.
// Maps are keyed by id, since ids are any u32 the compiler chose.
struct ModuleIndex {
  std::unordered_map<std::uint32_t, std::uint32_t> types;      // id -> index in Module::types
  std::unordered_map<std::uint32_t, std::uint32_t> functions;  // id -> index in Module::functions
  std::uint32_t globals = 0;                                   // entries of the globals metadata
  std::uint32_t max_fields = 0;                                // the most fields any struct has
};

// How messages name items: "function 3 'fib'", "type 7 'Person'", and
// any other name in quotes.
std::string name_of(const Function& f);
std::string name_of(const TypeDef& t);
std::string quote(std::string_view name);

// Checks the code of every function. `facts` has one entry per function with
// frame_slots already set; this fills max_stack and upvalues. `starts` gets
// one flag per byte of Module::code, set at every instruction's first byte
// (the debug line table must point at those).
std::optional<Error> verify_code(const Module& m, const ModuleIndex& index, Verified& facts,
                                 std::vector<bool>& starts);

// One function's code, decoded.
struct Decoded {
  std::span<const std::uint8_t> bytes;     // exactly the function's code
  std::vector<bytecode::Instruction> ins;  // in code order
  std::vector<std::uint32_t> at;           // pc -> index into ins, kNone inside an instruction

  [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(ins.size()); }
  // The instruction starting at pc, or kNone (also for pc at or past the end).
  [[nodiscard]] std::uint32_t index(std::uint32_t pc) const {
    return pc < at.size() ? at[pc] : kNone;
  }
  // The offset of instruction i; the code length for i == size().
  [[nodiscard]] std::uint32_t pc(std::uint32_t i) const {
    return i < ins.size() ? ins[i].offset : static_cast<std::uint32_t>(bytes.size());
  }
};

// A problem inside a function: the instruction it is about and what is wrong.
struct Fault {
  std::uint32_t at = 0;  // index into Decoded::ins
  std::string message;
};

}  // namespace runa::module
