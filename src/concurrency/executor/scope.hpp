// Scope: structured concurrency for tasks — children spawned in a scope
// are awaited by it, and failure or cancellation spreads through it.
//
//   Scope scope(executor);
//   scope.spawn(fetch(a));
//   scope.spawn(fetch(b));
//   co_await scope.join();  // both finished; rethrows the first failure
//
// Rules.
//  - join() returns only once every child has finished, whatever happens.
//  - A child that throws cancels its siblings; join() then rethrows that
//    first exception once all have finished.
//  - If the task awaiting join() is cancelled, join() cancels every child,
//    waits for them all, and throws Cancelled: cancelling a task cancels
//    the children of the scope it waits in — cancellation propagates down.
//  - A Scope destroyed before join() cancels its children (they run to
//    their next await and unwind); their shared state is counted, so they
//    never touch the destroyed Scope.
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "concurrency/executor/executor.hpp"
#include "concurrency/executor/join_handle.hpp"
#include "concurrency/executor/task.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

class Scope {
 public:
  explicit Scope(Executor& ex) : ex_(ex), s_(std::make_shared<State>()) {}
  ~Scope() { s_->cancel_all(); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  Scope(Scope&&) = delete;
  Scope& operator=(Scope&&) = delete;

  template <class T>
  void spawn(Task<T> task) {
    {
      std::lock_guard lock(s_->mu);
      ++s_->pending;
    }
    JoinHandle<void> h = ex_.spawn(child(std::move(task), s_));
    std::lock_guard lock(s_->mu);
    s_->children.push_back(std::move(h));
  }

  void cancel() { s_->cancel_all(); }

  Task<void> join() {
    bool cancelled = false;
    try {
      co_await WaitIdle{s_.get(), false};
    } catch (const Cancelled&) {
      cancelled = true;
    }
    if (cancelled) {
      s_->cancel_all();
      while (!s_->idle()) co_await WaitIdle{s_.get(), true};
      throw Cancelled();
    }
    std::exception_ptr e;
    {
      std::lock_guard lock(s_->mu);
      e = std::exchange(s_->error, nullptr);
      s_->children.clear();
    }
    if (e) std::rethrow_exception(e);
  }

 private:
  struct State {
    Mutex mu;
    unsigned pending = 0;
    std::exception_ptr error;
    std::vector<JoinHandle<void>> children;
    TaskRecord* waiter = nullptr;

    bool idle() {
      std::lock_guard lock(mu);
      return pending == 0;
    }
    void cancel_all() {
      std::lock_guard lock(mu);
      for (JoinHandle<void>& c : children) c.cancel();
    }
    void fail(std::exception_ptr e) {
      {
        std::lock_guard lock(mu);
        if (!error) error = std::move(e);
      }
      cancel_all();
    }
    void child_done() {
      std::lock_guard lock(mu);
      if (--pending == 0 && waiter != nullptr) std::exchange(waiter, nullptr)->wake();
    }
  };

  struct WaitIdle {
    State* s;
    bool ignore_cancel;
    bool await_ready() { return s->idle(); }
    bool await_suspend(std::coroutine_handle<> h) {
      TaskRecord* self = TaskRecord::current();
      if (!ignore_cancel && self->cancelled()) return false;
      {
        std::lock_guard lock(s->mu);
        if (s->pending == 0) return false;
        s->waiter = self;
      }
      return self->suspend(h);
    }
    void await_resume() {
      {
        std::lock_guard lock(s->mu);
        s->waiter = nullptr;
      }
      if (!ignore_cancel && TaskRecord::current()->cancelled() && !s->idle()) throw Cancelled();
    }
  };

  // The child's frame goes before child_done() (as in Executor::run_root).
  template <class T>
  static Task<void> child(Task<T> task, std::shared_ptr<State> s) {
    {
      Task<T> body = std::move(task);
      try {
        co_await body;
      } catch (...) {
        s->fail(std::current_exception());
      }
    }
    s->child_done();
  }

  Executor& ex_;
  std::shared_ptr<State> s_;
};

}  // namespace runa::concurrency
