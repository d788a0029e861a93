// The natives tests' fixture: a heap (taking RUNA_GC, so the bridge-stress
// label collects at every allocation), a type system, the runtime's
// natives, and a helper that calls one with arguments held in handles.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bridge/natives.hpp"
#include "runatime/heap_options.hpp"

namespace runa::bridge {

using heap::Handle;
using heap::HandleScope;
using types::kNothing;
using types::make_small_int;

class NativesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    heap::Options base;
    base.nursery = 256 << 10;
    base.max_heap = 64 << 20;
    auto o = heap::options_from_env(base);
    ASSERT_TRUE(o.ok()) << o.error().describe();
    heap_ = std::move(heap::Heap::create(*o).value());
    ts_ = std::move(types::TypeSystem::create(*heap_).value());
    m_ = &heap_->attach();
    add_core_natives(natives_);
    out_ = open_memstream(&buffer_, &size_);
    ASSERT_NE(out_, nullptr);
  }
  void TearDown() override {
    std::fclose(out_);
    std::free(buffer_);
    heap_->detach(*m_);
    ts_.reset();
  }
  heap::Mutator& m() { return *m_; }

  struct Outcome {
    NativeStatus status;
    Value value;  // the result, or the exception thrown
  };
  // An argument: an immediate value, a String to make, or a held object.
  // call() puts each in a handle before making the next, so none is stale
  // when a collection moves objects at every allocation.
  struct Arg {
    Arg(Value immediate) : v(immediate) {}  // NOLINT(google-explicit-constructor)
    Arg(const char* text) : s(text) {}      // NOLINT(google-explicit-constructor)
    Arg(const Handle& held) : h(&held) {}   // NOLINT(google-explicit-constructor)
    Value v = kNothing;
    const char* s = nullptr;
    const Handle* h = nullptr;
  };
  // Calls the native `name` with `args`.
  Outcome call(const char* name, std::initializer_list<Arg> args) {
    const Native* n = natives_.find(name);
    EXPECT_NE(n, nullptr) << name;
    HandleScope scope(m());
    std::vector<Handle> held;
    std::vector<Value*> slots;
    held.reserve(args.size());
    for (const Arg& a : args) {
      held.emplace_back(m(), a.h != nullptr ? a.h->value() : a.s != nullptr ? str(a.s) : a.v);
      slots.push_back(held.back().slot());
    }
    NativeCall c{m(), *ts_, slots, out_};
    const NativeStatus s = Natives::call(*n, c);
    return {s, s == NativeStatus::kThrow ? c.thrown : c.result};
  }
  Value str(std::string_view s) { return ts_->strings().make(m(), s); }
  Value num(double d) { return types::make_float(ts_->context(), m(), d); }
  std::string text(Value s) {
    std::string out;
    ts_->strings().append_to(s, out);
    return out;
  }
  // The thrown exception's type name and message.
  std::string error(const Outcome& o) {
    EXPECT_EQ(o.status, NativeStatus::kThrow);
    if (o.status != NativeStatus::kThrow) return "";
    return ts_->type_of(o.value)->name + ": " + text(types::Exceptions::message(o.value));
  }
  std::string printed() {
    std::fflush(out_);
    return std::string(buffer_, size_);
  }

  std::unique_ptr<heap::Heap> heap_;
  std::unique_ptr<types::TypeSystem> ts_;
  heap::Mutator* m_ = nullptr;
  Natives natives_;
  std::FILE* out_ = nullptr;
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace runa::bridge
