// The verifier's text checks: UTF-8 validation (docs/bytecode.md §1) and
// JSON well-formedness (§2.6).
#include <gtest/gtest.h>

#include <string>

#include "module/json_check.hpp"
#include "module/utf8.hpp"

namespace runa::module {
namespace {

TEST(VerifyUtf8, AcceptsWellFormedText) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ASCII, longer than eight bytes"));
  EXPECT_TRUE(valid_utf8("\xc2\x80 \xdf\xbf"));                       // U+0080, U+07FF
  EXPECT_TRUE(valid_utf8("\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80"));  // U+0800, U+D7FF, U+E000
  EXPECT_TRUE(valid_utf8("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"));       // U+10000, U+10FFFF
  EXPECT_TRUE(valid_utf8(std::string("nul \0 inside", 12)));
  EXPECT_TRUE(valid_utf8("12345678\xc3\xa9"));  // after a fast ASCII word
}

TEST(VerifyUtf8, RejectsOverlongForms) {
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));
  EXPECT_FALSE(valid_utf8("\xc1\xbf"));
  EXPECT_FALSE(valid_utf8("\xe0\x9f\xbf"));
  EXPECT_FALSE(valid_utf8("\xf0\x8f\xbf\xbf"));
}

TEST(VerifyUtf8, RejectsSurrogatesAndBeyondU10FFFF) {
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));
  EXPECT_FALSE(valid_utf8("\xed\xbf\xbf"));
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xff"));
}

TEST(VerifyUtf8, RejectsTruncatedAndStraySequences) {
  EXPECT_FALSE(valid_utf8("\xe2\x82"));
  EXPECT_FALSE(valid_utf8("abcdefgh\xf0\x9f\x98"));
  EXPECT_FALSE(valid_utf8("\x80"));
  EXPECT_FALSE(valid_utf8("\xc3("));
  EXPECT_FALSE(valid_utf8("\xe2\x28\xa1"));
}

TEST(VerifyJson, AcceptsWellFormedText) {
  for (const char* text : {"{}", "[]", "0", "-0.5e+10", "1E3", "\"s\\u00e9\\n\"", "true", " null ",
                           "false", R"({"a": [1, 2, {"b": null}], "c": "\u20ac", "d": {}})",
                           "[[], [[]], {\"k\": []}]", "\"caf\xc3\xa9\""}) {
    EXPECT_EQ(check_json(text), std::nullopt) << text;
  }
}

TEST(VerifyJson, RejectsMalformedText) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "expected a value at byte 0"},
      {"{", "expected a string key at byte 1"},
      {"[1,]", "expected a value at byte 3"},
      {"[1 2]", "expected ',' or ']' at byte 3"},
      {R"({"a" 1})", "expected ':' at byte 5"},
      {R"({"a": 1,})", "expected a string key at byte 8"},
      {"{1: 2}", "expected a string key at byte 1"},
      {"01", "unexpected text after the JSON value at byte 1"},
      {"1.", "expected a digit after '.' at byte 2"},
      {"1e", "expected a digit in the exponent at byte 2"},
      {"-", "expected a digit at byte 1"},
      {"+1", "expected a value at byte 0"},
      {"tru", "expected a value at byte 0"},
      {"\"abc", "unterminated string at byte 4"},
      {"\"a\tb\"", "unescaped control character in a string at byte 2"},
      {"\"\\x\"", "unknown escape in a string at byte 2"},
      {"\"\\u12g4\"", "\\u needs four hex digits at byte 2"},
      {"{} {}", "unexpected text after the JSON value at byte 3"},
      {"\"\xff\"", "not valid UTF-8"},
  };
  for (const auto& [text, message] : cases) {
    const auto got = check_json(text);
    ASSERT_TRUE(got.has_value()) << text;
    EXPECT_EQ(*got, message) << text;
  }
}

TEST(VerifyJson, NestingIsLimited) {
  const std::string ok = std::string(kJsonMaxDepth, '[') + std::string(kJsonMaxDepth, ']');
  EXPECT_EQ(check_json(ok), std::nullopt);
  const std::string deep =
      std::string(kJsonMaxDepth + 1, '[') + std::string(kJsonMaxDepth + 1, ']');
  EXPECT_EQ(check_json(deep), "containers nested deeper than 256 at byte 256");
  // Far deeper input costs no stack at all.
  EXPECT_TRUE(check_json(std::string(1'000'000, '{')).has_value());
  EXPECT_TRUE(check_json(std::string(1'000'000, '[')).has_value());
}

}  // namespace
}  // namespace runa::module
