// WorkerGang: a fixed group of threads that run one parallel task at a
// time — the garbage collector's workers.
//
// A gang of size n has n-1 threads of its own; the thread that calls run()
// is worker 0, so a gang of size 1 runs tasks inline and starts no thread.
// Between tasks the threads sleep on a condition variable.
//
// The threads start at the first start() or run(), not in the constructor:
// most short programs never collect, and two thread creations were a
// visible part of `runa run`'s start-up (docs/engine.md, "Start-up").
//
// Invariants (all guarded by mu_):
//  - generation_ counts the tasks started; each thread runs the task of
//    every generation exactly once, since run() does not return, and so
//    cannot start the next generation, before running_ has dropped to zero.
//  - task_ calls run()'s argument while a task runs.
// Taking mu_ to start and to finish a task orders everything the caller did
// before run() before the workers' part of the task, and everything the
// workers did before run() returns.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace runa::concurrency {

class WorkerGang {
 public:
  // workers >= 1. Thread i is named "<name>-<i>", the name cut so that the
  // whole fits the 15 bytes Linux keeps.
  explicit WorkerGang(unsigned workers, std::string_view name = "runa-worker");
  // Stops and joins the threads; no run() may be in progress.
  ~WorkerGang();
  WorkerGang(const WorkerGang&) = delete;
  WorkerGang& operator=(const WorkerGang&) = delete;
  WorkerGang(WorkerGang&&) = delete;
  WorkerGang& operator=(WorkerGang&&) = delete;

  [[nodiscard]] unsigned size() const { return size_; }

  // Starts the gang's threads unless they run already. Callers that must not
  // fail later (run() inside a collector's pause, which cannot report an
  // error) call it beforehand. Safe from several threads at once. Throws
  // std::system_error when a thread cannot be started; then none runs and
  // the next start() tries again.
  void start();

  // Runs fn(i) for i in [0, size()) — 0 on the calling thread, the others on
  // the gang's threads — and returns when all have returned. One run() at a
  // time (callers serialise). fn must not throw: an exception terminates
  // the process (the other workers still use fn). fn is called through a
  // pointer, never copied: starting a task allocates nothing (the collector
  // runs tasks inside pauses, which must not allocate) once the threads run;
  // the first run() starts them (start()) and terminates the process when
  // that fails.
  template <class Fn>
  void run(Fn&& fn) noexcept {
    using F = std::remove_reference_t<Fn>;
    run_task({static_cast<const void*>(std::addressof(fn)),
              [](const void* f, unsigned i) { (*static_cast<const F*>(f))(i); }});
  }

 private:
  struct Task {  // fn's operator() is const: a lambda that is not `mutable`
    const void* fn;
    void (*call)(const void* fn, unsigned index);
  };
  void run_task(Task task) noexcept;
  void work(unsigned index, const std::string& name);
  void stop();

  unsigned size_;
  std::string name_;
  // start(): started_ is set, release, after threads_ is complete; start_mu_
  // serialises the starters (see start()).
  std::atomic<bool> started_{false};
  std::mutex start_mu_;
  std::mutex mu_;
  std::condition_variable start_cv_;  // a task started, or stop
  std::condition_variable done_cv_;   // running_ reached zero
  Task task_{};
  std::uint64_t generation_ = 0;
  unsigned running_ = 0;  // gang threads still in the current task
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace runa::concurrency
