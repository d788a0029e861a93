// text_split's cache of short pieces (src/bridge/piece_cache.hpp): equal
// short pieces split on one thread are one String, hashed once; longer ones
// are made anew; the cache's slots are roots the collector keeps and
// updates; and programs see the same pieces as without it.
#include "bridge/piece_cache.hpp"
#include "native_calls.hpp"
#include "tier0_fixture.hpp"
#include "types/flat_string.hpp"

namespace runa::tier0 {
namespace {

using bridge::PieceCache;
using types::Strings;

TEST_F(Tier0Test, EqualShortPiecesAreOneStringAndLongOnesAreNew) {
  const types::Strings& strings = types().strings();
  heap::HandleScope scope(*t_->m);
  const std::string long_word(PieceCache::kMaxBytes + 1, 'x');
  heap::Handle line(*t_->m, strings.make(*t_->m, "the cat the " + long_word + " " + long_word));
  PieceCache* cache = PieceCache::of(t_);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(PieceCache::of(t_), cache) << "one cache a thread";
  heap::Handle first(*t_->m, cache->piece(*t_->m, strings, line, 0, 3));
  heap::Handle cat(*t_->m, cache->piece(*t_->m, strings, line, 4, 3));
  ASSERT_NE(first.value(), 0U);
  EXPECT_EQ(Strings::view(first.value()), "the");
  EXPECT_EQ(Strings::view(cat.value()), "cat");
  EXPECT_EQ(cache->piece(*t_->m, strings, line, 8, 3), first.value()) << "the same String";
  // It comes hashed, with the hash any String of its text has.
  EXPECT_EQ(types::flat::cached_hash(first.value()), Strings::hash(strings.make(*t_->m, "the")));
  // Longer than kMaxBytes: equal, but a String each time.
  const std::uint64_t n = long_word.size();
  heap::Handle long_one(*t_->m, cache->piece(*t_->m, strings, line, 12, n));
  const Value long_two = cache->piece(*t_->m, strings, line, 13 + n, n);
  EXPECT_EQ(Strings::view(long_two), long_word);
  EXPECT_NE(long_two, long_one.value());
}

// The slots are roots: a collection moves the cached String and updates its
// slot, so the next equal piece is the String where it is now (with slots
// the collector did not know, it would be the old address: a stale object).
TEST_F(Tier0Test, ThePieceCacheSurvivesCollections) {
  const types::Strings& strings = types().strings();
  heap::HandleScope scope(*t_->m);
  heap::Handle line(*t_->m, strings.make(*t_->m, "word word"));
  PieceCache* cache = PieceCache::of(t_);
  heap::Handle word(*t_->m, cache->piece(*t_->m, strings, line, 0, 4));
  const Value before = word.value();
  for (bool major : {false, true}) {
    ASSERT_TRUE(runtime_->heap().collect(*t_->m, major));
    EXPECT_EQ(cache->piece(*t_->m, strings, line, 5, 4), word.value()) << major;
  }
  EXPECT_NE(word.value(), before) << "the nursery's String was moved";
  EXPECT_EQ(Strings::view(word.value()), "word");
}

// A program's split: the pieces in order, repeated short ones and long
// ones, empty pieces kept; counting them with map_get_or counts each piece
// (under tier0-stress, with a collection at every allocation).
TEST_F(Tier0Test, ProgramsSplitTheSamePiecesWithTheCache) {
  const std::string long_word(PieceCache::kMaxBytes + 4, 'y');
  const std::string line = "\"b a  b " + long_word + " a " + long_word + "\"";
  EXPECT_EQ(
      eval(asm_calls::call("text_split", {"PUSH_CONST " + line, "PUSH_CONST \" \""}) + "RETURN"),
      "= [\"b\", \"a\", \"\", \"b\", \"" + long_word + "\", \"a\", \"" + long_word + "\"]");
  const std::string count =
      ".local map type Any slot 0 scope 0 end\n"
      ".local w type Any slot 1 scope 0 end\n"
      "NEW_MAP 0\nSTORE_LOCAL map\n" +
      asm_calls::call("text_split", {"PUSH_CONST " + line, "PUSH_CONST \" \""}) +
      "ITER_CREATE\nloop:\nITER_NEXT done\nSTORE_LOCAL w\n"
      "LOAD_LOCAL map\nLOAD_LOCAL w\n" +
      asm_calls::call("map_get_or", {"LOAD_LOCAL map", "LOAD_LOCAL w", "PUSH_CONST 0"}) +
      "PUSH_CONST 1\nADD\nSET_ITEM\nJUMP loop\ndone:\nLOAD_LOCAL map\nRETURN\nend:";
  EXPECT_EQ(eval(count), "= {\"b\": 2, \"a\": 2, \"\": 1, \"" + long_word + "\": 2}");
}

}  // namespace
}  // namespace runa::tier0
