#include "dump_on_signal.hpp"

#include <csignal>
#include <cstdio>

namespace runa::cli {

namespace {

sigset_t quit_signal() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGQUIT);
  return s;
}

}  // namespace

void DumpOnSignal::block() {
  sigset_t s = quit_signal();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

DumpOnSignal::DumpOnSignal(rt::Runtime& runtime) : runtime_(runtime), thread_([this] { run(); }) {}

// The thread waits without a timeout: the destructor wakes it with the
// signal itself, after setting stop_ (a SIGQUIT from outside arriving then
// is taken as the wake-up and dumps nothing: the program is ending).
DumpOnSignal::~DumpOnSignal() {
  stop_.store(true, std::memory_order_release);
  pthread_kill(thread_.native_handle(), SIGQUIT);
  thread_.join();
}

void DumpOnSignal::run() {
  heap::Mutator& m = runtime_.heap().attach();
  const sigset_t s = quit_signal();
  for (;;) {
    {
      heap::NativeRegion waiting(m);
      while (sigwaitinfo(&s, nullptr) < 0) {
      }
    }
    if (stop_.load(std::memory_order_acquire)) break;
    const std::string dump = runtime_.dump(m);
    std::fputs(dump.c_str(), stderr);
    std::fflush(stderr);
  }
  runtime_.heap().detach(m);
}

}  // namespace runa::cli
