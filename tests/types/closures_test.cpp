// Functions, closures and cells (docs/bytecode.md §2.5.3): CLOSURE's
// captures share one variable through a cell, LAMBDA's are copies; a
// function's arity and VARARGS decide which calls and Function types it
// fits; everything survives collections that move it, including a closure
// with a tail long enough to be allocated old, whose young cells only the
// write barrier keeps alive.
#include <gtest/gtest.h>

#include <vector>

#include "types/closures.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;

class ClosuresTest : public testing::SystemTest {
 protected:
  const Closures& cl() { return ts_->closures(); }
  void collect(bool major) { ASSERT_TRUE(heap_->collect(m(), major)); }
  Value function(std::uint64_t code, std::uint32_t arity, bool varargs, std::uint32_t upvalues) {
    const Value f = cl().make_function(m(), code, arity, varargs, upvalues);
    EXPECT_NE(f, kNothing);
    return f;
  }
};

TEST_F(ClosuresTest, AFunctionKeepsItsCodeWordArityAndUpvalueCountAcrossMoves) {
  HandleScope scope(m());
  const std::uint64_t code = 0xFFFF'0000'1234'5678ULL;  // any word: never read as a reference
  Handle f(m(), function(code, 3, false, 2));
  collect(false);
  collect(true);
  EXPECT_TRUE(cl().is_function(f.value()));
  EXPECT_FALSE(cl().is_closure(f.value()));
  EXPECT_EQ(Closures::code(f.value()), code);
  EXPECT_EQ(Closures::arity(f.value()), 3u);
  EXPECT_FALSE(Closures::varargs(f.value()));
  EXPECT_EQ(Closures::upvalue_count(f.value()), 2u);
}

TEST_F(ClosuresTest, ACallFitsTheArityOrForVarargsAllButTheGatheringParameter) {
  HandleScope scope(m());
  Handle exact(m(), function(1, 2, false, 0));
  Handle var(m(), function(2, 2, true, 0));
  EXPECT_FALSE(cl().accepts(exact.value(), 1));
  EXPECT_TRUE(cl().accepts(exact.value(), 2));
  EXPECT_FALSE(cl().accepts(exact.value(), 3));
  EXPECT_FALSE(cl().accepts(var.value(), 0));
  EXPECT_TRUE(cl().accepts(var.value(), 1));  // the List of the rest is empty
  EXPECT_TRUE(cl().accepts(var.value(), 5));
  Handle c(m(), cl().make_closure(m(), exact, {}));
  EXPECT_TRUE(cl().accepts(c.value(), 2)) << "a closure takes its function's arity";
}

TEST_F(ClosuresTest, ClosuresOverOneCellShareTheVariable) {
  HandleScope scope(m());
  Handle f(m(), function(7, 0, false, 1));
  Handle start(m(), make_small_int(0));
  Handle cell(m(), cl().make_cell(m(), start));
  Value* captures[] = {cell.slot()};
  Handle a(m(), cl().make_closure(m(), f, captures));
  Handle b(m(), cl().make_closure(m(), f, captures));
  collect(false);
  // STORE_UPVALUE through a closure whose upvalue is a cell writes the cell.
  Closures::set_cell(m(), Closures::upvalue(a.value(), 0), make_small_int(41));
  collect(true);
  EXPECT_EQ(Closures::cell_value(Closures::upvalue(b.value(), 0)), make_small_int(41));
  EXPECT_EQ(Closures::cell_value(cell.value()), make_small_int(41)) << "the maker sees it too";
  EXPECT_EQ(Closures::function_of(a.value()), f.value());
  EXPECT_EQ(Closures::upvalue(a.value(), 0), Closures::upvalue(b.value(), 0));
}

TEST_F(ClosuresTest, ALambdaCopiesTheValuesItCaptures) {
  HandleScope scope(m());
  Handle f(m(), function(8, 1, false, 2));
  Handle x(m(), make_small_int(10));
  Handle s(m(), strings_->make(m(), "captured"));
  Value* captures[] = {x.slot(), s.slot()};
  Handle first(m(), cl().make_closure(m(), f, captures));
  Handle second(m(), cl().make_closure(m(), f, captures));
  Closures::set_upvalue(m(), first.value(), 0, make_small_int(11));
  collect(false);
  EXPECT_EQ(Closures::upvalue(first.value(), 0), make_small_int(11));
  EXPECT_EQ(Closures::upvalue(second.value(), 0), make_small_int(10)) << "its own copy only";
  EXPECT_EQ(Strings::view(Closures::upvalue(second.value(), 1)), "captured");
}

// 2,000 upvalues make a closure of more than 8 KiB: allocate_array puts it
// in the large-object space, born old (and remembered). Its young cells are
// reachable only through it; after collections a young value stored by
// STORE_UPVALUE into it is kept alive only by set_upvalue's barrier (checked
// when it is missing: heap verification, on under the types-stress label,
// stops at the unremembered slot).
TEST_F(ClosuresTest, AClosureBornOldKeepsItsYoungCellsAndLaterStoresAlive) {
  HandleScope scope(m());
  constexpr std::uint32_t kUpvalues = 2000;
  Handle f(m(), function(9, 0, false, kUpvalues));
  Handle cells(m(), lists_->make(m()));
  for (std::uint32_t i = 0; i < kUpvalues; ++i) {
    HandleScope inner(m());
    Handle v(m(), make_small_int(i));
    Handle c(m(), cl().make_cell(m(), v));
    ASSERT_TRUE(lists_->append(m(), cells, c));
  }
  std::vector<Handle> slots;
  std::vector<Value*> captures;
  slots.reserve(kUpvalues);
  for (std::uint32_t i = 0; i < kUpvalues; ++i) {
    slots.emplace_back(m(), *Lists::get(cells.value(), i));
    captures.push_back(slots.back().slot());
  }
  Handle big(m(), cl().make_closure(m(), f, captures));
  ASSERT_NE(big.value(), kNothing);
  cells.set(kNothing);
  for (Handle& h : slots) h.set(kNothing);  // the closure is the cells' only holder now
  collect(false);
  collect(true);
  for (std::uint32_t i = 0; i < kUpvalues; ++i) {
    const Value c = Closures::upvalue(big.value(), i);
    ASSERT_TRUE(cl().is_cell(c)) << i;
    EXPECT_EQ(Closures::cell_value(c), make_small_int(i));
  }
  collect(false);  // a minor finds it without young references: no longer remembered
  // The closure is old and clean now: a young String stored into its tail
  // (and into a cell promoted with it) must be remembered by the barrier.
  Closures::set_upvalue(m(), big.value(), 1500, strings_->make(m(), "late upvalue"));
  Closures::set_cell(m(), Closures::upvalue(big.value(), 7), strings_->make(m(), "late cell"));
  collect(false);
  collect(false);
  EXPECT_EQ(Strings::view(Closures::upvalue(big.value(), 1500)), "late upvalue");
  EXPECT_EQ(Strings::view(Closures::cell_value(Closures::upvalue(big.value(), 7))), "late cell");
}

TEST_F(ClosuresTest, CallablesAreInstancesOfTheFunctionTypesOfTheirArity) {
  HandleScope scope(m());
  TypeRegistry& reg = ts_->registry();
  const TypeDesc* integer = reg.primitive(Kind::kInteger);
  const TypeDesc* one[] = {integer};
  const TypeDesc* two[] = {integer, integer};
  const TypeDesc* unary = reg.function_of(one, integer);
  const TypeDesc* binary = reg.function_of(two, integer);
  Handle f(m(), function(1, 1, false, 0));
  EXPECT_TRUE(ts_->instance_of(f.value(), unary));
  EXPECT_FALSE(ts_->instance_of(f.value(), binary));
  EXPECT_FALSE(ts_->instance_of(make_small_int(1), unary));
  Handle cell(m(), cl().make_cell(m(), f));
  EXPECT_FALSE(ts_->instance_of(cell.value(), unary)) << "a cell is not callable";
}

}  // namespace
}  // namespace runa::types
