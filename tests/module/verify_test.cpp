// The verifier's checks of the header, constants, types and functions
// (docs/bytecode.md §3 items 2–6), the facts it returns, and the file
// offsets its errors carry. Each test breaks one rule of a valid module.
#include <gtest/gtest.h>

#include <cstring>

#include "module_builder.hpp"

namespace runa::verify_test {
namespace {

using module::kFnConstructor;
using module::kFnExternal;
using module::kFnMethod;
using module::kFnNative;
using module::kFnVarargs;
using module::kParamMutable;
using module::kParamVariadic;

TEST(VerifyModule, BuilderModuleIsValid) {
  const Module m = ModuleBuilder().build();
  auto r = module::verify(m);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->functions.size(), 1U);
  EXPECT_EQ(r->functions[0].frame_slots, 0U);
  EXPECT_EQ(r->functions[0].max_stack, 1U);
  EXPECT_EQ(r->functions[0].upvalues, 0U);
}

// ---- header ----

TEST(VerifyHeader, FormatVersion) {
  ModuleBuilder b;
  b.m().header.format = {1, 0};
  EXPECT_TRUE(accepts(b.build()));
  b.m().header.format = {1, 3};
  EXPECT_TRUE(rejects(b.build(), "header", std::nullopt, "format version 1.3"));
  b.m().header.format = {2, 0};
  EXPECT_TRUE(rejects(b.build(), "header", std::nullopt, "format version 2.0"));
}

TEST(VerifyHeader, MinimumVmVersion) {
  ModuleBuilder b;
  b.m().header.min_vm = {1, 2};
  EXPECT_TRUE(accepts(b.build()));
  b.m().header.min_vm = {1, 3};
  EXPECT_TRUE(rejects(b.build(), "header", std::nullopt, "needs VM 1.3"));
  b.m().header.min_vm = {2, 0};
  EXPECT_TRUE(rejects(b.build(), "header", std::nullopt, "needs VM 2.0"));
}

TEST(VerifyHeader, UnknownFlags) {
  ModuleBuilder b;
  b.m().header.flags = module::kHeaderFlagsKnown;
  EXPECT_TRUE(accepts(b.build()));
  b.m().header.flags = 0x100;
  EXPECT_TRUE(rejects(b.build(), "header", std::nullopt, "unknown flag bits 0x00000100"));
}

TEST(VerifyHeader, NativeLibraryNames) {
  ModuleBuilder b;
  b.m().header.native_libraries = {"libm.so.6"};
  EXPECT_TRUE(accepts(b.build()));
  b.m().header.native_libraries = {"libm.so.6", ""};
  EXPECT_TRUE(rejects(b.build(), "header", std::nullopt, "native library 2 has an empty name"));
  b.m().header.native_libraries = {"lib\xff.so"};
  EXPECT_TRUE(rejects(b.build(), "header", std::nullopt, "native library 1's name is not valid"));
}

// ---- constants ----

TEST(VerifyConstants, TextIsUtf8) {
  ModuleBuilder b;
  b.add_const(text("caf\xc3\xa9"));
  EXPECT_TRUE(accepts(b.build()));
  b.add_const(text("caf\xc3("));
  EXPECT_TRUE(
      rejects(b.build(), "constants", std::nullopt, "constant #5: Text is not valid UTF-8"));
}

TEST(VerifyConstants, ListItemsHaveSmallerIndices) {
  ModuleBuilder b;
  Constant list;
  list.kind = ConstKind::kList;
  list.items = {0, 1, 3};
  b.add_const(list);
  EXPECT_TRUE(accepts(b.build()));
  list.items = {0, 5};
  b.add_const(list);  // #5 refers to itself
  EXPECT_TRUE(rejects(b.build(), "constants", std::nullopt,
                      "constant #5: a List refers to constant #5; items must be constants with a "
                      "smaller index"));
}

TEST(VerifyConstants, MapItemsAndKeys) {
  ModuleBuilder b;
  Constant map;
  map.kind = ConstKind::kMap;
  map.items = {kConstName, kConst7, kConstPoint, kConstTrue};
  b.add_const(map);
  EXPECT_TRUE(accepts(b.build()));

  ModuleBuilder forward;
  map.items = {kConstName, 9};
  forward.add_const(map);
  EXPECT_TRUE(rejects(forward.build(), "constants", std::nullopt, "a Map refers to constant #9"));

  ModuleBuilder odd;
  map.items = {kConstName};
  odd.add_const(map);
  EXPECT_TRUE(rejects(odd.build(), "constants", std::nullopt, "odd number of items"));

  ModuleBuilder unhashable;
  Constant list;
  list.kind = ConstKind::kList;
  const std::uint16_t l = unhashable.add_const(list);
  map.items = {l, kConst7};
  unhashable.add_const(map);
  EXPECT_TRUE(rejects(unhashable.build(), "constants", std::nullopt,
                      "Map key constant #4 is not hashable"));
}

TEST(VerifyConstants, FunctionReferenceResolves) {
  ModuleBuilder b;
  b.add_const(reference(ConstKind::kFunction, 1));
  EXPECT_TRUE(accepts(b.build()));
  b.add_const(reference(ConstKind::kFunction, 99));
  EXPECT_TRUE(rejects(b.build(), "constants", std::nullopt,
                      "constant #5: Function reference to function id 99"));
}

TEST(VerifyConstants, TypeReferenceResolves) {
  ModuleBuilder b;
  b.add_const(reference(ConstKind::kType, kInt));
  EXPECT_TRUE(accepts(b.build()));
  b.add_const(reference(ConstKind::kType, 77));
  EXPECT_TRUE(rejects(b.build(), "constants", std::nullopt, "Type reference to type id 77"));
}

TEST(VerifyConstants, ExternalReference) {
  Constant ext = reference(ConstKind::kExternal, 1);
  ext.text = "sin";
  ModuleBuilder b;
  b.m().header.native_libraries = {"libm.so.6"};
  b.add_const(ext);
  ext.ref = 0;  // RunaTime's own natives
  b.add_const(ext);
  EXPECT_TRUE(accepts(b.build()));

  ext.ref = 2;
  b.add_const(ext);
  EXPECT_TRUE(rejects(b.build(), "constants", std::nullopt,
                      "constant #6: External reference 'sin' names native library 2, but the "
                      "header lists 1"));

  ModuleBuilder unnamed;
  ext.ref = 0;
  ext.text.clear();
  unnamed.add_const(ext);
  EXPECT_TRUE(rejects(unnamed.build(), "constants", std::nullopt, "empty name"));

  ModuleBuilder bad_name;
  ext.text = "\xed\xa0\x80";
  bad_name.add_const(ext);
  EXPECT_TRUE(rejects(bad_name.build(), "constants", std::nullopt, "name is not valid UTF-8"));
}

TEST(VerifyConstants, UnknownKind) {
  ModuleBuilder b;
  Constant c;
  c.kind = static_cast<ConstKind>(0x0B);
  b.add_const(c);
  EXPECT_TRUE(rejects(b.build(), "constants", std::nullopt, "unknown constant kind 0x0b"));
}

// ---- types ----

TEST(VerifyTypes, UniqueIdsAndNames) {
  ModuleBuilder ids;
  ids.m().types.push_back(primitive(kInt, "Float"));
  EXPECT_TRUE(rejects(ids.build(), "types", std::nullopt,
                      "type 1 'Float': the id is also used by type 1 'Integer'"));
  ModuleBuilder names;
  names.m().types.push_back(primitive(50, "Integer"));
  EXPECT_TRUE(rejects(names.build(), "types", std::nullopt,
                      "type 50 'Integer': another type has the same name"));
  ModuleBuilder empty;
  empty.m().types.push_back(primitive(50, ""));
  EXPECT_TRUE(rejects(empty.build(), "types", std::nullopt, "the name is empty"));
  ModuleBuilder bad;
  bad.m().types.push_back(primitive(50, "\xc0\xaf"));
  EXPECT_TRUE(rejects(bad.build(), "types", std::nullopt, "the name is not valid UTF-8"));
}

TEST(VerifyTypes, PrimitiveNames) {
  ModuleBuilder b;
  std::uint32_t id = 50;
  for (const char* name : {"Float", "Character", "Any", "Text", "Decimal"}) {
    b.m().types.push_back(primitive(id++, name));
  }
  EXPECT_TRUE(accepts(b.build()));
  b.m().types.push_back(primitive(id, "Int32"));
  EXPECT_TRUE(rejects(b.build(), "types", std::nullopt, "type 55 'Int32': not a primitive's name"));
}

TEST(VerifyTypes, ReferencesResolve) {
  auto with = [](TypeDef t) {
    ModuleBuilder b;
    b.m().types.push_back(std::move(t));
    return b.build();
  };
  TypeDef list;
  list.id = 50;
  list.kind = TypeKind::kList;
  list.name = "List[X]";
  list.refs = {99};
  EXPECT_TRUE(rejects(with(list), "types", std::nullopt,
                      "type 50 'List[X]': referenced type 0 is type id 99, which does not exist"));
  list.refs = {kInt, kInt};
  EXPECT_TRUE(rejects(with(list), "types", std::nullopt, "refers to 1 type, not 2"));

  TypeDef map = list;
  map.kind = TypeKind::kMap;
  map.refs = {kString, kInt};
  EXPECT_TRUE(accepts(with(map)));
  map.refs = {kString, 98};
  EXPECT_TRUE(rejects(with(map), "types", std::nullopt, "type id 98"));

  TypeDef opt = list;
  opt.kind = TypeKind::kOptional;
  opt.refs = {kInt};
  EXPECT_TRUE(accepts(with(opt)));
  opt.refs = {97};
  EXPECT_TRUE(rejects(with(opt), "types", std::nullopt, "type id 97"));

  EXPECT_TRUE(rejects(with(fn_type(50, "f", {kInt, 96}, kInt)), "types", std::nullopt,
                      "parameter 1 is type id 96"));
  EXPECT_TRUE(rejects(with(fn_type(50, "f", {kInt}, 95)), "types", std::nullopt,
                      "the return type is type id 95"));

  TypeDef external;
  external.id = 50;
  external.kind = TypeKind::kExternal;
  external.name = "FileHandle";
  external.layout = {8, 0};
  EXPECT_TRUE(accepts(with(external)));
}

TEST(VerifyTypes, TypesMayReferToEachOtherInAnyOrder) {
  ModuleBuilder b;
  TypeDef node;
  node.id = 60;
  node.kind = TypeKind::kStruct;
  node.name = "Node";
  node.fields = {{"next", 61, 0, 0}};
  TypeDef next;
  next.id = 61;
  next.kind = TypeKind::kOptional;
  next.name = "Node?";
  next.refs = {60};
  b.m().types.insert(b.m().types.begin(), {node, next});
  EXPECT_TRUE(accepts(b.build()));
}

TEST(VerifyTypes, StructFields) {
  auto with_fields = [](std::vector<Field> fields) {
    ModuleBuilder b;
    TypeDef s;
    s.id = 50;
    s.kind = TypeKind::kStruct;
    s.name = "Person";
    s.fields = std::move(fields);
    b.m().types.push_back(s);
    return b.build();
  };
  EXPECT_TRUE(accepts(with_fields({{"name", kString, 0, 0x7}, {"age", kInt, 8, 0}})));
  EXPECT_TRUE(rejects(with_fields({{"name", kString, 0, 0}, {"name", kInt, 8, 0}}), "types",
                      std::nullopt, "type 50 'Person': field 1 'name' repeats"));
  EXPECT_TRUE(rejects(with_fields({{"name", kString, 0, 0x8}}), "types", std::nullopt,
                      "field 0 'name' has unknown flag bits 0x08"));
  EXPECT_TRUE(rejects(with_fields({{"name", kString, 8, 0}, {"age", kInt, 8, 0}}), "types",
                      std::nullopt, "field 1 'age' has offset 8, but offsets must increase"));
  EXPECT_TRUE(rejects(with_fields({{"age", 99, 0, 0}}), "types", std::nullopt,
                      "field 0 'age' has type id 99"));
  EXPECT_TRUE(rejects(with_fields({{"\xf8", kInt, 0, 0}}), "types", std::nullopt,
                      "field 0's name is not valid UTF-8"));
}

TEST(VerifyTypes, Unions) {
  auto with_members = [](std::vector<std::uint32_t> members) {
    ModuleBuilder b;
    TypeDef u;
    u.id = 50;
    u.kind = TypeKind::kUnion;
    u.name = "Integer|String";
    u.refs = std::move(members);
    b.m().types.push_back(u);
    return b.build();
  };
  EXPECT_TRUE(accepts(with_members({kInt, kString})));
  EXPECT_TRUE(rejects(with_members({kInt}), "types", std::nullopt, "at least two members"));
  EXPECT_TRUE(rejects(with_members({kInt, kString, kInt}), "types", std::nullopt,
                      "member type id 1 appears more than once"));
  EXPECT_TRUE(rejects(with_members({kInt, 94}), "types", std::nullopt, "type id 94"));
}

TEST(VerifyTypes, UnknownKind) {
  ModuleBuilder b;
  TypeDef t = primitive(50, "Strange");
  t.kind = static_cast<TypeKind>(0x09);
  b.m().types.push_back(t);
  EXPECT_TRUE(rejects(b.build(), "types", std::nullopt, "unknown type kind 0x09"));
}

// ---- functions ----

TEST(VerifyFunctions, UniqueIds) {
  ModuleBuilder b;
  b.add_function(1, "other", kFnInt, Code().ret());
  EXPECT_TRUE(rejects(b.build(), "functions", 1U,
                      "function 1 'other': the id is also used by function 1 'main'"));
}

TEST(VerifyFunctions, Names) {
  ModuleBuilder empty;
  empty.add_function(2, "", kFnInt, Code().ret());
  EXPECT_TRUE(rejects(empty.build(), "functions", 2U, "the name is empty"));
  ModuleBuilder bad;
  bad.add_function(2, "f\x80", kFnInt, Code().ret());
  EXPECT_TRUE(rejects(bad.build(), "functions", 2U, "the name is not valid UTF-8"));
  ModuleBuilder twice;
  twice.add_function(2, "main", kFnInt, Code().ret());
  EXPECT_TRUE(
      rejects(twice.build(), "functions", 2U, "another non-method function has the same name"));
  ModuleBuilder method;  // a method may share a plain function's name
  method.add_function(2, "main", kFnPointInt, Code().ret(), kFnMethod);
  EXPECT_TRUE(accepts(method.build()));
}

TEST(VerifyFunctions, FunctionTypeMatchesParameters) {
  ModuleBuilder missing;
  missing.add_function(2, "f", 99, Code().ret());
  EXPECT_TRUE(rejects(missing.build(), "functions", 2U, "the function type id 99 does not exist"));
  ModuleBuilder kind;
  kind.add_function(2, "f", kInt, Code().ret());
  EXPECT_TRUE(rejects(kind.build(), "functions", 2U,
                      "the function type type 1 'Integer' is not a Function type"));
  ModuleBuilder count;
  count.add_function(2, "f", kFnIntInt, Code().ret(), 0, {{"a", kInt, 0}, {"b", kInt, 0}});
  EXPECT_TRUE(rejects(count.build(), "functions", 2U, "it has 2 parameters, but its type"));
  ModuleBuilder types;
  types.add_function(2, "f", kFnIntInt, Code().ret(), 0, {{"a", kString, 0}});
  EXPECT_TRUE(rejects(types.build(), "functions", 2U,
                      "parameter 0 'a' has type id 2, but the function type says 1"));
}

TEST(VerifyFunctions, KnownFlags) {
  ModuleBuilder ok;
  ok.add_function(2, "f", kFnIntInt, Code().ret(), 0, {{"a", kInt, kParamMutable}});
  EXPECT_TRUE(accepts(ok.build()));
  ModuleBuilder fn;
  fn.add_function(2, "f", kFnInt, Code().ret(), 0x100);
  EXPECT_TRUE(rejects(fn.build(), "functions", 2U, "unknown flag bits 0x00000100"));
  ModuleBuilder param;
  param.add_function(2, "f", kFnIntInt, Code().ret(), 0, {{"a", kInt, 0x4}});
  EXPECT_TRUE(
      rejects(param.build(), "functions", 2U, "parameter 0 'a' has unknown flag bits 0x04"));
}

TEST(VerifyFunctions, VarargsHasVariadicLastParameter) {
  ModuleBuilder ok;
  ok.add_function(2, "f", kFnListInt, Code().ret(), kFnVarargs,
                  {{"rest", kListInt, kParamVariadic}});
  EXPECT_TRUE(accepts(ok.build()));
  ModuleBuilder no_variadic;
  no_variadic.add_function(2, "f", kFnListInt, Code().ret(), kFnVarargs);
  EXPECT_TRUE(rejects(no_variadic.build(), "functions", 2U,
                      "a VARARGS function's last parameter must be VARIADIC"));
  ModuleBuilder no_varargs;
  no_varargs.add_function(2, "f", kFnListInt, Code().ret(), 0,
                          {{"rest", kListInt, kParamVariadic}});
  EXPECT_TRUE(rejects(no_varargs.build(), "functions", 2U, "parameter 0 'rest' is VARIADIC"));
  ModuleBuilder not_last;
  not_last.add_function(2, "f", kFnIntIntInt, Code().ret(), kFnVarargs,
                        {{"a", kInt, kParamVariadic}, {"b", kInt, kParamVariadic}});
  EXPECT_TRUE(rejects(not_last.build(), "functions", 2U, "parameter 0 'a' is VARIADIC"));
}

TEST(VerifyFunctions, ExternalAndNativeHaveNoCode) {
  ModuleBuilder ok;
  ok.add_function(2, "sin", kFnIntInt, Code(), kFnExternal);
  ok.add_function(3, "print", kFnIntInt, Code(), kFnNative);
  EXPECT_TRUE(accepts(ok.build()));
  ModuleBuilder both;
  both.add_function(2, "sin", kFnIntInt, Code(), kFnExternal | kFnNative);
  EXPECT_TRUE(rejects(both.build(), "functions", 2U, "both EXTERNAL and NATIVE"));
  ModuleBuilder code;
  code.add_function(2, "sin", kFnIntInt, Code().ret(), kFnExternal);
  EXPECT_TRUE(rejects(code.build(), "functions", 2U,
                      "an EXTERNAL function has no bytecode, but its code length is 4"));
  ModuleBuilder none;
  none.add_function(2, "f", kFnIntInt, Code());
  EXPECT_TRUE(rejects(none.build(), "functions", 2U, "it has no code"));
}

TEST(VerifyFunctions, Methods) {
  ModuleBuilder ok;
  ok.add_function(2, "area", kFnPointInt, Code().ret(), kFnMethod);
  ok.add_function(3, "area", kFnIntInt, Code().ret(), kFnMethod);  // another owner
  EXPECT_TRUE(accepts(ok.build()));
  ModuleBuilder twice;
  twice.add_function(2, "area", kFnPointInt, Code().ret(), kFnMethod);
  twice.add_function(3, "area", kFnPointInt, Code().ret(), kFnMethod);
  EXPECT_TRUE(rejects(twice.build(), "functions", 3U, "type id 20 already has a method 'area'"));
  ModuleBuilder no_receiver;
  no_receiver.add_function(2, "area", kFnInt, Code().ret(), kFnMethod);
  EXPECT_TRUE(rejects(no_receiver.build(), "functions", 2U, "a METHOD needs a first parameter"));
}

TEST(VerifyFunctions, Constructors) {
  ModuleBuilder ok;
  ok.add_function(2, "initialize", kFnPointInt, Code().ret(), kFnMethod | kFnConstructor);
  EXPECT_TRUE(accepts(ok.build()));
  ModuleBuilder not_method;
  not_method.add_function(2, "initialize", kFnPointInt, Code().ret(), kFnConstructor);
  EXPECT_TRUE(rejects(not_method.build(), "functions", 2U, "a CONSTRUCTOR must be a METHOD"));
  ModuleBuilder not_struct;
  not_struct.add_function(2, "initialize", kFnIntInt, Code().ret(), kFnMethod | kFnConstructor);
  EXPECT_TRUE(rejects(not_struct.build(), "functions", 2U,
                      "a CONSTRUCTOR must be a method of a Struct type, but type 1 'Integer'"));
}

TEST(VerifyFunctions, Locals) {
  auto with_locals = [](std::vector<Local> locals) {
    ModuleBuilder b;
    const std::size_t f = b.add_function(2, "f", kFnIntInt, Code().ret());
    b.m().functions[f].locals = std::move(locals);
    return b.build();
  };
  // Code length 4. Slot 1 is shared by two locals with disjoint scopes;
  // an empty scope overlaps nothing.
  EXPECT_TRUE(accepts(with_locals({{"a", kInt, 1, 0, 3},
                                   {"b", kString, 1, 3, 4},
                                   {"c", kInt, 1, 2, 2},
                                   {"d", kInt, 0, 0, 4}})));
  EXPECT_TRUE(
      rejects(with_locals({{"a", 99, 1, 0, 4}}), "functions", 2U, "local 0 'a' has type id 99"));
  EXPECT_TRUE(rejects(with_locals({{"a", kInt, 1, 0, 5}}), "functions", 2U,
                      "local 0 'a' has scope [0, 5), which is not inside the code [0, 4)"));
  EXPECT_TRUE(rejects(with_locals({{"a", kInt, 1, 3, 2}}), "functions", 2U, "has scope [3, 2)"));
  EXPECT_TRUE(
      rejects(with_locals({{"a", kInt, 1, 0, 4}, {"z", kInt, 2, 0, 4}, {"b", kInt, 1, 3, 4}}),
              "functions", 2U, "local 2 'b' and local 0 'a' share slot 1 with overlapping scopes"));
  // The overlap is with an earlier, longer scope, not the one just before.
  EXPECT_TRUE(
      rejects(with_locals({{"a", kInt, 1, 0, 4}, {"b", kInt, 1, 1, 2}, {"c", kInt, 1, 2, 3}}),
              "functions", 2U, "local 1 'b' and local 0 'a' share slot 1"));
}

// A frame has at most kMaxFrameSlots slots: a local in the last slot that
// keeps the frame at the limit is fine, one past it is not.
TEST(VerifyFunctions, FrameSlotsAreCappedAtTheLimit) {
  auto with_slot = [](std::uint16_t slot) {
    ModuleBuilder b;
    const std::size_t f = b.add_function(2, "f", kFnIntInt, Code().ret());
    b.m().functions[f].locals = {{"a", kInt, slot, 0, 4}};
    return b.build();
  };
  auto ok = module::verify(with_slot(module::kMaxFrameSlots - 1));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->functions.back().frame_slots, module::kMaxFrameSlots);
  EXPECT_TRUE(rejects(with_slot(module::kMaxFrameSlots), "functions", 2U,
                      "the frame needs 65536 slots for parameters and locals, more than the "
                      "limit of 65535"));
}

TEST(VerifyFunctions, CodeLayout) {
  ModuleBuilder b;
  b.add_function(2, "f", kFnInt, Code().ret());
  Module gap = b.build();
  gap.functions[1].code_offset = 5;
  gap.code.push_back(0x01);
  EXPECT_TRUE(rejects(gap, "functions", 2U,
                      "the code starts at offset 5 of the bytecode section, but the functions' "
                      "code lies back to back in function order, so it must start at 4"));

  Module trailing = b.build();
  trailing.code.push_back(0x01);
  EXPECT_TRUE(rejects(trailing, "functions", std::nullopt,
                      "the bytecode section has 1 bytes after the last function's code"));

  Module past = b.build();
  past.functions[1].code_length = 9;
  EXPECT_TRUE(rejects(past, "functions", 2U, "past the end of the bytecode section (8 bytes)"));
}

// ---- facts ----

TEST(VerifyFacts, FrameSlotsMaxStackUpvalues) {
  ModuleBuilder b;
  // f(a, b): locals in slots 1 and 5; pushes 3 values at most.
  const std::size_t f = b.add_function(2, "f", kFnIntIntInt,
                                       Code()
                                           .op(Op::kLoadLocal)
                                           .u16(0)
                                           .op(Op::kLoadLocal)
                                           .u16(1)
                                           .op(Op::kLoadLocal)
                                           .u16(5)
                                           .op(Op::kAdd)
                                           .op(Op::kAdd)
                                           .op(Op::kReturn));
  b.m().functions[f].locals = {{"t", kInt, 5, 0, 3}, {"u", kInt, 1, 0, 3}};
  // g(x) makes a closure of h capturing x, which gives h 1 upvalue.
  b.add_function(3, "g", kFnIntInt,
                 Code().op(Op::kClosure).u32(4).u8(1).u8(0).u16(0).op(Op::kReturn));
  b.add_function(4, "h", kFnInt, Code().op(Op::kLoadUpvalue).u16(0).op(Op::kReturn));
  auto r = module::verify(b.build());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->functions.size(), 4U);
  EXPECT_EQ(r->functions[1].frame_slots, 6U);
  EXPECT_EQ(r->functions[1].max_stack, 3U);
  EXPECT_EQ(r->functions[1].upvalues, 0U);
  EXPECT_EQ(r->functions[2].frame_slots, 1U);
  EXPECT_EQ(r->functions[2].max_stack, 1U);
  EXPECT_EQ(r->functions[3].upvalues, 1U);
  EXPECT_EQ(r->functions[3].max_stack, 1U);
}

// ---- offsets of errors in a module read from bytes ----

TEST(VerifyOffsets, ErrorsNameFileOffsetsOfReadModules) {
  ModuleBuilder b;
  b.add_const(reference(ConstKind::kFunction, 99));
  auto bytes = module::write(b.build());
  ASSERT_TRUE(bytes.ok()) << bytes.error().describe();
  auto read = module::read(bytes.value());
  ASSERT_TRUE(read.ok()) << read.error().describe();
  auto r = module::verify(read.value());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().section, "constants");
  EXPECT_EQ(r.error().offset, read->layout.constants[4]);

  ModuleBuilder code;
  code.main(Code().op(Op::kPushConst).u16(0).op(Op::kAdd).op(Op::kReturn));
  bytes = module::write(code.build());
  ASSERT_TRUE(bytes.ok());
  read = module::read(bytes.value());
  ASSERT_TRUE(read.ok());
  r = module::verify(read.value());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().section, "bytecode");
  EXPECT_EQ(r.error().function, 1U);
  EXPECT_EQ(r.error().offset, read->layout.code + 3);
  EXPECT_NE(r.error().message.find("function 1 'main', at pc 3 (ADD): stack underflow"),
            std::string::npos)
      << r.error().message;

  // A module built in memory has no offsets to give.
  r = module::verify(code.build());
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().offset.has_value());
}

// The module read back from its bytes, and the bytes.
struct ReadBack {
  Bytes bytes;
  Module module;
};
ReadBack read_back(const Module& m) {
  auto bytes = module::write(m);
  EXPECT_TRUE(bytes.ok()) << bytes.error().describe();
  auto read = module::read(bytes.value());
  EXPECT_TRUE(read.ok()) << read.error().describe();
  return {bytes.value(), read.ok() ? read.value() : Module{}};
}

std::uint32_t u32_at(const Bytes& b, std::uint64_t at) {
  std::uint32_t v = 0;
  std::memcpy(&v, b.data() + at, sizeof v);
  return v;
}

// The header's and the debug section's rejections name the byte of the
// field or entry at fault: the bytes at the offset are that field.
TEST(VerifyOffsets, HeaderRejectionsNameTheField) {
  ModuleBuilder flags;
  flags.m().header.flags = 0x100 | module::kStrictTypes;
  ReadBack f = read_back(flags.build());
  auto r = module::verify(f.module);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().section, "header");
  ASSERT_TRUE(r.error().offset.has_value());
  EXPECT_EQ(u32_at(f.bytes, *r.error().offset), 0x100U | module::kStrictTypes);

  ModuleBuilder vm;
  vm.m().header.min_vm = {1, 9};
  ReadBack v = read_back(vm.build());
  r = module::verify(v.module);
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.error().offset.has_value());
  EXPECT_EQ(u32_at(v.bytes, *r.error().offset), 1U | (9U << 16));  // major, minor as u16s

  ModuleBuilder libs;
  libs.m().header.native_libraries = {"libm.so.6", ""};
  ReadBack l = read_back(libs.build());
  r = module::verify(l.module);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("native library 2 has an empty name"), std::string::npos);
  ASSERT_TRUE(r.error().offset.has_value());
  EXPECT_EQ(*r.error().offset, l.module.layout.native_libraries[1]);
  // The first library's string ends where the second's starts.
  EXPECT_EQ(*r.error().offset - l.module.layout.native_libraries[0],
            sizeof(std::uint32_t) + std::string("libm.so.6").size());
}

TEST(VerifyOffsets, DebugRejectionsNameTheEntry) {
  ModuleBuilder b;
  b.m().header.flags |= module::kHasDebugInfo;
  b.m().debug.files = {{1, "a.runa", std::nullopt}};
  // Entry 1 does not start an instruction (main is PUSH_CONST, RETURN).
  b.m().debug.lines = {{0, 1, 1, 1}, {1, 1, 2, 1}};
  ReadBack d = read_back(b.build());
  auto r = module::verify(d.module);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().section, "debug");
  EXPECT_NE(r.error().message.find("line entry 1: offset 1"), std::string::npos);
  ASSERT_TRUE(r.error().offset.has_value());
  EXPECT_EQ(*r.error().offset, d.module.layout.debug_lines[1]);
  EXPECT_EQ(u32_at(d.bytes, *r.error().offset), 1U);      // the entry's code offset field
  EXPECT_EQ(u32_at(d.bytes, *r.error().offset + 4), 1U);  // its file id

  b.m().debug.lines = {{0, 1, 1, 1}};
  b.m().debug.files.push_back({1, "b.runa", std::nullopt});  // a second file with id 1
  ReadBack twice = read_back(b.build());
  r = module::verify(twice.module);
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.error().offset.has_value());
  EXPECT_EQ(*r.error().offset, twice.module.layout.debug_files[1]);
  EXPECT_EQ(u32_at(twice.bytes, *r.error().offset), 1U);  // the file's id

  b.m().debug.files.pop_back();
  b.m().debug.vars = {{1, 40, 1, 1}};  // main has no slot 40
  ReadBack vars = read_back(b.build());
  r = module::verify(vars.module);
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.error().offset.has_value());
  EXPECT_EQ(*r.error().offset, vars.module.layout.debug_vars[0]);
  EXPECT_EQ(u32_at(vars.bytes, *r.error().offset), 1U);  // the function id
}

}  // namespace
}  // namespace runa::verify_test
