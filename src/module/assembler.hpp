// The `.runas` assembler's state, shared by assembler.cpp (lines, module
// directives, name resolution) and assembler_code.cpp (functions and
// instructions).
//
// Two passes. The first reads every line into the Module and notes each
// reference by name as a Token to resolve later, so that types, functions,
// labels and globals may be used before they are declared. Every
// instruction's length is fixed by its operand *count*, never by a value, so
// the first pass already knows every offset: labels, `@` checks and `.loc`
// entries are settled there. The second pass resolves the names and encodes
// the code; inline constants are interned in that pass, in file order, after
// all `.const` entries. The first error stops both passes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "module/text_lexer.hpp"
#include "module/text_syntax.hpp"
#include "runatime/bytecode.hpp"
#include "runatime/module.hpp"

namespace runa::module::assembler {

using text::Tok;
using text::Token;

// A constant as written. `ref` is the function or type it names, when its
// kind has one, resolved in the second pass.
struct ConstSpec {
  Constant value;
  std::optional<Token> ref;
};

// What a field of an encoded instruction holds until the second pass.
enum class PieceKind : std::uint8_t {
  kLiteral,   // value is final
  kConst,     // inline constant: specs[value]
  kSlot,      // name of a parameter or local
  kGlobal,    // name of a global
  kField,     // Struct.field
  kType,      // type id or name
  kFunction,  // function id or name
  kTarget,    // label, offset or none
};

struct Piece {
  PieceKind kind = PieceKind::kLiteral;
  std::uint8_t width = 0;  // bytes: 1, 2, 4 or 8
  std::uint64_t value = 0;
  Token tok;
};

// One instruction or `.bytes` line: raw bytes, then pieces.
struct Inst {
  Bytes bytes;
  std::vector<Piece> pieces;
};

struct Label {
  std::uint32_t offset = 0;
  std::uint32_t line = 0;
};

struct LocalRefs {
  Token type, start, end;
};

struct FunctionSpec {
  std::size_t index = 0;  // into Module::functions
  Token at;               // the `.function` directive
  Token type;
  std::vector<Token> param_types;
  std::vector<LocalRefs> locals;
  std::map<std::string, Label> labels;
  std::vector<Inst> code;
  std::uint32_t size = 0;  // code bytes so far
};

struct TypeRefs {
  std::vector<Token> refs;
  std::optional<Token> result;
  std::vector<Token> fields;
};

struct MetaRefs {
  std::size_t index = 0;  // into Module::metadata
  text::MetaForm form = text::MetaForm::kSupertypes;
  std::vector<std::pair<Token, Token>> pairs;  // (type, supertype) or (name, type)
};

struct VarRefs {
  Token function, slot;
};

class Assembler {
 public:
  Assembler(std::vector<Token> tokens, std::string_view file)
      : t_(std::move(tokens)), file_(file) {}
  Result<Module> run();

 private:
  // --- tokens and errors (assembler.cpp)
  [[nodiscard]] const Token& peek() const { return t_[pos_]; }
  const Token& next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }
  [[nodiscard]] bool at_eol() const {
    return peek().kind == Tok::kNewline || peek().kind == Tok::kEnd;
  }
  [[nodiscard]] bool is_word(std::string_view w) const;
  bool eat_word(std::string_view w);
  bool expect_word(std::string_view w, std::string_view context);
  bool expect_eol();
  bool fail(const Token& at, std::string message);
  bool expected(std::string_view what);

  // --- values
  bool integer(const Token& t, bool negative_ok, std::uint64_t max, std::string_view what,
               std::uint64_t& out);
  bool i64(const Token& t, std::string_view what, std::uint64_t& out);
  bool number(std::uint64_t max, std::string_view what, std::uint64_t& out);
  bool floating(const Token& t, double& out);
  bool name(std::string& out, std::string_view what);
  bool ref(Token& out, std::string_view what);
  bool string(std::string& out, std::string_view what);
  bool hex_blob(Bytes& out);
  bool hash(std::optional<Hash>& out);
  bool version(Version& out);
  bool flag_set(std::span<const text::FlagName> names, std::uint32_t max, std::string_view what,
                std::uint32_t& out);
  bool constant(ConstSpec& out, bool aggregates);

  // --- lines and module directives (assembler.cpp)
  bool line();
  bool directive(const Token& d);
  bool const_directive();
  bool type_directive();
  bool field_directive();
  bool meta_directive();
  bool source_directive();
  bool vardebug_directive();

  // --- functions (assembler_code.cpp)
  bool function_directive(const Token& d);
  bool param_directive(const Token& d);
  bool local_directive(const Token& d);
  bool end_directive();
  bool loc_directive();
  bool bytes_directive(std::optional<std::uint32_t> at_offset, const Token& where);
  bool label(const Token& name);
  bool instruction(std::optional<std::uint32_t> at_offset, const Token& where);
  bool operand(bytecode::Operand kind, std::uint8_t width, bytecode::Op op, Inst& inst);
  bool captures(bytecode::Op op, Inst& inst);
  bool add(Inst inst, std::optional<std::uint32_t> at_offset, const Token& where);

  // --- second pass
  bool resolve();
  bool resolve_types();
  bool resolve_meta();
  bool resolve_functions();
  bool resolve_function(FunctionSpec& f);
  bool resolve_vars();
  bool id(const Token& t, bool function, std::uint32_t& out);
  bool type_id(const Token& t, std::uint32_t& out);
  bool function_id(const Token& t, std::uint32_t& out);
  bool target(const FunctionSpec& f, const Token& t, std::uint32_t& out);
  bool slot(const FunctionSpec& f, const Token& t, std::uint64_t& out);
  bool field(const Token& t, std::uint64_t& out);
  bool global(const Token& t, std::uint64_t& out);
  bool intern(const ConstSpec& spec, const Token& at, std::uint64_t& out);
  bool finish_constant(const ConstSpec& spec, Constant& out);

  std::vector<Token> t_;
  std::size_t pos_ = 0;
  std::string_view file_;
  std::optional<Error> err_;

  Module m_;
  bool debug_seen_ = false;
  std::vector<ConstSpec> consts_;           // `.const`, in pool order
  std::vector<ConstSpec> inline_;           // inline constants, referenced by kConst pieces
  std::vector<TypeRefs> types_;             // parallel to m_.types
  std::optional<std::size_t> open_struct_;  // the struct `.field` lines extend
  std::vector<MetaRefs> metas_;
  std::vector<VarRefs> vars_;      // parallel to m_.debug.vars
  std::vector<FunctionSpec> fns_;  // parallel to m_.functions
  std::optional<std::size_t> open_fn_;
  bool in_code_ = false;         // an instruction was seen in the open function
  std::uint32_t code_size_ = 0;  // bytes of all closed functions

  // Second-pass lookups.
  std::map<std::string, std::vector<std::uint32_t>> type_names_, function_names_;
  std::map<std::string, std::uint32_t> globals_;
  std::map<std::uint32_t, std::uint32_t> supertype_;
  std::map<std::string, std::uint32_t> pool_;  // constant's bytes -> first index
};

}  // namespace runa::module::assembler
