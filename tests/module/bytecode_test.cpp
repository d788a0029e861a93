// The opcode table and the decoder: the table agrees with docs/bytecode.md,
// every operand shape decodes, truncation and unknown opcodes are errors.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "runatime/bytecode.hpp"

namespace runa::bytecode {
namespace {

using Code = std::vector<std::uint8_t>;

// The rows "| hex | NAME ... |" of the opcode table in docs/bytecode.md §2.5,
// with ranges such as "16–1B | EQ NE LT LE GT GE" expanded.
std::map<int, std::string> documented_opcodes() {
  std::ifstream in(std::string(RUNA_SOURCE_DIR) + "/docs/bytecode.md");
  std::map<int, std::string> out;
  std::string line;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.starts_with("| hex | name | operands | stack |")) in_table = true;
    if (!in_table) continue;
    if (line.empty()) break;
    // "| 16–1B | EQ NE ... |": the first cell starts with two hex digits,
    // the second cell holds the names.
    if (line.size() < 5 || !std::isxdigit(static_cast<unsigned char>(line[2])) ||
        !std::isxdigit(static_cast<unsigned char>(line[3]))) {
      continue;
    }
    const std::size_t names_at = line.find('|', 1) + 1;
    const std::size_t names_end = line.find('|', names_at);
    int code = std::stoi(line.substr(2, 2), nullptr, 16);
    std::istringstream names(line.substr(names_at, names_end - names_at));
    for (std::string name; names >> name; ++code) out[code] = name;
  }
  return out;
}

TEST(Bytecode, TableMatchesTheDocumentation) {
  auto doc = documented_opcodes();
  ASSERT_EQ(doc.size(), 67u) << "the opcode table in docs/bytecode.md was not found whole";
  for (int code = 0; code < 256; ++code) {
    const OpInfo* i = info(static_cast<std::uint8_t>(code));
    auto d = doc.find(code);
    if (i == nullptr) {
      EXPECT_EQ(d, doc.end()) << "documented opcode 0x" << std::hex << code << " missing";
      continue;
    }
    ASSERT_NE(d, doc.end()) << i->name << " is not documented";
    EXPECT_EQ(d->second, i->name);
    EXPECT_FALSE(i->summary.empty()) << i->name;
  }
}

TEST(Bytecode, NamesLookUpCaseInsensitively) {
  Op op{};
  const OpInfo* i = info_by_name("load_local", &op);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(op, Op::kLoadLocal);
  EXPECT_EQ(i->name, "LOAD_LOCAL");
  EXPECT_EQ(info_by_name("LOAD_LOCL", nullptr), nullptr);
}

TEST(Bytecode, DecodesFixedOperands) {
  Code c = {0x0B, 0x34, 0x12, 0x05,                              // CALL_METHOD 0x1234 5
            0x27, 1,    0,    0,    0, 0xFF, 0xFF, 0xFF, 0xFF};  // TRY_BEGIN 1 none
  auto a = decode(c, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->op, Op::kCallMethod);
  EXPECT_EQ(a->a, 0x1234u);
  EXPECT_EQ(a->b, 5u);
  EXPECT_EQ(a->length, 4u);
  auto b = decode(c, 4);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->op, Op::kTryBegin);
  EXPECT_EQ(b->a, 1u);
  EXPECT_EQ(b->b, 0xFFFFFFFFu);
  EXPECT_EQ(b->offset, 4u);
  EXPECT_EQ(b->length, 9u);
}

TEST(Bytecode, DecodesVariableOperands) {
  Code closure = {0x2F, 7, 0, 0, 0, 2, 0, 3, 0, 1, 0x10, 0x00};
  auto c = decode(closure, 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->a, 7u);
  ASSERT_EQ(c->count, 2u);
  EXPECT_EQ(c->capture(0).kind, kCaptureLocal);
  EXPECT_EQ(c->capture(0).index, 3);
  EXPECT_EQ(c->capture(1).kind, kCaptureUpvalue);
  EXPECT_EQ(c->capture(1).index, 16);
  EXPECT_EQ(c->length, closure.size());

  Code sw = {0x49, 2, 0, 0, 0};
  for (std::int64_t v : {std::int64_t{-1}, std::int64_t{1} << 40}) {
    for (int i = 0; i < 8; ++i) sw.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    for (int i = 0; i < 4; ++i) sw.push_back(i == 0 ? 0x20 : 0);
  }
  auto s = decode(sw, 0);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->count, 2u);
  EXPECT_EQ(s->switch_case(0).value, -1);
  EXPECT_EQ(s->switch_case(1).value, std::int64_t{1} << 40);
  EXPECT_EQ(s->switch_case(1).target, 0x20u);

  Code imp = {0x33, 2, 0, 4, 0, 9, 0};
  auto m = decode(imp, 0);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->symbol(0), 4);
  EXPECT_EQ(m->symbol(1), 9);
}

TEST(Bytecode, RejectsUnknownOpcodesAndTruncation) {
  Code unknown = {0x34};
  auto u = decode(unknown, 0);
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message.find("unknown opcode 0x34"), std::string::npos);

  // Every strict prefix of an instruction with operands is truncated.
  Code full = {0x2F, 7, 0, 0, 0, 2, 0, 3, 0, 1, 0x10, 0x00};
  for (std::size_t n = 1; n < full.size(); ++n) {
    Code cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = decode(cut, 0);
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes";
    EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
  }
  // A switch table whose count claims more cases than there are bytes.
  Code sw = {0x49, 0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_FALSE(decode(sw, 0).ok());
  EXPECT_FALSE(decode(sw, 5).ok());
}

TEST(Bytecode, StackEffectsDependOnOperands) {
  auto effect = [](Code c, std::uint32_t ffi = 0) {
    auto i = decode(c, 0);
    EXPECT_TRUE(i.ok());
    return stack_effect(*i, ffi);
  };
  auto call = effect({0x0A, 3});
  EXPECT_EQ(call.pops, 4u);
  EXPECT_EQ(call.pushes, 1u);
  auto method = effect({0x0B, 0, 0, 2});
  EXPECT_EQ(method.pops, 3u);
  auto map = effect({0x23, 2});
  EXPECT_EQ(map.pops, 4u);
  EXPECT_EQ(map.pushes, 1u);
  auto unpack = effect({0x48, 3});
  EXPECT_EQ(unpack.pops, 1u);
  EXPECT_EQ(unpack.pushes, 3u);
  auto import = effect({0x33, 2, 0, 4, 0, 9, 0});
  EXPECT_EQ(import.pops, 1u);
  EXPECT_EQ(import.pushes, 2u);
  auto ffi = effect({0x4A, 1, 0, 0, 0}, 4);
  EXPECT_EQ(ffi.pops, 4u);
  EXPECT_EQ(ffi.pushes, 1u);
  auto concat = effect({0x4D, 0});
  EXPECT_EQ(concat.pops, 0u);
  EXPECT_EQ(concat.pushes, 1u);
}

}  // namespace
}  // namespace runa::bytecode
