// The C ABI tests' shared helpers: a heap with a node type and an attached
// mutator (CHeap), taking RUNA_GC like the C++ test heaps, and status checks.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "runatime.h"

namespace runa::capi_test {

inline rt_value imm(std::uint64_t n) {
  return (n << 3) | 1;
}

inline std::string last_error() {
  return rt_last_error();
}

#define ASSERT_RT_OK(call) ASSERT_EQ((call), RT_OK) << rt_last_error()
#define EXPECT_RT_OK(call) EXPECT_EQ((call), RT_OK) << rt_last_error()

// RUNA_GC applies on top of every test heap's options, as for the C++ test
// heaps (heap_fixture.hpp), through the C ABI's own parser. (Every test
// here holds in those modes; the stress run has them all.)
inline const char* gc_env() {
  const char* v = std::getenv("RUNA_GC");
  return v != nullptr && *v != '\0' ? v : nullptr;
}

inline rt_heap_options small_options() {
  rt_heap_options o;
  rt_heap_options_init(&o);
  o.nursery = 256 << 10;
  o.tlab = 4 << 10;
  o.max_heap = 64 << 20;
  o.promotion_age = 2;
  if (const char* env = gc_env()) {
    EXPECT_EQ(rt_heap_options_parse(env, &o), RT_OK) << rt_last_error();
  }
  return o;
}

// A heap with the calling thread attached and a few layouts.
struct CHeap {
  explicit CHeap(const rt_heap_options& o = small_options()) {
    EXPECT_EQ(rt_heap_create(&o, &heap), RT_OK) << rt_last_error();
    EXPECT_EQ(rt_attach(heap, &m), RT_OK) << rt_last_error();
    rt_layout l;
    rt_layout_init(&l);
    l.object_size = 24;  // header, next, payload
    l.refs = 1;
    l.name = "node";
    EXPECT_EQ(rt_register_layout(heap, &l, &node), RT_OK) << rt_last_error();
    l.kind = RT_LAYOUT_REF_ARRAY;
    l.name = "refs";
    EXPECT_EQ(rt_register_layout(heap, &l, &refs), RT_OK) << rt_last_error();
    l.kind = RT_LAYOUT_BYTE_ARRAY;
    l.name = "bytes";
    EXPECT_EQ(rt_register_layout(heap, &l, &bytes), RT_OK) << rt_last_error();
  }
  ~CHeap() {
    if (m != nullptr) {
      EXPECT_EQ(rt_detach(heap, m), RT_OK) << rt_last_error();
    }
    EXPECT_EQ(rt_heap_destroy(heap), RT_OK) << rt_last_error();
  }
  CHeap(const CHeap&) = delete;
  CHeap& operator=(const CHeap&) = delete;

  rt_value new_node(std::uint64_t id) const {
    rt_value v = 0;
    EXPECT_EQ(rt_allocate(m, node, &v), RT_OK) << rt_last_error();
    rt_object_slots(v)[1] = id;
    return v;
  }
  static std::uint64_t id(rt_value v) { return rt_object_slots(v)[1]; }
  rt_heap_stats stats() const {
    rt_heap_stats s;
    rt_heap_stats_init(&s);
    EXPECT_EQ(rt_heap_get_stats(heap, &s), RT_OK) << rt_last_error();
    return s;
  }

  rt_heap* heap = nullptr;
  rt_mutator* m = nullptr;
  std::uint32_t node = 0;
  std::uint32_t refs = 0;
  std::uint32_t bytes = 0;
};

}  // namespace runa::capi_test
