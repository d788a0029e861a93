// The natives beyond the core ones (docs/natives.md: text, math, lists, the
// process, reflection, the collector): results and documented errors.
#include <unistd.h>

#include <cmath>

#include "natives_fixture.hpp"

namespace runa::bridge {
namespace {

TEST_F(NativesTest, TextSubstringCountsCharacters) {
  EXPECT_EQ(
      text(call("text_substring", {"na\xC3\xAFve", make_small_int(1), make_small_int(3)}).value),
      "a\xC3\xAF");
  EXPECT_EQ(text(call("text_substring", {"abc", make_small_int(3), make_small_int(3)}).value), "");
  EXPECT_EQ(error(call("text_substring", {"abc", make_small_int(2), make_small_int(4)})),
            "IndexError: text_substring: 2 .. 4 is not a range of 0 .. 3");
  EXPECT_EQ(error(call("text_substring", {"abc", "1", make_small_int(2)})),
            "TypeError: text_substring: argument 2 must be an Integer, not String \"1\"");
}

TEST_F(NativesTest, TextFindTrimJoinAndAffixes) {
  EXPECT_EQ(call("text_find", {"caf\xC3\xA9 au lait", "au"}).value, make_small_int(5));
  EXPECT_EQ(call("text_find", {"abc", "x"}).value, make_small_int(-1));
  EXPECT_EQ(call("text_starts_with", {"runtime", "run"}).value, types::kTrue);
  EXPECT_EQ(call("text_ends_with", {"runtime", "run"}).value, types::kFalse);
  EXPECT_EQ(text(call("text_trim", {" \t word \r\n"}).value), "word");
  EXPECT_EQ(text(call("text_trim", {"   "}).value), "");
  Handle list(m(), ts_->lists().make(m()));
  for (std::int64_t i = 1; i <= 3; ++i) {
    Handle item(m(), make_small_int(i));
    ASSERT_TRUE(ts_->lists().append(m(), list, item));
  }
  EXPECT_EQ(text(call("text_join", {list, ", "}).value), "1, 2, 3");
  EXPECT_EQ(error(call("text_join", {"a", ","})),
            "TypeError: text_join: argument 1 must be a List, not String \"a\"");
  EXPECT_EQ(text(call("text_of", {make_small_int(42)}).value), "42");
}

TEST_F(NativesTest, MathIsTheCLibrarys) {
  EXPECT_EQ(types::as_double(call("float_sqrt", {num(2.0)}).value), std::sqrt(2.0));
  EXPECT_EQ(types::as_double(call("float_sqrt", {make_small_int(16)}).value), 4.0);
  EXPECT_EQ(types::as_double(call("float_sin", {num(1.0)}).value), std::sin(1.0));
  EXPECT_EQ(types::as_double(call("float_cos", {num(1.0)}).value), std::cos(1.0));
  EXPECT_EQ(types::as_double(call("float_pow", {num(2.0), make_small_int(10)}).value), 1024.0);
  EXPECT_TRUE(std::isnan(types::as_double(call("float_sqrt", {num(-1.0)}).value)));
  EXPECT_EQ(error(call("float_sqrt", {"4"})),
            "TypeError: float_sqrt: argument 1 must be a Float, not String \"4\"");
  EXPECT_EQ(call("int_abs", {make_small_int(-5)}).value, make_small_int(5));
  EXPECT_EQ(error(call("int_abs", {types::make_int(ts_->context(), m(), INT64_MIN)})),
            "OverflowError: int_abs: the result is outside the 64-bit Integer range");
}

TEST_F(NativesTest, FloatFormatAndParseFloat) {
  EXPECT_EQ(text(call("float_format", {num(3.14159), make_small_int(2)}).value), "3.14");
  EXPECT_EQ(text(call("float_format", {num(-0.1690751638285245), make_small_int(9)}).value),
            "-0.169075164");
  EXPECT_EQ(text(call("float_format", {num(1e300), make_small_int(0)}).value).size(), 301u);
  EXPECT_EQ(error(call("float_format", {num(1.0), make_small_int(-1)})),
            "ValueError: float_format: -1 digits is outside 0 .. 100");
  EXPECT_EQ(types::as_double(call("parse_float", {"2.5e3"}).value), 2500.0);
  EXPECT_EQ(error(call("parse_float", {" 1"})), "ValueError: parse_float: \" 1\" is not a Float");
  EXPECT_EQ(error(call("parse_float", {"1x"})), "ValueError: parse_float: \"1x\" is not a Float");
}

TEST_F(NativesTest, ListNewCopyAndPop) {
  Handle list(m(), call("list_new", {make_small_int(3), "x"}).value);
  ASSERT_TRUE(ts_->lists().is_list(list.value()));
  EXPECT_EQ(types::Lists::size(list.value()), 3u);
  EXPECT_EQ(text(*types::Lists::get(list.value(), 2)), "x");
  Handle copy(m(), call("list_copy", {list}).value);
  EXPECT_NE(copy.value(), list.value());
  EXPECT_EQ(types::Lists::size(copy.value()), 3u);
  EXPECT_EQ(text(call("list_pop", {copy}).value), "x");
  EXPECT_EQ(types::Lists::size(copy.value()), 2u);
  EXPECT_EQ(types::Lists::size(list.value()), 3u) << "the copy is a new List";
  Handle empty(m(), call("list_new", {make_small_int(0), kNothing}).value);
  EXPECT_EQ(error(call("list_pop", {empty})), "IndexError: list_pop: the List is empty");
  EXPECT_EQ(error(call("list_new", {make_small_int(-1), kNothing})),
            "ValueError: list_new: a negative size -1");
}

TEST_F(NativesTest, ReflectionClocksAndTheCollector) {
  EXPECT_EQ(text(call("type_name", {make_small_int(1)}).value), "Integer");
  EXPECT_EQ(text(call("type_name", {"s"}).value), "String");
  const auto a = types::as_int(call("clock_ns", {}).value);
  const auto b = types::as_int(call("clock_ns", {}).value);
  EXPECT_LE(a, b) << "a monotonic clock";
  EXPECT_GT(types::as_int(call("time_now_ns", {}).value), 1700000000LL * 1000000000LL);
  EXPECT_EQ(call("gc_collect", {types::kTrue}).status, NativeStatus::kReturn);
  Handle stats(m(), call("gc_stats", {}).value);
  ASSERT_TRUE(ts_->dictionaries().is_dictionary(stats.value()));
  Handle key(m(), str("major_collections"));
  Value major = kNothing;
  ASSERT_EQ(ts_->dictionaries().get(m(), stats, key, &major), types::Dictionaries::Status::kFound);
  EXPECT_GE(types::as_int(major), 1);
  EXPECT_EQ(error(call("gc_collect", {make_small_int(1)})),
            "TypeError: gc_collect: argument 1 must be a Boolean, not Integer 1");
}

TEST_F(NativesTest, ReadFileTextAndItsErrors) {
  const std::string path =
      ::testing::TempDir() + "/natives_read_" + std::to_string(::getpid()) + ".txt";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("one\ntwo\n", f);
    std::fclose(f);
  }
  EXPECT_EQ(text(call("read_file_text", {path.c_str()}).value), "one\ntwo\n");
  const std::string message = error(call("read_file_text", {"/no/such/file"}));
  EXPECT_EQ(message.rfind("IOError: read_file_text: cannot open /no/such/file: ", 0), 0u)
      << message;
}

}  // namespace
}  // namespace runa::bridge
