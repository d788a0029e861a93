// Spelling shared by the assembler and the disassembler: flag names,
// metadata entry names, keywords, and how names and strings are written.
//
// Both directions read these tables, so that what the disassembler writes
// is by construction what the assembler reads: a name is written bare only
// when the lexer reads it back as the same identifier and no grammar rule
// could take it for a keyword; anything else is quoted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "runatime/module.hpp"

namespace runa::module::text {

struct FlagName {
  std::string_view name;
  std::uint32_t bit;
};

inline constexpr FlagName kHeaderFlagNames[] = {
    {"HAS_DEBUG_INFO", kHasDebugInfo}, {"OPTIMIZED", kOptimized},
    {"STRICT_TYPES", kStrictTypes},    {"SANDBOXED", kSandboxed},
    {"JIT_ALLOWED", kJitAllowed},      {"NATIVE_AOT", kNativeAot},
    {"REQUIRES_FFI", kRequiresFfi},    {"SECURE_MEMORY", kSecureMemory},
};
inline constexpr FlagName kFunctionFlagNames[] = {
    {"EXTERNAL", kFnExternal}, {"NATIVE", kFnNative},       {"CONSTRUCTOR", kFnConstructor},
    {"METHOD", kFnMethod},     {"ANONYMOUS", kFnAnonymous}, {"GENERATOR", kFnGenerator},
    {"ASYNC", kFnAsync},       {"VARARGS", kFnVarargs},
};
inline constexpr FlagName kFieldFlagNames[] = {
    {"READONLY", kFieldReadonly}, {"PRIVATE", kFieldPrivate}, {"WEAK", kFieldWeak}};
inline constexpr FlagName kParamFlagNames[] = {{"VARIADIC", kParamVariadic},
                                               {"MUTABLE", kParamMutable}};

// How a known metadata entry is written after `.meta NAME`.
enum class MetaForm : std::uint8_t {
  kText,        // one string: the whole data
  kDeps,        // "module" "version", ...
  kStrings,     // "lib", ...
  kOptLevel,    // a number 0-255: one byte
  kHex,         // hex "..."
  kSupertypes,  // TYPE SUPERTYPE, ...
  kGlobals,     // NAME TYPE, ...
};

struct MetaName {
  std::string_view name;
  std::uint8_t type;
  MetaForm form;
};

inline constexpr MetaName kMetaNames[] = {
    {"source_path", kMetaSourcePath, MetaForm::kText},
    {"compiler_version", kMetaCompilerVersion, MetaForm::kText},
    {"compile_options", kMetaCompileOptions, MetaForm::kText},
    {"license", kMetaLicense, MetaForm::kText},
    {"module_deps", kMetaModuleDeps, MetaForm::kDeps},
    {"native_lib_deps", kMetaNativeLibDeps, MetaForm::kStrings},
    {"author", kMetaAuthor, MetaForm::kText},
    {"version", kMetaVersion, MetaForm::kText},
    {"opt_level", kMetaOptLevel, MetaForm::kOptLevel},
    {"jit_hints", kMetaJitHints, MetaForm::kHex},
    {"security", kMetaSecurity, MetaForm::kText},
    {"supertypes", kMetaSupertypes, MetaForm::kSupertypes},
    {"globals", kMetaGlobals, MetaForm::kGlobals},
};

// Case-insensitive comparison for keywords, flag and opcode names.
bool same_word(std::string_view a, std::string_view b);

// Whether the lexer reads `name` as one identifier token.
bool is_identifier(std::string_view name);

// `s` as a string literal: printable ASCII and valid UTF-8 sequences as they
// are, \n \t \r \0 \\ \" escaped, every other byte as \xHH.
std::string quote(std::string_view s);

// A name as the assembler reads it back: bare when it is an identifier that
// is no keyword of the grammar, else quoted.
std::string name(std::string_view s);

// Flag names joined by '|', unknown bits as one hex number; "0" when none.
std::string flags(std::uint32_t value, std::span<const FlagName> names);

// Hex of a 16-byte hash, as `.source_hash` and `.source ... hash` take it.
std::string hash(const Hash& h);

}  // namespace runa::module::text
