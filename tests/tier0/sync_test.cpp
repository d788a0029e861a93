// Read-write locks, semaphores and conditions for programs
// (docs/concurrency.md, "Locks for programs"; src/bridge/sync.hpp): every
// error of their natives; readers sharing a RwLock but never with a
// writer, two producers and two consumers moving 200 values exactly once
// through one slot with a Condition and a Lock, a Semaphore of 2 permits
// bounding four threads to two at a time (all asserted on counters kept
// under a Lock, never on timings; also under tier0-stress: a collection at
// every allocation); and collections completing while a thread waits in
// each kind of wait.
#include <algorithm>

#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPrelude = R"(
.meta globals lk Any, cv Any, rw Any, sem Any, n Any, m Any, box Any, full Any, inside Any, writing Any, bad Any, most Any, waiting Any, ready Any
.type 1 primitive Integer
.type 2 primitive Boolean
.function 1 producer type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 1
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 100
  LE
  JUMP_IF_FALSE done
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
wait:
  LOAD_GLOBAL full
  JUMP_IF_FALSE put
  PUSH_CONST extern "condition_wait"
  LOAD_GLOBAL cv
  LOAD_GLOBAL lk
  CALL 2
  POP
  JUMP wait
put:
  LOAD_LOCAL i
  STORE_GLOBAL box
  PUSH_CONST true
  STORE_GLOBAL full
  PUSH_CONST extern "condition_notify_all"
  LOAD_GLOBAL cv
  CALL 1
  POP
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST 0
  RETURN
end:
.end
.function 2 consumer type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 100
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
wait:
  LOAD_GLOBAL full
  JUMP_IF_TRUE take
  PUSH_CONST extern "condition_wait"
  LOAD_GLOBAL cv
  LOAD_GLOBAL lk
  CALL 2
  POP
  JUMP wait
take:
  LOAD_GLOBAL n
  LOAD_GLOBAL box
  ADD
  STORE_GLOBAL n
  LOAD_GLOBAL m
  PUSH_CONST 1
  ADD
  STORE_GLOBAL m
  PUSH_CONST false
  STORE_GLOBAL full
  PUSH_CONST extern "condition_notify_all"
  LOAD_GLOBAL cv
  CALL 1
  POP
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST 0
  RETURN
end:
.end
.function 3 reader type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 50
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "rwlock_read"
  LOAD_GLOBAL rw
  CALL 1
  POP
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_GLOBAL inside
  PUSH_CONST 1
  ADD
  STORE_GLOBAL inside
  LOAD_GLOBAL writing
  JUMP_IF_FALSE in
  LOAD_GLOBAL bad
  PUSH_CONST 1
  ADD
  STORE_GLOBAL bad
in:
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST extern "text_length"
  PUSH_CONST "xy"
  CALL 1
  POP
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_GLOBAL inside
  PUSH_CONST 1
  SUB
  STORE_GLOBAL inside
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST extern "rwlock_read_release"
  LOAD_GLOBAL rw
  CALL 1
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST 0
  RETURN
end:
.end
.function 4 writer type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 50
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "rwlock_write"
  LOAD_GLOBAL rw
  CALL 1
  POP
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_GLOBAL inside
  PUSH_CONST 0
  NE
  LOAD_GLOBAL writing
  OR
  JUMP_IF_FALSE in
  LOAD_GLOBAL bad
  PUSH_CONST 1
  ADD
  STORE_GLOBAL bad
in:
  PUSH_CONST true
  STORE_GLOBAL writing
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST extern "text_length"
  PUSH_CONST "xy"
  CALL 1
  POP
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_GLOBAL inside
  PUSH_CONST 0
  NE
  JUMP_IF_FALSE out
  LOAD_GLOBAL bad
  PUSH_CONST 1
  ADD
  STORE_GLOBAL bad
out:
  PUSH_CONST false
  STORE_GLOBAL writing
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST extern "rwlock_write_release"
  LOAD_GLOBAL rw
  CALL 1
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST 0
  RETURN
end:
.end
.function 5 bounded type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 50
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "semaphore_acquire"
  LOAD_GLOBAL sem
  CALL 1
  POP
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_GLOBAL inside
  PUSH_CONST 1
  ADD
  STORE_GLOBAL inside
  LOAD_GLOBAL inside
  LOAD_GLOBAL most
  GT
  JUMP_IF_FALSE in
  LOAD_GLOBAL inside
  STORE_GLOBAL most
in:
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST extern "text_length"
  PUSH_CONST "xy"
  CALL 1
  POP
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_GLOBAL inside
  PUSH_CONST 1
  SUB
  STORE_GLOBAL inside
  LOAD_GLOBAL n
  PUSH_CONST 1
  ADD
  STORE_GLOBAL n
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST extern "semaphore_release"
  LOAD_GLOBAL sem
  CALL 1
  POP
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  PUSH_CONST 0
  RETURN
end:
.end
.function 6 read_once type "()->Any"
  PUSH_CONST extern "rwlock_read"
  LOAD_GLOBAL rw
  CALL 1
  POP
  PUSH_CONST extern "rwlock_read_release"
  LOAD_GLOBAL rw
  CALL 1
  POP
  PUSH_CONST "read"
  RETURN
.end
.function 7 write_once type "()->Any"
  PUSH_CONST extern "rwlock_write"
  LOAD_GLOBAL rw
  CALL 1
  POP
  PUSH_CONST extern "rwlock_write_release"
  LOAD_GLOBAL rw
  CALL 1
  POP
  PUSH_CONST "wrote"
  RETURN
.end
.function 8 take_permit type "()->Any"
  PUSH_CONST extern "semaphore_acquire"
  LOAD_GLOBAL sem
  CALL 1
  POP
  PUSH_CONST "took"
  RETURN
.end
.function 9 await_ready type "()->Any"
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST true
  STORE_GLOBAL waiting
check:
  LOAD_GLOBAL ready
  JUMP_IF_TRUE go
  PUSH_CONST extern "condition_wait"
  LOAD_GLOBAL cv
  LOAD_GLOBAL lk
  CALL 2
  POP
  JUMP check
go:
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST "woken"
  RETURN
.end
.function 10 wait_unheld type "()->Any"
  PUSH_CONST extern "condition_wait"
  LOAD_GLOBAL cv
  LOAD_GLOBAL lk
  CALL 2
  RETURN
.end
.function 11 read_release type "()->Any"
  PUSH_CONST extern "rwlock_read_release"
  LOAD_GLOBAL rw
  CALL 1
  RETURN
.end
)";

std::string call(std::string_view native, std::string_view args) {
  std::string code = "PUSH_CONST extern \"" + std::string(native) + "\"\n";
  int n = 0;
  for (std::size_t at = 0; at < args.size();) {
    const std::size_t end = std::min(args.find(' ', at), args.size());
    code += "LOAD_GLOBAL " + std::string(args.substr(at, end - at)) + "\n";
    ++n;
    at = end + 1;
  }
  return code + "CALL " + std::to_string(n) + "\n";
}
std::string step(std::string_view native, std::string_view args) {
  return call(native, args) + "POP\n";
}
// A new object of `native` (with `arg`, a constant, if any) in global g.
std::string make(std::string_view g, std::string_view native, std::string_view arg = "") {
  return "PUSH_CONST extern \"" + std::string(native) + "\"\n" +
         (arg.empty() ? "CALL 0\n" : "PUSH_CONST " + std::string(arg) + "\nCALL 1\n") +
         "STORE_GLOBAL " + std::string(g) + "\n";
}
std::string set(std::string_view g, std::string_view value) {
  return "PUSH_CONST " + std::string(value) + "\nSTORE_GLOBAL " + std::string(g) + "\n";
}
// Pushes a Thread running `function`.
std::string spawn(std::string_view function) {
  return "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function " + std::string(function) +
         "\nCALL 1\n";
}
// Joins the Thread on top of the stack, leaving what it returned.
const std::string kJoin = "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\n";
std::string collections(int count) {
  std::string code;
  for (int i = 0; i < count; ++i) {
    code += "PUSH_CONST extern \"gc_collect\"\nPUSH_CONST " +
            std::string(i % 2 == 0 ? "true" : "false") + "\nCALL 1\nPOP\n";
  }
  return code;
}

TEST_F(Tier0Test, RwLockNativesCheckTheirArgumentsAndTheirHolder) {
  const std::string p(kPrelude);
  const std::string rw = make("rw", "rwlock_new");
  EXPECT_EQ(
      eval("PUSH_CONST extern \"rwlock_read\"\nPUSH_CONST 3\nCALL 1\nRETURN", p).substr(0, 40),
      "! TypeError: rwlock_read: argument 1 mus");
  const std::string reading =
      ": this thread holds the read-write lock for reading already (it is not reentrant, and a "
      "read lock cannot become a write lock: release it first)";
  const std::string writing =
      ": this thread holds the read-write lock for writing already (it is not reentrant: release "
      "it first)";
  EXPECT_EQ(eval(rw + step("rwlock_read", "rw") + call("rwlock_read", "rw") + "RETURN", p),
            "! ValueError: rwlock_read" + reading);
  EXPECT_EQ(eval(rw + step("rwlock_read", "rw") + call("rwlock_write", "rw") + "RETURN", p),
            "! ValueError: rwlock_write" + reading);
  EXPECT_EQ(eval(rw + step("rwlock_write", "rw") + call("rwlock_write", "rw") + "RETURN", p),
            "! ValueError: rwlock_write" + writing);
  EXPECT_EQ(eval(rw + step("rwlock_write", "rw") + call("rwlock_read", "rw") + "RETURN", p),
            "! ValueError: rwlock_read" + writing);
  EXPECT_EQ(eval(rw + call("rwlock_read_release", "rw") + "RETURN", p),
            "! ValueError: rwlock_read_release: this thread does not hold the read-write lock "
            "for reading");
  EXPECT_EQ(eval(rw + step("rwlock_read", "rw") + call("rwlock_write_release", "rw") + "RETURN", p),
            "! ValueError: rwlock_write_release: this thread does not hold the read-write lock "
            "for writing");
  EXPECT_EQ(eval(rw + step("rwlock_write", "rw") + call("rwlock_read_release", "rw") + "RETURN", p),
            "! ValueError: rwlock_read_release: this thread does not hold the read-write lock "
            "for reading");
  // Another thread's read lock is not this thread's to release.
  EXPECT_EQ(eval(rw + step("rwlock_read", "rw") + spawn("read_release") + kJoin + "RETURN", p),
            "! ValueError: rwlock_read_release: this thread does not hold the read-write lock "
            "for reading");
  // Each mode taken and given back in turn: free again at the end.
  EXPECT_EQ(eval(rw + step("rwlock_read", "rw") + step("rwlock_read_release", "rw") +
                     step("rwlock_write", "rw") + step("rwlock_write_release", "rw") +
                     step("rwlock_read", "rw") + step("rwlock_read_release", "rw") +
                     spawn("write_once") + kJoin + "RETURN",
                 p),
            "= \"wrote\"");
}

TEST_F(Tier0Test, SemaphoreNativesCheckTheirArgumentsAndCountPermits) {
  const std::string p(kPrelude);
  EXPECT_EQ(
      eval(make("sem", "semaphore_new", "\"two\"") + "LOAD_GLOBAL sem\nRETURN", p).substr(0, 42),
      "! TypeError: semaphore_new: argument 1 mus");
  EXPECT_EQ(eval(make("sem", "semaphore_new", "-1") + "LOAD_GLOBAL sem\nRETURN", p),
            "! ValueError: semaphore_new: a number of permits is 0 to 1073741824, not -1");
  EXPECT_EQ(eval(make("sem", "semaphore_new", "1073741825") + "LOAD_GLOBAL sem\nRETURN", p),
            "! ValueError: semaphore_new: a number of permits is 0 to 1073741824, not 1073741825");
  // At the limit: made, and full.
  EXPECT_EQ(
      eval(make("sem", "semaphore_new", "1073741824") + call("semaphore_release", "sem") + "RETURN",
           p),
      "! ValueError: semaphore_release: the semaphore holds 1073741824 permits already, "
      "the most (more releases than acquires?)");
  EXPECT_EQ(eval(make("sem", "semaphore_new", "1073741824") + step("semaphore_acquire", "sem") +
                     step("semaphore_release", "sem") + call("semaphore_try", "sem") + "RETURN",
                 p),
            "= true");
  EXPECT_EQ(
      eval("PUSH_CONST extern \"semaphore_try\"\nPUSH_CONST 3\nCALL 1\nRETURN", p).substr(0, 42),
      "! TypeError: semaphore_try: argument 1 mus");
  EXPECT_EQ(eval(make("sem", "semaphore_new", "0") + call("semaphore_try", "sem") + "RETURN", p),
            "= false");
  // Two permits: two taken, none left; one given back (by any thread), one taken.
  const std::string two = make("sem", "semaphore_new", "2") + step("semaphore_acquire", "sem") +
                          step("semaphore_try", "sem");
  EXPECT_EQ(eval(two + call("semaphore_try", "sem") + "RETURN", p), "= false");
  EXPECT_EQ(
      eval(two + step("semaphore_release", "sem") + call("semaphore_try", "sem") + "RETURN", p),
      "= true");
}

TEST_F(Tier0Test, ConditionNativesCheckTheirArgumentsAndTheLock) {
  const std::string p(kPrelude);
  const std::string both = make("lk", "lock_new") + make("cv", "condition_new");
  EXPECT_EQ(eval(both + "PUSH_CONST extern \"condition_wait\"\nLOAD_GLOBAL lk\nLOAD_GLOBAL lk\n"
                        "CALL 2\nRETURN",
                 p)
                .substr(0, 43),
            "! TypeError: condition_wait: argument 1 mus");
  EXPECT_EQ(eval(both + "PUSH_CONST extern \"condition_wait\"\nLOAD_GLOBAL cv\nLOAD_GLOBAL cv\n"
                        "CALL 2\nRETURN",
                 p)
                .substr(0, 43),
            "! TypeError: condition_wait: argument 2 mus");
  EXPECT_EQ(eval(both + "PUSH_CONST extern \"condition_notify\"\nPUSH_CONST 1\nCALL 1\nRETURN", p)
                .substr(0, 45),
            "! TypeError: condition_notify: argument 1 mus");
  const std::string unheld =
      "! ValueError: condition_wait: this thread does not hold the lock (wait with the lock that "
      "guards the condition held)";
  EXPECT_EQ(eval(both + call("condition_wait", "cv lk") + "RETURN", p), unheld);
  // Held by another thread (main) is not held.
  EXPECT_EQ(eval(both + step("lock_acquire", "lk") + spawn("wait_unheld") + kJoin + "RETURN", p),
            unheld);
  // Notifying nobody is harmless.
  EXPECT_EQ(
      eval(both + step("condition_notify", "cv") + call("condition_notify_all", "cv") + "RETURN",
           p),
      "= nothing");
}

// While main holds a RwLock for reading, another thread reads too (it
// would wait forever if readers excluded each other).
TEST_F(Tier0Test, ReadersShareARwLock) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(make("rw", "rwlock_new") + step("rwlock_read", "rw") + spawn("read_once") + kJoin +
                     "RETURN",
                 p),
            "= \"read\"");
}

// Two readers and two writers, 50 rounds each, with a call inside every
// hold: `bad` counts a writer that found a reader or another writer in, or
// a reader that found a writer in.
TEST_F(Tier0Test, WritersExcludeReadersAndEachOther) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(make("rw", "rwlock_new") + make("lk", "lock_new") + set("inside", "0") +
                     set("writing", "false") + set("bad", "0") + spawn("reader") + spawn("writer") +
                     spawn("reader") + spawn("writer") + kJoin + "POP\n" + kJoin + "POP\n" + kJoin +
                     "POP\n" + kJoin + "POP\n" + "LOAD_GLOBAL bad\nRETURN",
                 p),
            "= 0");
}

// Two producers put 1 .. 100 each into one slot, two consumers take 100
// each: n, the sum taken, is 2 * 5050 and m, the count, 200 — each value
// moved exactly once. Returned as n * 1000 + m.
TEST_F(Tier0Test, AConditionAndALockMoveEveryValueExactlyOnce) {
  const std::string p(kPrelude);
  EXPECT_EQ(
      eval(make("lk", "lock_new") + make("cv", "condition_new") + set("n", "0") + set("m", "0") +
               set("full", "false") + spawn("producer") + spawn("consumer") + spawn("producer") +
               spawn("consumer") + kJoin + "POP\n" + kJoin + "POP\n" + kJoin + "POP\n" + kJoin +
               "POP\n" + "LOAD_GLOBAL n\nPUSH_CONST 1000\nMUL\nLOAD_GLOBAL m\nADD\nRETURN",
           p),
      "= 10100200");
}

// Four threads, 50 rounds each, through a Semaphore of 2 permits: never
// more than two inside at once, and all 200 rounds done.
TEST_F(Tier0Test, ASemaphoreBoundsHowManyThreadsAreIn) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(make("sem", "semaphore_new", "2") + make("lk", "lock_new") + set("inside", "0") +
                     set("most", "0") + set("n", "0") + spawn("bounded") + spawn("bounded") +
                     spawn("bounded") + spawn("bounded") + kJoin + "POP\n" + kJoin + "POP\n" +
                     kJoin + "POP\n" + kJoin + "POP\n" +
                     "LOAD_GLOBAL most\nPUSH_CONST 2\nLE\nJUMP_IF_FALSE over\nLOAD_GLOBAL n\n"
                     "RETURN\nover:\nLOAD_GLOBAL most\nRETURN",
                 p),
            "= 200");
}

// A thread waits in each kind of wait while main runs collections (the
// waiter is in a blocking region: a collection that waited for it would
// never end), then main lets it go.
TEST_F(Tier0Test, AThreadWaitingOnASynchroniserNeverDelaysACollection) {
  const std::string p(kPrelude);
  const std::string rw = make("rw", "rwlock_new");
  EXPECT_EQ(eval(rw + step("rwlock_write", "rw") + spawn("read_once") + collections(20) +
                     step("rwlock_write_release", "rw") + kJoin + "RETURN",
                 p),
            "= \"read\"");
  EXPECT_EQ(eval(rw + step("rwlock_read", "rw") + spawn("write_once") + collections(20) +
                     step("rwlock_read_release", "rw") + kJoin + "RETURN",
                 p),
            "= \"wrote\"");
  EXPECT_EQ(eval(make("sem", "semaphore_new", "0") + spawn("take_permit") + collections(20) +
                     step("semaphore_release", "sem") + kJoin + "RETURN",
                 p),
            "= \"took\"");
  // The waiter says it waits under the Lock, which it gives back only by
  // waiting on the Condition: once main sees `waiting`, the thread is in
  // condition_wait (or woken spuriously and about to wait again).
  EXPECT_EQ(eval(make("lk", "lock_new") + make("cv", "condition_new") + set("waiting", "false") +
                     set("ready", "false") + spawn("await_ready") + "spin:\n" + collections(1) +
                     step("lock_acquire", "lk") + "LOAD_GLOBAL waiting\n" +
                     step("lock_release", "lk") + "JUMP_IF_FALSE spin\n" + collections(20) +
                     step("lock_acquire", "lk") + set("ready", "true") +
                     step("condition_notify", "cv") + step("lock_release", "lk") + kJoin + "RETURN",
                 p),
            "= \"woken\"");
}

}  // namespace
}  // namespace runa::tier0
