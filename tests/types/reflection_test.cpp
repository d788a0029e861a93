// TypeSystem and reflection: the type of every kind of value, INSTANCEOF
// and CAST by the rules of docs/bytecode.md §2.5.5, and fields by name
// with their PRIVATE, READONLY and declared-type rules.
#include <gtest/gtest.h>

#include <cmath>

#include "types/reflection.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;

class ReflectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto o = heap::options_from_env(testing::small_options());
    ASSERT_TRUE(o.ok());
    heap_ = std::move(heap::Heap::create(*o).value());
    ts_ = std::move(TypeSystem::create(*heap_).value());
    m_ = &heap_->attach();
    auto loaded = ts_->registry().load(testing::assembled(R"(
.type 1 primitive Integer
.type 2 primitive String
.type 3 struct Account
  .field owner type String
  .field balance type Integer
  .field id type Integer flags READONLY
  .field secret type String flags PRIVATE
.type 4 struct Savings
  .field owner type String
  .field balance type Integer
  .field id type Integer flags READONLY
  .field secret type String flags PRIVATE
  .field rate type Integer
.meta supertypes Savings Account
.function 1 main type "()->Integer"
  PUSH_CONST 0
  RETURN
.end
.type 5 function "()->Integer" params returns Integer
)"));
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    module_ = *loaded;
  }
  void TearDown() override {
    heap_->detach(*m_);
    ts_.reset();
  }
  const TypeDesc* prim(Kind k) { return ts_->registry().primitive(k); }
  Value instance(const char* type) {
    const TypeDesc* t = module_->type(type);
    return heap::ref_value(
        heap::allocate(*m_, t->heap_layout, heap_->layout(t->heap_layout)->size));
  }

  std::unique_ptr<heap::Heap> heap_;
  std::unique_ptr<TypeSystem> ts_;
  heap::Mutator* m_ = nullptr;
  const ModuleTypes* module_ = nullptr;
};

TEST_F(ReflectionTest, TypeOfEveryKindOfValue) {
  HandleScope scope(*m_);
  const Context& cx = ts_->context();
  EXPECT_EQ(ts_->type_of(kNothing), prim(Kind::kNothing));
  EXPECT_EQ(ts_->type_of(kTrue), prim(Kind::kBoolean));
  EXPECT_EQ(ts_->type_of(make_small_int(3)), prim(Kind::kInteger));
  EXPECT_EQ(ts_->type_of(make_int(cx, *m_, INT64_MAX)), prim(Kind::kInteger));  // boxed
  EXPECT_EQ(ts_->type_of(make_float(cx, *m_, 0.5)), prim(Kind::kFloat));
  EXPECT_EQ(ts_->type_of(make_float(cx, *m_, 1e-300)), prim(Kind::kFloat));  // boxed
  EXPECT_EQ(ts_->type_of(make_character('x')), prim(Kind::kCharacter));
  EXPECT_EQ(ts_->type_of(ts_->strings().make(*m_, "s")), prim(Kind::kString));
  EXPECT_EQ(ts_->type_of(ts_->lists().make(*m_))->name, "List[Any]");
  EXPECT_EQ(ts_->type_of(ts_->dictionaries().make(*m_))->name, "Dictionary[Any, Any]");
  EXPECT_EQ(ts_->type_of(ts_->sets().make(*m_)), prim(Kind::kSet));
  std::vector<Value*> none;
  EXPECT_EQ(ts_->type_of(ts_->tuples().make(*m_, none)), prim(Kind::kTuple));
  EXPECT_EQ(ts_->type_of(instance("Savings")), module_->type("Savings"));
}

TEST_F(ReflectionTest, InstanceOfAndCast) {
  HandleScope scope(*m_);
  TypeRegistry& r = ts_->registry();
  Handle savings(*m_, instance("Savings"));
  const TypeDesc* account = module_->type("Account");
  EXPECT_TRUE(ts_->instance_of(savings.value(), account));
  EXPECT_TRUE(ts_->instance_of(savings.value(), prim(Kind::kAny)));
  EXPECT_FALSE(ts_->instance_of(instance("Account"), module_->type("Savings")));
  EXPECT_TRUE(ts_->instance_of(kNothing, r.optional_of(account)));
  EXPECT_TRUE(ts_->instance_of(savings.value(), r.optional_of(account)));
  const TypeDesc* int_or_string[] = {prim(Kind::kInteger), prim(Kind::kString)};
  EXPECT_TRUE(ts_->instance_of(make_small_int(1), r.union_of(int_or_string)));
  EXPECT_FALSE(ts_->instance_of(kTrue, r.union_of(int_or_string)));
  // A List is of every List type: elements are not checked.
  EXPECT_TRUE(ts_->instance_of(ts_->lists().make(*m_), r.list_of(prim(Kind::kString))));
  EXPECT_FALSE(ts_->instance_of(make_small_int(1), prim(Kind::kFloat)));

  Handle one(*m_, make_small_int(1));
  auto f = ts_->cast(*m_, one, prim(Kind::kFloat));  // Integer -> Float
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(as_double(*f), 1.0);
  EXPECT_EQ(*ts_->cast(*m_, savings, account), savings.value());
  EXPECT_FALSE(ts_->cast(*m_, one, prim(Kind::kString)).has_value());
  EXPECT_EQ(ts_->cast_error(one.value(), prim(Kind::kString)), "cannot cast Integer 1 to String");
  Handle long_text(
      *m_, ts_->strings().make(*m_, std::string(30, 'a') + "\u00e9\u00e9\u00e9\u00e9\u00e9"));
  EXPECT_EQ(ts_->cast_error(long_text.value(), prim(Kind::kInteger)),
            "cannot cast String \"" + std::string(30, 'a') + "\u00e9\u00e9\u00e9... to Integer");
}

TEST_F(ReflectionTest, FieldsByNameKeepTheirRules) {
  HandleScope scope(*m_);
  Handle a(*m_, instance("Savings"));
  Handle owner(*m_, ts_->strings().make(*m_, "Ada"));
  Handle ten(*m_, make_small_int(10));
  ASSERT_TRUE(set_field(*ts_, *m_, a, "owner", owner).ok());
  ASSERT_TRUE(set_field(*ts_, *m_, a, "rate", ten).ok());
  heap_->collect(*m_, true);
  EXPECT_EQ(Strings::view(*get_field(*ts_, a.value(), "owner")), "Ada");
  EXPECT_EQ(*get_field(*ts_, a.value(), "rate"), make_small_int(10));
  EXPECT_EQ(*get_field(*ts_, a.value(), "balance"), kNothing);  // fields start as nothing

  auto missing = get_field(*ts_, a.value(), "colour");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().describe(), "reflection: Savings has no field \"colour\"");
  EXPECT_FALSE(get_field(*ts_, a.value(), "secret").ok());
  auto ro = set_field(*ts_, *m_, a, "id", ten);
  ASSERT_FALSE(ro.ok());
  EXPECT_NE(ro.error().message.find("READONLY"), std::string::npos);
  auto wrong = set_field(*ts_, *m_, a, "balance", owner);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "field \"balance\" of Savings holds Integer, not String");
  EXPECT_FALSE(get_field(*ts_, make_small_int(1), "x").ok());
}

}  // namespace
}  // namespace runa::types
