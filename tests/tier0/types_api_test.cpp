// The public types API (runatime/types.hpp) over a loaded module: its
// descriptors, reflection on instances made by Runa code, method lookup and
// invocation by name, inline caches; and READONLY fields as tier 0's
// STORE_FIELD enforces them. Also run under tier0-stress (a collection at
// every allocation): values are kept in handles across every call that may
// collect.
#include "runatime/types.hpp"

#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

using rt::Type;
using rt::TypeKind;

constexpr std::string_view kAccounts = R"(
.type 1 primitive Integer
.type 2 primitive String
.type 3 struct Account
  .field owner type String flags READONLY
  .field balance type Integer
  .field pin type Integer flags PRIVATE
.type 4 struct Savings
  .field owner type String flags READONLY
  .field balance type Integer
  .field pin type Integer flags PRIVATE
  .field rate type Integer
.meta supertypes Savings Account
.type 5 function "(Account,String)->Account" params Account String returns Account
.type 6 function "(Savings,String,Integer)->Savings" params Savings String Integer returns Savings
.type 7 function "(Account)->Integer" params Account returns Integer
.type 8 function "(Savings)->Integer" params Savings returns Integer
.type 9 function "(Account,String)->Integer" params Account String returns Integer
.type 10 function "()->Savings" params returns Savings
.type 11 list "List[Integer]" of Integer
.function 1 initialize type "(Account,String)->Account" flags METHOD|CONSTRUCTOR
  .param self type Account
  .param owner type String
  LOAD_LOCAL self
  LOAD_LOCAL owner
  STORE_FIELD Account.owner
  LOAD_LOCAL self
  PUSH_CONST 10
  STORE_FIELD Account.balance
  LOAD_LOCAL self
  RETURN
.end
.function 2 open type "(Savings,String,Integer)->Savings" flags METHOD|CONSTRUCTOR
  .param self type Savings
  .param owner type String
  .param rate type Integer
  LOAD_LOCAL self
  LOAD_LOCAL owner
  STORE_FIELD Savings.owner
  LOAD_LOCAL self
  PUSH_CONST 100
  STORE_FIELD Savings.balance
  LOAD_LOCAL self
  LOAD_LOCAL rate
  STORE_FIELD Savings.rate
  LOAD_LOCAL self
  RETURN
.end
.function 3 worth type "(Account)->Integer" flags METHOD
  .param self type Account
  LOAD_LOCAL self
  LOAD_FIELD Account.balance
  RETURN
.end
.function 4 worth type "(Savings)->Integer" flags METHOD
  .param self type Savings
  LOAD_LOCAL self
  LOAD_FIELD Savings.balance
  LOAD_LOCAL self
  LOAD_FIELD Savings.rate
  MUL
  RETURN
.end
.function 5 rename type "(Account,String)->Integer" flags METHOD
  .param self type Account
  .param owner type String
  LOAD_LOCAL self
  LOAD_LOCAL owner
  STORE_FIELD Account.owner
  PUSH_CONST 0
  RETURN
.end
.function 6 make_savings type "()->Savings"
  NEW Savings
  PUSH_CONST "Ada"
  PUSH_CONST 3
  CALL_METHOD "open" 2
  RETURN
.end
)";

class TypesApiTest : public Tier0Test {
 protected:
  void SetUp() override {
    Tier0Test::SetUp();
    auto m = runtime_->load(*t_, file("accounts", kAccounts));
    ASSERT_TRUE(m.ok()) << m.error().describe();
    module_ = *m;
    account_ = types_api().find(*module_, "Account");
    savings_ = types_api().find(*module_, "Savings");
    ASSERT_TRUE(account_ && savings_);
  }
  rt::Types types_api() { return rt::Types(*runtime_); }

  // A Savings made by Runa code: `open("Ada", 3)`, balance 100.
  Value make_savings(heap::Handle& out) {
    const rt::FunctionInfo* f = module_->function("make_savings");
    EXPECT_NE(f, nullptr);
    EXPECT_TRUE(runtime_->call(*t_, f->object, nullptr, 0, out.slot())) << thrown();
    return out.value();
  }
  std::string text(Value v) {
    std::string out;
    types().text().append_literal(v, out);
    return out;
  }

  const rt::ModuleInfo* module_ = nullptr;
  Type account_;
  Type savings_;
};

TEST_F(TypesApiTest, DescriptorsOfAModule) {
  rt::Types ts = types_api();
  EXPECT_EQ(account_.kind(), TypeKind::kStruct);
  EXPECT_EQ(account_.name(), "Account");
  EXPECT_EQ(savings_.super(), account_);
  EXPECT_FALSE(account_.super());
  EXPECT_EQ(savings_.depth(), 1u);
  EXPECT_EQ(ts.module(savings_), module_);
  EXPECT_EQ(ts.module(ts.builtin(TypeKind::kInteger)), nullptr);
  EXPECT_FALSE(ts.find(*module_, "Checking"));

  ASSERT_EQ(savings_.field_count(), 4u);
  const rt::Field owner = savings_.field(0);
  EXPECT_EQ(owner.name, "owner");
  EXPECT_EQ(owner.owner, account_) << "inherited fields name their declaring struct";
  EXPECT_EQ(owner.type, ts.builtin(TypeKind::kString));
  EXPECT_TRUE(owner.readonly);
  EXPECT_FALSE(owner.is_private);
  EXPECT_TRUE(savings_.field(2).is_private);
  EXPECT_EQ(savings_.field("rate")->slot, 3u);
  EXPECT_EQ(savings_.field("rate")->owner, savings_);
  EXPECT_FALSE(savings_.field("colour"));

  EXPECT_TRUE(savings_.is_subtype_of(account_));
  EXPECT_FALSE(account_.is_subtype_of(savings_));
  EXPECT_TRUE(savings_.is_subtype_of(ts.builtin(TypeKind::kAny)));
  EXPECT_TRUE(savings_.is_subtype_of(ts.optional_of(account_)));

  // Enumeration: every serial gives its type back; structural types interned.
  EXPECT_EQ(ts.at(savings_.serial()), savings_);
  EXPECT_FALSE(ts.at(0));
  EXPECT_FALSE(ts.at(ts.count() + 1));
  std::uint32_t structs = 0;
  for (std::uint32_t s = 1; s <= ts.count(); ++s) {
    structs += ts.at(s).kind() == TypeKind::kStruct && ts.module(ts.at(s)) == module_ ? 1 : 0;
  }
  EXPECT_EQ(structs, 2u);
  const Type ints = ts.find(*module_, "List[Integer]");
  EXPECT_EQ(ts.list_of(ts.builtin(TypeKind::kInteger)), ints);
  EXPECT_EQ(ints.kind(), TypeKind::kList);
  EXPECT_EQ(ints.arg(0), ts.builtin(TypeKind::kInteger));
  EXPECT_NE(ts.list_of(ts.builtin(TypeKind::kString)), ints);
  const Type map = ts.map_of(ts.builtin(TypeKind::kString), account_);
  EXPECT_EQ(map.arg_count(), 2u);
  EXPECT_EQ(map.arg(1), account_);
  EXPECT_FALSE(map.arg(2));
  const Type fn = ts.find(*module_, "(Account)->Integer");
  EXPECT_EQ(fn.kind(), TypeKind::kFunction);
  EXPECT_EQ(fn.result(), ts.builtin(TypeKind::kInteger));
  EXPECT_FALSE(ts.builtin(TypeKind::kStruct));
}

TEST_F(TypesApiTest, MethodsSlotsAndLookup) {
  rt::Types ts = types_api();
  const rt::Selector worth = ts.selector("worth");
  EXPECT_EQ(ts.selector("worth"), worth) << "interned once";
  const std::uint32_t slot = ts.slot(account_, worth);
  ASSERT_NE(slot, rt::Types::kNoSlot);
  EXPECT_EQ(ts.slot(savings_, worth), slot) << "an override keeps its supertype's slot";
  EXPECT_EQ(ts.method(savings_, slot).owner, savings_);
  EXPECT_EQ(ts.method(account_, slot).owner, account_);
  EXPECT_EQ(ts.method_count(savings_), ts.method_count(account_) + 1) << "open is Savings' own";

  const auto found = ts.lookup(savings_, worth);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "worth");
  EXPECT_EQ(found->owner, savings_);
  EXPECT_FALSE(found->constructor);
  ASSERT_NE(found->function, nullptr);
  EXPECT_EQ(found->function->name(), "worth");
  EXPECT_EQ(found->function->module, module_);
  EXPECT_TRUE(ts.lookup(savings_, ts.selector("initialize"))->constructor);
  EXPECT_EQ(ts.lookup(savings_, ts.selector("initialize"))->owner, account_) << "inherited";
  EXPECT_FALSE(ts.lookup(account_, ts.selector("open")));
  EXPECT_FALSE(ts.lookup(ts.builtin(TypeKind::kInteger), worth)) << "structs only";
  EXPECT_EQ(ts.slot(account_, ts.selector("absent")), rt::Types::kNoSlot);
  EXPECT_EQ(ts.method_count(ts.builtin(TypeKind::kString)), 0u);
}

TEST_F(TypesApiTest, ReflectionOnAnInstance) {
  rt::Types ts = types_api();
  heap::HandleScope scope(*t_->m);
  heap::Handle s(*t_->m, types::kNothing);
  heap::Handle v(*t_->m, types::kNothing);
  make_savings(s);
  EXPECT_EQ(ts.of(s.value()), savings_);
  EXPECT_TRUE(ts.instance_of(s.value(), account_));
  EXPECT_FALSE(ts.instance_of(types::make_small_int(1), account_));
  EXPECT_EQ(ts.of(types::make_small_int(1)), ts.builtin(TypeKind::kInteger));

  ASSERT_TRUE(ts.get_field(*t_, s.slot(), "owner", v.slot())) << thrown();
  EXPECT_EQ(text(v.value()), "\"Ada\"");
  v.set(types::make_small_int(250));
  ASSERT_TRUE(ts.set_field(*t_, s.slot(), "balance", v.slot())) << thrown();
  ASSERT_TRUE(ts.get_field(*t_, s.slot(), "balance", v.slot()));
  EXPECT_EQ(v.value(), types::make_small_int(250));

  v.set(types().strings().make(*t_->m, "Bea"));
  EXPECT_FALSE(ts.set_field(*t_, s.slot(), "owner", v.slot()));
  EXPECT_EQ(thrown(),
            "TypeError: reflection: field \"owner\" of Savings is READONLY: only a "
            "constructor stores it");
  EXPECT_FALSE(ts.set_field(*t_, s.slot(), "balance", v.slot()));
  EXPECT_EQ(thrown(),
            "TypeError: reflection: field \"balance\" of Savings holds Integer, not String");
  EXPECT_FALSE(ts.get_field(*t_, s.slot(), "pin", v.slot()));
  EXPECT_EQ(thrown(), "TypeError: reflection: field \"pin\" of Savings is private to its module");
  EXPECT_FALSE(ts.get_field(*t_, s.slot(), "colour", v.slot()));
  EXPECT_EQ(thrown(), "TypeError: reflection: Savings has no field \"colour\"");
  v.set(types::make_small_int(3));
  EXPECT_FALSE(ts.get_field(*t_, v.slot(), "owner", v.slot()));
  EXPECT_EQ(thrown(), "TypeError: reflection: a Integer has no fields; only struct instances do");

  // NEW by reflection, then the constructor by name.
  ASSERT_TRUE(ts.make(*t_, account_, v.slot())) << thrown();
  EXPECT_EQ(ts.of(v.value()), account_);
  heap::Handle name(*t_->m, types().strings().make(*t_->m, "Hal"));
  ASSERT_TRUE(ts.invoke(*t_, v.slot(), "initialize", name.slot(), 1, v.slot())) << thrown();
  ASSERT_TRUE(ts.get_field(*t_, v.slot(), "balance", v.slot()));
  EXPECT_EQ(v.value(), types::make_small_int(10));
  EXPECT_FALSE(ts.make(*t_, ts.builtin(TypeKind::kString), v.slot()));
  EXPECT_EQ(thrown(), "TypeError: reflection: String is not a struct type");

  // CAST through the API: a value of the type, an Integer to Float, a refusal.
  ASSERT_TRUE(ts.cast(*t_, s.slot(), account_, v.slot()));
  EXPECT_EQ(v.value(), s.value());
  v.set(types::make_small_int(2));
  ASSERT_TRUE(ts.cast(*t_, v.slot(), ts.builtin(TypeKind::kFloat), v.slot()));
  EXPECT_EQ(text(v.value()), "2.0");
  EXPECT_FALSE(ts.cast(*t_, v.slot(), ts.builtin(TypeKind::kString), v.slot()));
  EXPECT_EQ(thrown(), "TypeError: CAST: cannot cast Float 2.0 to String");
}

TEST_F(TypesApiTest, InvokeByNameDispatchesAndChecks) {
  rt::Types ts = types_api();
  heap::HandleScope scope(*t_->m);
  heap::Handle s(*t_->m, types::kNothing);
  heap::Handle out(*t_->m, types::kNothing);
  make_savings(s);
  ASSERT_TRUE(ts.invoke(*t_, s.slot(), "worth", nullptr, 0, out.slot())) << thrown();
  EXPECT_EQ(out.value(), types::make_small_int(300)) << "Savings' override: 100 * 3";

  heap::Handle arg(*t_->m, types().strings().make(*t_->m, "Cy"));
  EXPECT_FALSE(ts.invoke(*t_, s.slot(), "rename", arg.slot(), 1, out.slot()));
  EXPECT_EQ(thrown(),
            "TypeError: STORE_FIELD 0: field \"owner\" of Savings is READONLY: only a constructor "
            "of Account stores it");
  EXPECT_FALSE(ts.invoke(*t_, s.slot(), "worth", arg.slot(), 1, out.slot()));
  EXPECT_EQ(thrown(), "TypeError: method worth takes 0 arguments besides its receiver, got 1");
  EXPECT_FALSE(ts.invoke(*t_, s.slot(), "close", nullptr, 0, out.slot()));
  EXPECT_EQ(thrown().substr(0, 34), "TypeError: invoke: Savings <Saving");

  // A built-in type's method (a native) by name.
  ASSERT_TRUE(ts.invoke(*t_, arg.slot(), "length", nullptr, 0, out.slot())) << thrown();
  EXPECT_EQ(out.value(), types::make_small_int(2));
}

TEST_F(TypesApiTest, AnInlineCacheOfMethodsAcrossReceiverTypes) {
  rt::Types ts = types_api();
  rt::InlineCache site;
  const rt::Selector worth = ts.selector("worth");
  for (int round = 0; round < 2; ++round) {
    for (Type t : {account_, savings_}) {
      std::uintptr_t data = 0;
      if (!site.find(t, &data)) {
        EXPECT_EQ(round, 0) << "a type recorded once stays cached";
        data = reinterpret_cast<std::uintptr_t>(ts.lookup(t, worth)->function);
        EXPECT_TRUE(site.record(t, data));
      }
      EXPECT_EQ(reinterpret_cast<const rt::FunctionInfo*>(data), ts.lookup(t, worth)->function);
    }
  }
  EXPECT_EQ(site.state(), 2u) << "polymorphic";
}

// READONLY (docs/types.md): stored by constructors of the declaring struct
// or its subtypes, refused everywhere else — also at a site that already
// cached the struct type for a store that was allowed.
TEST_F(TypesApiTest, StoreFieldOfAReadonlyFieldOnlyInConstructors) {
  const std::string prelude(kAccounts);
  EXPECT_EQ(eval("NEW Savings\nPUSH_CONST \"Di\"\nPUSH_CONST 2\nCALL_METHOD \"open\" 2\n"
                 "CALL_METHOD \"worth\" 0\nRETURN",
                 prelude),
            "= 200")
      << "a subtype's constructor stores the inherited READONLY field";
  EXPECT_EQ(eval("NEW Savings\nPUSH_CONST \"Di\"\nCALL_METHOD \"initialize\" 1\n"
                 "LOAD_FIELD Account.owner\nRETURN",
                 prelude),
            "= \"Di\"")
      << "the declaring struct's constructor on a subtype's instance";
  EXPECT_EQ(eval("NEW Account\nPUSH_CONST \"Ed\"\nSTORE_FIELD Account.owner\nPUSH_CONST 0\nRETURN",
                 prelude),
            "! TypeError: STORE_FIELD 0: field \"owner\" of Account is READONLY: only a "
            "constructor of Account stores it");
  EXPECT_EQ(eval("NEW Account\nDUP\nPUSH_CONST 5\nSTORE_FIELD Account.balance\n"
                 "LOAD_FIELD Account.balance\nRETURN",
                 prelude),
            "= 5")
      << "other fields are stored anywhere";
  // One site, first allowed for Account, then refused for the same type
  // from another function: the cache is per site, and rename's site never
  // caches a READONLY store.
  EXPECT_EQ(eval("NEW Account\nDUP\nPUSH_CONST \"Fay\"\nCALL_METHOD \"initialize\" 1\nPOP\n"
                 "PUSH_CONST \"Gus\"\nCALL_METHOD \"rename\" 1\nRETURN",
                 prelude),
            "! TypeError: STORE_FIELD 0: field \"owner\" of Account is READONLY: only a "
            "constructor of Account stores it");
}

}  // namespace
}  // namespace runa::tier0
