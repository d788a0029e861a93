// `runa run` prints a thread dump (Runtime::dump: every thread's stack and
// tasks) to standard error each time the process gets SIGQUIT (Ctrl-\ in a
// terminal, `kill -QUIT PID`), as a JVM does; the program goes on.
//
// Start-up cost (docs/engine.md, "Start-up"). A signal handler cannot make
// the dump (it stops the world, walks stacks and allocates: nothing
// async-signal-safe), nor start a thread to make it, and a stuck program,
// the one most worth a dump, runs no code of its own that could notice a
// flag; so, as a JVM's "Signal Dispatcher", one thread waits for the
// signal from the start. It is made to cost only its creation: it waits in
// sigwaitinfo unattached to the heap and calls no malloc (a thread's first
// malloc or free makes it a malloc arena of its own: a 128 MiB mapping
// trimmed to 64 MiB), and it is never woken nor joined at exit: it waits
// until the process ends. Only a signal makes it attach, dump and detach.
#pragma once

#include "runatime/heap.hpp"
#include "runatime/runtime.hpp"

namespace runa::cli {

// Invariants: block() runs before any other thread starts, so that SIGQUIT
// reaches only the watcher's sigwaitinfo instead of killing the process.
// At most one DumpOnSignal is alive at a time (signals are the process's);
// the watcher thread is started by the first and serves each in turn.
// While one is alive, its runtime is the one dumped; a dump runs under a
// lock that the destructor takes, so no dump outlives it, and a signal
// after it dumps nothing.
class DumpOnSignal {
 public:
  static void block();
  // `owner`: the mutator of the thread that will destroy this object; the
  // destructor waits for a dump under way in a native region of it, so
  // that the dump's stopped world does not wait for this thread.
  DumpOnSignal(rt::Runtime& runtime, heap::Mutator& owner);
  ~DumpOnSignal();
  DumpOnSignal(const DumpOnSignal&) = delete;
  DumpOnSignal& operator=(const DumpOnSignal&) = delete;
  DumpOnSignal(DumpOnSignal&&) = delete;
  DumpOnSignal& operator=(DumpOnSignal&&) = delete;

 private:
  heap::Mutator& owner_;
};

}  // namespace runa::cli
