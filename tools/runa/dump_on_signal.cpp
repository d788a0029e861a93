// DumpOnSignal (dump_on_signal.hpp): the process's one SIGQUIT watcher
// thread and the runtime it dumps.
//
// The watcher is a bare pthread, not a std::thread: std::thread hands its
// callable to the new thread on the heap and frees it there, and that free
// alone would give the thread its own malloc arena. Its argument is static
// and it touches the heap only after a signal.
#include "dump_on_signal.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <mutex>
#include <string>

namespace runa::cli {

namespace {

sigset_t quit_signal() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGQUIT);
  return s;
}

// What the watcher serves. Constant-initialised and trivially destroyed
// (std::mutex is), so it outlives every use: the watcher may wake during
// the process's exit and find `runtime` null.
struct Watch {
  std::mutex mu;
  rt::Runtime* runtime = nullptr;  // guarded by mu; null: no dump
  bool started = false;            // guarded by mu
};
constinit Watch g_watch;

void dump(rt::Runtime& runtime) {
  heap::Mutator& m = runtime.heap().attach();
  const std::string text = runtime.dump(m);
  runtime.heap().detach(m);
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

void* watch(void* /*unused*/) {
  const sigset_t s = quit_signal();
  for (;;) {
    if (sigwaitinfo(&s, nullptr) < 0) continue;  // EINTR
    std::lock_guard lock(g_watch.mu);
    if (g_watch.runtime != nullptr) dump(*g_watch.runtime);
  }
}

}  // namespace

void DumpOnSignal::block() {
  sigset_t s = quit_signal();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

DumpOnSignal::DumpOnSignal(rt::Runtime& runtime, heap::Mutator& owner) : owner_(owner) {
  std::lock_guard lock(g_watch.mu);
  g_watch.runtime = &runtime;
  if (g_watch.started) return;
  pthread_attr_t attr;
  pthread_t thread{};
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  const int error = pthread_create(&thread, &attr, watch, nullptr);
  pthread_attr_destroy(&attr);
  if (error != 0) {
    // A program runs as well without its dumps, but SIGQUIT, blocked, would
    // now be ignored without a word.
    std::fputs("runa run: cannot start the SIGQUIT thread dump's thread\n", stderr);
    return;
  }
  g_watch.started = true;
}

DumpOnSignal::~DumpOnSignal() {
  heap::NativeRegion waiting(owner_);
  std::lock_guard lock(g_watch.mu);
  g_watch.runtime = nullptr;
}

}  // namespace runa::cli
