// How the disassembler writes one instruction: its operands in `.runas`
// syntax, and the description that annotated listings put in a comment
// (docs/bytecode.md §4.7).
//
// Everything here reads a module that may be invalid: ids may not resolve,
// names may repeat or need quoting, indices may be out of range. Nothing
// here indexes a container without checking, and a reference is written by
// name only when the assembler resolves that name back to the same id.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runatime/bytecode.hpp"
#include "runatime/module.hpp"

namespace runa::module::listing {

// Name lookups over one module, built once.
class Names {
 public:
  explicit Names(const Module& m);

  // A type or function reference as the assembler reads it: the name when
  // the name is unique, else the id.
  [[nodiscard]] std::string type_ref(std::uint32_t id) const;
  [[nodiscard]] std::string function_ref(std::uint32_t id) const;
  // For descriptions: the name, or the id and "undefined".
  [[nodiscard]] std::string type_label(std::uint32_t id) const;
  [[nodiscard]] std::string function_label(std::uint32_t id) const;
  // A constant's value for a description, or "#N (no such constant)".
  [[nodiscard]] std::string constant_label(std::uint32_t index) const;
  // The global's name from the first well-formed `globals` entry, or "".
  [[nodiscard]] std::string global_name(std::uint32_t index) const;

  const Module& module;

 private:
  [[nodiscard]] const TypeDef* type(std::uint32_t id) const;
  [[nodiscard]] const Function* function(std::uint32_t id) const;

  std::map<std::uint32_t, const TypeDef*> types_;                   // first type with each id
  std::map<std::uint32_t, const Function*> functions_;              // first function with each id
  std::map<std::string, std::size_t> type_names_, function_names_;  // name -> count
  std::vector<std::string> globals_;
};

// The instruction's operands as written after its name ("" for none). A
// target is written as its label when `labels` has it.
std::string operands(const bytecode::Instruction& ins, const Names& names,
                     const std::set<std::uint32_t>& labels);

// Whether `operands` can write the instruction so that it assembles to the
// same bytes (a capture kind other than local or upvalue cannot be).
bool writable(const bytecode::Instruction& ins);

// The summary from the opcode table with the operands resolved.
std::string describe(const bytecode::Instruction& ins, const Names& names, const Function& fn);

// The (name, type id) pairs of a `globals` metadata entry, when its data
// is exactly that: a count and that many pairs.
std::optional<std::vector<std::pair<std::string, std::uint32_t>>> globals_of(const Bytes& data);

// "L%04x", the label of a function-relative offset.
std::string label(std::uint32_t offset);

}  // namespace runa::module::listing
