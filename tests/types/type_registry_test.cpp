// The registry's own types: primitives, interning of structural types, and
// the type relation of docs/bytecode.md §2.5.5 between descriptors.
#include <thread>
#include <vector>

#include "types_fixture.hpp"

namespace runa::types {
namespace {

using testing::TypesTest;

TEST_F(TypesTest, PrimitivesAreOneEachAndNamed) {
  for (Kind k : {Kind::kNothing, Kind::kBoolean, Kind::kInteger, Kind::kFloat, Kind::kCharacter,
                 Kind::kString, Kind::kAny, Kind::kSet, Kind::kTuple}) {
    const TypeDesc* t = prim(k);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->kind, k);
    EXPECT_EQ(t->name, kind_name(k));
    EXPECT_EQ(registry_->by_serial(t->serial), t);
  }
  EXPECT_EQ(prim(Kind::kStruct), nullptr);
  EXPECT_EQ(registry_->count(), 9u);
}

TEST_F(TypesTest, StructuralTypesAreInternedByTheirComponents) {
  const TypeDesc* ints = registry_->list_of(prim(Kind::kInteger));
  EXPECT_EQ(registry_->list_of(prim(Kind::kInteger)), ints);
  EXPECT_NE(registry_->list_of(prim(Kind::kString)), ints);
  EXPECT_EQ(ints->name, "List[Integer]");
  EXPECT_EQ(ints->args, std::vector<const TypeDesc*>{prim(Kind::kInteger)});

  const TypeDesc* dict = registry_->map_of(prim(Kind::kString), ints);
  EXPECT_EQ(dict->name, "Dictionary[String, List[Integer]]");
  EXPECT_EQ(registry_->map_of(prim(Kind::kString), ints), dict);
  EXPECT_NE(registry_->map_of(ints, prim(Kind::kString)), dict);

  const TypeDesc* params[] = {prim(Kind::kInteger), prim(Kind::kFloat)};
  const TypeDesc* fn = registry_->function_of(params, prim(Kind::kString));
  EXPECT_EQ(fn->name, "(Integer, Float) -> String");
  EXPECT_EQ(registry_->function_of(params, prim(Kind::kString)), fn);
  EXPECT_NE(registry_->function_of(params, prim(Kind::kFloat)), fn);

  EXPECT_EQ(registry_->optional_of(ints), registry_->optional_of(ints));
  EXPECT_EQ(registry_->optional_of(ints)->name, "Optional[List[Integer]]");
}

TEST_F(TypesTest, UnionsAreFlatOrderFreeAndWithoutDuplicates) {
  const TypeDesc* i = prim(Kind::kInteger);
  const TypeDesc* s = prim(Kind::kString);
  const TypeDesc* f = prim(Kind::kFloat);
  const TypeDesc* is[] = {i, s};
  const TypeDesc* si[] = {s, i, s};
  const TypeDesc* u = registry_->union_of(is);
  EXPECT_EQ(u->kind, Kind::kUnion);
  EXPECT_EQ(registry_->union_of(si), u);
  EXPECT_EQ(u->name, "Integer | String");
  const TypeDesc* nested[] = {f, u};
  const TypeDesc* flat[] = {i, s, f};
  EXPECT_EQ(registry_->union_of(nested), registry_->union_of(flat));
  EXPECT_EQ(registry_->union_of(nested)->args.size(), 3u);
  const TypeDesc* one[] = {i, i};
  EXPECT_EQ(registry_->union_of(one), i);
}

TEST_F(TypesTest, SubtypeRelationFollowsTheBytecodeRules) {
  const TypeDesc* i = prim(Kind::kInteger);
  const TypeDesc* s = prim(Kind::kString);
  const TypeDesc* n = prim(Kind::kNothing);
  const TypeDesc* any = prim(Kind::kAny);
  const TypeDesc* opt_i = registry_->optional_of(i);
  const TypeDesc* is[] = {i, s};
  const TypeDesc* u = registry_->union_of(is);

  EXPECT_TRUE(is_subtype(i, any));
  EXPECT_TRUE(is_subtype(u, any));
  EXPECT_FALSE(is_subtype(any, i));
  EXPECT_TRUE(is_subtype(i, opt_i));
  EXPECT_TRUE(is_subtype(n, opt_i));
  EXPECT_FALSE(is_subtype(s, opt_i));
  EXPECT_FALSE(is_subtype(opt_i, i));  // nothing is not an Integer
  EXPECT_TRUE(is_subtype(opt_i, registry_->optional_of(u)));
  EXPECT_TRUE(is_subtype(i, u));
  EXPECT_TRUE(is_subtype(s, u));
  EXPECT_FALSE(is_subtype(u, i));
  EXPECT_FALSE(is_subtype(n, u));
  const TypeDesc* isn[] = {i, s, n};
  EXPECT_TRUE(is_subtype(opt_i, registry_->union_of(isn)));
  // Element types are not checked (§2.5.5); function types match by arity.
  EXPECT_TRUE(is_subtype(registry_->list_of(i), registry_->list_of(s)));
  EXPECT_FALSE(is_subtype(registry_->list_of(i), registry_->map_of(i, i)));
  const TypeDesc* one[] = {i};
  const TypeDesc* two[] = {i, i};
  EXPECT_TRUE(is_subtype(registry_->function_of(one, i), registry_->function_of(one, s)));
  EXPECT_FALSE(is_subtype(registry_->function_of(one, i), registry_->function_of(two, i)));
}

// Two threads intern the same types at once: each type is still made once.
TEST_F(TypesTest, ConcurrentInterningMakesEachTypeOnce) {
  constexpr int kRounds = 500;
  std::vector<const TypeDesc*> seen[2];
  auto work = [&](int t) {
    const TypeDesc* e = prim(Kind::kInteger);
    for (int r = 0; r < kRounds; ++r) {
      e = registry_->list_of(e);
      seen[t].push_back(e);
    }
  };
  std::thread a(work, 0);
  std::thread b(work, 1);
  a.join();
  b.join();
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_EQ(registry_->count(), 9u + kRounds);
  // Names stay short however deep the nesting.
  EXPECT_LE(seen[0].back()->name.size(), 256u);
  EXPECT_EQ(seen[0][1]->name, "List[List[Integer]]");
}

}  // namespace
}  // namespace runa::types
