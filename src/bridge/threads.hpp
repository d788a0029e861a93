// Threads for programs (docs/concurrency.md, "Threads and channels for
// programs"): thread_spawn(f) runs the callable f, with no arguments, on a
// new OS thread attached to the runtime as "thread N" (thread_spawn_named
// gives it a name instead); thread_join(t) waits for it and gives f's
// result, or throws again what f threw. thread_set_name renames the
// calling thread.
//
//   Thread  plain object (layout "Thread"), no references, one raw word:
//           the number of its Record.
//   Record  the OS thread and one persistent slot: the callable until the
//           thread has started, then f's result or the exception f threw.
//
// Invariants:
//   - Records are found by number under `mu_`, and join() takes its record
//     out of the table under the lock: two joins of one Thread never both
//     wait; the second raises ValueError.
//   - join() waits in a BlockingRegion: a thread waiting for another never
//     delays a collection.
//   - Nothing under `mu_` allocates or polls.
//   - A thread's name (rt::Thread::name) is written under the runtime's
//     ThreadRegistry lock, which the dump holds while it reads the names:
//     rename() on one thread never races a dump on another.
//   - The runtime joins every thread still running before it ends, as a
//     JVM waits for its non-daemon threads (join_all, from ~Runtime with no
//     thread of the caller attached). A thread nobody joined that threw has
//     its exception printed on stderr then, as `runa run` prints one main
//     did not catch.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "bridge/lazy_layout.hpp"
#include "runatime/runtime.hpp"

namespace runa::bridge {

using heap::Value;

class Threads {
 public:
  explicit Threads(rt::Runtime& r);

  [[nodiscard]] bool is_thread(Value v) const;
  // Starts *callable on a new thread: the Thread in *out. TypeError when it
  // is not callable with no arguments. MAY COLLECT.
  // `name` names the thread in dumps; empty: "thread N".
  bool spawn(rt::Thread& t, const Value* callable, std::string name, Value* out);
  // Renames the calling thread t.
  static void rename(rt::Thread& t, std::string name);
  // A name a program may give: 1 to kLongestName characters, none a control
  // character (a dump prints one thread per line). nullopt when it is one,
  // else what is wrong with it.
  static constexpr std::size_t kLongestName = 64;
  [[nodiscard]] static std::optional<std::string> bad_name(std::string_view name);
  // Waits for the thread in *thread to end: f's result in *out, or false
  // with what f threw in flight on t. MAY COLLECT.
  bool join(rt::Thread& t, const Value* thread, Value* out);
  void join_all();

 private:
  struct Record {
    std::thread os;
    Value* slot = nullptr;  // persistent: the callable, then the result or exception
    bool threw = false;
    std::string report;  // the uncaught exception as runa run prints it, when it threw
  };
  void run(Record& r, const std::string& name);

  rt::Runtime& runtime_;
  std::mutex mu_;
  std::map<std::uint64_t, std::unique_ptr<Record>> records_;
  std::uint64_t next_ = 1;
  LazyLayout layout_;  // the Thread objects' (is_thread)
};

}  // namespace runa::bridge
