// Locks for programs (docs/concurrency.md, "Locks for programs"): the
// natives' errors (a Lock is not reentrant, only its holder releases it),
// lock_try against another thread's hold, mutual exclusion of threads
// incrementing one global through a read, a call and a write (also under
// tier0-stress: a collection at every allocation), and collections
// completing while a thread waits for a Lock.
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

constexpr std::string_view kPrelude = R"(
.meta globals lk Any, n Any
.type 1 primitive Integer
.type 2 primitive Boolean
.function 1 add_many type "()->Any"
  .local i type Integer slot 0 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  PUSH_CONST 300
  LT
  JUMP_IF_FALSE done
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  LOAD_GLOBAL n
  PUSH_CONST extern "text_length"
  PUSH_CONST "xy"
  CALL 1
  POP
  PUSH_CONST 1
  ADD
  STORE_GLOBAL n
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
.function 2 try_it type "()->Any"
  PUSH_CONST extern "lock_try"
  LOAD_GLOBAL lk
  CALL 1
  RETURN
.end
.function 3 release_it type "()->Any"
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  RETURN
.end
.function 4 wait_for_it type "()->Any"
  PUSH_CONST extern "lock_acquire"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST extern "lock_release"
  LOAD_GLOBAL lk
  CALL 1
  POP
  PUSH_CONST "got it"
  RETURN
.end
)";

// `rest` with a new Lock in lk and 0 in n.
std::string with_lock(std::string_view rest) {
  return "PUSH_CONST extern \"lock_new\"\nCALL 0\nSTORE_GLOBAL lk\nPUSH_CONST 0\n"
         "STORE_GLOBAL n\n" +
         std::string(rest);
}
std::string call(std::string_view native) {
  return "PUSH_CONST extern \"" + std::string(native) + "\"\nLOAD_GLOBAL lk\nCALL 1\n";
}
std::string spawn_join(std::string_view function) {
  return "PUSH_CONST extern \"thread_join\"\nPUSH_CONST extern \"thread_spawn\"\n"
         "PUSH_CONST function " +
         std::string(function) + "\nCALL 1\nCALL 1\n";
}

TEST_F(Tier0Test, LockNativesCheckTheirArgumentsAndTheirHolder) {
  const std::string p(kPrelude);
  EXPECT_EQ(
      eval("PUSH_CONST extern \"lock_acquire\"\nPUSH_CONST 3\nCALL 1\nRETURN", p).substr(0, 41),
      "! TypeError: lock_acquire: argument 1 mus");
  EXPECT_EQ(eval(with_lock(call("lock_acquire") + "POP\n" + call("lock_acquire") + "RETURN"), p),
            "! ValueError: lock_acquire: this thread holds the lock already (a Lock is not "
            "reentrant)");
  EXPECT_EQ(eval(with_lock(call("lock_acquire") + "POP\n" + call("lock_try") + "RETURN"), p),
            "! ValueError: lock_try: this thread holds the lock already (a Lock is not "
            "reentrant)");
  EXPECT_EQ(eval(with_lock(call("lock_release") + "RETURN"), p),
            "! ValueError: lock_release: this thread does not hold the lock");
  // Taken and given back, twice: a free Lock is free again.
  EXPECT_EQ(eval(with_lock(call("lock_try") + "POP\n" + call("lock_release") + "POP\n" +
                           call("lock_try") + "POP\n" + call("lock_release") + "POP\n" +
                           call("lock_try") + "RETURN"),
                 p),
            "= true");
}

TEST_F(Tier0Test, AnotherThreadNeitherTakesNorReleasesAHeldLock) {
  const std::string p(kPrelude);
  EXPECT_EQ(eval(with_lock(call("lock_acquire") + "POP\n" + spawn_join("try_it") + "RETURN"), p),
            "= false");
  EXPECT_EQ(
      eval(with_lock(call("lock_acquire") + "POP\n" + spawn_join("release_it") + "RETURN"), p),
      "! ValueError: lock_release: this thread does not hold the lock");
  EXPECT_EQ(eval(with_lock(call("lock_acquire") + "POP\n" + call("lock_release") + "POP\n" +
                           spawn_join("try_it") + "RETURN"),
                 p),
            "= true");
}

// Three threads (two spawned and main) each add 1 to n 300 times, reading
// n before a call and writing it after: without the Lock, increments are
// lost whenever two threads interleave there.
TEST_F(Tier0Test, ALockMakesThreadsIncrementsExclusive) {
  const std::string p(kPrelude);
  const std::string spawn =
      "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function add_many\nCALL 1\n";
  const std::string join = "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\nPOP\n";
  EXPECT_EQ(eval(with_lock(spawn + spawn + "PUSH_CONST function add_many\nCALL 0\nPOP\n" + join +
                           join + "LOAD_GLOBAL n\nRETURN"),
                 p),
            "= 900");
}

// Main holds the Lock while a thread waits for it and collections run
// (the waiter is in a blocking region: a collection that waited for it
// would never end), then lets it go.
TEST_F(Tier0Test, AThreadWaitingForALockNeverDelaysACollection) {
  const std::string p(kPrelude);
  std::string collect;
  for (int i = 0; i < 20; ++i) {
    collect += "PUSH_CONST extern \"gc_collect\"\nPUSH_CONST " +
               std::string(i % 2 == 0 ? "true" : "false") + "\nCALL 1\nPOP\n";
  }
  EXPECT_EQ(eval(with_lock(call("lock_acquire") + "POP\n" +
                           "PUSH_CONST extern \"thread_spawn\"\nPUSH_CONST function wait_for_it\n"
                           "CALL 1\n" +
                           collect + call("lock_release") + "POP\n" +
                           "PUSH_CONST extern \"thread_join\"\nSWAP\nCALL 1\nRETURN"),
                 p),
            "= \"got it\"");
}

}  // namespace
}  // namespace runa::tier0
