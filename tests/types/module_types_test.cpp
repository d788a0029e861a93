// Descriptors built from modules: the examples' hierarchies, generated deep
// hierarchies, generics shared between modules, cycles, and methods.
#include <thread>

#include "types_fixture.hpp"

namespace runa::types {
namespace {

using testing::example;
using testing::TypesTest;

TEST_F(TypesTest, ShapesHierarchyHasDisplaysFieldsAndVtables) {
  const ModuleTypes* mt = load(example("shapes.runas"));
  ASSERT_NE(mt, nullptr);
  const TypeDesc* shape = mt->type("Shape");
  const TypeDesc* circle = mt->type("Circle");
  const TypeDesc* rect = mt->type("Rectangle");
  const TypeDesc* square = mt->type("Square");
  ASSERT_TRUE(shape && circle && rect && square);
  EXPECT_EQ(square->super, rect);
  EXPECT_EQ(rect->super, shape);
  EXPECT_EQ(square->depth, 2u);
  EXPECT_TRUE(is_struct_subtype(square, shape));
  EXPECT_TRUE(is_struct_subtype(square, rect));
  EXPECT_TRUE(is_struct_subtype(circle, shape));
  EXPECT_FALSE(is_struct_subtype(circle, rect));
  EXPECT_FALSE(is_struct_subtype(shape, circle));
  EXPECT_FALSE(is_struct_subtype(rect, square));

  // Fields: one value word each, inherited first, owned by their declarer.
  ASSERT_EQ(square->fields.size(), 3u);
  EXPECT_EQ(square->fields[0].name, "name");
  EXPECT_EQ(square->fields[0].owner, shape);
  EXPECT_EQ(square->fields[1].owner, rect);
  EXPECT_EQ(square->field("height")->slot, 2u);
  EXPECT_EQ(square->field("height")->type, prim(Kind::kFloat));
  EXPECT_EQ(square->field("radius"), nullptr);

  // Methods: Square overrides describe, inherits area from Rectangle and
  // summary from Shape; an inherited method keeps its vtable slot.
  Symbols& sym = registry_->symbols();
  const std::uint32_t area = sym.find("area");
  const std::uint32_t describe = sym.find("describe");
  const std::uint32_t summary = sym.find("summary");
  ASSERT_NE(area, 0u);
  EXPECT_EQ(square->method(area)->owner, rect);
  EXPECT_EQ(square->method(describe)->owner, square);
  EXPECT_EQ(square->method(summary)->owner, shape);
  EXPECT_EQ(circle->method(area)->owner, circle);
  EXPECT_EQ(shape->method(area)->owner, shape);
  EXPECT_EQ(square->slots_by_selector.at(area), shape->slots_by_selector.at(area));
  EXPECT_EQ(square->slots_by_selector.at(summary), shape->slots_by_selector.at(summary));
  EXPECT_EQ(square->method(sym.intern("no_such_method")), nullptr);
  const MethodDesc* init = square->method(sym.find("initialize"));
  ASSERT_NE(init, nullptr);
  EXPECT_TRUE(init->constructor);
  EXPECT_EQ(mt->module.functions[init->function].name, "initialize");

  // Instances: one scanned value word per field.
  const heap::Layout* l = heap_->layout(square->heap_layout);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->kind, heap::LayoutKind::kPlain);
  EXPECT_EQ(l->refs, 3u);
  EXPECT_EQ(l->size, 32u);
  EXPECT_STREQ(l->name, "Square");

  // The module's structural types are interned under their canonical names.
  EXPECT_EQ(mt->type("List[Shape]"), registry_->list_of(shape));
  EXPECT_EQ(mt->type("List[Shape]")->name, "List[Shape]");
}

TEST_F(TypesTest, PersonExampleLoads) {
  const ModuleTypes* mt = load(example("person.runas"));
  ASSERT_NE(mt, nullptr);
  EXPECT_FALSE(mt->by_id.empty());
  for (const auto& [name, t] : mt->by_name) {
    if (t->kind != Kind::kStruct) continue;
    EXPECT_EQ(heap_->layout(t->heap_layout)->refs, t->fields.size()) << name;
  }
}

TEST_F(TypesTest, LoadingTheSameModuleAgainGivesTheSameDescriptors) {
  const std::string text = example("shapes.runas");
  const ModuleTypes* a = load(text);
  const std::uint32_t made = registry_->count();
  const ModuleTypes* b = load(text);
  EXPECT_EQ(a, b);
  EXPECT_EQ(registry_->count(), made);

  // A different module with a struct of the same name: a different type,
  // while structural types over primitives are shared.
  const std::string other = R"(
.type 1 primitive Integer
.type 2 struct Shape
  .field sides type Integer
.type 3 list "Ints" of Integer
.function 1 main type "()->Integer"
  PUSH_CONST 0
  RETURN
.end
.type 4 function "()->Integer" params returns Integer
)";
  const ModuleTypes* c = load(other);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->type("Shape"), a->type("Shape"));
  EXPECT_EQ(c->type("Ints"), registry_->list_of(prim(Kind::kInteger)));
  EXPECT_EQ(a->type("Shape")->module, a);
  EXPECT_EQ(c->type("Shape")->module, c);
}

TEST_F(TypesTest, TwoThreadsLoadingOneModuleGetOneResult) {
  const module::Module m = testing::assembled(example("shapes.runas"));
  const ModuleTypes* got[2] = {};
  auto work = [&](int t) {
    auto r = registry_->load(m);
    ASSERT_TRUE(r.ok());
    got[t] = *r;
  };
  std::thread a(work, 0);
  std::thread b(work, 1);
  a.join();
  b.join();
  EXPECT_EQ(got[0], got[1]);
}

// A chain of 200 structs, each the supertype of the next, declared in
// reverse order: displays, inherited fields and methods all the way down.
TEST_F(TypesTest, DeepGeneratedHierarchy) {
  constexpr int kDepth = 200;
  std::string text =
      ".type 1 primitive Integer\n.type 2 function \"(T0)->Integer\" params T0 returns Integer\n";
  std::string supers = ".meta supertypes";
  for (int d = kDepth - 1; d >= 0; --d) {
    text += ".type " + std::to_string(10 + d) + " struct T" + std::to_string(d) + "\n";
    for (int f = 0; f <= d; ++f) text += "  .field f" + std::to_string(f) + " type Integer\n";
    if (d > 0) {
      supers += std::string(d == kDepth - 1 ? " " : ", ") + "T" + std::to_string(d) + " T" +
                std::to_string(d - 1);
    }
  }
  text += supers + "\n";
  text +=
      ".function 1 get type \"(T0)->Integer\" flags METHOD\n  .param self type T0\n"
      "  PUSH_CONST 7\n  RETURN\n.end\n";
  const ModuleTypes* mt = load(text);
  ASSERT_NE(mt, nullptr);
  const TypeDesc* leaf = mt->type("T" + std::to_string(kDepth - 1));
  const TypeDesc* root = mt->type("T0");
  ASSERT_TRUE(leaf && root);
  EXPECT_EQ(leaf->depth, kDepth - 1u);
  for (int d = 0; d < kDepth; ++d) {
    const TypeDesc* t = mt->type("T" + std::to_string(d));
    EXPECT_TRUE(is_struct_subtype(leaf, t));
    EXPECT_EQ(is_struct_subtype(t, leaf), d == kDepth - 1);
    EXPECT_EQ(t->fields.size(), d + 1u);
    EXPECT_EQ(t->fields[0].owner, root);
    EXPECT_EQ(t->method(registry_->symbols().find("get"))->owner, root);
  }
  EXPECT_EQ(heap_->layout(leaf->heap_layout)->refs, unsigned{kDepth});
  // Around the inline display's end (depth 8): every pair of the first 12
  // levels, so a shallow type's test (the inline entries, null-padded) and
  // a deep one's (the vector) are both checked from above and below.
  for (int a = 0; a < 12; ++a) {
    for (int b = 0; b < 12; ++b) {
      EXPECT_EQ(
          is_struct_subtype(mt->type("T" + std::to_string(a)), mt->type("T" + std::to_string(b))),
          b <= a)
          << a << " " << b;
    }
  }
}

TEST_F(TypesTest, StructuralCycleWithoutAStructGetsTheModulesOwnDescriptor) {
  const ModuleTypes* mt = load(R"(
.type 1 primitive Integer
.type 2 list Nest of Nest
.type 3 union "Tree" of Integer Forest
.type 4 list Forest of Tree
.function 1 main type "()->Integer"
  PUSH_CONST 0
  RETURN
.end
.type 5 function "()->Integer" params returns Integer
)");
  ASSERT_NE(mt, nullptr);
  const TypeDesc* nest = mt->type("Nest");
  ASSERT_EQ(nest->kind, Kind::kList);
  EXPECT_EQ(nest->args[0], nest);
  const TypeDesc* tree = mt->type("Tree");
  const TypeDesc* forest = mt->type("Forest");
  ASSERT_EQ(tree->kind, Kind::kUnion);
  EXPECT_EQ(forest->args[0], tree);
  EXPECT_TRUE(tree->args[0] == forest || tree->args[1] == forest);
  EXPECT_TRUE(is_subtype(prim(Kind::kInteger), tree));
  EXPECT_TRUE(is_subtype(forest, tree));
}

TEST_F(TypesTest, MethodsOnTypesTheModuleDoesNotOwnStayInTheModule) {
  const std::string text = R"(
.type 1 primitive Integer
.type 2 function "(Integer)->Integer" params Integer returns Integer
.function 1 twice type "(Integer)->Integer" flags METHOD
  .param self type Integer
  LOAD_LOCAL self
  LOAD_LOCAL self
  ADD
  RETURN
.end
)";
  const ModuleTypes* mt = load(text);
  ASSERT_NE(mt, nullptr);
  const std::uint32_t twice = registry_->symbols().find("twice");
  const MethodDesc* m = mt->extension(prim(Kind::kInteger), twice);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->owner, prim(Kind::kInteger));
  EXPECT_EQ(m->module, mt);
  EXPECT_TRUE(prim(Kind::kInteger)->vtable.empty());
  EXPECT_EQ(mt->extension(prim(Kind::kString), twice), nullptr);
}

TEST_F(TypesTest, InstancesLeadToTheirDescriptorAndWeakFieldsAreWeak) {
  const ModuleTypes* mt = load(R"(
.type 1 primitive Integer
.type 2 struct Cache
  .field size type Integer
  .field target type Cache flags WEAK
  .field next type Cache
.function 1 main type "()->Integer"
  PUSH_CONST 0
  RETURN
.end
.type 3 function "()->Integer" params returns Integer
)");
  ASSERT_NE(mt, nullptr);
  const TypeDesc* cache = mt->type("Cache");
  const heap::Layout* l = heap_->layout(cache->heap_layout);
  ASSERT_EQ(l->weak_count, 1u);
  EXPECT_EQ(l->weak_fields[0], 1u);
  EXPECT_EQ(l->descriptor, cache);

  heap::Mutator& m = heap_->attach();
  {
    heap::HandleScope scope(m);
    heap::Handle a(m, heap::allocate(m, cache->heap_layout, l->size));
    heap::Handle b(m, heap::allocate(m, cache->heap_layout, l->size));
    heap::Handle c(m, heap::allocate(m, cache->heap_layout, l->size));
    EXPECT_EQ(heap_->descriptor_of(a.get()), cache);
    heap::set_slot(m, a, 1, b.value());  // weak: b dies with its handle
    heap::set_slot(m, a, 2, c.value());  // strong: c lives
    b.set(0);
    c.set(0);
    heap_->collect(m, true);
    EXPECT_EQ(a.get()->slots()[1], 0u);
    EXPECT_NE(a.get()->slots()[2], 0u);
  }
  heap_->detach(m);
}

}  // namespace
}  // namespace runa::types
