// Iterators (docs/bytecode.md §2.5.4): every built-in iterable yields its
// items in order; a List or Dictionary changed between steps reports the
// change (ValueError) while a stored element does not; an iterator iterates
// itself; values that are not iterable are refused; and iterators survive
// collections that move them and their sources (under the types-stress
// label, a collection every few allocations).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runatime/ops.hpp"
#include "types/iterators.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;
using Status = Iterators::Status;

class IteratorsTest : public testing::SystemTest {
 protected:
  const Iterators& its() { return ts_->iterators(); }

  Value iterate(Value v) {
    HandleScope scope(m());
    Handle h(m(), v);
    Value it = 0;
    EXPECT_EQ(its().make(m(), h, &it), Status::kValue);
    return it;
  }
  // Every item until the end, collecting between steps. The items are kept
  // in a List, where the collector updates them; the vector is read from
  // it after the last step, so its values are current until the caller's
  // next allocation.
  std::vector<Value> drain(const Handle& it) {
    HandleScope scope(m());
    Handle seen(m(), lists_->make(m()));
    Handle item(m(), kNothing);
    Value v = 0;
    for (std::uint64_t step = 0;; ++step) {
      EXPECT_TRUE(heap_->collect(m(), step % 4 == 3));  // moves the iterator and its source
      const Status s = Iterators::next(it.value(), &v);
      if (s == Status::kEnd) break;
      EXPECT_EQ(s, Status::kValue);
      if (s != Status::kValue) break;
      item.set(v);
      EXPECT_TRUE(lists_->append(m(), seen, item));
    }
    std::vector<Value> out;
    for (std::uint64_t i = 0; i < Lists::size(seen.value()); ++i) {
      out.push_back(*Lists::get(seen.value(), i));
    }
    return out;
  }
  void append(const Handle& list, Value v) {
    HandleScope scope(m());
    Handle item(m(), v);
    ASSERT_TRUE(lists_->append(m(), list, item));
  }
  void put(const Handle& d, Value k) {
    HandleScope scope(m());
    Handle key(m(), k);
    Handle value(m(), make_small_int(0));
    dicts_->set(m(), d, key, value);
  }
};

TEST_F(IteratorsTest, AListYieldsItsItemsInOrder) {
  HandleScope scope(m());
  Handle list(m(), lists_->make(m()));
  for (int i = 0; i < 100; ++i) append(list, make_small_int(i * 3));
  Handle it(m(), iterate(list.value()));
  const std::vector<Value> got = drain(it);
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], make_small_int(i * 3));
  Value v = 0;
  EXPECT_EQ(Iterators::next(it.value(), &v), Status::kEnd) << "the end stays the end";
}

TEST_F(IteratorsTest, AListChangedInLengthIsReportedButAStoredElementIsNot) {
  HandleScope scope(m());
  Handle list(m(), lists_->make(m()));
  for (int i = 0; i < 3; ++i) append(list, make_small_int(i));
  Handle it(m(), iterate(list.value()));
  Value v = 0;
  ASSERT_EQ(Iterators::next(it.value(), &v), Status::kValue);
  ASSERT_TRUE(
      Lists::set(m(), list.value(), 2, make_small_int(42)));  // SET_ITEM: no change of shape
  ASSERT_EQ(Iterators::next(it.value(), &v), Status::kValue);
  ASSERT_EQ(Iterators::next(it.value(), &v), Status::kValue);
  EXPECT_EQ(v, make_small_int(42));
  // Append then pop: the length is as it was, the shape changed twice.
  append(list, make_small_int(7));
  ASSERT_TRUE(Lists::pop(m(), list.value()).has_value());
  EXPECT_EQ(Iterators::next(it.value(), &v), Status::kModified);
  EXPECT_EQ(Iterators::next(it.value(), &v), Status::kModified) << "it stays modified";
}

// A tier steps a List's iterator inline (runatime/ops.hpp, list_next):
// that reading of the iterator's layout agrees with Iterators::next item
// by item, and declines (so the tier asks iter_next) at the end, after a
// change of the List's shape, and for every other iterator.
TEST_F(IteratorsTest, TheTiersInlineListStepAgreesWithNext) {
  HandleScope scope(m());
  rt::ops::Shapes shapes;
  shapes.list = lists_->list_type();
  shapes.iterator = its().iterator_type();
  Handle list(m(), lists_->make(m()));
  for (int i = 0; i < 20; ++i) append(list, make_small_int(std::int64_t{i} * 7));
  Handle inline_it(m(), iterate(list.value()));
  Handle it(m(), iterate(list.value()));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(heap_->collect(m(), i % 4 == 3));  // moves the iterators and the List
    Value fast = 0;
    Value slow = 0;
    ASSERT_TRUE(rt::ops::list_next(shapes, inline_it.value(), &fast)) << i;
    ASSERT_EQ(Iterators::next(it.value(), &slow), Status::kValue);
    EXPECT_EQ(fast, slow);
    EXPECT_EQ(fast, make_small_int(std::int64_t{i} * 7));
  }
  Value v = 0;
  EXPECT_FALSE(rt::ops::list_next(shapes, inline_it.value(), &v)) << "the end";
  EXPECT_EQ(Iterators::next(inline_it.value(), &v), Status::kEnd);

  Handle changed(m(), iterate(list.value()));
  append(list, make_small_int(1));
  EXPECT_FALSE(rt::ops::list_next(shapes, changed.value(), &v)) << "the List changed";
  EXPECT_EQ(Iterators::next(changed.value(), &v), Status::kModified);

  Handle one(m(), make_small_int(1));
  Value* items[] = {one.slot()};
  Handle tuple_it(m(), iterate(tuples_->make(m(), items)));
  EXPECT_FALSE(rt::ops::list_next(shapes, tuple_it.value(), &v)) << "a Tuple's iterator";
  EXPECT_FALSE(rt::ops::list_next(shapes, list.value(), &v)) << "not an iterator";
}

TEST_F(IteratorsTest, ADictionaryYieldsItsKeysInInsertionOrderAndNoticesChanges) {
  HandleScope scope(m());
  Handle d(m(), dicts_->make(m()));
  const std::vector<std::string> words = {"pear", "apple", "fig", "kiwi"};
  for (const std::string& w : words) put(d, strings_->make(m(), w));
  Handle it(m(), iterate(d.value()));
  const std::vector<Value> keys = drain(it);
  ASSERT_EQ(keys.size(), words.size());
  for (std::size_t i = 0; i < words.size(); ++i) EXPECT_EQ(Strings::view(keys[i]), words[i]);

  Handle again(m(), iterate(d.value()));
  Value v = 0;
  ASSERT_EQ(Iterators::next(again.value(), &v), Status::kValue);
  put(d, strings_->make(m(), "plum"));
  EXPECT_EQ(Iterators::next(again.value(), &v), Status::kModified);
}

TEST_F(IteratorsTest, ASetYieldsItsMembersOnce) {
  HandleScope scope(m());
  Handle s(m(), sets_->make(m()));
  for (int i : {5, 1, 5, 3, 1}) {
    HandleScope inner(m());
    Handle key(m(), make_small_int(i));
    Handle unused(m(), kNothing);
    sets_->set(m(), s, key, unused);
  }
  Handle it(m(), iterate(s.value()));
  const std::vector<Value> got = drain(it);
  EXPECT_EQ(got, (std::vector<Value>{make_small_int(5), make_small_int(1), make_small_int(3)}));
}

TEST_F(IteratorsTest, ATupleYieldsItsElements) {
  HandleScope scope(m());
  Handle a(m(), make_small_int(1));
  Handle b(m(), strings_->make(m(), "two"));
  Value* items[] = {a.slot(), b.slot()};
  Handle t(m(), tuples_->make(m(), items));
  Handle it(m(), iterate(t.value()));
  const std::vector<Value> got = drain(it);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], make_small_int(1));
  EXPECT_EQ(Strings::view(got[1]), "two");
}

TEST_F(IteratorsTest, AStringYieldsItsCharactersNotItsBytes) {
  HandleScope scope(m());
  // Non-ASCII of every encoded length: 2 bytes (ï, é), 3 (€), 4 (𝄞).
  const std::u32string want = U"naïve €𝄞é";
  std::string utf8 = "na\xC3\xAFve \xE2\x82\xAC\xF0\x9D\x84\x9E\xC3\xA9";
  Handle s(m(), strings_->make(m(), utf8));
  Handle it(m(), iterate(s.value()));
  const std::vector<Value> got = drain(it);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_TRUE(is_character(got[i]));
    EXPECT_EQ(as_character(got[i]), static_cast<std::uint32_t>(want[i])) << i;
  }
}

TEST_F(IteratorsTest, ARopeIsFlattenedOnceAndIteratedWhole) {
  HandleScope scope(m());
  const std::string half(Strings::kMinRope, 'a');
  Handle x(m(), strings_->make(m(), half));
  Handle y(m(), strings_->make(m(), half + "b"));
  Handle rope(m(), strings_->concat(m(), x, y));
  ASSERT_FALSE(strings_->is_flat(rope.value()));
  Handle it(m(), iterate(rope.value()));
  const std::vector<Value> got = drain(it);
  ASSERT_EQ(got.size(), 2 * half.size() + 1);
  EXPECT_EQ(as_character(got.back()), static_cast<std::uint32_t>('b'));
}

TEST_F(IteratorsTest, AnIteratorIteratesItselfAndEmptySourcesEndAtOnce) {
  HandleScope scope(m());
  Handle list(m(), lists_->make(m()));
  Handle it(m(), iterate(list.value()));
  EXPECT_EQ(iterate(it.value()), it.value());
  Value v = 0;
  EXPECT_EQ(Iterators::next(it.value(), &v), Status::kEnd);
  Handle empty(m(), iterate(strings_->make(m(), "")));
  EXPECT_EQ(Iterators::next(empty.value(), &v), Status::kEnd);
}

TEST_F(IteratorsTest, ValuesThatAreNotIterableAreRefused) {
  HandleScope scope(m());
  for (Value v : {make_small_int(3), kNothing, kTrue, make_character('x')}) {
    Handle h(m(), v);
    Value it = 0;
    EXPECT_EQ(its().make(m(), h, &it), Status::kNotIterable);
  }
}

}  // namespace
}  // namespace runa::types
