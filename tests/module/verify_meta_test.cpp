// The verifier's checks of the metadata and the debug information
// (docs/bytecode.md §2.6, §2.7, §3 items 10 and 11).
#include <gtest/gtest.h>

#include <string_view>

#include "module_builder.hpp"

namespace runa::verify_test {
namespace {

using module::DebugInfo;
using module::MetadataEntry;

MetadataEntry entry(std::uint8_t type, std::string_view data) {
  return {type, Bytes(data.begin(), data.end())};
}

MetadataEntry entry(std::uint8_t type, const Code& data) {
  return {type, data.bytes()};
}

Module with_meta(std::vector<MetadataEntry> entries) {
  ModuleBuilder b;
  b.m().metadata = std::move(entries);
  return b.build();
}

// A `string` as the metadata encodes it.
Code& str(Code& c, std::string_view s) {
  c.u32(static_cast<std::uint32_t>(s.size()));
  for (char ch : s) c.u8(static_cast<std::uint8_t>(ch));
  return c;
}

TEST(VerifyMetadata, TextEntriesAreUtf8) {
  for (std::uint8_t type : {module::kMetaSourcePath, module::kMetaCompilerVersion,
                            module::kMetaLicense, module::kMetaAuthor, module::kMetaVersion}) {
    EXPECT_TRUE(accepts(with_meta({entry(type, "ok \xe2\x82\xac")})));
    EXPECT_TRUE(rejects(with_meta({entry(type, "bad \xe2\x82")}), "metadata", std::nullopt,
                        "the text is not valid UTF-8"));
  }
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaSourcePath, "\xff")}), "metadata", std::nullopt,
                      "metadata entry 0 (source file path, 0x01): the text is not valid UTF-8"));
}

TEST(VerifyMetadata, JsonEntriesAreWellFormed) {
  EXPECT_TRUE(accepts(with_meta({entry(module::kMetaCompileOptions, R"({"opt": 2, "g": [true]})"),
                                 entry(module::kMetaSecurity, "{}")})));
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaCompileOptions, R"({"opt": })")}), "metadata",
                      std::nullopt,
                      "metadata entry 0 (compilation options, 0x03): not well-formed JSON: "
                      "expected a value at byte 8"));
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaSecurity, "[")}), "metadata", std::nullopt,
                      "(security requirements, 0x0b): not well-formed JSON"));
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaSecurity, "")}), "metadata", std::nullopt,
                      "expected a value at byte 0"));
}

TEST(VerifyMetadata, ModuleDependencies) {
  Code ok;
  ok.u32(2);
  str(str(ok, "core"), ">=1.0");
  str(str(ok, "io"), "1.2");
  EXPECT_TRUE(accepts(with_meta({entry(module::kMetaModuleDeps, ok)})));

  Code truncated;
  truncated.u32(2);
  str(str(truncated, "core"), ">=1.0");
  str(truncated, "io");
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaModuleDeps, truncated)}), "metadata",
                      std::nullopt,
                      "(module dependencies, 0x05): the data ends in the middle of an item"));

  Code trailing = ok;
  trailing.u8(0);
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaModuleDeps, trailing)}), "metadata",
                      std::nullopt, "1 bytes follow the last item"));

  Code bad;
  bad.u32(1);
  str(str(bad, "core"), "\xc1\x81");
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaModuleDeps, bad)}), "metadata", std::nullopt,
                      "item 0 is not valid UTF-8"));

  Code huge;  // a count far beyond the bytes
  huge.u32(0xFFFFFFFF);
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaModuleDeps, huge)}), "metadata", std::nullopt,
                      "the data ends in the middle of an item"));
}

TEST(VerifyMetadata, NativeLibraryDependencies) {
  Code ok;
  ok.u32(2);
  str(str(ok, "libm.so.6"), "libz.so.1");
  EXPECT_TRUE(accepts(with_meta({entry(module::kMetaNativeLibDeps, ok)})));
  Code bad;
  bad.u32(2);
  str(bad, "libm.so.6");
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaNativeLibDeps, bad)}), "metadata", std::nullopt,
                      "(native library dependencies, 0x06): the data ends"));
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaNativeLibDeps, "")}), "metadata", std::nullopt,
                      "the data ends in the middle of an item (at byte 0)"));
}

TEST(VerifyMetadata, OptimizationLevel) {
  for (char level = 0; level <= 3; ++level) {
    EXPECT_TRUE(accepts(with_meta({entry(module::kMetaOptLevel, std::string_view(&level, 1))})));
  }
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaOptLevel, "\x04")}), "metadata", std::nullopt,
                      "(optimization level, 0x09): level 4 is not 0 to 3"));
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaOptLevel, "")}), "metadata", std::nullopt,
                      "the data is 0 bytes, not 1"));
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaOptLevel, std::string_view("\x01\x00", 2))}),
                      "metadata", std::nullopt, "the data is 2 bytes, not 1"));
}

TEST(VerifyMetadata, JitHintsAreOpaque) {
  EXPECT_TRUE(accepts(with_meta({entry(module::kMetaJitHints, "\xff\x00\xfe")})));
}

TEST(VerifyMetadata, EachKnownTypeAtMostOnce) {
  EXPECT_TRUE(rejects(with_meta({entry(module::kMetaAuthor, "a"), entry(module::kMetaLicense, "x"),
                                 entry(module::kMetaAuthor, "b")}),
                      "metadata", std::nullopt,
                      "metadata entry 2 (author, 0x07): a second entry of this type"));
  // Unknown types are kept and ignored, repeated or not, whatever they hold.
  EXPECT_TRUE(accepts(with_meta({entry(0x0C, "\xff"), entry(0x0C, "\xff"), entry(0x1F, ""),
                                 entry(0x22, "\xff"), entry(0xFF, "")})));
}

// Point3 { x, y, z } and friends, added to the builder's module.
ModuleBuilder shapes() {
  ModuleBuilder b;
  TypeDef p3;
  p3.id = 30;
  p3.kind = TypeKind::kStruct;
  p3.name = "Point3";
  p3.fields = {{"x", kInt, 0, 0}, {"y", kInt, 8, 0}, {"z", kInt, 16, 0}};
  TypeDef p4 = p3;
  p4.id = 31;
  p4.name = "Point4";
  p4.fields.push_back({"w", kInt, 24, 0});
  TypeDef other = p3;
  other.id = 32;
  other.name = "Other";
  other.fields = {{"x", kInt, 0, 0}, {"q", kInt, 8, 0}, {"z", kInt, 16, 0}};
  TypeDef typed = p3;
  typed.id = 33;
  typed.name = "Typed";
  typed.fields = {{"x", kInt, 0, 0}, {"y", kString, 8, 0}};
  TypeDef copy = p3;  // the same fields as Point3, so that a cycle is not a prefix problem
  copy.id = 34;
  copy.name = "Copy";
  for (const TypeDef& t : {p3, p4, other, typed, copy}) b.m().types.push_back(t);
  return b;
}

MetadataEntry supertypes(std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs) {
  Code c;
  c.u32(static_cast<std::uint32_t>(pairs.size()));
  for (auto [sub, super] : pairs) c.u32(sub).u32(super);
  return entry(module::kMetaSupertypes, c);
}

TEST(VerifyMetadata, Supertypes) {
  auto with = [](std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs) {
    ModuleBuilder b = shapes();
    b.m().metadata = {supertypes(std::move(pairs))};
    return b.build();
  };
  EXPECT_TRUE(accepts(with({{31, 30}, {30, kPoint}})));
  EXPECT_TRUE(rejects(with({{32, kPoint}}), "metadata", std::nullopt,
                      "metadata entry 0 (supertypes, 0x20): pair 0: type 32 'Other''s field 1 'q' "
                      "(type id 1) differs from its supertype type 20 'Point''s 'y' (type id 1)"));
  EXPECT_TRUE(rejects(with({{33, kPoint}}), "metadata", std::nullopt,
                      "type 33 'Typed''s field 1 'y' (type id 2) differs"));
  EXPECT_TRUE(rejects(with({{kPoint, 30}}), "metadata", std::nullopt,
                      "pair 0: type 20 'Point' has fewer fields than its supertype type 30"));
  EXPECT_TRUE(rejects(with({{30, kInt}}), "metadata", std::nullopt,
                      "pair 0: type 1 'Integer' is not a Struct"));
  EXPECT_TRUE(
      rejects(with({{30, 99}}), "metadata", std::nullopt, "pair 0: type id 99 does not exist"));
  EXPECT_TRUE(rejects(with({{31, 30}, {31, 34}}), "metadata", std::nullopt,
                      "pair 1: type 31 'Point4' already has a supertype"));
  EXPECT_TRUE(rejects(with({{30, 34}, {34, 30}}), "metadata", std::nullopt,
                      "is its own supertype through a cycle"));
  EXPECT_TRUE(rejects(with({{30, 30}}), "metadata", std::nullopt,
                      "type 30 'Point3' is its own supertype through a cycle"));

  ModuleBuilder short_data = shapes();
  Code c;
  c.u32(2).u32(30).u32(kPoint);
  short_data.m().metadata = {entry(module::kMetaSupertypes, c)};
  EXPECT_TRUE(rejects(short_data.build(), "metadata", std::nullopt,
                      "2 pairs take 16 bytes, but 8 follow the count"));
}

TEST(VerifyMetadata, Globals) {
  auto with = [](const Code& data) { return with_meta({entry(module::kMetaGlobals, data)}); };
  Code ok;
  ok.u32(2);
  str(ok, "counter").u32(kInt);
  str(ok, "greeting").u32(kString);
  EXPECT_TRUE(accepts(with(ok)));

  Code twice;
  twice.u32(2);
  str(twice, "counter").u32(kInt);
  str(twice, "counter").u32(kString);
  EXPECT_TRUE(rejects(with(twice), "metadata", std::nullopt,
                      "metadata entry 0 (globals, 0x21): global 1 'counter' repeats an earlier "
                      "global's name"));

  Code unknown;
  unknown.u32(1);
  str(unknown, "counter").u32(99);
  EXPECT_TRUE(rejects(with(unknown), "metadata", std::nullopt,
                      "global 0 'counter' has type id 99, which does not exist"));

  Code bad;
  bad.u32(1);
  str(bad, "\xe0\x80\x80").u32(kInt);
  EXPECT_TRUE(rejects(with(bad), "metadata", std::nullopt, "global 0's name is not valid UTF-8"));

  Code truncated;
  truncated.u32(1);
  str(truncated, "counter");
  EXPECT_TRUE(rejects(with(truncated), "metadata", std::nullopt, "the data ends in the middle"));

  Code trailing = ok;
  trailing.u8(0).u8(0);
  EXPECT_TRUE(rejects(with(trailing), "metadata", std::nullopt, "2 bytes follow the last item"));
}

// ---- debug information ----

// main: PUSH_CONST(0) RETURN(3); f(x), id 2: LOAD_LOCAL(4) RETURN(7); with
// a valid debug section.
ModuleBuilder debug_module() {
  ModuleBuilder b;
  b.add_function(2, "f", kFnIntInt, Code().op(Op::kLoadLocal).u16(0).op(Op::kReturn));
  b.m().header.flags = module::kHasDebugInfo;
  DebugInfo& d = b.m().debug;
  d.files = {{7, "main.runa", std::nullopt}, {9, "lib.runa", module::Hash{}}};
  d.lines = {{0, 7, 1, 1}, {0, 7, 2, 0}, {3, 7, 2, 5}, {4, 9, 10, 1}, {7, 9, 0, 0}};
  d.vars = {{2, 0, 10, 3}};
  return b;
}

TEST(VerifyDebug, ValidDebugInformation) {
  EXPECT_TRUE(accepts(debug_module().build()));
}

TEST(VerifyDebug, PresentOnlyWithTheHeaderFlag) {
  ModuleBuilder b = debug_module();
  b.m().header.flags = 0;
  EXPECT_TRUE(rejects(b.build(), "debug", std::nullopt,
                      "the module has debug information, but the header lacks HAS_DEBUG_INFO"));
  b.m().debug = DebugInfo{};
  EXPECT_TRUE(accepts(b.build()));
  b.m().header.flags = module::kHasDebugInfo;  // flag set, nothing in the section
  EXPECT_TRUE(accepts(b.build()));
}

TEST(VerifyDebug, SourceFiles) {
  ModuleBuilder twice = debug_module();
  twice.m().debug.files[1].id = 7;
  EXPECT_TRUE(rejects(twice.build(), "debug", std::nullopt,
                      "source file 1 (id 7): another file has the same id"));
  ModuleBuilder path = debug_module();
  path.m().debug.files[0].path = "m\xc3";
  EXPECT_TRUE(rejects(path.build(), "debug", std::nullopt,
                      "source file 0 (id 7): the path is not valid UTF-8"));
}

TEST(VerifyDebug, LinesSortedByOffset) {
  ModuleBuilder b = debug_module();
  std::swap(b.m().debug.lines[2], b.m().debug.lines[3]);
  EXPECT_TRUE(rejects(b.build(), "debug", std::nullopt,
                      "line entry 3: offset 3 comes after offset 4; entries are sorted by offset"));
}

TEST(VerifyDebug, LinesOnInstructionStarts) {
  ModuleBuilder inside = debug_module();
  inside.m().debug.lines[2].offset = 1;  // inside main's PUSH_CONST
  inside.m().debug.lines[3].offset = 1;
  inside.m().debug.lines[4].offset = 1;
  EXPECT_TRUE(rejects(inside.build(), "debug", std::nullopt,
                      "line entry 2: offset 1 is not the start of an instruction"));
  ModuleBuilder end = debug_module();
  end.m().debug.lines[4].offset = 8;  // the end of the code
  EXPECT_TRUE(rejects(end.build(), "debug", std::nullopt,
                      "line entry 4: offset 8 is not the start of an instruction"));
}

TEST(VerifyDebug, LinesNameKnownFiles) {
  ModuleBuilder b = debug_module();
  b.m().debug.lines[1].file = 8;
  EXPECT_TRUE(
      rejects(b.build(), "debug", std::nullopt, "line entry 1: source file id 8 does not exist"));
}

TEST(VerifyDebug, VariablesNameAFunctionAndASlot) {
  ModuleBuilder function = debug_module();
  function.m().debug.vars[0].function = 5;
  EXPECT_TRUE(rejects(function.build(), "debug", std::nullopt,
                      "variable entry 0: function id 5 does not exist"));
  ModuleBuilder slot = debug_module();
  slot.m().debug.vars[0].slot = 1;
  EXPECT_TRUE(rejects(slot.build(), "debug", 2U,
                      "variable entry 0: function 2 'f' has no slot 1 (its frame has 1)"));
}

}  // namespace
}  // namespace runa::verify_test
