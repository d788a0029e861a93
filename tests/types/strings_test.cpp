// Strings: flat and rope forms, Character indexing, hashing, equality and
// order, across collections that move them.
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "types/strings.hpp"
#include "types/text_hash.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;

class StringsTest : public testing::TypesTest {
 protected:
  void SetUp() override {
    TypesTest::SetUp();
    auto s = Strings::create(*heap_);
    ASSERT_TRUE(s.ok());
    strings_.emplace(*s);
    m_ = &heap_->attach();
  }
  void TearDown() override { heap_->detach(*m_); }

  Value make(std::string_view text) {
    Value v = strings_->make(*m_, text);
    EXPECT_NE(v, 0u);
    return v;
  }
  // The text of any string (flattening it), for comparisons.
  std::string text(const Handle& s) {
    return std::string(Strings::view(strings_->flatten(*m_, s)));
  }

  std::optional<Strings> strings_;
  heap::Mutator* m_ = nullptr;
};

TEST_F(StringsTest, FlatStringsKnowTheirCharactersAndBytes) {
  HandleScope scope(*m_);
  Handle ascii(*m_, make("hello"));
  Handle mixed(*m_, make("naïve café"));
  Handle empty(*m_, make(""));
  EXPECT_TRUE(strings_->is_string(ascii.value()));
  EXPECT_TRUE(strings_->is_flat(ascii.value()));
  EXPECT_EQ(strings_->length(ascii.value()), 5u);
  EXPECT_EQ(strings_->length(mixed.value()), 10u);  // natives-used.md's example
  EXPECT_EQ(strings_->byte_length(mixed.value()), 12u);
  EXPECT_EQ(strings_->length(empty.value()), 0u);
  EXPECT_EQ(Strings::view(mixed.value()), "naïve café");
  EXPECT_FALSE(strings_->is_string(heap::Value{(5 << 3) | 1}));
  EXPECT_FALSE(strings_->is_string(0));
}

TEST_F(StringsTest, CheckedMakingRefusesMalformedUtf8) {
  HandleScope scope(*m_);
  EXPECT_FALSE(strings_->make_checked(*m_, "\xC3").has_value());          // truncated
  EXPECT_FALSE(strings_->make_checked(*m_, "\xED\xA0\x80").has_value());  // a surrogate
  EXPECT_FALSE(strings_->make_checked(*m_, "\xC0\xAF").has_value());      // overlong
  auto ok = strings_->make_checked(*m_, "\xF0\x9F\x98\x80!");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(strings_->length(*ok), 2u);
}

// Characters are counted eight bytes at a time: every split of a text
// into a word-sized body and a tail counts the same as a byte-by-byte
// count, whatever mix of sequence lengths straddles the word boundaries.
TEST_F(StringsTest, CharacterCountsMatchAByteCountAtEveryLength) {
  const std::string pattern = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80z";  // 1, 2, 3, 4, 1 bytes
  std::string text;
  while (text.size() < 70) text += pattern;
  for (std::size_t start = 0; start < text.size(); ++start) {
    if ((static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) continue;  // not a boundary
    const std::string_view tail = std::string_view(text).substr(start);
    std::uint64_t expected = 0;
    for (const char c : tail) expected += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    EXPECT_EQ(Strings::count_chars(reinterpret_cast<const std::uint8_t*>(tail.data()), tail.size()),
              expected)
        << start;
    HandleScope scope(*m_);
    Handle made(*m_, make(tail));
    EXPECT_EQ(strings_->length(made.value()), expected);
    EXPECT_EQ(Strings::is_ascii(made.value()), expected == tail.size());
  }
}

// make_checked takes ASCII without a separate check and count, and text
// with other Characters through both; either way the count is right.
TEST_F(StringsTest, CheckedMakingCountsAsciiAndOtherText) {
  HandleScope scope(*m_);
  const std::string ascii(37, 'q');
  auto a = strings_->make_checked(*m_, ascii);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(strings_->length(*a), 37U);
  EXPECT_TRUE(Strings::is_ascii(*a));
  EXPECT_EQ(Strings::view(*a), ascii);
  const std::string mixed = ascii + "\xC3\xA9";
  auto b = strings_->make_checked(*m_, mixed);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(strings_->length(*b), 38U);
  EXPECT_FALSE(Strings::is_ascii(*b));
  EXPECT_FALSE(strings_->make_checked(*m_, ascii + "\xFF").has_value()) << "invalid after ASCII";
}

// slice() copies a piece of a flat string read after its own allocation:
// under the types-stress label's collections the source may have moved by
// then, and the offsets still name the same bytes.
TEST_F(StringsTest, SlicesCopyTheirPieceAndCountItsCharacters) {
  HandleScope scope(*m_);
  Handle mixed(*m_, make("ab,\xC3\xA9t\xC3\xA9,\xE6\x97\xA5\xE6\x9C\xAC"));
  Handle ascii(*m_, make("hello, world"));
  Handle piece(*m_, strings_->slice(*m_, mixed, 3, 5));
  ASSERT_NE(piece.value(), 0U);
  EXPECT_EQ(Strings::view(piece.value()), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(strings_->length(piece.value()), 3U);
  piece.set(strings_->slice(*m_, mixed, 9, 6));
  EXPECT_EQ(strings_->length(piece.value()), 2U);
  piece.set(strings_->slice(*m_, ascii, 7, 5));
  EXPECT_EQ(Strings::view(piece.value()), "world");
  EXPECT_EQ(strings_->length(piece.value()), 5U);
  piece.set(strings_->slice(*m_, ascii, 12, 0));
  EXPECT_EQ(Strings::view(piece.value()), "");
  EXPECT_EQ(strings_->length(piece.value()), 0U);
  EXPECT_TRUE(Strings::equal(piece.value(), make(""))) << "equal to any other empty String";
}

// A flat String's hash reads its last bytes as whole words, zero padding
// included (hash_bytes_of<true>): the same hash as the byte-exact form over
// the text alone, at every length around the word and 16-byte steps, for a
// String made and one sliced out of a longer one (slice() copies short
// pieces in whole words and must write nothing past the text: the padding
// stays zero), both also copied by collections under types-stress.
TEST_F(StringsTest, TheHashOfAFlatStringIsTheHashOfItsBytes) {
  HandleScope scope(*m_);
  const std::string long_text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  Handle source(*m_, make(long_text));
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string text = long_text.substr(1, n);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
    Handle made(*m_, make(text));
    Handle sliced(*m_, strings_->slice(*m_, source, 1, n));
    ASSERT_NE(sliced.value(), 0U);
    EXPECT_EQ(Strings::view(sliced.value()), text) << n;
    EXPECT_EQ(Strings::hash(made.value()), hash_bytes(bytes, n)) << n;
    EXPECT_EQ(Strings::hash(sliced.value()), hash_bytes(bytes, n)) << n;
    EXPECT_TRUE(Strings::equal(made.value(), sliced.value())) << n;
  }
}

// Strings::hash_of, the hash of a slice with no slice made (text_split's
// piece cache finds a piece by it): the hash of the sliced String at every
// offset and length of a text, short pieces loaded as whole words past
// their end (masked) where the text's padding allows it, by the byte-exact
// form near the end.
TEST_F(StringsTest, TheHashOfASliceIsTheHashOfTheSlicedString) {
  HandleScope scope(*m_);
  Handle source(*m_, make("abcdefghijklmnopqrstuvwxyz0123456789ABCDE"));  // 41 bytes
  const std::uint64_t size = Strings::view(source.value()).size();
  for (std::uint64_t at = 0; at <= size; ++at) {
    for (std::uint64_t n = 0; at + n <= size; ++n) {
      const Value sliced = strings_->slice(*m_, source, at, n);
      ASSERT_NE(sliced, 0U);
      EXPECT_EQ(Strings::hash_of(source.value(), at, n), Strings::hash(sliced)) << at << "+" << n;
    }
  }
}

TEST_F(StringsTest, CharactersByIndexInEveryEncodingLength) {
  HandleScope scope(*m_);
  // 1-, 2-, 3- and 4-byte Characters.
  const std::u32string chars = U"a\u00e9\u20ac\U0001F600z\u00e9";
  Handle s(*m_, make("a\u00e9\u20ac\U0001F600z\u00e9"));
  ASSERT_EQ(strings_->length(s.value()), chars.size());
  // In order (the cursor), backwards (from the start), and at random.
  for (std::size_t i = 0; i < chars.size(); ++i)
    EXPECT_EQ(*Strings::char_at(s.value(), i), chars[i]);
  for (std::size_t i = chars.size(); i-- > 0;) EXPECT_EQ(*Strings::char_at(s.value(), i), chars[i]);
  std::minstd_rand rng(7);
  for (int k = 0; k < 100; ++k) {
    const std::size_t i = rng() % chars.size();
    EXPECT_EQ(*Strings::char_at(s.value(), i), chars[i]);
  }
  EXPECT_FALSE(Strings::char_at(s.value(), chars.size()).has_value());
  Handle ascii(*m_, make("xyz"));
  EXPECT_EQ(*Strings::char_at(ascii.value(), 2), U'z');
  EXPECT_FALSE(Strings::char_at(ascii.value(), 3).has_value());
}

TEST_F(StringsTest, HashEqualityAndOrder) {
  HandleScope scope(*m_);
  Handle a(*m_, make("apple"));
  Handle a2(*m_, make("apple"));
  Handle b(*m_, make("apples"));
  Handle c(*m_, make("\u00e9"));  // above every ASCII character
  EXPECT_TRUE(Strings::equal(a.value(), a2.value()));
  EXPECT_EQ(Strings::hash(a.value()), Strings::hash(a2.value()));
  EXPECT_NE(Strings::hash(a.value()), Strings::hash(b.value()));
  EXPECT_FALSE(Strings::equal(a.value(), b.value()));
  EXPECT_LT(Strings::compare(a.value(), b.value()), 0);  // a prefix orders first
  EXPECT_GT(Strings::compare(c.value(), b.value()), 0);  // by code point
  EXPECT_EQ(Strings::compare(a.value(), a2.value()), 0);
  // Equal lengths, different hashes cached: unequal without comparing bytes.
  Handle d(*m_, make("apply"));
  (void)Strings::hash(d.value());
  EXPECT_FALSE(Strings::equal(a.value(), d.value()));
  // Every length from 0 to 40 hashes differently from its neighbours.
  std::string text;
  std::vector<std::uint64_t> hashes;
  for (int n = 0; n <= 40; ++n) {
    HandleScope inner(*m_);
    Handle s(*m_, make(text));
    hashes.push_back(Strings::hash(s.value()));
    text += 'x';
  }
  for (std::size_t i = 1; i < hashes.size(); ++i) EXPECT_NE(hashes[i], hashes[i - 1]);
}

// Repeated `+` builds ropes; the result reads the same as std::string's,
// whatever collections moved the pieces meanwhile.
TEST_F(StringsTest, RepeatedConcatenationMatchesAStdString) {
  HandleScope scope(*m_);
  Handle acc(*m_, make(""));
  std::string expected;
  for (int i = 0; i < 3000; ++i) {
    HandleScope inner(*m_);
    const std::string piece = (i % 7 == 0 ? "é" : "") + std::to_string(i) + ",";
    Handle p(*m_, make(piece));
    Value next = strings_->concat(*m_, acc, p);
    ASSERT_NE(next, 0u);
    acc.set(next);
    expected += piece;
    if (i % 500 == 0) heap_->collect(*m_, i % 1000 == 0);
  }
  EXPECT_FALSE(strings_->is_flat(acc.value()));
  EXPECT_EQ(strings_->byte_length(acc.value()), expected.size());
  EXPECT_EQ(text(acc), expected);
  // Flattened once: the same flat string afterwards.
  const Value f1 = strings_->flatten(*m_, acc);
  Handle flat(*m_, f1);
  EXPECT_EQ(strings_->flatten(*m_, acc), flat.value());
  heap_->collect(*m_, true);
  EXPECT_EQ(text(acc), expected);
  EXPECT_EQ(strings_->length(acc.value()), strings_->length(flat.value()));
}

TEST_F(StringsTest, ShortConcatenationsAreFlatAndJoinReadsRopes) {
  HandleScope scope(*m_);
  Handle a(*m_, make("ab"));
  Handle b(*m_, make("çd"));
  Value ab = strings_->concat(*m_, a, b);
  EXPECT_TRUE(strings_->is_flat(ab));
  EXPECT_EQ(Strings::view(ab), "abçd");
  EXPECT_EQ(strings_->length(ab), 4u);

  Handle long1(*m_, make(std::string(100, 'x')));
  Handle rope(*m_, strings_->concat(*m_, long1, a));
  EXPECT_FALSE(strings_->is_flat(rope.value()));
  Handle c(*m_, make("!"));
  std::vector<Value*> parts{a.slot(), rope.slot(), b.slot(), c.slot()};
  Value joined = strings_->join(*m_, parts);
  ASSERT_NE(joined, 0u);
  EXPECT_EQ(Strings::view(joined), "ab" + std::string(100, 'x') + "abçd!");
  EXPECT_EQ(strings_->length(joined), 2u + 102 + 2 + 1);
  EXPECT_TRUE(strings_->is_flat(joined));
}

// Equality compares texts a word at a time, trusting the bytes after a
// text to its 8-byte end to be zero (flat_string.hpp): strings of every
// length up to 80 made each way (make, join, a rope flattened) are equal,
// and unequal to a copy with any one byte changed, also after collections
// moved them all.
TEST_F(StringsTest, EqualityByWordsAtEveryLengthAndEveryWayOfMaking) {
  for (std::size_t n = 0; n <= 80; ++n) {
    HandleScope scope(*m_);
    std::string t;
    for (std::size_t i = 0; i < n; ++i) t += static_cast<char>('a' + (i * 7) % 26);
    Handle made(*m_, make(t));
    Handle left(*m_, make(t.substr(0, n / 2)));
    Handle right(*m_, make(t.substr(n / 2)));
    std::vector<Value*> parts{left.slot(), right.slot()};
    Handle joined(*m_, strings_->join(*m_, parts));
    Handle wide(*m_, make(std::string(Strings::kMinRope, 'w')));
    Handle rope(*m_, strings_->concat(*m_, wide, made));
    Handle flat(*m_, strings_->flatten(*m_, rope));
    Handle whole(*m_, make(std::string(Strings::kMinRope, 'w') + t));
    for (int round = 0; round < 2; ++round) {
      EXPECT_TRUE(Strings::equal(made.value(), joined.value())) << n;
      EXPECT_TRUE(Strings::equal(flat.value(), whole.value())) << n;
      EXPECT_EQ(Strings::hash(made.value()), Strings::hash(joined.value())) << n;
      for (std::size_t i = 0; i < n; ++i) {
        std::string other = t;
        other[i] = static_cast<char>(other[i] == 'z' ? 'a' : other[i] + 1);
        HandleScope inner(*m_);
        Handle changed(*m_, make(other));
        EXPECT_FALSE(Strings::equal(made.value(), changed.value())) << n << " at " << i;
        EXPECT_FALSE(Strings::equal(changed.value(), joined.value())) << n << " at " << i;
      }
      heap_->collect(*m_, round == 1);
    }
  }
}

// Two threads flatten one rope and index it at once: each may make the flat
// string (both are equal), and neither reads a half-copied one.
TEST_F(StringsTest, TwoThreadsFlattenOneRope) {
  std::string expected;
  Value* shared = nullptr;
  {
    HandleScope scope(*m_);
    Handle acc(*m_, make(""));
    for (int i = 0; i < 200; ++i) {
      HandleScope inner(*m_);
      Handle p(*m_, make("piece " + std::to_string(i) + " é; "));
      acc.set(strings_->concat(*m_, acc, p));
      expected += "piece " + std::to_string(i) + " é; ";
    }
    shared = heap_->new_persistent(acc.value());
  }
  std::string seen[2];
  auto work = [&](int t) {
    heap::Mutator& m = t == 0 ? *m_ : heap_->attach();
    {
      HandleScope scope(m);
      Handle s(m, *shared);
      Handle flat(m, strings_->flatten(m, s));
      seen[t] = std::string(Strings::view(flat.value()));
      EXPECT_EQ(*Strings::char_at(flat.value(), 8), U'\u00e9');
    }
    if (t == 1) heap_->detach(m);
  };
  std::thread other(work, 1);
  work(0);
  other.join();
  EXPECT_EQ(seen[0], expected);
  EXPECT_EQ(seen[1], expected);
  heap_->free_persistent(shared);
}

}  // namespace
}  // namespace runa::types
