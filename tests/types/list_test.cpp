// List: bounds, growth with the range barrier, SPREAD into itself, and a
// property test against std::vector across collections (more of them under
// the types-stress label).
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <vector>

#include "types/list.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;

class ListTest : public testing::SystemTest {
 protected:
  bool append(const Handle& l, Value v) {
    HandleScope scope(m());
    Handle h(m(), v);
    return lists_->append(m(), l, h);
  }
};

TEST_F(ListTest, BoundsAreCheckedEverywhere) {
  HandleScope scope(m());
  Handle l(m(), lists_->make(m()));
  ASSERT_TRUE(lists_->is_list(l.value()));
  EXPECT_EQ(Lists::size(l.value()), 0u);
  EXPECT_FALSE(Lists::get(l.value(), 0).has_value());
  EXPECT_FALSE(Lists::set(m(), l.value(), 0, make_small_int(1)));  // index == length
  EXPECT_FALSE(Lists::pop(m(), l.value()).has_value());
  ASSERT_TRUE(append(l, make_small_int(7)));
  EXPECT_EQ(*Lists::get(l.value(), 0), make_small_int(7));
  EXPECT_FALSE(Lists::get(l.value(), 1).has_value());
  EXPECT_TRUE(Lists::set(m(), l.value(), 0, make_small_int(8)));
  EXPECT_FALSE(Lists::set(m(), l.value(), 1, make_small_int(9)));
  EXPECT_EQ(*Lists::pop(m(), l.value()), make_small_int(8));
  EXPECT_EQ(Lists::size(l.value()), 0u);
  // A List is not a Dictionary key.
  EXPECT_FALSE(rules_->hashable(l.value()));
}

// Young strings appended to a List whose storage is old (promoted, or big
// enough to be born old): every one must survive minor collections, which
// only the barrier (per element or per range on growth) can ensure.
TEST_F(ListTest, GrowthKeepsYoungElementsAliveInOldStorage) {
  HandleScope scope(m());
  Handle l(m(), lists_->make(m(), 20000));  // storage above the large-object size
  heap_->collect(m(), true);
  // Under the test modes every few allocations verify the whole heap: fewer.
  const int n = testing::under_test_modes() ? 3000 : 50000;
  for (int i = 0; i < n; ++i) {
    HandleScope inner(m());
    Handle s(m(), strings_->make(m(), "element " + std::to_string(i)));
    ASSERT_TRUE(lists_->append(m(), l, s));
    if (i % 1000 == 0) heap_->collect(m());
  }
  heap_->collect(m());
  ASSERT_EQ(Lists::size(l.value()), static_cast<std::uint64_t>(n));
  for (int i = 0; i < n; i += 97) {
    EXPECT_EQ(Strings::view(*Lists::get(l.value(), static_cast<std::uint64_t>(i))),
              "element " + std::to_string(i));
  }
  if (!testing::under_test_modes()) {
    EXPECT_EQ(heap_->verify(m()), std::nullopt);
  }
}

TEST_F(ListTest, ExtendWithItselfDoublesTheElements) {
  HandleScope scope(m());
  Handle l(m(), lists_->make(m()));
  for (int i = 0; i < 5; ++i) append(l, make_small_int(i));
  ASSERT_TRUE(lists_->extend(m(), l, l));
  ASSERT_EQ(Lists::size(l.value()), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(*Lists::get(l.value(), i), make_small_int(static_cast<std::int64_t>(i % 5)));
  }
}

TEST_F(ListTest, RandomOperationsMatchAVector) {
  HandleScope scope(m());
  Handle l(m(), lists_->make(m()));
  std::vector<std::string> model;
  std::mt19937_64 rng(99);
  const int steps = testing::under_test_modes() ? 2000 : 20000;
  for (int step = 0; step < steps; ++step) {
    HandleScope inner(m());
    const std::string text = "v" + std::to_string(step);
    switch (rng() % 4) {
      case 0:
      case 1: {
        Handle s(m(), strings_->make(m(), text));
        ASSERT_TRUE(lists_->append(m(), l, s));
        model.push_back(text);
        break;
      }
      case 2: {
        const std::uint64_t i = model.empty() ? 0 : rng() % (model.size() + 1);
        Handle s(m(), strings_->make(m(), text));
        const bool ok = Lists::set(m(), l.value(), i, s.value());
        ASSERT_EQ(ok, i < model.size());
        if (ok) model[i] = text;
        break;
      }
      default: {
        auto v = Lists::pop(m(), l.value());
        ASSERT_EQ(v.has_value(), !model.empty());
        if (v) {
          ASSERT_EQ(Strings::view(*v), model.back());
          model.pop_back();
        }
      }
    }
    if (step % 2500 == 0) heap_->collect(m(), step % 5000 == 0);
  }
  ASSERT_EQ(Lists::size(l.value()), model.size());
  for (std::uint64_t i = 0; i < model.size(); ++i) {
    EXPECT_EQ(Strings::view(*Lists::get(l.value(), i)), model[i]);
  }
}

}  // namespace
}  // namespace runa::types
