// The writer against hand-built images (image_builder.hpp): every section and
// kind written as docs/bytecode.md §1–2 says, read(write(m)) == m, and the
// modules that cannot be encoded refused with an error naming the section.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "image_builder.hpp"
#include "runatime/module.hpp"

namespace runa::module {
namespace {

using test::File;
using test::Sections;

std::vector<std::uint8_t> written(const Module& m) {
  Result<module::Bytes> w = write(m);
  EXPECT_TRUE(w.ok()) << w.error().describe();
  return w.ok() ? w.value() : std::vector<std::uint8_t>{};
}

// The contents of section `name` in a file laid out as `f`, taken from `bytes`.
std::vector<std::uint8_t> section_of(const std::vector<std::uint8_t>& bytes, const File& f,
                                     const std::string& name) {
  const File::Where& w = f.at(name);
  if (w.end > bytes.size()) return {};
  return {bytes.begin() + static_cast<long>(w.body_at), bytes.begin() + static_cast<long>(w.end)};
}

// A module with nothing in it but what the test adds (format 1.2, VM 1.0).
Module empty_module() {
  return Module{};
}

Module with_constant(const Constant& k) {
  Module m = empty_module();
  m.constants.push_back(k);
  return m;
}

Module with_type(const TypeDef& t) {
  Module m = empty_module();
  m.types.push_back(t);
  return m;
}

TEST(WriterTest, WritesTheSmallestModule) {
  EXPECT_EQ(written(empty_module()), test::lay_out(test::empty_sections()).bytes);
}

TEST(WriterTest, WritesTheMagicOnceAtOffsetZero) {
  const std::vector<std::uint8_t> bytes = written(empty_module());
  ASSERT_GE(bytes.size(), 12U);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "RUNABYTC");
  EXPECT_NE(std::string(bytes.begin() + 12, bytes.begin() + 20), "RUNABYTC");
}

TEST(WriterTest, WritesEverySectionOfTheSample) {
  const File want = test::lay_out(test::sample_sections());
  const std::vector<std::uint8_t> got = written(test::sample_module());
  for (const File::Where& w : want.sections) {
    EXPECT_EQ(section_of(got, want, w.name), section_of(want.bytes, want, w.name))
        << "section " << w.name;
  }
  EXPECT_EQ(got, want.bytes);
}

TEST(WriterTest, WritesEachConstantKind) {
  // The sample's constants, one at a time: the expected bytes of each are
  // the sample image's, cut where the reader says each constant starts.
  const Module sample = test::sample_module();
  const File f = test::lay_out(test::sample_sections());
  Result<Module> read_back = read(f.bytes);
  ASSERT_TRUE(read_back.ok()) << read_back.error().describe();
  const std::vector<std::uint64_t>& starts = read_back->layout.constants;
  for (std::size_t i = 0; i < sample.constants.size(); ++i) {
    const std::uint64_t end = i + 1 < starts.size() ? starts[i + 1] : f.at("constants").end;
    test::Bytes want;
    want.u32(1);
    want.raw(std::vector<std::uint8_t>(f.bytes.begin() + static_cast<long>(starts[i]),
                                       f.bytes.begin() + static_cast<long>(end)));
    Sections expect = test::empty_sections();
    expect.constants = want;
    EXPECT_EQ(written(with_constant(sample.constants[i])), test::lay_out(expect).bytes)
        << "constant #" << i;
  }
}

TEST(WriterTest, WritesDecimalBitPatternsExactly) {
  for (std::uint64_t bits : {test::kNegativeZero, test::kQuietNanPayload, test::kNegativeNanPayload,
                             std::uint64_t{0x7ff0000000000000}, std::uint64_t{1}}) {
    Sections expect = test::empty_sections();
    expect.constants = test::Bytes{};
    expect.constants.u32(1).u8(0x02).f64_bits(bits);
    const Module m = with_constant(test::decimal_bits(bits));
    EXPECT_EQ(written(m), test::lay_out(expect).bytes) << std::hex << bits;
    Result<Module> back = read(written(m));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    std::uint64_t got = 0;
    std::memcpy(&got, &back->constants[0].decimal, sizeof got);
    EXPECT_EQ(got, bits);
  }
}

TEST(WriterTest, WritesBooleansAsZeroOrOne) {
  Constant k;
  k.kind = ConstKind::kBoolean;
  k.boolean = true;
  Sections expect = test::empty_sections();
  expect.constants = test::Bytes{};
  expect.constants.u32(1).u8(0x03).u8(1);
  EXPECT_EQ(written(with_constant(k)), test::lay_out(expect).bytes);
}

TEST(WriterTest, WritesEachTypeKind) {
  const Module sample = test::sample_module();
  const File f = test::lay_out(test::sample_sections());
  Result<Module> read_back = read(f.bytes);
  ASSERT_TRUE(read_back.ok()) << read_back.error().describe();
  const std::vector<std::uint64_t>& starts = read_back->layout.types;
  for (std::size_t i = 0; i < sample.types.size(); ++i) {
    const std::uint64_t end = i + 1 < starts.size() ? starts[i + 1] : f.at("types").end;
    Sections expect = test::empty_sections();
    expect.types = test::Bytes{};
    expect.types.u32(1).raw(std::vector<std::uint8_t>(
        f.bytes.begin() + static_cast<long>(starts[i]), f.bytes.begin() + static_cast<long>(end)));
    EXPECT_EQ(written(with_type(sample.types[i])), test::lay_out(expect).bytes)
        << "type " << sample.types[i].name;
  }
}

TEST(WriterTest, WritesFunctionsWithParametersAndLocals) {
  Module m = empty_module();
  Function& f = m.functions.emplace_back();
  f.id = 0x01020304;
  f.name = "f";
  f.type = 9;
  f.params = {{"x", 1, kParamMutable}, {"rest", 4, kParamVariadic}};
  f.locals = {{"i", 1, 2, 3, 7}, {"j", 1, 2, 7, 9}};
  f.code_offset = 0;
  f.code_length = 0;
  f.flags = kFnVarargs | kFnExternal;
  Sections expect = test::empty_sections();
  expect.functions = test::Bytes{};
  expect.functions.u32(1).u32(0x01020304).str("f").u32(9).u32(2);
  expect.functions.str("x").u32(1).u8(0x2).str("rest").u32(4).u8(0x1);
  expect.functions.u32(2).str("i").u32(1).u16(2).u32(3).u32(7).str("j").u32(1).u16(2).u32(7).u32(9);
  expect.functions.u32(0).u32(0).u32(0x81);
  EXPECT_EQ(written(m), test::lay_out(expect).bytes);
}

TEST(WriterTest, WritesTheCodeAsGiven) {
  Module m = empty_module();
  m.code = {0x01, 0x02, 0xFF, 0x00};
  Sections expect = test::empty_sections();
  expect.bytecode = test::Bytes{0x01, 0x02, 0xFF, 0x00};
  EXPECT_EQ(written(m), test::lay_out(expect).bytes);
}

TEST(WriterTest, WritesMetadataEntriesWithTheirLengths) {
  Module m = empty_module();
  m.metadata = {{kMetaLicense, {'M', 'I', 'T'}}, {0xEE, {}}, {kMetaJitHints, {0, 1, 2}}};
  Sections expect = test::empty_sections();
  expect.metadata = test::Bytes{};
  expect.metadata.u32(3).u8(0x04).str("MIT").u8(0xEE).u32(0).u8(0x0A).u32(3).u8(0).u8(1).u8(2);
  EXPECT_EQ(written(m), test::lay_out(expect).bytes);
}

TEST(WriterTest, WritesTheSourceHashPresenceByte) {
  Module m = empty_module();
  EXPECT_EQ(written(m), test::lay_out(test::empty_sections()).bytes);
  m.header.source_hash = test::hash_from(0xA0);
  Sections expect = test::empty_sections();
  expect.header = test::Bytes{};
  expect.header.u16(1).u16(2).u16(1).u16(0).i64(0).u32(0).hash(0xA0).u32(0);
  EXPECT_EQ(written(m), test::lay_out(expect).bytes);
}

TEST(WriterTest, WritesHeaderFields) {
  Module m = empty_module();
  m.header.format = {1, 0};
  m.header.min_vm = {1, 2};
  m.header.created = -1;
  m.header.flags = kSandboxed | kRequiresFfi;
  m.header.native_libraries = {"libc.so.6"};
  Sections expect = test::empty_sections();
  expect.header = test::Bytes{};
  expect.header.u16(1).u16(0).u16(1).u16(2).i64(-1).u32(0x48).no_hash().u32(1).str("libc.so.6");
  EXPECT_EQ(written(m), test::lay_out(expect).bytes);
}

TEST(WriterTest, WritesDebugInformationOnlyWithTheFlag) {
  Module m = test::sample_module();
  const File with_debug = test::lay_out(test::sample_sections());
  EXPECT_EQ(written(m), with_debug.bytes);

  m.header.flags &= ~std::uint32_t{kHasDebugInfo};
  const std::vector<std::uint8_t> without = written(m);
  // Everything up to the end of the metadata, with the flag cleared, and nothing after.
  std::vector<std::uint8_t> want(
      with_debug.bytes.begin(),
      with_debug.bytes.begin() + static_cast<long>(with_debug.at("metadata").end));
  want[with_debug.at("header").body_at + 16] = kOptimized;
  EXPECT_EQ(without, want);
}

TEST(WriterTest, WritesTheLineTableSize) {
  Module m = empty_module();
  m.header.flags = kHasDebugInfo;
  m.debug.lines = {{0, 1, 2, 3}, {4, 1, 5, 6}, {9, 2, 7, 8}};
  Sections expect = test::empty_sections(kHasDebugInfo);
  expect.debug = test::Bytes{};
  expect.debug->u32(0).u32(4 + 14 * 3).u32(3);
  expect.debug->u32(0).u32(1).u32(2).u16(3).u32(4).u32(1).u32(5).u16(6).u32(9).u32(2).u32(7).u16(8);
  expect.debug->u32(0);
  EXPECT_EQ(written(m), test::lay_out(expect).bytes);
}

// ---- Round trips ----

TEST(WriterTest, ReadsBackWhatItWrites) {
  const Module m = test::sample_module();
  Result<Module> back = read(written(m));
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back.value(), m);
}

TEST(WriterTest, ReadsBackEveryConstantAndTypeAlone) {
  const Module sample = test::sample_module();
  for (const Constant& k : sample.constants) {
    const Module m = with_constant(k);
    Result<Module> back = read(written(m));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(back.value(), m);
  }
  for (const TypeDef& t : sample.types) {
    const Module m = with_type(t);
    Result<Module> back = read(written(m));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(back.value(), m) << t.name;
  }
}

TEST(WriterTest, ReadsBackEachFormatVersionAndHashChoice) {
  for (std::uint16_t minor = 0; minor <= 2; ++minor) {
    for (bool hashed : {false, true}) {
      Module m = test::sample_module();
      m.header.format = {1, minor};
      if (!hashed) m.header.source_hash.reset();
      Result<Module> back = read(written(m));
      ASSERT_TRUE(back.ok()) << back.error().describe();
      EXPECT_EQ(back.value(), m);
    }
  }
}

TEST(WriterTest, WritesBackTheBytesItRead) {
  const File f = test::lay_out(test::sample_sections());
  Result<Module> m = read(f.bytes);
  ASSERT_TRUE(m.ok()) << m.error().describe();
  EXPECT_EQ(written(m.value()), f.bytes);
}

// ---- What cannot be encoded ----

::testing::AssertionResult refuses(const Module& m, const std::string& section,
                                   const std::string& what) {
  Result<module::Bytes> w = write(m);
  if (w.ok()) return ::testing::AssertionFailure() << "write() accepted the module";
  const Error& e = w.error();
  if (e.section != section || e.message.find(what) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "expected " << section << " \"..." << what << "...\", got " << e.describe();
  }
  return ::testing::AssertionSuccess();
}

TEST(WriterTest, RefusesAMapConstantWithAnOddItemCount) {
  Constant k;
  k.kind = ConstKind::kMap;
  k.items = {1, 2, 3};
  EXPECT_TRUE(refuses(with_constant(k), "constants", "Map constant #0 has an odd number of items"));
}

TEST(WriterTest, RefusesAnUnknownConstantKind) {
  Module m = empty_module();
  m.constants.resize(2);
  m.constants[1].kind = static_cast<ConstKind>(0x0B);
  EXPECT_TRUE(refuses(m, "constants", "constant #1 has an unknown kind"));
}

TEST(WriterTest, RefusesAnUnknownTypeKind) {
  TypeDef t;
  t.id = 5;
  t.kind = static_cast<TypeKind>(0x09);
  t.name = "T";
  EXPECT_TRUE(refuses(with_type(t), "types", "type 5 has an unknown kind"));
}

TEST(WriterTest, RefusesTypesWithTheWrongNumberOfIds) {
  TypeDef list;
  list.id = 4;
  list.kind = TypeKind::kList;
  list.name = "L";
  list.refs = {1, 2};
  EXPECT_TRUE(refuses(with_type(list), "types", "type 4 needs 1 type ids, has 2"));
  TypeDef map;
  map.id = 5;
  map.kind = TypeKind::kMap;
  map.name = "M";
  map.refs = {1};
  EXPECT_TRUE(refuses(with_type(map), "types", "type 5 needs 2 type ids, has 1"));
  TypeDef optional;
  optional.id = 6;
  optional.kind = TypeKind::kOptional;
  optional.name = "O";
  EXPECT_TRUE(refuses(with_type(optional), "types", "type 6 needs 1 type ids, has 0"));
}

}  // namespace
}  // namespace runa::module
