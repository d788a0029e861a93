// Dictionary: semantics (numbers as keys across kinds, NaN, Characters and
// Strings, ropes, unhashable keys, insertion order, modification during
// iteration) and a property test against a std model over random
// operations, with collections moving everything (more of them under the
// types-stress label).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "types/dictionary.hpp"
#include "types/tuple.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;
using Status = Dictionaries::Status;

class DictionaryTest : public testing::SystemTest {
 protected:
  Value str(std::string_view s) { return strings_->make(m(), s); }
  Value integer(std::int64_t i) { return make_int(*cx_, m(), i); }
  Value real(double d) { return make_float(*cx_, m(), d); }

  Status set(const Handle& d, Value k, Value v) {
    HandleScope scope(m());
    Handle key(m(), k);
    Handle value(m(), v);
    return dicts_->set(m(), d, key, value);
  }
  std::optional<Value> get(const Handle& d, Value k) {
    HandleScope scope(m());
    Handle key(m(), k);
    Value out = 0;
    const Status s = dicts_->get(m(), d, key, &out);
    if (s == Status::kFound) return out;
    EXPECT_EQ(s, Status::kAbsent);
    return std::nullopt;
  }
  std::vector<std::pair<Value, Value>> items(const Handle& d) {
    std::vector<std::pair<Value, Value>> out;
    auto c = Dictionaries::begin(d.value());
    Value k = 0;
    Value v = 0;
    while (Dictionaries::next(d.value(), c, &k, &v) == Status::kFound) out.emplace_back(k, v);
    return out;
  }
};

// A dictionary without a table probes the shared group of empty slots
// (kNoTable): every kind of key misses, also after a collection moved the
// dictionary, and the first store makes the table.
TEST_F(DictionaryTest, WithoutATableEveryKeyMisses) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  for (int round = 0; round < 2; ++round) {
    for (std::int64_t i : {0, 1, -7, 1000003}) EXPECT_EQ(get(d, integer(i)), std::nullopt) << i;
    EXPECT_EQ(get(d, real(1.0)), std::nullopt);
    EXPECT_EQ(get(d, str("key")), std::nullopt);
    EXPECT_EQ(get(d, 0), std::nullopt);  // nothing
    EXPECT_EQ(Dictionaries::size(d.value()), 0u);
    heap_->collect(m());
    heap_->collect(m(), true);
  }
  EXPECT_EQ(set(d, integer(5), integer(50)), Status::kAbsent);
  EXPECT_EQ(get(d, integer(5)), integer(50));
  EXPECT_EQ(get(d, integer(6)), std::nullopt);
}

// get() hashes every key as a small Integer first and answers a slot
// holding the very same word (dictionary.hpp). In a dictionary of one
// group that guess names every key's true group, so keys of every kind are
// found there by their own words; equal keys that are other words, absent
// keys of every kind and an unhashable key still take the general path.
// Then again with 200 Integers besides, across many groups, where the
// guess names another group.
TEST_F(DictionaryTest, AKeyOfAnyKindIsFoundByItsOwnWord) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  Handle keys(m(), dicts_->make(m()));  // keeps the key objects alive and moving with the heap
  const std::int64_t big = std::int64_t{1} << 62;
  // Each made and stored at once: making the next may move it.
  const std::size_t count = 9;
  for (std::size_t i = 0; i < count; ++i) {
    const Value k = i == 0   ? integer(7)
                    : i == 1 ? integer(big)
                    : i == 2 ? real(2.5)
                    : i == 3 ? real(NAN)
                    : i == 4 ? str("a key")
                    : i == 5 ? kNothing
                    : i == 6 ? kTrue
                    : i == 7 ? make_character('x')
                             : integer(-3);
    ASSERT_EQ(set(keys, integer(static_cast<std::int64_t>(i)), k), Status::kAbsent);
  }
  auto key = [&](std::size_t i) { return *get(keys, integer(static_cast<std::int64_t>(i))); };
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < count; ++i) {
      ASSERT_EQ(set(d, key(i), integer(static_cast<std::int64_t>(100 + i))),
                round == 0 ? Status::kAbsent : Status::kFound)
          << i;
    }
    for (std::size_t i = 0; i < count; ++i) {
      EXPECT_EQ(get(d, key(i)), integer(static_cast<std::int64_t>(100 + i))) << i;
    }
    // Equal keys that are other words.
    EXPECT_EQ(get(d, integer(big)), integer(101));
    EXPECT_EQ(get(d, str("a key")), integer(104));
    EXPECT_EQ(get(d, str("x")), integer(107));
    EXPECT_EQ(get(d, real(7.0)), integer(100));
    EXPECT_EQ(get(d, real(std::nan("3"))), integer(103));
    // Absent keys of every kind.
    EXPECT_EQ(get(d, integer(8)), std::nullopt);
    EXPECT_EQ(get(d, integer(big + 1)), std::nullopt);
    EXPECT_EQ(get(d, real(2.25)), std::nullopt);
    EXPECT_EQ(get(d, str("another key")), std::nullopt);
    EXPECT_EQ(get(d, kFalse), std::nullopt);
    EXPECT_EQ(get(d, make_character('y')), std::nullopt);
    Value out = 0;
    EXPECT_EQ(dicts_->get(m(), d, keys, &out), Status::kUnhashable);
    heap_->collect(m(), true);
    for (std::int64_t i = 0; i < 200; ++i) set(d, integer(1000 + i), integer(i));
  }
}

TEST_F(DictionaryTest, NumbersAreOneKeyAcrossKinds) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  ASSERT_TRUE(dicts_->is_dictionary(d.value()));
  EXPECT_EQ(set(d, integer(1), integer(10)), Status::kAbsent);
  EXPECT_EQ(set(d, real(1.0), integer(11)), Status::kFound);  // the same key
  ASSERT_EQ(Dictionaries::size(d.value()), 1u);
  EXPECT_EQ(*get(d, integer(1)), integer(11));
  // The first key stays (1, not 1.0).
  EXPECT_EQ(items(d)[0].first, integer(1));
  // Boxed Integers (beyond 61 bits) and the Float equal to one.
  const std::int64_t big = std::int64_t{1} << 62;
  EXPECT_EQ(set(d, integer(big), integer(1)), Status::kAbsent);
  EXPECT_TRUE(get(d, real(0x1p62)).has_value());
  EXPECT_FALSE(get(d, integer(big + 1)).has_value());
  // 2^53 + 1 is not 2^53 as a Float: exact, not through double.
  EXPECT_EQ(set(d, integer((std::int64_t{1} << 53) + 1), integer(2)), Status::kAbsent);
  EXPECT_FALSE(get(d, real(0x1p53)).has_value());
  // -0.0 and 0 are one key; every NaN is one key.
  EXPECT_EQ(set(d, integer(0), integer(3)), Status::kAbsent);
  EXPECT_TRUE(get(d, real(-0.0)).has_value());
  EXPECT_EQ(set(d, real(std::nan("1")), integer(4)), Status::kAbsent);
  EXPECT_EQ(*get(d, real(std::nan("2"))), integer(4));
  EXPECT_EQ(set(d, real(2.5), integer(5)), Status::kAbsent);
  EXPECT_FALSE(get(d, integer(2)).has_value());
}

TEST_F(DictionaryTest, StringsCharactersAndRopes) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  EXPECT_EQ(set(d, str("n"), integer(1)), Status::kAbsent);
  EXPECT_EQ(*get(d, make_character('n')), integer(1));  // a Character is its one-Character String
  EXPECT_EQ(set(d, make_character(U'\u00e9'), integer(2)), Status::kAbsent);
  EXPECT_EQ(*get(d, str("\u00e9")), integer(2));
  // A long key built as a rope finds the flat key and the other way round.
  const std::string long_key(100, 'k');
  Handle a(m(), str(long_key.substr(0, 50)));
  Handle b(m(), str(long_key.substr(50)));
  Handle rope(m(), strings_->concat(m(), a, b));
  ASSERT_FALSE(strings_->is_flat(rope.value()));
  EXPECT_EQ(set(d, str(long_key), integer(3)), Status::kAbsent);
  EXPECT_EQ(*get(d, rope.value()), integer(3));
  EXPECT_EQ(set(d, rope.value(), integer(4)), Status::kFound);
  EXPECT_EQ(Dictionaries::size(d.value()), 3u);
  // nothing and Booleans are keys too.
  EXPECT_EQ(set(d, kNothing, integer(5)), Status::kAbsent);
  EXPECT_EQ(set(d, kTrue, integer(6)), Status::kAbsent);
  EXPECT_EQ(*get(d, kNothing), integer(5));
  EXPECT_FALSE(get(d, kFalse).has_value());
}

TEST_F(DictionaryTest, ADictionaryIsNotAKey) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  Handle other(m(), dicts_->make(m()));
  Handle key(m(), other.value());
  Handle value(m(), integer(1));
  EXPECT_EQ(dicts_->set(m(), d, key, value), Status::kUnhashable);
  Value out = 0;
  EXPECT_EQ(dicts_->get(m(), d, key, &out), Status::kUnhashable);
  EXPECT_EQ(Dictionaries::size(d.value()), 0u);
}

TEST_F(DictionaryTest, InsertionOrderSurvivesOverwritesRemovalsAndGrowth) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  for (int i = 0; i < 100; ++i) set(d, integer(i), integer(i));
  for (int i = 0; i < 100; i += 3) {
    HandleScope s(m());
    Handle key(m(), integer(i));
    EXPECT_EQ(dicts_->remove(m(), d, key), Status::kFound);
    EXPECT_EQ(dicts_->remove(m(), d, key), Status::kAbsent);
  }
  set(d, integer(50), integer(-50));                               // overwrite: keeps its place
  for (int i = 100; i < 400; ++i) set(d, integer(i), integer(i));  // grows, compacts
  std::vector<std::int64_t> keys;
  for (auto [k, v] : items(d)) {
    keys.push_back(as_int(k));
    if (as_int(k) == 50) {
      EXPECT_EQ(as_int(v), -50);
    }
  }
  std::vector<std::int64_t> expected;
  for (int i = 0; i < 400; ++i) {
    if (i >= 100 || i % 3 != 0) expected.push_back(i);
  }
  EXPECT_EQ(keys, expected);
}

TEST_F(DictionaryTest, IterationNoticesAChangeOfShapeButNotAnOverwrite) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  for (int i = 0; i < 3; ++i) set(d, integer(i), integer(i));
  auto c = Dictionaries::begin(d.value());
  Value k = 0;
  Value v = 0;
  ASSERT_EQ(Dictionaries::next(d.value(), c, &k, &v), Status::kFound);
  set(d, integer(1), integer(100));  // an existing key: fine
  ASSERT_EQ(Dictionaries::next(d.value(), c, &k, &v), Status::kFound);
  EXPECT_EQ(as_int(v), 100);
  set(d, integer(7), integer(7));  // a new key: the next step fails
  EXPECT_EQ(Dictionaries::next(d.value(), c, &k, &v), Status::kModified);
}

// The model's view of a key: the value's identity under key equality.
std::string model_key(const KeyRules& rules, Value v) {
  if (is_number(*rules.cx, v)) {
    if (is_float(*rules.cx, v)) {
      const double x = as_double(v);
      if (std::isnan(x)) return "nan";
      if (x == std::trunc(x) && std::fabs(x) < 0x1p63) return "i" + std::to_string(std::int64_t(x));
      return "f" + std::to_string(std::bit_cast<std::uint64_t>(x));
    }
    return "i" + std::to_string(as_int(v));
  }
  if (is_character(v)) {
    std::u32string one(1, static_cast<char32_t>(as_character(v)));
    std::string utf8;
    for (char32_t c : one) {
      if (c < 0x80)
        utf8 += static_cast<char>(c);
      else if (c < 0x800)
        utf8 += {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
      else
        utf8 += {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
                 static_cast<char>(0x80 | (c & 0x3F))};
    }
    return "s" + utf8;
  }
  return "s" + std::string(Strings::view(v));
}

// The table's sizing at its limit: 32-bit slot numbers name 2^32 slots, 2^28
// groups of 16, so a rebuild that would need more is refused (the set
// reports out of memory) rather than wrapping slot numbers.
TEST(DictionarySizing, GroupsDoubleAndStopAtTheSlotNumbersRange) {
  EXPECT_EQ(Dictionaries::groups_for(0), 1U);
  EXPECT_EQ(Dictionaries::groups_for(9), 1U);   // capacity 14 (7/8 of 16) holds 9 and 4 more
  EXPECT_EQ(Dictionaries::groups_for(10), 2U);  // 10 + 5 > 14
  // Filled by insertions: a full table rebuilds for its capacity + 1 and
  // gets twice the groups.
  for (std::uint64_t groups = 1; groups <= (std::uint64_t{1} << 27); groups *= 2) {
    EXPECT_EQ(Dictionaries::groups_for(groups * 16 * 7 / 8 + 1), 2 * groups) << groups;
  }
  // 2^28 groups have a capacity of 3,758,096,384 entries: the largest
  // table. It serves up to 2,505,397,589 live entries (1.5 times that
  // fits); one more would need 2^29 groups, whose slots 32 bits cannot
  // number.
  EXPECT_EQ(Dictionaries::groups_for(2'505'397'589), std::uint64_t{1} << 28);
  EXPECT_EQ(Dictionaries::groups_for(2'505'397'590), 0U);
  EXPECT_EQ(Dictionaries::groups_for(std::uint64_t{1} << 32), 0U);
  EXPECT_EQ(Dictionaries::groups_for(~std::uint64_t{0}), 0U);
}

// Keys whose hashes share the 7 control bits and the first group: each
// lookup matches every one of them in the control bytes and tells them
// apart by the slot; 30 of them overflow their group (16 slots) into the next ones
// of the probe sequence. Removing keys early in the sequence leaves deleted
// slots that lookups must step over; refilling reuses them after the
// rebuild that compacts the table.
TEST_F(DictionaryTest, KeysSharingControlBitsAndGroupOverflowIntoTheProbeSequence) {
  HandleScope scope(m());
  constexpr std::uint64_t kExpected = 200;
  const std::uint64_t mask = Dictionaries::groups_for(kExpected) - 1;
  ASSERT_GT(mask, 0U);
  const auto slot_bits = [&](std::int64_t i) {
    const std::uint64_t h = rules_->hash(make_small_int(i)) >> 3;
    return ((h >> 7) & mask) << 7 | (h & 0x7F);
  };
  std::vector<std::int64_t> same;
  for (std::int64_t i = 0; same.size() < 30; ++i) {
    if (slot_bits(i) == slot_bits(0)) same.push_back(i);
  }
  Handle d(m(), dicts_->make(m(), kExpected));
  for (std::size_t k = 0; k < same.size(); ++k) {
    set(d, integer(same[k]), integer(static_cast<std::int64_t>(k)));
  }
  for (std::size_t k = 0; k < same.size(); ++k) {
    EXPECT_EQ(get(d, integer(same[k])), integer(static_cast<std::int64_t>(k))) << k;
  }
  EXPECT_EQ(get(d, integer(same.back() + 1)), std::nullopt);
  for (std::size_t k = 0; k < 15; ++k) {
    HandleScope s(m());
    Handle key(m(), integer(same[k]));
    EXPECT_EQ(dicts_->remove(m(), d, key), Status::kFound);
  }
  heap_->collect(m(), true);
  for (std::size_t k = 0; k < same.size(); ++k) {
    EXPECT_EQ(get(d, integer(same[k])).has_value(), k >= 15) << k;
  }
  // Insertions and removals until several rebuilds have compacted the
  // table: its deleted slots come back as empty ones.
  for (int round = 0; round < 40; ++round) {
    for (std::size_t k = 0; k < 15; ++k) set(d, integer(same[k]), integer(round));
    for (std::size_t k = 0; k < 15; ++k) {
      HandleScope s(m());
      Handle key(m(), integer(same[k]));
      EXPECT_EQ(dicts_->remove(m(), d, key), Status::kFound);
    }
  }
  EXPECT_EQ(Dictionaries::size(d.value()), 15U);
  std::vector<std::int64_t> keys;
  for (auto [k, v] : items(d)) keys.push_back(as_int(k));
  EXPECT_EQ(keys, std::vector<std::int64_t>(same.begin() + 15, same.end()));
}

// Growth from one group to many, past the size from which the control
// array is a large object (which the heap never moves, and whose groups
// then start on a 16-byte boundary), with collections moving the keys
// between steps.
TEST_F(DictionaryTest, GrowthFromOneGroupToALargeIndex) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  const int n = testing::under_test_modes() ? 3000 : 20000;  // 20,000: 32 KiB of control bytes
  for (int i = 0; i < n; ++i) {
    HandleScope s(m());
    Handle key(m(), str("k" + std::to_string(i)));
    Handle value(m(), integer(i));
    ASSERT_EQ(dicts_->set(m(), d, key, value), Status::kAbsent) << i;
    if (i % 4096 == 0) heap_->collect(m(), i % 8192 == 0);
  }
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(get(d, str("k" + std::to_string(i))), integer(i)) << i;
    ASSERT_EQ(get(d, str("m" + std::to_string(i))), std::nullopt) << i;
  }
}

TEST_F(DictionaryTest, RandomOperationsMatchAnOrderedModel) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  std::map<std::string, std::int64_t> model;  // key -> value
  std::vector<std::string> order;             // the model's insertion order
  std::mt19937_64 rng(12345);
  const int steps = testing::under_test_modes() ? 3000 : 30000;
  for (int step = 0; step < steps; ++step) {
    HandleScope s(m());
    // Keys from a pool of 300 with several spellings each.
    const std::int64_t n = static_cast<std::int64_t>(rng() % 300);
    Value k = 0;
    switch (rng() % 5) {
      case 0:
        k = integer(n);
        break;
      case 1:
        k = real(static_cast<double>(n));
        break;
      case 2:
        k = integer(n + (std::int64_t{1} << 61));
        break;  // boxed
      case 3:
        k = str("key " + std::to_string(n));
        break;
      default:
        k = n < 128 ? make_character(static_cast<std::uint32_t>(n)) : real(n + 0.5);
        break;
    }
    Handle key(m(), k);
    const std::string mk = model_key(*rules_, k);
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      Handle value(m(), integer(step));
      const Status st = dicts_->set(m(), d, key, value);
      ASSERT_EQ(st, model.count(mk) ? Status::kFound : Status::kAbsent);
      if (!model.count(mk)) order.push_back(mk);
      model[mk] = step;
    } else if (op < 8) {
      Value out = 0;
      const Status st = dicts_->get(m(), d, key, &out);
      ASSERT_EQ(st, model.count(mk) ? Status::kFound : Status::kAbsent) << mk;
      if (st == Status::kFound) {
        ASSERT_EQ(as_int(out), model[mk]);
      }
    } else {
      const Status st = dicts_->remove(m(), d, key);
      ASSERT_EQ(st, model.count(mk) ? Status::kFound : Status::kAbsent);
      if (model.erase(mk) != 0) std::erase(order, mk);
    }
    ASSERT_EQ(Dictionaries::size(d.value()), model.size());
    if (step % 1000 == 0) heap_->collect(m(), step % 3000 == 0);
  }
  std::vector<std::string> seen;
  for (auto [k, v] : items(d)) {
    seen.push_back(model_key(*rules_, k));
    EXPECT_EQ(as_int(v), model[seen.back()]);
  }
  EXPECT_EQ(seen, order);
}

}  // namespace
}  // namespace runa::types

namespace runa::types {
namespace {

// Sets are Dictionaries of their own type; Tuples are keys by element.
using SetTupleTest = testing::SystemTest;

TEST_F(SetTupleTest, TuplesAreKeysByTheirElements) {
  heap::HandleScope scope(m());
  heap::Handle a(m(), make_small_int(1));
  heap::Handle b(m(), strings_->make(m(), std::string(40, 'x')));
  heap::Handle c(m(), strings_->make(m(), std::string(40, 'y')));
  heap::Handle rope(m(), strings_->concat(m(), b, c));  // flattened by the Tuple
  std::vector<Value*> items{a.slot(), rope.slot()};
  heap::Handle t1(m(), tuples_->make(m(), items));
  heap::Handle flat(m(), strings_->make(m(), std::string(40, 'x') + std::string(40, 'y')));
  heap::Handle f(m(), make_float(*cx_, m(), 1.0));
  std::vector<Value*> items2{f.slot(), flat.slot()};
  heap::Handle t2(m(), tuples_->make(m(), items2));
  ASSERT_TRUE(tuples_->is_tuple(t1.value()));
  EXPECT_EQ(Tuples::size(t1.value()), 2u);
  EXPECT_TRUE(rules_->hashable(t1.value()));
  EXPECT_TRUE(rules_->equal(t1.value(), t2.value()));  // 1 == 1.0, equal text
  EXPECT_EQ(rules_->hash(t1.value()), rules_->hash(t2.value()));

  heap::Handle d(m(), dicts_->make(m()));
  heap::Handle v(m(), make_small_int(5));
  EXPECT_EQ(dicts_->set(m(), d, t1, v), Dictionaries::Status::kAbsent);
  Value out = 0;
  EXPECT_EQ(dicts_->get(m(), d, t2, &out), Dictionaries::Status::kFound);
  EXPECT_EQ(out, make_small_int(5));

  // A Tuple holding a Set is not hashable.
  heap::Handle s(m(), sets_->make(m()));
  std::vector<Value*> holds_set{s.slot()};
  heap::Handle t3(m(), tuples_->make(m(), holds_set));
  EXPECT_FALSE(rules_->hashable(t3.value()));
  EXPECT_EQ(dicts_->set(m(), d, t3, v), Dictionaries::Status::kUnhashable);
}

TEST_F(SetTupleTest, SetsHoldEachKeyOnce) {
  heap::HandleScope scope(m());
  heap::Handle s(m(), sets_->make(m()));
  EXPECT_TRUE(sets_->is_dictionary(s.value()));
  EXPECT_FALSE(dicts_->is_dictionary(s.value()));
  heap::Handle one(m(), make_small_int(1));
  heap::Handle one_f(m(), make_float(*cx_, m(), 1.0));
  heap::Handle yes(m(), kTrue);
  EXPECT_EQ(sets_->set(m(), s, one, yes), Dictionaries::Status::kAbsent);
  EXPECT_EQ(sets_->set(m(), s, one_f, yes), Dictionaries::Status::kFound);
  EXPECT_EQ(Dictionaries::size(s.value()), 1u);
  EXPECT_FALSE(rules_->hashable(s.value()));
}

}  // namespace
}  // namespace runa::types
