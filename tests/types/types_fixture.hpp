// Test support for the types tests: a heap with the calling thread attached
// and a types Context; a type registry with modules assembled from `.runas`
// text and verified as a loader would, taking RUNA_GC on top of its own options as the
// memory tests' heaps do (tests/memory/heap_fixture.hpp), so that the
// types-stress label runs the whole suite with a collection every few
// allocations, verified and poisoned. Also the edge values the arithmetic
// tests share.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "runatime/heap.hpp"
#include "runatime/heap_options.hpp"
#include "runatime/module.hpp"
#include "runatime/values.hpp"
#include "types/type_registry.hpp"
#include "types/type_system.hpp"

namespace runa::types::testing {

inline bool under_test_modes() {
  const char* v = std::getenv("RUNA_GC");
  return v != nullptr && *v != '\0';
}

inline heap::Options small_options() {
  heap::Options o;
  o.nursery = 256 << 10;
  o.tlab = 4 << 10;
  o.max_heap = 64 << 20;
  return o;
}

struct TypesHeap {
  explicit TypesHeap(const heap::Options& base = small_options()) {
    auto o = heap::options_from_env(base);
    if (!o.ok()) {
      ADD_FAILURE() << o.error().describe();
      std::abort();
    }
    auto h = heap::Heap::create(o.value());
    if (!h.ok()) {
      ADD_FAILURE() << h.error().describe();
      std::abort();
    }
    heap = std::move(h.value());
    auto c = Context::create(*heap);
    if (!c.ok()) {
      ADD_FAILURE() << c.error().describe();
      std::abort();
    }
    cx = std::move(c.value());
    m = &heap->attach();
    heap::Layout a;
    a.kind = heap::LayoutKind::kRefArray;
    a.name = "refs";
    ref_array = heap->register_layout(a).value();
  }
  ~TypesHeap() {
    heap->detach(*m);
    cx.reset();
  }
  TypesHeap(const TypesHeap&) = delete;
  TypesHeap& operator=(const TypesHeap&) = delete;

  [[nodiscard]] heap::Object* new_ref_array(std::size_t n) const {
    return heap::allocate_array(*m, ref_array, heap::ref_array_bytes(n), n);
  }

  std::unique_ptr<heap::Heap> heap;
  std::unique_ptr<Context> cx;
  heap::Mutator* m = nullptr;
  std::uint32_t ref_array = 0;
};

// Integers at every boundary: the 64-bit range, the small range, and
// around 0, each with its neighbours.
inline std::vector<std::int64_t> edge_integers() {
  std::vector<std::int64_t> v;
  for (std::int64_t base : {INT64_MIN, kSmallIntMin, std::int64_t{0}, kSmallIntMax, INT64_MAX}) {
    for (std::int64_t d = -2; d <= 2; ++d) {
      std::int64_t x;
      if (!__builtin_add_overflow(base, d, &x)) v.push_back(x);
    }
  }
  for (std::int64_t x : {std::int64_t{7}, std::int64_t{-7}, std::int64_t{3037000499},
                         std::int64_t{-3037000500}, std::int64_t{1} << 30, std::int64_t{1} << 32,
                         -(std::int64_t{1} << 31), std::int64_t{1} << 62, -(std::int64_t{1} << 62),
                         std::int64_t{1} << 61, -(std::int64_t{1} << 61)})
    v.push_back(x);
  return v;
}

inline module::Module assembled(const std::string& text) {
  auto m = module::assemble(text, "test.runas");
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().describe());
  if (!m.ok()) return {};
  auto v = module::verify(*m);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().describe());
  return *m;
}

inline std::string example(const char* name) {
  std::ifstream in(std::string(RUNA_SOURCE_DIR) + "/examples/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TypesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    heap::Options o;
    o.max_heap = 64 << 20;
    // RUNA_GC applies, so the types tests run in the collector's test modes.
    auto with_env = heap::options_from_env(o);
    ASSERT_TRUE(with_env.ok()) << with_env.error().describe();
    auto h = heap::Heap::create(*with_env);
    ASSERT_TRUE(h.ok());
    heap_ = std::move(*h);
    registry_ = std::make_unique<TypeRegistry>(*heap_);
  }

  const ModuleTypes* load(const std::string& text) {
    auto loaded = registry_->load(assembled(text));
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().describe());
    return loaded.ok() ? *loaded : nullptr;
  }

  const TypeDesc* prim(Kind k) const { return registry_->primitive(k); }

  std::unique_ptr<heap::Heap> heap_;
  std::unique_ptr<TypeRegistry> registry_;
};

// A heap with the calling thread attached and the whole TypeSystem of the
// heap: the built-in types' tests start here.
class SystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto o = heap::options_from_env(small_options());
    ASSERT_TRUE(o.ok()) << o.error().describe();
    heap_ = std::move(heap::Heap::create(*o).value());
    ts_ = std::move(TypeSystem::create(*heap_).value());
    m_ = &heap_->attach();
    cx_ = &ts_->context();
    strings_ = &ts_->strings();
    lists_ = &ts_->lists();
    dicts_ = &ts_->dictionaries();
    sets_ = &ts_->sets();
    tuples_ = &ts_->tuples();
    rules_ = &ts_->keys();
    text_ = &ts_->text();
  }
  void TearDown() override {
    heap_->detach(*m_);
    ts_.reset();
  }
  heap::Mutator& m() { return *m_; }

  std::unique_ptr<heap::Heap> heap_;
  std::unique_ptr<TypeSystem> ts_;
  heap::Mutator* m_ = nullptr;
  const Context* cx_ = nullptr;
  const Strings* strings_ = nullptr;
  const Lists* lists_ = nullptr;
  const Dictionaries* dicts_ = nullptr;
  const Dictionaries* sets_ = nullptr;
  const Tuples* tuples_ = nullptr;
  const KeyRules* rules_ = nullptr;
  const TextRules* text_ = nullptr;
};

}  // namespace runa::types::testing
