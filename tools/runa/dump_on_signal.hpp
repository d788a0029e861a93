// `runa run` prints a thread dump (Runtime::dump: every thread's stack and
// tasks) to standard error each time the process gets SIGQUIT (Ctrl-\ in a
// terminal, `kill -QUIT PID`), as a JVM does; the program goes on.
#pragma once

#include <pthread.h>

#include <atomic>
#include <thread>

#include "runatime/runtime.hpp"

namespace runa::cli {

// One thread of its own, attached to the heap and waiting for the signal
// in a native region (it never delays a collection). block() must run
// before any other thread starts, so that SIGQUIT reaches only this
// thread's sigwaitinfo instead of killing the process.
class DumpOnSignal {
 public:
  static void block();
  explicit DumpOnSignal(rt::Runtime& runtime);
  ~DumpOnSignal();
  DumpOnSignal(const DumpOnSignal&) = delete;
  DumpOnSignal& operator=(const DumpOnSignal&) = delete;
  DumpOnSignal(DumpOnSignal&&) = delete;
  DumpOnSignal& operator=(DumpOnSignal&&) = delete;

 private:
  void run();

  rt::Runtime& runtime_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace runa::cli
