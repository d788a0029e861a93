// Exceptions (docs/bytecode.md §2.5.2): the runtime's exception types form
// their hierarchy; an exception object keeps its message, cause and trace
// through collections; a module's External type of a runtime exception's
// name is the runtime's descriptor, so a catch clause on it matches what the
// runtime throws, while an External type with a layout stays the module's.
#include <gtest/gtest.h>

#include <string>

#include "types/exceptions.hpp"
#include "types/runtime_module.hpp"
#include "types_fixture.hpp"

namespace runa::types {
namespace {

using heap::Handle;
using heap::HandleScope;

class ExceptionsTest : public testing::SystemTest {
 protected:
  const Exceptions& ex() { return ts_->exceptions(); }
  const TypeDesc* type(std::string_view name) {
    const TypeDesc* t = ex().type(name);
    EXPECT_NE(t, nullptr) << name;
    return t;
  }
  const ModuleTypes* load(const std::string& text) {
    auto m = module::assemble(text, "test.runas");
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().describe());
    if (!m.ok()) return nullptr;
    EXPECT_TRUE(module::verify(*m).ok());
    auto loaded = ts_->registry().load(*m);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().describe());
    return loaded.ok() ? *loaded : nullptr;
  }
};

TEST_F(ExceptionsTest, TheRuntimeModuleVerifies) {
  auto v = module::verify(runtime_module());
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().describe());
}

TEST_F(ExceptionsTest, TheRuntimeTypesFormTheirHierarchy) {
  const TypeDesc* root = type("Exception");
  int exceptions = 0;
  for (const RuntimeType& r : kRuntimeTypes) {
    const TypeDesc* t = ex().type(r.name);
    if (r.name == "Result" || r.name == "Ok" || r.name == "Err") {
      EXPECT_EQ(t, nullptr) << r.name << " is a runtime type but no exception";
      continue;
    }
    ASSERT_NE(t, nullptr) << r.name;
    ++exceptions;
    EXPECT_EQ(t->kind, Kind::kStruct);
    EXPECT_TRUE(is_struct_subtype(t, root)) << r.name;
    ASSERT_GE(t->fields.size(), 3u);
    EXPECT_EQ(t->fields[0].name, "message");
    EXPECT_EQ(t->fields[1].name, "cause");
    EXPECT_EQ(t->fields[2].name, "trace");
  }
  EXPECT_EQ(exceptions, 16);
  const TypeDesc* arithmetic = type("ArithmeticError");
  EXPECT_TRUE(is_struct_subtype(type("DivisionByZero"), arithmetic));
  EXPECT_TRUE(is_struct_subtype(type("OverflowError"), arithmetic));
  EXPECT_FALSE(is_struct_subtype(type("TypeError"), arithmetic));
  EXPECT_FALSE(is_struct_subtype(root, arithmetic));
  EXPECT_EQ(ex().type("NoSuchError"), nullptr);
}

TEST_F(ExceptionsTest, AnExceptionKeepsItsMessageCauseAndTraceThroughCollections) {
  HandleScope scope(m());
  Handle first(m(), ex().make(m(), type("KeyError"), "key \"x\" is absent"));
  ASSERT_NE(first.value(), kNothing);
  Handle message(m(), strings_->make(m(), "index 9 is outside 0 .. 2"));
  Handle e(m(), ex().make(m(), type("IndexError"), message, first));
  ASSERT_NE(e.value(), kNothing);
  Handle trace(m(), lists_->make(m()));
  ASSERT_TRUE(ex().add_frame(m(), trace, "lookup", "table.runa", 12));
  ASSERT_TRUE(ex().add_frame(m(), trace, "main", "table.runa", 30));
  Exceptions::set_trace(m(), e.value(), trace.value());
  ASSERT_TRUE(heap_->collect(m(), false));
  ASSERT_TRUE(heap_->collect(m(), true));

  EXPECT_TRUE(ex().is_exception(e.value()));
  EXPECT_TRUE(ts_->instance_of(e.value(), type("Exception")));
  EXPECT_FALSE(ts_->instance_of(e.value(), type("ArithmeticError")));
  EXPECT_EQ(ts_->type_of(e.value()), type("IndexError"));
  EXPECT_EQ(Strings::view(Exceptions::message(e.value())), "index 9 is outside 0 .. 2");
  const Value cause = Exceptions::cause(e.value());
  EXPECT_EQ(ts_->type_of(cause), type("KeyError"));
  EXPECT_EQ(Strings::view(Exceptions::message(cause)), "key \"x\" is absent");
  EXPECT_EQ(Exceptions::cause(cause), kNothing);
  const Value frames = Exceptions::trace(e.value());
  ASSERT_EQ(Lists::size(frames), 2u);
  const Value top = *Lists::get(frames, 0);
  EXPECT_EQ(Strings::view(*Tuples::get(top, 0)), "lookup");
  EXPECT_EQ(Strings::view(*Tuples::get(top, 1)), "table.runa");
  EXPECT_EQ(*Tuples::get(top, 2), make_small_int(12));
  EXPECT_EQ(Exceptions::trace(cause), kNothing) << "a trace only where the tier set one";
}

TEST_F(ExceptionsTest, AModuleExternalTypeOfARuntimeNameIsTheRuntimeType) {
  const ModuleTypes* mt = load(R"(
.type 1 external TypeError layout hex ""
.type 2 external DivisionByZero layout hex ""
.type 3 external FileHandle layout hex "0800"
.type 4 struct Mine
  .field value type Any
.type 5 primitive Any
)");
  ASSERT_NE(mt, nullptr);
  EXPECT_EQ(mt->type("TypeError"), type("TypeError"));
  EXPECT_EQ(mt->type("DivisionByZero"), type("DivisionByZero"));
  const TypeDesc* handle = mt->type("FileHandle");
  ASSERT_NE(handle, nullptr);
  EXPECT_EQ(handle->kind, Kind::kExternal) << "an External with a layout stays the module's";

  HandleScope scope(m());
  Handle e(m(), ex().make(m(), type("DivisionByZero"), "division by zero"));
  EXPECT_TRUE(ts_->instance_of(e.value(), mt->type("DivisionByZero")));
  EXPECT_FALSE(ts_->instance_of(e.value(), mt->type("TypeError")));
  // A program's own struct is thrown as any value, but it is no Exception.
  const TypeDesc* mine = mt->type("Mine");
  Handle own(m(), heap::ref_value(heap::allocate(m(), mine->heap_layout, 16)));
  EXPECT_FALSE(ex().is_exception(own.value()));
  EXPECT_FALSE(ex().is_exception(make_small_int(1)));
  EXPECT_FALSE(ex().is_exception(strings_->make(m(), "not an exception")));
}

// Result (docs/types.md, "Optional and Result"): Ok and Err are subtypes of
// Result holding one value each, and a module's External names reach them.
TEST_F(ExceptionsTest, OkAndErrAreResultsThatKeepTheirPayload) {
  const Results& r = ts_->results();
  HandleScope scope(m());
  Handle v(m(), strings_->make(m(), "the value"));
  Handle ok(m(), r.ok(m(), v));
  Handle why(m(), ex().make(m(), type("ValueError"), "bad input"));
  Handle err(m(), r.err(m(), why));
  ASSERT_TRUE(heap_->collect(m(), true));
  EXPECT_TRUE(r.is_ok(ok.value()));
  EXPECT_FALSE(r.is_err(ok.value()));
  EXPECT_TRUE(r.is_err(err.value()));
  EXPECT_TRUE(ts_->instance_of(ok.value(), r.result_type()));
  EXPECT_TRUE(ts_->instance_of(err.value(), r.result_type()));
  EXPECT_FALSE(ts_->instance_of(err.value(), r.ok_type()));
  EXPECT_EQ(Strings::view(Results::payload(ok.value())), "the value");
  EXPECT_TRUE(ex().is_exception(Results::payload(err.value())));
  const ModuleTypes* mt = load(R"(
.type 1 external Result layout hex ""
.type 2 external Ok layout hex ""
)");
  ASSERT_NE(mt, nullptr);
  EXPECT_EQ(mt->type("Result"), r.result_type());
  EXPECT_EQ(mt->type("Ok"), r.ok_type());
}

}  // namespace
}  // namespace runa::types
