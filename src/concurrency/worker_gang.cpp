// WorkerGang: starting, running and stopping the threads (the handshake is
// described in worker_gang.hpp).
#include "concurrency/worker_gang.hpp"

#include <pthread.h>

#include <string>

namespace runa::concurrency {
namespace {

// Linux keeps 15 bytes of a thread's name (16 with the terminating NUL).
constexpr std::size_t kThreadNameMax = 15;

}  // namespace

WorkerGang::WorkerGang(unsigned workers, std::string_view name) : size_(workers) {
  threads_.reserve(workers - 1);
  try {
    for (unsigned i = 1; i < workers; ++i) {
      std::string suffix = "-" + std::to_string(i);
      std::string thread_name(name.substr(0, kThreadNameMax - suffix.size()));
      threads_.emplace_back(&WorkerGang::work, this, i, thread_name + suffix);
    }
  } catch (...) {
    // A thread could not be started: the destructor will not run, so the
    // ones that did must be joined here.
    stop();
    throw;
  }
}

WorkerGang::~WorkerGang() {
  stop();
}

void WorkerGang::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  start_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerGang::run_task(Task task) noexcept {
  if (threads_.empty()) {
    task.call(task.fn, 0);
    return;
  }
  {
    std::lock_guard lock(mu_);
    task_ = task;
    running_ = size_ - 1;
    ++generation_;
  }
  start_cv_.notify_all();
  task.call(task.fn, 0);
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return running_ == 0; });
  task_ = Task{};
}

void WorkerGang::work(unsigned index, const std::string& name) {
  // Only a debugging aid (ps, gdb, perf): a failure changes nothing else.
  pthread_setname_np(pthread_self(), name.c_str());
  std::uint64_t seen = 0;
  std::unique_lock lock(mu_);
  for (;;) {
    start_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    Task task = task_;
    lock.unlock();
    task.call(task.fn, index);
    lock.lock();
    if (--running_ == 0) done_cv_.notify_one();
  }
}

}  // namespace runa::concurrency
