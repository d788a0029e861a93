// The reader against hand-built images (image_builder.hpp): every section and
// kind read as docs/bytecode.md §1–2 says, and every structural error
// reported with its section, byte offset and a message that says what is
// wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "../sanitizers.hpp"
#include "image_builder.hpp"
#include "runatime/module.hpp"

// The largest single allocation since the last reset: lets the tests check
// that a forged count is rejected before anything is reserved for it. The
// replacements are kept out of line so that GCC does not pair an inlined
// malloc-based `new` with the `free` of the matching `delete` and warn.
// ThreadSanitizer's runtime defines operator new itself, so under it the
// replacement is left out and the tests below measure nothing (the other
// configurations measure it).
#define RUNA_COUNTS_ALLOCATIONS (!RUNA_UNDER_TSAN)

namespace {
std::atomic<std::size_t> g_largest_allocation{0};
}  // namespace

#if RUNA_COUNTS_ALLOCATIONS
[[gnu::noinline]] void* operator new(std::size_t n) {
  std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (n > seen && !g_largest_allocation.compare_exchange_weak(seen, n)) {
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t /*size*/) noexcept {
  std::free(p);
}
#endif

namespace runa::module {
namespace {

using test::Bytes;
using test::File;
using test::Sections;

Bytes& body(Sections& s, const std::string& name) {
  if (name == "header") return s.header;
  if (name == "constants") return s.constants;
  if (name == "types") return s.types;
  if (name == "functions") return s.functions;
  if (name == "bytecode") return s.bytecode;
  if (name == "metadata") return s.metadata;
  if (!s.debug) throw std::out_of_range("the sections have no debug section");
  return *s.debug;
}

Result<Module> read_bytes(const std::vector<std::uint8_t>& bytes) {
  return read(std::span<const std::uint8_t>(bytes.data(), bytes.size()));
}

// Reading `bytes` fails in `section` at byte `offset` with a message containing `what`.
::testing::AssertionResult fails_with(const std::vector<std::uint8_t>& bytes,
                                      const std::string& section, std::uint64_t offset,
                                      const std::string& what) {
  Result<Module> r = read_bytes(bytes);
  if (r.ok()) return ::testing::AssertionFailure() << "read() accepted the image";
  const Error& e = r.error();
  if (e.section != section || e.offset != offset || e.message.find(what) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "expected " << section << " @" << offset << " \"..." << what << "...\", got "
           << e.section << " @" << (e.offset ? std::to_string(*e.offset) : "none") << " \""
           << e.message << "\"";
  }
  return ::testing::AssertionSuccess();
}

TEST(ReaderTest, AllocationTrackingSeesLargeRequests) {
  if (!RUNA_COUNTS_ALLOCATIONS) GTEST_SKIP() << "operator new is the sanitizer's here";
  g_largest_allocation = 0;
  std::vector<std::uint8_t> big(std::size_t{2} << 20);
  // A volatile store keeps the compiler from eliding the allocation.
  volatile std::uint8_t* first = big.data();
  *first = 1;
  EXPECT_GE(g_largest_allocation.load(), big.size());
}

// ---- Reading well-formed images ----

TEST(ReaderTest, ReadsTheSmallestModule) {
  Result<Module> r = read_bytes(test::lay_out(test::empty_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->header.format, (Version{1, 2}));
  EXPECT_EQ(r->header.min_vm, (Version{1, 0}));
  EXPECT_FALSE(r->header.source_hash.has_value());
  EXPECT_TRUE(r->constants.empty());
  EXPECT_TRUE(r->types.empty());
  EXPECT_TRUE(r->functions.empty());
  EXPECT_TRUE(r->code.empty());
  EXPECT_TRUE(r->metadata.empty());
  EXPECT_EQ(r->debug, DebugInfo{});
}

TEST(ReaderTest, ReadsEverySectionOfTheSample) {
  const Module want = test::sample_module();
  Result<Module> r = read_bytes(test::lay_out(test::sample_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const Module& m = r.value();
  EXPECT_EQ(m.header, want.header);
  ASSERT_EQ(m.constants.size(), want.constants.size());
  for (std::size_t i = 0; i < want.constants.size(); ++i) {
    EXPECT_EQ(m.constants[i], want.constants[i]) << "constant #" << i;
  }
  ASSERT_EQ(m.types.size(), want.types.size());
  for (std::size_t i = 0; i < want.types.size(); ++i) {
    EXPECT_EQ(m.types[i], want.types[i]) << "type " << want.types[i].name;
  }
  EXPECT_EQ(m.functions, want.functions);
  EXPECT_EQ(m.code, want.code);
  EXPECT_EQ(m.metadata, want.metadata);
  EXPECT_EQ(m.debug, want.debug);
  EXPECT_EQ(m, want);
}

TEST(ReaderTest, ReadsHeaderFields) {
  Result<Module> r = read_bytes(test::lay_out(test::sample_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const Header& h = r->header;
  EXPECT_EQ(h.min_vm, (Version{1, 1}));
  EXPECT_EQ(h.created, 1764000000);
  EXPECT_EQ(h.flags, kHasDebugInfo | kOptimized);
  ASSERT_TRUE(h.source_hash.has_value());
  EXPECT_EQ(h.source_hash->front(), 0x10);
  EXPECT_EQ(h.source_hash->back(), 0x1F);
  EXPECT_EQ(h.native_libraries, (std::vector<std::string>{"libm.so.6", "libz.so.1"}));
}

TEST(ReaderTest, ReadsAnAllZeroSourceHash) {
  Sections s = test::empty_sections();
  s.header = Bytes{};
  s.header.u16(1).u16(2).u16(1).u16(0).i64(0).u32(0).u8(1);
  for (int i = 0; i < 16; ++i) s.header.u8(0);
  s.header.u32(0);
  Result<Module> r = read_bytes(test::lay_out(s).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_TRUE(r->header.source_hash.has_value());
  EXPECT_EQ(*r->header.source_hash, Hash{});
}

TEST(ReaderTest, ReadsEveryConstantKind) {
  Result<Module> r = read_bytes(test::lay_out(test::sample_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const std::vector<Constant>& k = r->constants;
  ASSERT_EQ(k.size(), 17U);
  EXPECT_EQ(k[0].kind, ConstKind::kInteger);
  EXPECT_EQ(k[0].integer, -7);
  EXPECT_EQ(k[1].integer, INT64_MIN);
  EXPECT_EQ(k[2].kind, ConstKind::kDecimal);
  EXPECT_EQ(k[2].decimal, 1.5);
  EXPECT_EQ(k[6].kind, ConstKind::kBoolean);
  EXPECT_TRUE(k[6].boolean);
  EXPECT_FALSE(k[7].boolean);
  EXPECT_EQ(k[8].kind, ConstKind::kText);
  EXPECT_EQ(k[8].text, "h\xc3\xa9llo");
  EXPECT_EQ(k[9].text, "");
  EXPECT_EQ(k[10].kind, ConstKind::kNull);
  EXPECT_EQ(k[11].kind, ConstKind::kList);
  EXPECT_EQ(k[11].items, (std::vector<std::uint32_t>{0, 2, 6}));
  EXPECT_EQ(k[12].kind, ConstKind::kMap);
  EXPECT_EQ(k[12].items, (std::vector<std::uint32_t>{8, 0, 9, 6}));
  EXPECT_EQ(k[13].kind, ConstKind::kFunction);
  EXPECT_EQ(k[13].ref, 1U);
  EXPECT_EQ(k[14].kind, ConstKind::kType);
  EXPECT_EQ(k[14].ref, 3U);
  EXPECT_EQ(k[15].kind, ConstKind::kExternal);
  EXPECT_EQ(k[15].text, "print");
  EXPECT_EQ(k[15].ref, 0U);
  EXPECT_TRUE(k[16].items.empty());
}

std::uint64_t bits_of(double d) {
  std::uint64_t b = 0;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

TEST(ReaderTest, KeepsDecimalBitPatterns) {
  Result<Module> r = read_bytes(test::lay_out(test::sample_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(bits_of(r->constants[3].decimal), test::kNegativeZero);
  EXPECT_EQ(bits_of(r->constants[4].decimal), test::kQuietNanPayload);
  EXPECT_EQ(bits_of(r->constants[5].decimal), test::kNegativeNanPayload);
  // Bitwise equality: -0.0 is not 0.0, and a NaN equals itself.
  Constant zero;
  zero.kind = ConstKind::kDecimal;
  zero.decimal = 0.0;
  EXPECT_NE(r->constants[3], zero);
  EXPECT_EQ(r->constants[4], test::decimal_bits(test::kQuietNanPayload));
  EXPECT_NE(r->constants[4], test::decimal_bits(test::kQuietNanPayload ^ 1));
}

TEST(ReaderTest, ReadsEveryTypeKind) {
  Result<Module> r = read_bytes(test::lay_out(test::sample_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const std::vector<TypeDef>& t = r->types;
  ASSERT_EQ(t.size(), 10U);
  EXPECT_EQ(t[0].kind, TypeKind::kPrimitive);
  EXPECT_EQ(t[0].name, "Integer");
  EXPECT_EQ(t[2].kind, TypeKind::kStruct);
  ASSERT_EQ(t[2].fields.size(), 2U);
  EXPECT_EQ(t[2].fields[1], (Field{"age", 1, 8, kFieldReadonly}));
  EXPECT_EQ(t[3].kind, TypeKind::kList);
  EXPECT_EQ(t[3].refs, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(t[4].kind, TypeKind::kMap);
  EXPECT_EQ(t[4].refs, (std::vector<std::uint32_t>{2, 1}));
  EXPECT_EQ(t[5].kind, TypeKind::kFunction);
  EXPECT_EQ(t[5].refs, (std::vector<std::uint32_t>{1, 1}));
  EXPECT_EQ(t[5].result, 1U);
  EXPECT_EQ(t[6].kind, TypeKind::kOptional);
  EXPECT_EQ(t[6].refs, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(t[7].kind, TypeKind::kUnion);
  EXPECT_EQ(t[7].refs, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(t[8].kind, TypeKind::kExternal);
  EXPECT_EQ(t[8].layout, (std::vector<std::uint8_t>{0x08, 0x00}));
  EXPECT_EQ(t[9].kind, TypeKind::kFunction);
  EXPECT_TRUE(t[9].refs.empty());
}

TEST(ReaderTest, ReadsFunctionsWithParametersAndLocals) {
  Result<Module> r = read_bytes(test::lay_out(test::sample_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->functions.size(), 2U);
  const Function& add = r->functions[0];
  EXPECT_EQ(add.id, 1U);
  EXPECT_EQ(add.name, "add");
  EXPECT_EQ(add.type, 6U);
  EXPECT_EQ(add.params, (std::vector<Param>{{"a", 1, 0}, {"b", 1, kParamMutable}}));
  EXPECT_EQ(add.locals, (std::vector<Local>{{"tmp", 1, 2, 0, 8}}));
  EXPECT_EQ(add.code_offset, 0U);
  EXPECT_EQ(add.code_length, 8U);
  const Function& main_fn = r->functions[1];
  EXPECT_TRUE(main_fn.params.empty());
  EXPECT_TRUE(main_fn.locals.empty());
  EXPECT_EQ(main_fn.code_offset, 8U);
  EXPECT_EQ(main_fn.code_length, 12U);
  EXPECT_EQ(r->code.size(), 20U);
}

TEST(ReaderTest, ReadsMetadataIncludingUnknownTypes) {
  Result<Module> r = read_bytes(test::lay_out(test::sample_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->metadata.size(), 3U);
  EXPECT_EQ(r->metadata[0].type, kMetaSourcePath);
  EXPECT_EQ(std::string(r->metadata[0].data.begin(), r->metadata[0].data.end()), "add.runa");
  EXPECT_EQ(r->metadata[1], (MetadataEntry{kMetaOptLevel, {2}}));
  EXPECT_EQ(r->metadata[2], (MetadataEntry{0x7F, {0x00, 0xFF}}));
}

TEST(ReaderTest, ReadsDebugInformation) {
  Result<Module> r = read_bytes(test::lay_out(test::sample_sections()).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const DebugInfo& d = r->debug;
  ASSERT_EQ(d.files.size(), 2U);
  EXPECT_EQ(d.files[0].path, "add.runa");
  ASSERT_TRUE(d.files[0].hash.has_value());
  EXPECT_EQ(*d.files[0].hash, test::hash_from(0x40));
  EXPECT_FALSE(d.files[1].hash.has_value());
  EXPECT_EQ(d.lines, (std::vector<LineEntry>{{0, 1, 1, 5}, {8, 1, 4, 1}}));
  EXPECT_EQ(d.vars, (std::vector<VarDebug>{{1, 2, 2, 7}}));
}

TEST(ReaderTest, ReadsNoDebugSectionWithoutTheFlag) {
  Sections s = test::sample_sections();
  s.header = Bytes{};
  s.header.u16(1).u16(2).u16(1).u16(1).i64(1764000000).u32(kOptimized).hash(0x10).u32(2);
  s.header.str("libm.so.6").str("libz.so.1");
  s.debug.reset();
  Result<Module> r = read_bytes(test::lay_out(s).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->debug, DebugInfo{});
  Module want = test::sample_module();
  want.header.flags = kOptimized;
  want.debug = {};
  EXPECT_EQ(r.value(), want);
}

TEST(ReaderTest, ReadsAnEmptyDebugSectionWithTheFlag) {
  Result<Module> r = read_bytes(test::lay_out(test::empty_sections(kHasDebugInfo)).bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->debug, DebugInfo{});
  EXPECT_EQ(r->header.flags, kHasDebugInfo);
}

TEST(ReaderTest, ReadsFormatVersions1Point0To1Point2) {
  for (std::uint16_t minor = 0; minor <= 2; ++minor) {
    Sections s = test::empty_sections();
    s.header = test::header_body(0, 1, minor);
    Result<Module> r = read_bytes(test::lay_out(s).bytes);
    ASSERT_TRUE(r.ok()) << "1." << minor << ": " << r.error().describe();
    EXPECT_EQ(r->header.format, (Version{1, minor}));
  }
}

TEST(ReaderTest, RecordsWhereThingsAre) {
  const File f = test::lay_out(test::sample_sections());
  Result<Module> r = read_bytes(f.bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->layout.code, f.at("bytecode").body_at);
  ASSERT_EQ(r->layout.constants.size(), 17U);
  EXPECT_EQ(r->layout.constants[0], f.at("constants").body_at + 4);
  EXPECT_EQ(r->layout.constants[1], f.at("constants").body_at + 4 + 9);
  ASSERT_EQ(r->layout.types.size(), 10U);
  EXPECT_EQ(r->layout.types[0], f.at("types").body_at + 4);
  ASSERT_EQ(r->layout.functions.size(), 2U);
  EXPECT_EQ(r->layout.functions[0], f.at("functions").body_at + 4);
  ASSERT_EQ(r->layout.metadata.size(), 3U);
  EXPECT_EQ(r->layout.metadata[0], f.at("metadata").body_at + 4);
}

TEST(ReaderTest, WriteReadsBackTheSameBytes) {
  const File f = test::lay_out(test::sample_sections());
  Result<Module> r = read_bytes(f.bytes);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  Result<module::Bytes> w = write(r.value());
  ASSERT_TRUE(w.ok()) << w.error().describe();
  EXPECT_EQ(w.value(), f.bytes);
  Result<Module> again = read_bytes(w.value());
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again.value(), r.value());
}

// ---- The magic ----

TEST(ReaderTest, RejectsABadMagic) {
  std::vector<std::uint8_t> bytes = test::lay_out(test::empty_sections()).bytes;
  bytes[7] = 'X';
  EXPECT_TRUE(fails_with(bytes, "magic", 0, "does not start with 'RUNABYTC'"));
}

TEST(ReaderTest, RejectsAnEmptyOrShortFile) {
  EXPECT_TRUE(fails_with({}, "magic", 0, "does not start with 'RUNABYTC'"));
  EXPECT_TRUE(fails_with({'R', 'U', 'N', 'A'}, "magic", 0, "does not start with 'RUNABYTC'"));
}

TEST(ReaderTest, RejectsTheMagicAfterALength) {
  Bytes b;
  b.u32(8).raw("RUNABYTC");
  b.raw(test::lay_out(test::empty_sections()).bytes);
  EXPECT_TRUE(fails_with(b.vec(), "magic", 0, "follows a length"));
}

TEST(ReaderTest, RejectsTheMagicRepeatedInTheHeader) {
  Sections s = test::empty_sections();
  Bytes header;
  header.raw("RUNABYTC").raw(s.header);
  s.header = header;
  EXPECT_TRUE(fails_with(test::lay_out(s).bytes, "header", 12, "starts with the magic again"));
}

// ---- Truncation and section lengths ----

// Every cut of the sample inside a section's length or contents names that
// section: the length field is where the reader notices.
TEST(ReaderTest, RejectsTruncationAtEveryByte) {
  const File f = test::lay_out(test::sample_sections());
  for (std::size_t cut = 0; cut < 8; ++cut) {
    std::vector<std::uint8_t> bytes(f.bytes.begin(), f.bytes.begin() + static_cast<long>(cut));
    EXPECT_TRUE(fails_with(bytes, "magic", 0, "does not start with 'RUNABYTC'")) << "cut " << cut;
  }
  for (const File::Where& w : f.sections) {
    for (std::size_t cut = w.length_at; cut < w.end; ++cut) {
      std::vector<std::uint8_t> bytes(f.bytes.begin(), f.bytes.begin() + static_cast<long>(cut));
      std::string what;
      if (cut == w.length_at) {
        what = "the file ends where the " + w.name + " section should start";
      } else if (cut < w.body_at) {
        what = "the file ends inside the " + w.name + " section's length";
      } else {
        what = "runs " + std::to_string(w.end - cut) + " bytes past the end of the file";
      }
      EXPECT_TRUE(fails_with(bytes, w.name, w.length_at, what)) << "cut " << cut;
    }
  }
}

TEST(ReaderTest, RejectsTruncationAtEachSectionBoundary) {
  const File f = test::lay_out(test::sample_sections());
  ASSERT_EQ(f.sections.size(), 7U);
  for (const File::Where& w : f.sections) {
    std::vector<std::uint8_t> bytes(f.bytes.begin(),
                                    f.bytes.begin() + static_cast<long>(w.length_at));
    EXPECT_TRUE(fails_with(bytes, w.name, w.length_at,
                           "the file ends where the " + w.name + " section should start"));
  }
}

TEST(ReaderTest, RejectsASectionLengthPastTheEndOfTheFile) {
  for (const char* name : {"header", "constants", "bytecode", "metadata", "debug"}) {
    const File f = test::lay_out(test::sample_sections());
    const File::Where& w = f.at(name);
    std::vector<std::uint8_t> bytes = f.bytes;
    const std::size_t past = 1000;
    const std::uint32_t len = static_cast<std::uint32_t>(bytes.size() - w.body_at + past);
    std::memcpy(bytes.data() + w.length_at, &len, sizeof len);
    EXPECT_TRUE(fails_with(bytes, name, w.length_at,
                           "(" + std::to_string(len) + " bytes) runs " + std::to_string(past) +
                               " bytes past the end of the file"));
  }
}

TEST(ReaderTest, RejectsAMaximalSectionLength) {
  const File f = test::lay_out(test::sample_sections());
  std::vector<std::uint8_t> bytes = f.bytes;
  const std::uint32_t len = 0xFFFFFFFF;
  std::memcpy(bytes.data() + f.at("types").length_at, &len, sizeof len);
  g_largest_allocation = 0;
  EXPECT_TRUE(fails_with(bytes, "types", f.at("types").length_at, "past the end of the file"));
  EXPECT_LT(g_largest_allocation.load(), 1U << 20);
}

// A byte after a section's last entry, inside its length, names the section
// and the byte. (The bytecode section is raw code, so it has no trailing bytes.)
TEST(ReaderTest, RejectsASectionWithTrailingBytes) {
  for (const char* name : {"header", "constants", "types", "functions", "metadata", "debug"}) {
    Sections s = test::sample_sections();
    body(s, name).u8(0xEE);
    const File f = test::lay_out(s);
    EXPECT_TRUE(fails_with(f.bytes, name, f.at(name).end - 1,
                           "length says 1 more bytes follow its last entry"));
  }
}

TEST(ReaderTest, RejectsTrailingBytesAfterTheLastSection) {
  std::vector<std::uint8_t> bytes = test::lay_out(test::sample_sections()).bytes;
  const std::size_t end = bytes.size();
  bytes.push_back(0);
  bytes.push_back(0);
  EXPECT_TRUE(fails_with(bytes, "file", end, "2 bytes follow the last section"));
}

TEST(ReaderTest, RejectsADebugSectionWithoutTheFlag) {
  Sections s = test::empty_sections();
  s.debug = test::empty_sections(kHasDebugInfo).debug;
  const File f = test::lay_out(s);
  EXPECT_TRUE(fails_with(f.bytes, "file", f.at("debug").length_at,
                         "read only when the header has HAS_DEBUG_INFO"));
}

TEST(ReaderTest, RejectsAMissingDebugSectionWithTheFlag) {
  Sections s = test::empty_sections(kHasDebugInfo);
  s.debug.reset();
  const File f = test::lay_out(s);
  EXPECT_TRUE(fails_with(f.bytes, "debug", f.bytes.size(),
                         "the file ends where the debug section should start"));
}

// ---- Errors inside sections, one table ----

struct BadImage {
  const char* name;
  std::function<Sections()> make;
  const char* section;
  // Offset of the offending byte from the start of the section's contents.
  std::size_t at;
  const char* message;
};

void PrintTo(const BadImage& c, std::ostream* os) {
  *os << c.name;
}

Sections with(const char* section, const Bytes& contents, std::uint32_t flags = 0) {
  Sections s = test::empty_sections(flags);
  body(s, section) = contents;
  return s;
}

Bytes header_with_hash_byte(std::uint8_t presence) {
  Bytes h;
  h.u16(1).u16(2).u16(1).u16(0).i64(0).u32(0).u8(presence);
  return h;
}

const BadImage kBadImages[] = {
    {"FormatVersion2Point0", [] { return with("header", test::header_body(0, 2, 0)); }, "header", 0,
     "format version 2.0 is not one this RunaTime reads"},
    {"FormatVersion1Point3", [] { return with("header", test::header_body(0, 1, 3)); }, "header", 0,
     "format version 1.3 is not one this RunaTime reads"},
    {"FormatVersion0Point9", [] { return with("header", test::header_body(0, 0, 9)); }, "header", 0,
     "format version 0.9"},
    {"HashPresenceByte2", [] { return with("header", header_with_hash_byte(2).u32(0)); }, "header",
     20, "the source hash must be 0 or 1, not 2"},
    {"HashPresenceByte255", [] { return with("header", header_with_hash_byte(255).u32(0)); },
     "header", 20, "the source hash must be 0 or 1, not 255"},
    {"HashCutShort", [] { return with("header", header_with_hash_byte(1).u32(0).u32(0)); },
     "header", 21, "the section ends in the middle of the source hash"},
    {"HeaderEndsInFlags", [] { return with("header", Bytes{}.u16(1).u16(2).u16(1).u16(0).i64(0)); },
     "header", 16, "the section ends in the middle of the flags"},
    {"NativeLibraryCountTooLarge",
     [] { return with("header", header_with_hash_byte(0).u32(0xFFFFFFFF)); }, "header", 21,
     "native library count 4294967295 cannot fit in the 0 bytes left"},
    {"NativeLibraryNamePastSection",
     [] { return with("header", header_with_hash_byte(0).u32(1).u32(5).raw("lib")); }, "header", 29,
     "the length of a native library name (5 bytes) runs past the end of the section"},
    {"ConstantCountTooLarge", [] { return with("constants", Bytes{}.u32(0xFFFFFFFF)); },
     "constants", 0, "constant count 4294967295 cannot fit in the 0 bytes left"},
    {"ConstantCountOneTooMany", [] { return with("constants", Bytes{}.u32(2).u8(0x05)); },
     "constants", 0, "constant count 2 cannot fit in the 1 bytes left"},
    {"UnknownConstantKind0x0B", [] { return with("constants", Bytes{}.u32(1).u8(0x0B)); },
     "constants", 4, "unknown constant kind 0x0b"},
    {"UnknownConstantKind0x00", [] { return with("constants", Bytes{}.u32(1).u8(0x00)); },
     "constants", 4, "unknown constant kind 0x00"},
    {"UnknownConstantKind0xFF", [] { return with("constants", Bytes{}.u32(2).u8(0x05).u8(0xFF)); },
     "constants", 5, "unknown constant kind 0xff"},
    {"BooleanByte2", [] { return with("constants", Bytes{}.u32(1).u8(0x03).u8(2)); }, "constants",
     5, "a Boolean constant must be 0 or 1, not 2"},
    {"IntegerCutShort", [] { return with("constants", Bytes{}.u32(1).u8(0x01).u32(7)); },
     "constants", 5, "the section ends in the middle of an Integer constant"},
    {"DecimalCutShort", [] { return with("constants", Bytes{}.u32(1).u8(0x02).u8(0)); },
     "constants", 5, "the section ends in the middle of a Decimal constant"},
    {"TextLengthPastSection",
     [] { return with("constants", Bytes{}.u32(1).u8(0x04).u32(0xFFFFFFFF).raw("abc")); },
     "constants", 9, "the length of a Text constant (4294967295 bytes) runs past the end"},
    {"ListCountTooLarge", [] { return with("constants", Bytes{}.u32(1).u8(0x06).u32(0xFFFFFFFF)); },
     "constants", 5, "List element count 4294967295 cannot fit"},
    {"MapCountTooLarge", [] { return with("constants", Bytes{}.u32(1).u8(0x07).u32(1).u32(0)); },
     "constants", 5, "Map pair count 1 cannot fit in the 4 bytes left"},
    {"ExternalNameWithoutLibraryIndex",
     [] { return with("constants", Bytes{}.u32(1).u8(0x0A).str("print")); }, "constants", 14,
     "the section ends in the middle of a native-library index"},
    {"TypeCountTooLarge", [] { return with("types", Bytes{}.u32(0x10000000)); }, "types", 0,
     "type count 268435456 cannot fit"},
    {"UnknownTypeKind0x09", [] { return with("types", Bytes{}.u32(1).u32(7).u8(0x09).str("X")); },
     "types", 8, "unknown type kind 0x09"},
    {"UnknownTypeKind0x00", [] { return with("types", Bytes{}.u32(1).u32(7).u8(0x00).str("X")); },
     "types", 8, "unknown type kind 0x00"},
    {"TypeNamePastSection",
     [] { return with("types", Bytes{}.u32(1).u32(7).u8(0x01).u32(100).raw("Integer")); }, "types",
     13, "the length of a type name (100 bytes) runs past the end of the section"},
    {"FieldCountTooLarge",
     [] { return with("types", Bytes{}.u32(1).u32(7).u8(0x02).str("S").u32(0xFFFFFFFF)); }, "types",
     14, "field count 4294967295 cannot fit"},
    {"FunctionTypeParameterCountTooLarge",
     [] { return with("types", Bytes{}.u32(1).u32(7).u8(0x05).str("F").u32(0xFFFFFFFF)); }, "types",
     14, "parameter count 4294967295 cannot fit"},
    {"UnionMemberCountTooLarge",
     [] { return with("types", Bytes{}.u32(1).u32(7).u8(0x07).str("U").u32(0xFFFFFFFF)); }, "types",
     14, "member count 4294967295 cannot fit"},
    {"ExternalLayoutTooLong",
     [] { return with("types", Bytes{}.u32(1).u32(7).u8(0x08).str("E").u32(3).u8(1)); }, "types",
     14, "layout metadata length 3 cannot fit in the 1 bytes left"},
    {"MapTypeCutShort",
     [] { return with("types", Bytes{}.u32(1).u32(7).u8(0x04).str("M").u32(1)); }, "types", 18,
     "the section ends in the middle of a type id"},
    {"FunctionCountTooLarge", [] { return with("functions", Bytes{}.u32(0xFFFFFFFF)); },
     "functions", 0, "function count 4294967295 cannot fit"},
    {"FunctionParameterCountTooLarge",
     [] {
       return with(
           "functions",
           Bytes{}.u32(1).u32(1).str("f").u32(2).u32(0xFFFFFFFF).u32(0).u32(0).u32(0).u32(0));
     },
     "functions", 17, "parameter count 4294967295 cannot fit"},
    {"FunctionLocalCountTooLarge",
     [] {
       return with(
           "functions",
           Bytes{}.u32(1).u32(1).str("f").u32(2).u32(0).u32(0xFFFFFFFF).u32(0).u32(0).u32(0));
     },
     "functions", 21, "local count 4294967295 cannot fit"},
    {"FunctionCutShort",
     [] {
       return with("functions",
                   Bytes{}.u32(1).u32(1).str("fn").u32(2).u32(0).u32(0).u32(0).u32(0).u16(0));
     },
     "functions", 34, "the section ends in the middle of function flags"},
    {"MetadataCountTooLarge", [] { return with("metadata", Bytes{}.u32(0xFFFFFFFF)); }, "metadata",
     0, "metadata count 4294967295 cannot fit"},
    {"MetadataLengthTooLarge",
     [] { return with("metadata", Bytes{}.u32(1).u8(0x01).u32(0xFFFFFFFF).raw("x")); }, "metadata",
     5, "metadata length 4294967295 cannot fit in the 1 bytes left"},
    {"SourceFileCountTooLarge",
     [] { return with("debug", Bytes{}.u32(0xFFFFFFFF), kHasDebugInfo); }, "debug", 0,
     "source file count 4294967295 cannot fit"},
    {"SourceFileHashByte2",
     [] { return with("debug", Bytes{}.u32(1).u32(1).str("a").u8(2), kHasDebugInfo); }, "debug", 13,
     "a source file hash must be 0 or 1, not 2"},
    {"LineTableCountTooLarge",
     [] { return with("debug", Bytes{}.u32(0).u32(4).u32(0xFFFFFFFF), kHasDebugInfo); }, "debug", 8,
     "line table count 4294967295 cannot fit"},
    {"LineTableSizeTooLarge",
     [] { return with("debug", Bytes{}.u32(0).u32(5).u32(0).u32(0), kHasDebugInfo); }, "debug", 4,
     "the line table size is 5 bytes but its 0 entries take 4"},
    {"LineTableSizeTooSmall",
     [] {
       return with("debug", Bytes{}.u32(0).u32(4).u32(1).u32(0).u32(1).u32(1).u16(1).u32(0),
                   kHasDebugInfo);
     },
     "debug", 4, "the line table size is 4 bytes but its 1 entries take 18"},
    {"VariableCountTooLarge",
     [] { return with("debug", Bytes{}.u32(0).u32(4).u32(0).u32(0xFFFFFFFF), kHasDebugInfo); },
     "debug", 12, "variable debug count 4294967295 cannot fit"},
};

class ReaderBadImageTest : public ::testing::TestWithParam<BadImage> {};

TEST_P(ReaderBadImageTest, IsRejectedWhereItIsWrong) {
  const BadImage& c = GetParam();
  const File f = test::lay_out(c.make());
  g_largest_allocation = 0;
  EXPECT_TRUE(fails_with(f.bytes, c.section, f.at(c.section).body_at + c.at, c.message));
  // Nothing is reserved for a count that cannot fit.
  EXPECT_LT(g_largest_allocation.load(), 1U << 20);
}

INSTANTIATE_TEST_SUITE_P(Reader, ReaderBadImageTest, ::testing::ValuesIn(kBadImages),
                         [](const ::testing::TestParamInfo<BadImage>& i) {
                           return std::string(i.param.name);
                         });

}  // namespace
}  // namespace runa::module
