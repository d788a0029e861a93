// Test support for the types tests: a registry over a small heap, and
// modules assembled from `.runas` text and verified as a loader would.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "runatime/heap.hpp"
#include "runatime/heap_options.hpp"
#include "runatime/module.hpp"
#include "types/type_registry.hpp"

namespace runa::types::testing {

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

}  // namespace runa::types::testing
