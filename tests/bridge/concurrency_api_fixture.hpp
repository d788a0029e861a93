// The C++ concurrency API's tests' fixture (runatime/concurrency.hpp): a
// runtime with no tier (C++ behaviours and jobs need none), its heap
// taking RUNA_GC so the bridge-stress label collects at every allocation,
// the test's thread attached, and helpers for Strings, thrown exceptions
// and other attached threads.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "bridge/runtime_impl.hpp"
#include "runatime/concurrency.hpp"
#include "runatime/heap_options.hpp"

namespace runa::rt {

using heap::Handle;
using heap::HandleScope;
using types::kNothing;
using types::make_small_int;

class ConcurrencyApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    heap::Options base;
    base.max_heap = std::size_t{256} << 20;
    auto env = heap::options_from_env(base);
    ASSERT_TRUE(env.ok()) << env.error().describe();
    RuntimeOptions o;
    o.heap = *env;
    auto r = Runtime::create(o);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    runtime_ = std::move(*r);
    t_ = &runtime_->attach("test");
  }
  void TearDown() override {
    runtime_->detach(*t_);
    runtime_.reset();
  }

  Thread& t() { return *t_; }
  heap::Mutator& m() { return *t_->m; }
  types::TypeSystem& types() { return impl_of(*t_).types(); }

  // A String of `s` (a heap object: collections move it). MAY COLLECT.
  Value str(Thread& on, std::string_view s) { return impl_of(on).types().strings().make(*on.m, s); }
  std::string text(Thread& on, Value s) {
    std::string out;
    impl_of(on).types().strings().append_to(s, out);
    return out;
  }
  // "Type: message" of the exception in flight on `on`, cleared; "" for none.
  std::string take_exception(Thread& on) {
    if (on.exception == kNothing) return "";
    std::string out = bridge::describe_thrown(impl_of(on).types(), on.exception);
    on.exception = kNothing;
    on.trace = kNothing;
    return out;
  }

  // Runs body(thread) on a new thread attached to the runtime, and waits
  // for it in a native region (an attached thread blocked outside the
  // runtime must be, or a collection the other thread starts waits for it).
  void on_threads(const std::function<void(Thread&)>& a, const std::function<void(Thread&)>& b) {
    auto run = [this](const std::function<void(Thread&)>& body, const char* name) {
      return std::thread([this, &body, name] {
        Thread& on = runtime_->attach(name);
        body(on);
        runtime_->detach(on);
      });
    };
    std::thread first = run(a, "first");
    std::thread second = run(b, "second");
    const heap::NativeRegion region(m());
    first.join();
    second.join();
  }

  // Waits, in a native region, until `flag` is set: how a behaviour or a
  // job blocks on the test without holding collections up.
  static void wait_for(Thread& on, const std::atomic<bool>& flag) {
    const heap::NativeRegion region(*on.m);
    while (!flag.load(std::memory_order_acquire)) std::this_thread::yield();
  }

  std::unique_ptr<Runtime> runtime_;
  Thread* t_ = nullptr;
};

}  // namespace runa::rt
