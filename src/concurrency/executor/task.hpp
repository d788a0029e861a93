// Task<T>: a lazy C++20 coroutine that computes a T — the unit the async
// executor runs.
//
// A Task does nothing until it is awaited (`co_await task` inside another
// coroutine) or spawned (Executor::spawn, executor.hpp). Awaiting starts it
// by symmetric transfer (await_suspend returns its handle), and its final
// suspension transfers back to the awaiting coroutine the same way, so a
// chain of awaits grows no native stack and costs a jump each way. The
// result, or the exception that escaped the body, is kept in the promise
// and handed to the awaiter by await_resume.
//
// Ownership: a Task owns its coroutine frame and destroys it in its
// destructor; it is move-only. A Task is awaited at most once, or spawned:
// Executor::spawn takes its frame over (release()), and when it finishes
// with no awaiter to return to, its final suspension hands its outcome to
// the spawned task's record and destroys the frame
// (TaskResult::complete). Nothing else starts a Task, so "no awaiter"
// means "spawned".
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <utility>
#include <variant>

#include "concurrency/executor/join_handle.hpp"
#include "concurrency/pool/job_cache.hpp"

namespace runa::concurrency {

template <class T = void>
class [[nodiscard]] Task {
 public:
  struct promise_type;
  using Handle = std::coroutine_handle<promise_type>;

  struct FinalAwaiter {
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(Handle h) noexcept {
      std::coroutine_handle<> next = h.promise().continuation;
      if (next) return next;
      TaskResult<T>::complete(h);  // a spawned task's end (see Ownership)
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };

  struct PromiseBase {
    // Frames come from the worker's JobCache: a task is usually freed on
    // another worker than the one that made it (job_cache.hpp).
    static void* operator new(std::size_t bytes) { return JobCache::allocate(bytes); }
    static void operator delete(void* p, std::size_t bytes) { JobCache::release(p, bytes); }
    std::coroutine_handle<> continuation;
    std::exception_ptr error;
    static std::suspend_always initial_suspend() noexcept { return {}; }
    static FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };

  struct promise_type : PromiseBase {
    std::variant<std::monostate, T> value;
    Task get_return_object() { return Task(Handle::from_promise(*this)); }
    template <class U>
    void return_value(U&& v) {
      value.template emplace<1>(std::forward<U>(v));
    }
    T take() {
      if (this->error) std::rethrow_exception(this->error);
      return std::move(std::get<1>(value));
    }
  };

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  [[nodiscard]] bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    h_.promise().continuation = awaiting;
    return h_;
  }
  T await_resume() { return h_.promise().take(); }

  // For Executor::spawn: the frame, which this Task no longer owns.
  [[nodiscard]] std::coroutine_handle<> release() { return std::exchange(h_, {}); }

 private:
  explicit Task(Handle h) : h_(h) {}
  Handle h_;
};

// Task<void>: the same with return_void.
template <>
struct Task<void>::promise_type : Task<void>::PromiseBase {
  Task get_return_object() { return Task(Handle::from_promise(*this)); }
  void return_void() noexcept {}
  void take() {
    if (this->error) std::rethrow_exception(this->error);
  }
};

}  // namespace runa::concurrency
