// Type and Module values: one per thing (EQ is identity), kept across
// collections that move them, and made once even when two threads ask for
// the same type at the same time.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "types/pointer_values.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;

class PointerValuesTest : public testing::SystemTest {
 protected:
  PointerValues& tv() { return ts_->type_values(); }
};

TEST_F(PointerValuesTest, OneValuePerDescriptorKeptAcrossCollections) {
  TypeRegistry& reg = ts_->registry();
  const TypeDesc* integer = reg.primitive(Kind::kInteger);
  const TypeDesc* list = reg.list_of(integer);
  HandleScope scope(m());
  Handle a(m(), tv().get(m(), integer));
  Handle b(m(), tv().get(m(), list));
  ASSERT_TRUE(tv().is_value(a.value()));
  EXPECT_NE(a.value(), b.value());
  ASSERT_TRUE(heap_->collect(m(), false));
  ASSERT_TRUE(heap_->collect(m(), true));
  EXPECT_EQ(tv().get(m(), integer), a.value()) << "the same object, wherever it moved";
  EXPECT_EQ(PointerValues::pointer(a.value()), integer);
  EXPECT_EQ(PointerValues::pointer(b.value()), list);
  EXPECT_FALSE(tv().is_value(make_small_int(1)));
  // Module values are the same mechanism over another layout: never Type values.
  int module_stand_in = 0;
  Handle mod(m(), ts_->module_values().get(m(), &module_stand_in));
  EXPECT_TRUE(ts_->module_values().is_value(mod.value()));
  EXPECT_FALSE(tv().is_value(mod.value()));
  EXPECT_EQ(PointerValues::pointer(mod.value()), &module_stand_in);
}

// The race: two threads miss the table for the same descriptor, both
// allocate, and the second to take the lock must return the first one's
// value, not its own. Each thread asks for every descriptor and keeps the
// answers in its own List (held by a persistent handle, so collections
// update them); afterwards the two Lists must hold the same objects.
TEST_F(PointerValuesTest, TwoThreadsAskingAtOnceGetOneValue) {
  TypeRegistry& reg = ts_->registry();
  std::vector<const TypeDesc*> types;
  const TypeDesc* t = reg.primitive(Kind::kInteger);
  for (int i = 0; i < 200; ++i) {
    types.push_back(t);
    t = reg.list_of(t);  // List[Integer], List[List[Integer]], ...
  }
  heap::Persistent kept[2] = {{*heap_, lists_->make(m())}, {*heap_, lists_->make(m())}};
  auto ask = [&](int who) {
    heap::Mutator& mine = heap_->attach();
    {
      HandleScope scope(mine);
      Handle got(mine, kept[who].value());
      for (const TypeDesc* d : types) {
        HandleScope inner(mine);
        Handle v(mine, tv().get(mine, d));
        EXPECT_TRUE(lists_->append(mine, got, v));
      }
    }
    heap_->detach(mine);
  };
  {
    heap::NativeRegion region(m());  // this thread waits: it must not delay a collection
    std::thread a(ask, 0);
    std::thread b(ask, 1);
    a.join();
    b.join();
  }
  ASSERT_EQ(Lists::size(kept[0].value()), types.size());
  ASSERT_EQ(Lists::size(kept[1].value()), types.size());
  for (std::size_t i = 0; i < types.size(); ++i) {
    const Value x = *Lists::get(kept[0].value(), i);
    EXPECT_EQ(x, *Lists::get(kept[1].value(), i)) << i;
    EXPECT_EQ(PointerValues::pointer(x), types[i]);
    EXPECT_EQ(tv().get(m(), types[i]), x);  // found: allocates nothing
  }
}

}  // namespace
}  // namespace runa::types
