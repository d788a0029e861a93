// The core natives (docs/natives.md): each one's results, including
// non-ASCII text, and each documented error — a wrong argument count or
// kind (TypeError naming the native and the argument), an empty separator
// or pattern (ValueError), a malformed or out-of-range Integer (ValueError,
// OverflowError). The heap takes RUNA_GC: the bridge-stress label runs the
// suite with a collection at every allocation, verified and poisoned, so a
// native that reads an argument after allocating without its handle fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bridge/builtin_methods.hpp"
#include "natives_fixture.hpp"

namespace runa::bridge {
namespace {

TEST_F(NativesTest, PrintWritesTheTextFormAndANewline) {
  EXPECT_EQ(call("print", {"fib(25) = 75025"}).status, NativeStatus::kReturn);
  EXPECT_EQ(call("print", {make_small_int(-7)}).status, NativeStatus::kReturn);
  EXPECT_EQ(call("print", {types::make_float(ts_->context(), m(), 2.25)}).value, kNothing);
  EXPECT_EQ(printed(), "fib(25) = 75025\n-7\n2.25\n");
}

TEST_F(NativesTest, TextLengthCountsCharactersNotBytes) {
  EXPECT_EQ(call("text_length", {"na\xC3\xAFve caf\xC3\xA9"}).value, make_small_int(10));
  EXPECT_EQ(call("text_length", {""}).value, make_small_int(0));
  EXPECT_EQ(error(call("text_length", {make_small_int(7)})),
            "TypeError: text_length: argument 1 must be a String, not Integer 7");
}

TEST_F(NativesTest, TextLowerMapsAsciiLatinGreekAndCyrillic) {
  EXPECT_EQ(text(call("text_lower", {"Hello, WORLD 42"}).value), "hello, world 42");
  // ÀÉÎ×Þ Ā Ł Ž İ Ÿ ΑΩΆ ЖЯЁ: each capital to its small letter, × unchanged.
  EXPECT_EQ(text(call("text_lower", {"\xC3\x80\xC3\x89\xC3\x8E\xC3\x97\xC3\x9E "
                                     "\xC4\x80 \xC5\x81 \xC5\xBD \xC4\xB0 \xC5\xB8 "
                                     "\xCE\x91\xCE\xA9\xCE\x86 \xD0\x96\xD0\xAF\xD0\x81"})
                     .value),
            "\xC3\xA0\xC3\xA9\xC3\xAE\xC3\x97\xC3\xBE \xC4\x81 \xC5\x82 \xC5\xBE i \xC3\xBF "
            "\xCE\xB1\xCF\x89\xCE\xAC \xD0\xB6\xD1\x8F\xD1\x91");
  EXPECT_EQ(text(call("text_lower", {"\xF0\x9D\x84\x9E ok"}).value), "\xF0\x9D\x84\x9E ok");
}

// ASCII text is lower-cased eight bytes at a time: capitals at every
// position of a word and in the tail, the neighbours of A..Z (@ [ ` {)
// unchanged; text with no capital is its own lower case, the same String;
// a rope is read whole.
TEST_F(NativesTest, TextLowerOfAsciiInPlaceAndOfRopes) {
  EXPECT_EQ(text(call("text_lower", {"ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{ Mixed Case!"}).value),
            "abcdefghijklmnopqrstuvwxyz@[`{ mixed case!");
  HandleScope scope(m());
  Handle lower(m(), str("already lower, 12345 and more"));
  const Outcome same = call("text_lower", {lower});
  ASSERT_EQ(same.status, NativeStatus::kReturn);
  EXPECT_EQ(same.value, lower.value()) << "no capital: the argument itself";
  Handle left(m(), str(std::string(70, 'X')));
  Handle right(m(), str("Tail \xC3\x80"));
  Handle rope(m(), ts_->strings().concat(m(), left, right));
  ASSERT_FALSE(ts_->strings().is_flat(rope.value()));
  EXPECT_EQ(text(call("text_lower", {rope}).value), std::string(70, 'x') + "tail \xC3\xA0");
}

TEST_F(NativesTest, TextReplaceReplacesEveryNonOverlappingOccurrence) {
  EXPECT_EQ(text(call("text_replace", {"aaaa", "aa", "b"}).value), "bb");
  EXPECT_EQ(text(call("text_replace", {"a.b.c", ".", "--"}).value), "a--b--c");
  EXPECT_EQ(text(call("text_replace", {"none", "x", "y"}).value), "none");
  EXPECT_EQ(error(call("text_replace", {"abc", "", "y"})),
            "ValueError: text_replace: the text to replace is empty");
  EXPECT_EQ(error(call("text_replace", {"abc", "a", kNothing})),
            "TypeError: text_replace: argument 3 must be a String, not Nothing nothing");
}

TEST_F(NativesTest, TextSplitKeepsEmptyPieces) {
  auto pieces = [&](const char* t, const char* sep) {
    const Outcome o = call("text_split", {t, sep});
    std::vector<std::string> out;
    if (o.status != NativeStatus::kReturn) return out;
    for (std::uint64_t i = 0; i < types::Lists::size(o.value); ++i) {
      out.push_back(text(*types::Lists::get(o.value, i)));
    }
    return out;
  };
  EXPECT_EQ(pieces("a,b,,c", ","), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(pieces(",", ","), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(pieces("", ","), (std::vector<std::string>{""}));
  EXPECT_EQ(pieces("one  two", "  "), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(error(call("text_split", {"abc", ""})),
            "ValueError: text_split: the separator is empty");
}

// Pieces are copied from the text in place: their Character counts are
// right for text that is not ASCII, a separator may itself be non-ASCII
// or longer than a byte, and a rope text or separator is read whole. The
// bridge-stress label collects at every allocation, so the text moves
// between one piece and the next.
TEST_F(NativesTest, TextSplitCountsCharactersAndReadsRopes) {
  auto split = [&](std::initializer_list<Arg> args) {
    const Outcome o = call("text_split", args);
    std::vector<std::pair<std::string, std::uint64_t>> out;  // text, Characters
    if (o.status != NativeStatus::kReturn) return out;
    for (std::uint64_t i = 0; i < types::Lists::size(o.value); ++i) {
      const Value piece = *types::Lists::get(o.value, i);
      out.emplace_back(text(piece), ts_->strings().length(piece));
    }
    return out;
  };
  using Pieces = std::vector<std::pair<std::string, std::uint64_t>>;
  EXPECT_EQ(split({"caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC  x", " "}),
            (Pieces{{"caf\xC3\xA9", 4}, {"\xE6\x97\xA5\xE6\x9C\xAC", 2}, {"", 0}, {"x", 1}}));
  EXPECT_EQ(split({"a\xC3\x97"
                   "b\xC3\x97\xC3\x97",
                   "\xC3\x97"}),
            (Pieces{{"a", 1}, {"b", 1}, {"", 0}, {"", 0}}));
  EXPECT_EQ(split({"one, two, three", ", "}), (Pieces{{"one", 3}, {"two", 3}, {"three", 5}}));
  HandleScope scope(m());
  Handle words(m(), str("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda"));
  Handle more(m(), str(" mu"));
  Handle rope(m(), ts_->strings().concat(m(), words, more));
  ASSERT_FALSE(ts_->strings().is_flat(rope.value()));
  const Pieces pieces = split({rope, " "});
  ASSERT_EQ(pieces.size(), 12U);
  EXPECT_EQ(pieces.front(), (std::pair<std::string, std::uint64_t>{"alpha", 5}));
  EXPECT_EQ(pieces.back(), (std::pair<std::string, std::uint64_t>{"mu", 2}));
  Handle sep_left(m(), str(std::string(40, '-')));
  Handle sep_right(m(), str(std::string(40, '-')));
  Handle long_sep(m(), ts_->strings().concat(m(), sep_left, sep_right));
  ASSERT_FALSE(ts_->strings().is_flat(long_sep.value()));
  EXPECT_EQ(split({("a" + std::string(80, '-') + "b").c_str(), long_sep}),
            (Pieces{{"a", 1}, {"b", 1}}));
}

// A one-byte separator is found eight bytes at a time: at every position
// of a word and of the tail, in runs, and with bytes that differ from it
// by one bit (a borrow in a careless scan would match those), the pieces
// are std::string's.
TEST_F(NativesTest, TextSplitOnOneByteMatchesAPlainSplitAtEveryPosition) {
  const std::string base = "abcdefghijklmnopqrstuvwxy\xC3\xA9!";  // '!' is ' ' + 1
  for (std::size_t a = 0; a < base.size(); ++a) {
    for (std::size_t b = a; b < base.size(); b += 3) {
      if ((static_cast<unsigned char>(base[a]) & 0x80) != 0 ||
          (static_cast<unsigned char>(base[b]) & 0x80) != 0) {
        continue;  // keep the text UTF-8
      }
      std::string t = base;
      t[a] = ' ';
      t[b] = ' ';
      std::vector<std::string> expected;
      std::size_t at = 0;
      for (std::size_t hit = t.find(' '); hit != std::string::npos; hit = t.find(' ', at)) {
        expected.push_back(t.substr(at, hit - at));
        at = hit + 1;
      }
      expected.push_back(t.substr(at));
      const Outcome o = call("text_split", {t.c_str(), " "});
      ASSERT_EQ(o.status, NativeStatus::kReturn);
      std::vector<std::string> got;
      for (std::uint64_t i = 0; i < types::Lists::size(o.value); ++i) {
        got.push_back(text(*types::Lists::get(o.value, i)));
      }
      EXPECT_EQ(got, expected) << a << " " << b;
    }
  }
}

TEST_F(NativesTest, ParseIntegerAcceptsExactlyTheDecimalIntegers) {
  EXPECT_EQ(call("parse_integer", {"42"}).value, make_small_int(42));
  EXPECT_EQ(call("parse_integer", {"+7"}).value, make_small_int(7));
  EXPECT_EQ(call("parse_integer", {"-0"}).value, make_small_int(0));
  const Value max = call("parse_integer", {"9223372036854775807"}).value;
  EXPECT_EQ(types::as_int(max), INT64_MAX);  // a boxed Integer: beyond 61 bits
  const Value min = call("parse_integer", {"-9223372036854775808"}).value;
  EXPECT_EQ(types::as_int(min), INT64_MIN);
  for (const char* bad : {"", "-", "+", " 1", "1 ", "1.0", "0x10", "+-1", "--1", "12a"}) {
    EXPECT_EQ(error(call("parse_integer", {bad})),
              std::string("ValueError: parse_integer: \"") + bad + "\" is not a decimal Integer")
        << bad;
  }
  EXPECT_EQ(error(call("parse_integer", {"9223372036854775808"})),
            "OverflowError: parse_integer: 9223372036854775808 is outside the 64-bit Integer "
            "range");
  EXPECT_EQ(error(call("parse_integer", {"-9223372036854775809"})),
            "OverflowError: parse_integer: -9223372036854775809 is outside the 64-bit Integer "
            "range");
}

TEST_F(NativesTest, ListAndDictionaryNatives) {
  HandleScope scope(m());
  Handle list(m(), ts_->lists().make(m()));
  EXPECT_EQ(call("list_append", {list, "x"}).status, NativeStatus::kReturn);
  EXPECT_EQ(call("list_append", {list, make_small_int(2)}).status, NativeStatus::kReturn);
  EXPECT_EQ(call("list_length", {list}).value, make_small_int(2));
  EXPECT_EQ(text(*types::Lists::get(list.value(), 0)), "x");
  EXPECT_EQ(error(call("list_length", {"no"})),
            "TypeError: list_length: argument 1 must be a List, not String \"no\"");

  Handle map(m(), ts_->dictionaries().make(m()));
  Handle key(m(), str("k"));
  Handle one(m(), make_small_int(1));
  ASSERT_EQ(ts_->dictionaries().set(m(), map, key, one), types::Dictionaries::Status::kAbsent);
  EXPECT_EQ(call("map_contains", {map, "k"}).value, types::kTrue);
  EXPECT_EQ(call("map_contains", {map, "j"}).value, types::kFalse);
  EXPECT_EQ(call("map_length", {map}).value, make_small_int(1));
  EXPECT_EQ(call("map_get", {map, "k"}).value, make_small_int(1));
  EXPECT_EQ(call("map_get", {map, types::make_float(ts_->context(), m(), 1.0)}).status,
            NativeStatus::kThrow);
  EXPECT_EQ(error(call("map_get", {map, "j"})), "KeyError: map_get: no key \"j\"");
  // map_get_or: the value when present, else the default, whatever it is.
  EXPECT_EQ(call("map_get_or", {map, "k", make_small_int(0)}).value, make_small_int(1));
  EXPECT_EQ(call("map_get_or", {map, "j", make_small_int(0)}).value, make_small_int(0));
  EXPECT_EQ(call("map_get_or", {map, "j", types::kNothing}).value, types::kNothing);
  EXPECT_EQ(text(call("map_get_or", {map, "j", "none"}).value), "none");
  EXPECT_EQ(error(call("map_get_or", {list, "k", make_small_int(0)})),
            "TypeError: map_get_or: argument 1 must be a Dictionary, not List[Any] [\"x\", 2]");
  EXPECT_EQ(error(call("map_get_or", {map, list, make_small_int(0)})),
            "TypeError: map_get_or: argument 2 must be a hashable key, not List[Any] [\"x\", 2]");
  EXPECT_EQ(error(call("map_contains", {map, list})),
            "TypeError: map_contains: argument 2 must be a hashable key, not List[Any] [\"x\", 2]");
}

// docs/natives.md lists exactly the natives the runtime has: every name in
// the first column of its tables is one, and every native is there.
TEST_F(NativesTest, TheDocumentedNativesAreTheNativesThereAre) {
  std::ifstream doc(RUNA_SOURCE_DIR "/docs/natives.md");
  ASSERT_TRUE(doc.good());
  std::set<std::string> documented;
  for (std::string line; std::getline(doc, line);) {
    if (!line.starts_with("| `")) continue;
    const std::string cell = line.substr(0, line.find('|', 1));
    // Each "`name(" in the first cell names a native.
    for (std::size_t at = cell.find('`'); at != std::string::npos; at = cell.find('`', at + 1)) {
      const std::size_t end = cell.find_first_not_of("abcdefghijklmnopqrstuvwxyz_", at + 1);
      if (end != std::string::npos && end > at + 1 && cell[end] == '(') {
        documented.insert(cell.substr(at + 1, end - at - 1));
      }
    }
  }
  std::set<std::string> present;
  for (const auto& [n, native] : natives_.all()) present.insert(n);
  EXPECT_EQ(documented, present);
}

TEST_F(NativesTest, TheWrongArgumentCountIsATypeError) {
  EXPECT_EQ(error(call("text_length", {})), "TypeError: text_length takes 1 argument, got 0");
  EXPECT_EQ(error(call("text_split", {"a"})), "TypeError: text_split takes 2 arguments, got 1");
  EXPECT_EQ(natives_.find("no_such_native"), nullptr);
  const std::size_t before = natives_.size();
  EXPECT_FALSE(natives_.add("print", 1, nullptr)) << "a name is bound once";
  EXPECT_EQ(natives_.size(), before);
}

// CALL_METHOD on built-in types (docs/types.md, "Methods of built-in
// types"): each method is a native with the receiver as argument 1.
TEST_F(NativesTest, BuiltInMethodsAreTheNativesWithTheReceiverFirst) {
  const BuiltinMethods methods(natives_);
  HandleScope scope(m());
  Handle s(m(), str("Word"));
  Handle list(m(), ts_->lists().make(m()));
  Handle map(m(), ts_->dictionaries().make(m()));
  EXPECT_EQ(methods.find(*ts_, s.value(), "length"), natives_.find("text_length"));
  EXPECT_EQ(methods.find(*ts_, s.value(), "lower"), natives_.find("text_lower"));
  EXPECT_EQ(methods.find(*ts_, list.value(), "length"), natives_.find("list_length"));
  EXPECT_EQ(methods.find(*ts_, list.value(), "append"), natives_.find("list_append"));
  EXPECT_EQ(methods.find(*ts_, map.value(), "contains"), natives_.find("map_contains"));
  EXPECT_EQ(methods.find(*ts_, map.value(), "get"), natives_.find("map_get"));
  EXPECT_EQ(methods.find(*ts_, map.value(), "get_or"), natives_.find("map_get_or"));
  EXPECT_EQ(methods.find(*ts_, s.value(), "append"), nullptr) << "no such method on String";
  EXPECT_EQ(methods.find(*ts_, make_small_int(3), "length"), nullptr) << "Integer has none";
  const Native* lower = methods.find(*ts_, s.value(), "lower");
  ASSERT_NE(lower, nullptr);
  EXPECT_EQ(text(call(lower->name.c_str(), {s}).value), "word");
}

}  // namespace
}  // namespace runa::bridge
