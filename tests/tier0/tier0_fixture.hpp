// The tier-0 tests' fixture: a runtime (its heap takes RUNA_GC, so the
// tier0-stress label collects at every allocation, verified and poisoned)
// with tier 0 installed, and helpers that run a module's main and describe
// the outcome as text: "= <the result's literal>" or "! <Type>: <message>".
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "bridge/runtime_impl.hpp"
#include "runatime/heap_options.hpp"
#include "tier0.hpp"
#include "types/text.hpp"

namespace runa::tier0 {

class Tier0Test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("tier0_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    out_ = open_memstream(&buffer_, &size_);
    ASSERT_NE(out_, nullptr);
    rt::RuntimeOptions o;
    heap::Options base;
    base.max_heap = std::size_t{256} << 20;
    auto env = heap::options_from_env(base);
    ASSERT_TRUE(env.ok()) << env.error().describe();
    o.heap = *env;
    o.module_path = {dir_.string()};
    o.out = out_;
    o.arguments = {"first", "second"};
    o.policy.call_threshold = call_threshold_;
    auto r = rt::Runtime::create(o);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    runtime_ = std::move(*r);
    engine_ = Engine::install(*runtime_);
    t_ = &runtime_->attach();
  }
  void TearDown() override {
    if (t_ != nullptr) runtime_->detach(*t_);  // a test may end the runtime itself
    runtime_.reset();
    engine_.reset();
    std::fclose(out_);
    std::free(buffer_);
    std::filesystem::remove_all(dir_);
  }

  // Writes NAME.runas into the module path.
  std::string file(const std::string& name, std::string_view text) {
    const std::string path = (dir_ / (name + ".runas")).string();
    std::ofstream(path) << text;
    return path;
  }

  // Loads the module and runs its main: the outcome as text.
  std::string run(std::string_view text) {
    auto m = runtime_->load(*t_, file("m" + std::to_string(++modules_), text));
    if (!m) {
      if (t_->exception != 0) return "! " + thrown();
      return "load: " + m.error().describe();
    }
    const rt::FunctionInfo* main = (*m)->function("main");
    if (main == nullptr) return "no main";
    heap::HandleScope scope(*t_->m);
    heap::Handle result(*t_->m, types::kNothing);
    if (!runtime_->call(*t_, main->object, nullptr, 0, result.slot())) return "! " + thrown();
    std::string out = "= ";
    types().text().append_literal(result.value(), out);
    return out;
  }

  // main's code (returning any value) after the types and functions in
  // `rest`: ids 900 and up are the prelude's.
  std::string eval(std::string_view code, std::string_view rest = "") {
    std::string text = std::string(rest) +
                       "\n.type 900 primitive Any\n"
                       ".type 901 function \"()->Any\" params returns Any\n"
                       ".function 900 main type \"()->Any\"\n" +
                       std::string(code) + "\n.end\n";
    return run(text);
  }

  // "Type: message" of the exception in flight.
  std::string thrown() {
    const Value e = t_->exception;
    t_->exception = types::kNothing;
    t_->trace = types::kNothing;
    if (!types().exceptions().is_exception(e)) {
      std::string out = "value ";
      types().text().append_literal(e, out);
      return out;
    }
    std::string out = types().type_of(e)->name + ": ";
    types().strings().append_to(types::Exceptions::message(e), out);
    return out;
  }

  std::string printed() {
    std::fflush(out_);
    return std::string(buffer_, size_);
  }

  types::TypeSystem& types() { return runtime_->impl().types(); }

  std::uint32_t call_threshold_ = 1000;
  std::filesystem::path dir_;
  std::unique_ptr<rt::Runtime> runtime_;
  std::unique_ptr<Engine> engine_;
  rt::Thread* t_ = nullptr;
  std::FILE* out_ = nullptr;
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  int modules_ = 0;
};

}  // namespace runa::tier0
