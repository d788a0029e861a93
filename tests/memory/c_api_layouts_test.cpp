// The C ABI's 1.3 layout additions: tailed kinds, weak fields, the type
// descriptor, and callers of the 1.1/1.2 rt_layout that stay safe.
#include <cstring>

#include "c_api_fixture.hpp"

namespace runa::capi_test {
namespace {

int descriptor_tag = 0;

TEST(CApiLayouts, TailedObjectsWeakFieldsAndDescriptors) {
  CHeap t;
  // A closure: a function field, a weak field, then cells.
  rt_layout l;
  ASSERT_RT_OK(rt_layout_init(&l));
  l.kind = RT_LAYOUT_REF_TAIL;
  l.object_size = 32;
  l.refs = 2;
  l.name = "Closure";
  std::uint32_t weak[] = {1};
  l.weak_fields = weak;
  l.weak_count = 1;
  l.descriptor = &descriptor_tag;
  std::uint32_t closure = 0;
  ASSERT_RT_OK(rt_register_layout(t.heap, &l, &closure));
  weak[0] = 0;  // copied at registration

  rt_layout got;
  ASSERT_RT_OK(rt_layout_init(&got));
  ASSERT_RT_OK(rt_get_layout(t.heap, closure, &got));
  EXPECT_EQ(got.kind, static_cast<std::uint32_t>(RT_LAYOUT_REF_TAIL));
  EXPECT_EQ(got.object_size, 32u);
  ASSERT_EQ(got.weak_count, 1u);
  EXPECT_EQ(got.weak_fields[0], 1u);
  EXPECT_EQ(got.descriptor, &descriptor_tag);

  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(t.m, &scope));
  rt_value c = 0;
  ASSERT_RT_OK(rt_allocate_array(t.m, closure, 3, &c));
  EXPECT_EQ(rt_array_length(c), 3u);
  std::size_t size = 0;
  ASSERT_RT_OK(rt_object_size(t.heap, c, &size));
  EXPECT_EQ(size, rt_ref_tail_bytes(32, 3));
  rt_handle hc;
  ASSERT_RT_OK(rt_handle_new(t.m, c, &hc));
  rt_handle hkept;
  ASSERT_RT_OK(rt_handle_new(t.m, t.new_node(7), &hkept));
  rt_value kept = 0;
  ASSERT_RT_OK(rt_handle_get(hkept, &kept));
  ASSERT_RT_OK(rt_handle_get(hc, &c));
  rt_value* fields = rt_object_slots(c) + 1;         // after the length word
  ASSERT_RT_OK(rt_write(t.m, c, fields + 1, kept));  // weak, kept alive elsewhere
  ASSERT_RT_OK(rt_write(t.m, c, fields + 4, kept));  // the last cell, strong
  EXPECT_EQ(rt_write(t.m, c, fields + 5, kept), RT_ERROR_INVALID_ARGUMENT);  // past the tail
  rt_value cell = t.new_node(8);
  ASSERT_RT_OK(rt_handle_get(hc, &c));
  fields = rt_object_slots(c) + 1;
  ASSERT_RT_OK(rt_write(t.m, c, fields + 3, cell));  // a strong cell...
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MINOR));
  ASSERT_RT_OK(rt_handle_get(hc, &c));
  ASSERT_RT_OK(rt_handle_get(hkept, &kept));
  fields = rt_object_slots(c) + 1;
  EXPECT_EQ(fields[1], kept);
  EXPECT_EQ(fields[4], kept);
  ASSERT_TRUE(rt_is_ref(fields[3]));
  EXPECT_EQ(CHeap::id(fields[3]), 8u);  // ...keeps its referent alive
  ASSERT_RT_OK(rt_handle_set(hkept, 0));
  ASSERT_RT_OK(rt_write(t.m, c, fields + 4, 0));
  ASSERT_RT_OK(rt_collect(t.heap, t.m, RT_COLLECT_MAJOR));
  ASSERT_RT_OK(rt_handle_get(hc, &c));
  EXPECT_EQ(rt_object_slots(c)[2], 0u);  // the weak field, cleared
  const void* d = nullptr;
  ASSERT_RT_OK(rt_descriptor_of(t.heap, c, &d));
  EXPECT_EQ(d, &descriptor_tag);
  ASSERT_RT_OK(rt_descriptor_of(t.heap, t.new_node(1), &d));
  EXPECT_EQ(d, nullptr);
  EXPECT_EQ(rt_descriptor_of(t.heap, 0, &d), RT_ERROR_INVALID_ARGUMENT);
  ASSERT_RT_OK(rt_heap_verify(t.heap, t.m));
  ASSERT_RT_OK(rt_handle_scope_close(&scope));

  // A String: length, hash, bytes; allocated by every call taking a length.
  ASSERT_RT_OK(rt_layout_init(&l));
  l.kind = RT_LAYOUT_BYTE_TAIL;
  l.object_size = 24;
  l.name = "String";
  std::uint32_t string = 0;
  ASSERT_RT_OK(rt_register_layout(t.heap, &l, &string));
  rt_value s = 0;
  ASSERT_RT_OK(rt_allocate_large(t.m, string, 5, &s));
  ASSERT_RT_OK(rt_object_size(t.heap, s, &size));
  EXPECT_EQ(size, rt_byte_tail_bytes(24, 5));
  EXPECT_EQ(rt_allocate(t.m, string, &s), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_allocate_slow(t.m, string, 16, &s), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("at least 24"), std::string::npos) << last_error();

  // Registration errors name the problem.
  ASSERT_RT_OK(rt_layout_init(&l));
  l.kind = RT_LAYOUT_REF_TAIL;
  l.object_size = 32;  // a raw word before a ref tail
  l.refs = 1;
  std::uint32_t type = 0;
  EXPECT_EQ(rt_register_layout(t.heap, &l, &type), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("no raw words"), std::string::npos) << last_error();
  l.kind = RT_LAYOUT_PLAIN;
  l.weak_fields = weak;
  l.weak_count = 1;
  weak[0] = 3;
  EXPECT_EQ(rt_register_layout(t.heap, &l, &type), RT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("weak field 3"), std::string::npos) << last_error();
  l.kind = RT_LAYOUT_BYTE_TAIL + 1;
  EXPECT_EQ(rt_register_layout(t.heap, &l, &type), RT_ERROR_INVALID_ARGUMENT);
}

TEST(CApiLayouts, A12SizedLayoutIsReadAndWrittenNoFurther) {
  EXPECT_EQ(RT_ABI_VERSION_MINOR, 10);
  constexpr std::size_t k12 = offsetof(rt_layout, descriptor);  // 1.1 and 1.2 size
  struct Guarded {
    rt_layout layout;
    unsigned char after[8];
  } g;
  std::memset(&g, 0xAB, sizeof g);
  ASSERT_RT_OK(rt_layout_init_sized(&g.layout, k12));
  EXPECT_EQ(g.layout.size, k12);
  EXPECT_EQ(reinterpret_cast<const unsigned char*>(&g.layout)[k12], 0xAB);
  CHeap t;
  g.layout.object_size = 16;
  g.layout.refs = 1;
  g.layout.name = "old";
  std::uint32_t type = 0;
  // The bytes past its size (0xAB) are not read: no weak fields, no descriptor.
  ASSERT_RT_OK(rt_register_layout(t.heap, &g.layout, &type));
  std::memset(&g, 0xAB, sizeof g);
  g.layout.size = k12;
  ASSERT_RT_OK(rt_get_layout(t.heap, type, &g.layout));
  EXPECT_EQ(g.layout.refs, 1u);
  EXPECT_EQ(reinterpret_cast<const unsigned char*>(&g.layout)[k12], 0xAB);
  rt_layout full;
  ASSERT_RT_OK(rt_layout_init(&full));
  ASSERT_RT_OK(rt_get_layout(t.heap, type, &full));
  EXPECT_EQ(full.weak_count, 0u);
  EXPECT_EQ(full.descriptor, nullptr);
}

}  // namespace
}  // namespace runa::capi_test
