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

WorkerGang::WorkerGang(unsigned workers, std::string_view name) : size_(workers), name_(name) {}

void WorkerGang::start() {
  if (started_.load(std::memory_order_acquire)) return;
  // Several threads may ask at once: two mutators whose allocations both
  // fail reach HeapImpl::collect together and both call start() before
  // either stops the world. Unserialised, both would see no threads and
  // emplace into threads_ at the same time (a torn vector, 2(n-1)
  // threads). Under start_mu_ the second finds started_ set and returns;
  // the acquire above pairs with the release below for the callers that
  // skip the lock.
  std::lock_guard start_lock(start_mu_);
  if (started_.load(std::memory_order_relaxed)) return;
  threads_.reserve(size_ - 1);
  try {
    for (unsigned i = 1; i < size_; ++i) {
      std::string suffix = "-" + std::to_string(i);
      std::string thread_name(std::string_view(name_).substr(0, kThreadNameMax - suffix.size()));
      threads_.emplace_back(&WorkerGang::work, this, i, thread_name + suffix);
    }
  } catch (...) {
    // The ones that did start are stopped and joined, and the gang is left
    // as before, so that a later start() may try again. No task has run
    // (run() starts the threads first), so generation_ is still 0, the
    // generation a new thread has seen.
    stop();
    threads_.clear();
    std::lock_guard lock(mu_);
    stopping_ = false;
    throw;
  }
  started_.store(true, std::memory_order_release);
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
  if (size_ == 1) {
    task.call(task.fn, 0);
    return;
  }
  start();
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
