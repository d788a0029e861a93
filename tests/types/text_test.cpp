// Text forms: every kind of value, Floats' shortest round trip, literals
// inside containers, and containers that contain themselves.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <random>
#include <string>

#include "types/text.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;

class TextTest : public testing::SystemTest {
 protected:
  std::string text(Value v) {
    std::string out;
    text_->append_text(v, out);
    return out;
  }
};

TEST_F(TextTest, Scalars) {
  HandleScope scope(m());
  EXPECT_EQ(text(kNothing), "nothing");
  EXPECT_EQ(text(kTrue), "true");
  EXPECT_EQ(text(kFalse), "false");
  EXPECT_EQ(text(make_int(*cx_, m(), -42)), "-42");
  EXPECT_EQ(text(make_int(*cx_, m(), INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(text(make_character(U'\u00e9')), "\u00e9");
  // The examples' expected outputs (docs/natives-used.md).
  EXPECT_EQ(text(make_float(*cx_, m(), 7.0)), "7.0");
  EXPECT_EQ(text(make_float(*cx_, m(), 2.25)), "2.25");
  EXPECT_EQ(text(make_float(*cx_, m(), 3.14159)), "3.14159");
  EXPECT_EQ(text(make_float(*cx_, m(), 0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(text(make_float(*cx_, m(), 1e300)), "1e+300");
  EXPECT_EQ(text(make_float(*cx_, m(), -0.0)), "-0.0");
  EXPECT_EQ(text(make_float(*cx_, m(), INFINITY)), "inf");
  EXPECT_EQ(text(make_float(*cx_, m(), -INFINITY)), "-inf");
  EXPECT_EQ(text(make_float(*cx_, m(), NAN)), "nan");
  Handle s(m(), strings_->make(m(), "plain"));
  EXPECT_EQ(text(s.value()), "plain");
  EXPECT_EQ(text_->text_of(m(), s), s.value());  // a flat String is its own text
}

TEST_F(TextTest, EveryFloatReadsBackAsItself) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const double d = std::bit_cast<double>(rng());
    if (!std::isfinite(d)) continue;
    std::string out;
    append_float(d, out);
    double back = 0;
    const auto r = std::from_chars(out.data(), out.data() + out.size(), back);
    ASSERT_EQ(r.ec, std::errc()) << out;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(back), std::bit_cast<std::uint64_t>(d)) << out;
  }
}

TEST_F(TextTest, ContainersShowLiteralsAndSurviveCycles) {
  HandleScope scope(m());
  Handle l(m(), lists_->make(m()));
  Handle s(m(), strings_->make(m(), "say \"hi\"\n"));
  Handle c(m(), make_character('n'));
  Handle one(m(), make_small_int(1));
  lists_->append(m(), l, one);
  lists_->append(m(), l, s);
  lists_->append(m(), l, c);
  Handle d(m(), dicts_->make(m()));
  dicts_->set(m(), d, s, l);
  EXPECT_EQ(text(l.value()), R"([1, "say \"hi\"\n", "n"])");
  EXPECT_EQ(text(d.value()), R"({"say \"hi\"\n": [1, "say \"hi\"\n", "n"]})");
  lists_->append(m(), l, l);  // contains itself
  EXPECT_EQ(text(l.value()), R"([1, "say \"hi\"\n", "n", [...]])");
  Handle t(m(), text_->text_of(m(), l));
  EXPECT_EQ(Strings::view(t.value()), text(l.value()));
}

TEST_F(TextTest, OtherObjectsShowTheirLayoutsName) {
  HandleScope scope(m());
  heap::Layout p;
  p.kind = heap::LayoutKind::kPlain;
  p.size = 16;
  p.refs = 1;
  p.name = "Point";
  const std::uint32_t point = heap_->register_layout(p).value();
  Handle o(m(), heap::allocate(m(), point, 16));
  EXPECT_EQ(text(o.value()), "<Point object>");
}

}  // namespace
}  // namespace runa::types
