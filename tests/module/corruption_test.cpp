// Exhaustive corruption of the two published examples (add and Person):
// every truncation and every single-byte flip (xor 0xFF, xor 0x01) of their
// `.runab` bytes must end in a clear error (a section and a message) or in a
// module that the verifier accepts and that writes back to the same bytes;
// nothing may crash (CI runs this under ASan and UBSan), and the
// disassembler must cope with every mutant the reader accepts.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "runatime/module.hpp"

namespace runa::module {
namespace {

Hash hash_of(std::uint8_t seed) {
  Hash h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
  return h;
}

Bytes text_bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

Constant integer(std::int64_t v) {
  Constant k;
  k.kind = ConstKind::kInteger;
  k.integer = v;
  return k;
}

Constant text(std::string s) {
  Constant k;
  k.kind = ConstKind::kText;
  k.text = std::move(s);
  return k;
}

TypeDef primitive(std::uint32_t id, std::string name) {
  TypeDef t;
  t.id = id;
  t.kind = TypeKind::kPrimitive;
  t.name = std::move(name);
  return t;
}

TypeDef function_type(std::uint32_t id, std::string name, std::vector<std::uint32_t> params,
                      std::uint32_t result) {
  TypeDef t;
  t.id = id;
  t.kind = TypeKind::kFunction;
  t.name = std::move(name);
  t.refs = std::move(params);
  t.result = result;
  return t;
}

// Appends a function whose code is `code`, laid out after the code so far.
Function& add_function(Module& m, std::uint32_t id, std::string name, std::uint32_t type,
                       std::uint32_t flags, const Bytes& code) {
  Function& f = m.functions.emplace_back();
  f.id = id;
  f.name = std::move(name);
  f.type = type;
  f.flags = flags;
  f.code_offset = static_cast<std::uint32_t>(m.code.size());
  f.code_length = static_cast<std::uint32_t>(code.size());
  m.code.insert(m.code.end(), code.begin(), code.end());
  return f;
}

// The published add example:
//   add(a, b): LOAD_LOCAL 0, LOAD_LOCAL 1, ADD, RETURN
//   main():    PUSH_CONST add, PUSH_CONST 2, PUSH_CONST 3, CALL 2, RETURN
Module add_example() {
  Module m;
  m.header.created = 1764000000;
  m.header.flags = kHasDebugInfo;
  m.header.source_hash = hash_of(1);
  Constant add_ref;
  add_ref.kind = ConstKind::kFunction;
  add_ref.ref = 1;
  m.constants = {add_ref, integer(2), integer(3)};
  m.types = {primitive(1, "Integer"), function_type(2, "(Integer,Integer)->Integer", {1, 1}, 1),
             function_type(3, "()->Integer", {}, 1)};
  Function& add = add_function(m, 1, "add", 2, 0,
                               {0x03, 0x00, 0x00,  // LOAD_LOCAL 0
                                0x03, 0x01, 0x00,  // LOAD_LOCAL 1
                                0x10,              // ADD
                                0x0C});            // RETURN
  add.params = {{"a", 1, 0}, {"b", 1, 0}};
  add_function(m, 2, "main", 3, 0,
               {0x02, 0x00, 0x00,  // PUSH_CONST #0 (function add)
                0x02, 0x01, 0x00,  // PUSH_CONST #1 (2)
                0x02, 0x02, 0x00,  // PUSH_CONST #2 (3)
                0x0A, 0x02,        // CALL 2
                0x0C});            // RETURN
  m.metadata = {{kMetaSourcePath, text_bytes("examples/add.runa")},
                {kMetaCompilerVersion, text_bytes("runac 0.1")}};
  m.debug.files = {{1, "examples/add.runa", hash_of(2)}};
  m.debug.lines = {{0, 1, 2, 5}, {3, 1, 2, 9},  {6, 1, 2, 7}, {7, 1, 2, 3},
                   {8, 1, 5, 3}, {17, 1, 5, 3}, {19, 1, 5, 3}};
  m.debug.vars = {{1, 0, 1, 9}, {1, 1, 1, 12}};
  return m;
}

// The published Person example:
//   struct Person { name: Text, age: Integer }
//   initialize(self, name, age)  METHOD|CONSTRUCTOR: stores both fields,
//   returns self is_adult(self)               METHOD: LOAD_LOCAL 0, LOAD_FIELD
//   1, PUSH_CONST 18, GE, RETURN main(): p = NEW Person; p.initialize("Ada",
//   36); return p.is_adult() ? 0 : 1
Module person_example() {
  Module m;
  m.header.created = 1764000000;
  m.header.flags = kHasDebugInfo | kStrictTypes;
  m.constants = {integer(18),      text("Ada"), integer(36), text("initialize"),
                 text("is_adult"), integer(0),  integer(1)};
  TypeDef person;
  person.id = 3;
  person.kind = TypeKind::kStruct;
  person.name = "Person";
  person.fields = {{"name", 1, 0, 0}, {"age", 2, 8, kFieldReadonly}};
  m.types = {primitive(1, "Text"),
             primitive(2, "Integer"),
             person,
             primitive(4, "Boolean"),
             function_type(5, "(Person,Text,Integer)->Person", {3, 1, 2}, 3),
             function_type(6, "(Person)->Boolean", {3}, 4),
             function_type(7, "()->Integer", {}, 2)};
  Function& init = add_function(m, 1, "initialize", 5, kFnMethod | kFnConstructor,
                                {0x03, 0x00, 0x00,  // LOAD_LOCAL 0
                                 0x03, 0x01, 0x00,  // LOAD_LOCAL 1
                                 0x08, 0x00, 0x00,  // STORE_FIELD 0
                                 0x03, 0x00, 0x00,  // LOAD_LOCAL 0
                                 0x03, 0x02, 0x00,  // LOAD_LOCAL 2
                                 0x08, 0x01, 0x00,  // STORE_FIELD 1
                                 0x03, 0x00, 0x00,  // LOAD_LOCAL 0
                                 0x0C});            // RETURN
  init.params = {{"self", 3, 0}, {"name", 1, 0}, {"age", 2, 0}};
  Function& adult = add_function(m, 2, "is_adult", 6, kFnMethod,
                                 {0x03, 0x00, 0x00,  // LOAD_LOCAL 0
                                  0x07, 0x01, 0x00,  // LOAD_FIELD 1
                                  0x02, 0x00, 0x00,  // PUSH_CONST #0 (18)
                                  0x1B,              // GE
                                  0x0C});            // RETURN
  adult.params = {{"self", 3, 0}};
  Function& main_fn =
      add_function(m, 3, "main", 7, 0, {0x09, 0x03, 0x00, 0x00, 0x00,  // 0:  NEW Person
                                        0x04, 0x00, 0x00,              // 5:  STORE_LOCAL 0
                                        0x03, 0x00, 0x00,              // 8:  LOAD_LOCAL 0
                                        0x02, 0x01, 0x00,              // 11: PUSH_CONST #1 ("Ada")
                                        0x02, 0x02, 0x00,              // 14: PUSH_CONST #2 (36)
                                        0x0B, 0x03, 0x00, 0x02,  // 17: CALL_METHOD initialize 2
                                        0x20,                    // 21: POP
                                        0x03, 0x00, 0x00,        // 22: LOAD_LOCAL 0
                                        0x0B, 0x04, 0x00, 0x00,  // 25: CALL_METHOD is_adult 0
                                        0x0F, 0x26, 0x00, 0x00, 0x00,  // 29: JUMP_IF_FALSE 38
                                        0x02, 0x05, 0x00,              // 34: PUSH_CONST #5 (0)
                                        0x0C,                          // 37: RETURN
                                        0x02, 0x06, 0x00,              // 38: PUSH_CONST #6 (1)
                                        0x0C});                        // 41: RETURN
  main_fn.locals = {{"p", 3, 0, 5, 42}};
  m.metadata = {{kMetaSourcePath, text_bytes("examples/person.runa")},
                {kMetaCompileOptions, text_bytes("{\"opt\": 0, \"debug\": true}")},
                {kMetaLicense, text_bytes("MIT")}};
  m.debug.files = {{1, "examples/person.runa", std::nullopt}};
  // initialize at 0, is_adult at 22, main at 33.
  m.debug.lines = {{0, 1, 3, 5},  {9, 1, 4, 5},   {21, 1, 5, 5},  {22, 1, 8, 5},
                   {32, 1, 8, 5}, {33, 1, 11, 3}, {55, 1, 12, 3}, {62, 1, 13, 3}};
  m.debug.vars = {{1, 0, 3, 14}, {1, 1, 3, 20}, {1, 2, 3, 32}, {2, 0, 7, 16}, {3, 0, 11, 3}};
  return m;
}

// Failures are counted and only the first few reported, so that one broken
// invariant does not print thousands of lines.
class Report {
 public:
  explicit Report(std::string example) : example_(std::move(example)) {}
  ~Report() {
    if (failures_ > kShown) {
      ADD_FAILURE() << example_ << ": " << failures_ - kShown << " more failures not shown";
    }
  }
  Report(const Report&) = delete;
  Report& operator=(const Report&) = delete;

  void fail(const std::string& mutant, const std::string& what) {
    if (++failures_ <= kShown) ADD_FAILURE() << example_ << ", " << mutant << ": " << what;
  }

  int read_errors = 0;
  int verify_errors = 0;
  int accepted = 0;

 private:
  static constexpr int kShown = 10;
  std::string example_;
  int failures_ = 0;
};

bool clear(const Error& e) {
  return !e.section.empty() && !e.message.empty();
}

// One mutant through read, write, verify, disassemble and assemble.
void check_mutant(const Bytes& bytes, const std::string& mutant, Report& report) {
  Result<Module> r = read(bytes);
  if (!r.ok()) {
    ++report.read_errors;
    if (!clear(r.error())) report.fail(mutant, "unclear read error: " + r.error().describe());
    return;
  }
  // Whatever the reader accepts, the disassembler must describe, annotated or
  // not.
  const std::string listing = disassemble(r.value());
  if (listing.empty()) report.fail(mutant, "empty listing");
  if (disassemble(r.value(), ListingOptions{.annotate = false}).empty()) {
    report.fail(mutant, "empty listing without annotations");
  }
  // The reader keeps everything the file says, so the writer gives it back.
  Result<Bytes> w = write(r.value());
  if (!w.ok()) {
    report.fail(mutant, "read but not written: " + w.error().describe());
  } else if (w.value() != bytes) {
    report.fail(mutant, "written back differently");
  }
  Result<Verified> v = verify(r.value());
  if (!v.ok()) {
    ++report.verify_errors;
    if (!clear(v.error())) report.fail(mutant, "unclear verify error: " + v.error().describe());
    return;
  }
  ++report.accepted;
  Result<Module> again = assemble(listing, "mutant.runas");
  if (!again.ok()) {
    report.fail(mutant, "its listing does not assemble: " + again.error().describe());
  } else if (again.value() != r.value()) {
    report.fail(mutant, "its listing assembles to a different module");
  }
}

struct Example {
  std::string name;
  Bytes bytes;
};

void corrupt_exhaustively(const Example& ex) {
  Report report(ex.name);
  const std::size_t n = ex.bytes.size();
  for (std::size_t len = 0; len < n; ++len) {
    check_mutant(Bytes(ex.bytes.begin(), ex.bytes.begin() + static_cast<long>(len)),
                 "truncated to " + std::to_string(len) + " bytes", report);
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint8_t mask : {std::uint8_t{0xFF}, std::uint8_t{0x01}}) {
      Bytes mutant = ex.bytes;
      mutant[i] ^= mask;
      check_mutant(mutant, "byte " + std::to_string(i) + " xor " + std::to_string(mask), report);
    }
  }
  // Every truncation must fail to read; flips land in every outcome.
  EXPECT_GE(report.read_errors, static_cast<int>(n)) << ex.name;
  EXPECT_GT(report.accepted, 0) << ex.name << ": no flip produced a module the verifier accepts";
  EXPECT_GT(report.verify_errors, 0) << ex.name << ": no flip was caught by the verifier";
  ::testing::Test::RecordProperty(ex.name + "_mutants", static_cast<int>(3 * n));
  ::testing::Test::RecordProperty(ex.name + "_read_errors", report.read_errors);
  ::testing::Test::RecordProperty(ex.name + "_verify_errors", report.verify_errors);
  ::testing::Test::RecordProperty(ex.name + "_accepted", report.accepted);
}

// A module built here, checked to be valid before it is corrupted.
Example built(const std::string& name, const Module& m) {
  Example ex{name, {}};
  Result<Verified> v = verify(m);
  EXPECT_TRUE(v.ok()) << name << ": " << v.error().describe();
  Result<Bytes> w = write(m);
  EXPECT_TRUE(w.ok()) << name << ": " << w.error().describe();
  if (w.ok()) ex.bytes = std::move(w.value());
  return ex;
}

TEST(CorruptionTest, ExamplesAreValidAndRoundTrip) {
  for (const Module& m : {add_example(), person_example()}) {
    Result<Verified> v = verify(m);
    ASSERT_TRUE(v.ok()) << v.error().describe();
    EXPECT_EQ(v->functions.size(), m.functions.size());
    Result<Bytes> w = write(m);
    ASSERT_TRUE(w.ok()) << w.error().describe();
    Result<Module> back = read(w.value());
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(back.value(), m);
    Result<Module> again = assemble(disassemble(m), "example.runas");
    ASSERT_TRUE(again.ok()) << again.error().describe();
    EXPECT_EQ(again.value(), m);
  }
}

TEST(CorruptionTest, AddExample) {
  const Example ex = built("add", add_example());
  ASSERT_FALSE(ex.bytes.empty());
  corrupt_exhaustively(ex);
}

TEST(CorruptionTest, PersonExample) {
  const Example ex = built("person", person_example());
  ASSERT_FALSE(ex.bytes.empty());
  corrupt_exhaustively(ex);
}

// The same, from the text form in examples/, once it is there.
void corrupt_example_file(const std::string& file) {
  const std::filesystem::path path = std::filesystem::path(RUNA_SOURCE_DIR) / "examples" / file;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " does not exist";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot open " << path;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Result<Module> m = assemble(text, file);
  ASSERT_TRUE(m.ok()) << m.error().describe();
  const Example ex = built(file, m.value());
  ASSERT_FALSE(ex.bytes.empty());
  corrupt_exhaustively(ex);
}

TEST(CorruptionTest, AddRunas) {
  corrupt_example_file("add.runas");
}

TEST(CorruptionTest, PersonRunas) {
  corrupt_example_file("person.runas");
}

}  // namespace
}  // namespace runa::module
