// runatime/module.hpp — a `.runab` module in memory, and the operations on it.
//
// A Module mirrors the file section by section (docs/bytecode.md is the
// precise reading of the format): what the file says, nothing derived. The
// reader fills it from bytes, the assembler from `.runas` text; the writer
// and the disassembler turn it back. Invariants:
//   - read() accepts exactly the files whose structure is sound (every length
//     and count consistent, nothing truncated, no trailing bytes); it checks
//     no meaning. verify() checks meaning (ids resolve, UTF-8, bytecode).
//     No execution tier sees a module that verify() has not accepted.
//   - For every module m that verify() accepts, read(write(m)) == m and
//     assemble(disassemble(m)) == m: both round trips are byte for byte.
//   - `debug` is part of the file exactly when the header has HasDebugInfo.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/result.hpp"

namespace runa::module {

using Bytes = std::vector<std::uint8_t>;
using Hash = std::array<std::uint8_t, 16>;

inline constexpr std::string_view kMagic = "RUNABYTC";

struct Version {
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  friend bool operator==(const Version&, const Version&) = default;
};

// The format version this RunaTime reads and writes, and the VM version it
// implements (checked against a module's minimum VM version).
inline constexpr Version kFormatVersion{1, 2};
inline constexpr Version kVmVersion{1, 2};

// Header flags (RUNAB-1.2). Bits outside kHeaderFlagsKnown are rejected.
enum HeaderFlag : std::uint32_t {
  kHasDebugInfo = 0x1,
  kOptimized = 0x2,
  kStrictTypes = 0x4,
  kSandboxed = 0x8,
  kJitAllowed = 0x10,
  kNativeAot = 0x20,
  kRequiresFfi = 0x40,
  kSecureMemory = 0x80,
};
inline constexpr std::uint32_t kHeaderFlagsKnown = 0xFF;

struct Header {
  Version format = kFormatVersion;
  Version min_vm{1, 0};
  std::int64_t created = 0;  // Unix time, seconds
  std::uint32_t flags = 0;
  std::optional<Hash> source_hash;
  std::vector<std::string> native_libraries;  // library index i >= 1 names entry i-1
  friend bool operator==(const Header&, const Header&) = default;
};

enum class ConstKind : std::uint8_t {
  kInteger = 0x01,
  kDecimal = 0x02,
  kBoolean = 0x03,
  kText = 0x04,
  kNull = 0x05,
  kList = 0x06,
  kMap = 0x07,
  kFunction = 0x08,
  kType = 0x09,
  kExternal = 0x0A,
};

// One constant. Only the members its kind uses are meaningful; the others
// keep their defaults, so that == compares what the file holds.
struct Constant {
  ConstKind kind = ConstKind::kNull;
  std::int64_t integer = 0;          // kInteger
  double decimal = 0.0;              // kDecimal (compared bitwise, see operator==)
  bool boolean = false;              // kBoolean
  std::string text;                  // kText; kExternal: the native's name
  std::vector<std::uint32_t> items;  // kList: elements; kMap: key, value, key, value...
  std::uint32_t ref = 0;             // kFunction: function id; kType: type id;
                                     // kExternal: native-library index (0 = runtime)
  friend bool operator==(const Constant& a, const Constant& b);
};

enum class TypeKind : std::uint8_t {
  kPrimitive = 0x01,
  kStruct = 0x02,
  kList = 0x03,
  kMap = 0x04,
  kFunction = 0x05,
  kOptional = 0x06,
  kUnion = 0x07,
  kExternal = 0x08,
};

// Field flags (RunaTime's reading; RUNAB-1.2 names none).
enum FieldFlag : std::uint8_t {
  kFieldReadonly = 0x1,  // stored only by constructors
  kFieldPrivate = 0x2,   // not visible to reflection from outside the module
  kFieldWeak = 0x4,      // a weak reference: does not keep its referent alive
};
inline constexpr std::uint8_t kFieldFlagsKnown = 0x7;

struct Field {
  std::string name;
  std::uint32_t type = 0;
  std::uint32_t offset = 0;
  std::uint8_t flags = 0;
  friend bool operator==(const Field&, const Field&) = default;
};

struct TypeDef {
  std::uint32_t id = 0;
  TypeKind kind = TypeKind::kPrimitive;
  std::string name;
  std::vector<Field> fields;        // kStruct
  std::vector<std::uint32_t> refs;  // kList: {element}; kMap: {key, value};
                                    // kFunction: parameter types; kOptional: {base};
                                    // kUnion: members
  std::uint32_t result = 0;         // kFunction: return type
  Bytes layout;                     // kExternal: layout metadata
  friend bool operator==(const TypeDef&, const TypeDef&) = default;
};

enum FunctionFlag : std::uint32_t {
  kFnExternal = 0x1,
  kFnNative = 0x2,
  kFnConstructor = 0x4,
  kFnMethod = 0x8,
  kFnAnonymous = 0x10,
  kFnGenerator = 0x20,
  kFnAsync = 0x40,
  kFnVarargs = 0x80,
};
inline constexpr std::uint32_t kFunctionFlagsKnown = 0xFF;

// Parameter flags (RunaTime's reading; RUNAB-1.2 names none).
enum ParamFlag : std::uint8_t {
  kParamVariadic = 0x1,  // the last parameter of a VARARGS function: a List of the rest
  kParamMutable = 0x2,   // the body stores into it
};
inline constexpr std::uint8_t kParamFlagsKnown = 0x3;

struct Param {
  std::string name;
  std::uint32_t type = 0;
  std::uint8_t flags = 0;
  friend bool operator==(const Param&, const Param&) = default;
};

struct Local {
  std::string name;
  std::uint32_t type = 0;
  std::uint16_t slot = 0;
  std::uint32_t scope_start = 0;  // bytecode offsets relative to the function
  std::uint32_t scope_end = 0;
  friend bool operator==(const Local&, const Local&) = default;
};

struct Function {
  std::uint32_t id = 0;
  std::string name;
  std::uint32_t type = 0;  // a Function-kind type
  std::vector<Param> params;
  std::vector<Local> locals;
  std::uint32_t code_offset = 0;  // into Module::code
  std::uint32_t code_length = 0;
  std::uint32_t flags = 0;
  friend bool operator==(const Function&, const Function&) = default;
};

// Metadata entry types: RUNAB-1.2's, then RunaTime's own (docs/bytecode.md).
enum MetaType : std::uint8_t {
  kMetaSourcePath = 0x01,
  kMetaCompilerVersion = 0x02,
  kMetaCompileOptions = 0x03,  // JSON
  kMetaLicense = 0x04,
  kMetaModuleDeps = 0x05,
  kMetaNativeLibDeps = 0x06,
  kMetaAuthor = 0x07,
  kMetaVersion = 0x08,
  kMetaOptLevel = 0x09,
  kMetaJitHints = 0x0A,
  kMetaSecurity = 0x0B,    // JSON
  kMetaSupertypes = 0x20,  // RunaTime: single inheritance between struct types
  kMetaGlobals = 0x21,     // RunaTime: the module's global variables
};

struct MetadataEntry {
  std::uint8_t type = 0;
  Bytes data;
  friend bool operator==(const MetadataEntry&, const MetadataEntry&) = default;
};

struct SourceFile {
  std::uint32_t id = 0;
  std::string path;
  std::optional<Hash> hash;
  friend bool operator==(const SourceFile&, const SourceFile&) = default;
};

struct LineEntry {
  std::uint32_t offset = 0;  // into Module::code
  std::uint32_t file = 0;
  std::uint32_t line = 0;
  std::uint16_t column = 0;
  friend bool operator==(const LineEntry&, const LineEntry&) = default;
};

// Where a local variable was declared in the source.
struct VarDebug {
  std::uint32_t function = 0;
  std::uint16_t slot = 0;
  std::uint32_t line = 0;
  std::uint16_t column = 0;
  friend bool operator==(const VarDebug&, const VarDebug&) = default;
};

struct DebugInfo {
  std::vector<SourceFile> files;
  std::vector<LineEntry> lines;
  std::vector<VarDebug> vars;
  friend bool operator==(const DebugInfo&, const DebugInfo&) = default;
};

// Where the reader found things, so that later errors can name a byte
// offset. Empty for modules built in memory or assembled from text.
struct Layout {
  std::uint64_t code = 0;  // file offset of the first bytecode byte
  // The header's fields that the verifier checks.
  std::uint64_t format = 0, min_vm = 0, flags = 0;
  std::vector<std::uint64_t> native_libraries;
  std::vector<std::uint64_t> constants, types, functions, metadata;
  std::vector<std::uint64_t> debug_files, debug_lines, debug_vars;
};

struct Module {
  Header header;
  std::vector<Constant> constants;
  std::vector<TypeDef> types;
  std::vector<Function> functions;
  Bytes code;
  std::vector<MetadataEntry> metadata;
  DebugInfo debug;  // in the file only when header.flags has kHasDebugInfo
  Layout layout;    // not compared

  friend bool operator==(const Module& a, const Module& b);
};

// Binary form.
Result<Module> read(std::span<const std::uint8_t> bytes);
Result<Bytes> write(const Module& m);

// Limits a verified function stays within, so that no module can make a
// tier reserve more for one frame (docs/bytecode.md §3): the JVM's 16-bit
// limits.
inline constexpr std::uint32_t kMaxFrameSlots = 65535;  // parameters and locals
inline constexpr std::uint32_t kMaxStack = 65535;       // operand stack height

// What the verifier learns about each function, in the order of
// Module::functions: what an execution tier needs to size a frame.
struct FunctionFacts {
  std::uint32_t frame_slots = 0;  // parameters and locals
  std::uint32_t max_stack = 0;    // operand-stack height bound
  std::uint32_t upvalues = 0;     // captured variables of its closures
};
struct Verified {
  std::vector<FunctionFacts> functions;
};
Result<Verified> verify(const Module& m);

// Files. read_file: a whole file's bytes. load_file: a module from a
// `.runas` file (assembled) or any other (read as `.runab`); not verified.
// Errors name the file (and the system's reason when it cannot be read).
Result<Bytes> read_file(const std::string& path);
Result<Module> load_file(const std::string& path);

// Text form (`.runas`, grammar in docs/bytecode.md).
Result<Module> assemble(std::string_view text, std::string_view file_name);
struct ListingOptions {
  bool annotate = true;  // offsets, source lines and descriptions as comments
};
std::string disassemble(const Module& m, const ListingOptions& options = {});

}  // namespace runa::module
