// The natives of synchronisation for programs (docs/natives.md, "Threads,
// channels and locks"): locks, read-write locks, semaphores and conditions,
// over the runtime's Locks and Synchronisers (locks.hpp, sync.hpp). Every
// misuse a check can tell (a second acquire by the holder, a release by a
// thread that does not hold, a wait without the lock) is a ValueError
// naming the native, never a deadlock or undefined behaviour.
#include "bridge/native_args.hpp"
#include "bridge/runtime_impl.hpp"

namespace runa::bridge {

namespace {

Locks& locks(NativeCall& call) {
  return rt::impl_of(*call.thread).locks();
}
Synchronisers& synchronisers(NativeCall& call) {
  return rt::impl_of(*call.thread).synchronisers();
}

// What make() gave: the new object in call.result, or the error.
NativeStatus made(NativeCall& call, std::string_view native, const Result<bool>& made) {
  if (!made) return raise(call, "ValueError", std::string(native) + ": " + made.error().message);
  return *made ? NativeStatus::kReturn : NativeStatus::kOutOfMemory;
}

// A TypeError unless argument i is of the kind `is` tells.
template <class Is>
std::optional<NativeStatus> want(NativeCall& call, std::string_view native, std::size_t i, Is is,
                                 std::string_view what) {
  if (is(*call.args[i])) return std::nullopt;
  return wrong_argument(call, native, i, what);
}
std::optional<NativeStatus> want_lock(NativeCall& call, std::string_view native, std::size_t i) {
  return want(
      call, native, i, [&](heap::Value v) { return locks(call).is_lock(v); }, "a Lock");
}
std::optional<NativeStatus> want_rwlock(NativeCall& call, std::string_view native) {
  return want(
      call, native, 0, [&](heap::Value v) { return synchronisers(call).is_rwlock(v); }, "a RwLock");
}
std::optional<NativeStatus> want_semaphore(NativeCall& call, std::string_view native) {
  return want(
      call, native, 0, [&](heap::Value v) { return synchronisers(call).is_semaphore(v); },
      "a Semaphore");
}
std::optional<NativeStatus> want_condition(NativeCall& call, std::string_view native) {
  return want(
      call, native, 0, [&](heap::Value v) { return synchronisers(call).is_condition(v); },
      "a Condition");
}

NativeStatus misuse(NativeCall& call, std::string_view native, std::string_view why) {
  return raise(call, "ValueError", std::string(native) + ": " + std::string(why));
}

// The errors of a Lock used out of turn (locks.hpp).
NativeStatus lock_misuse(NativeCall& call, std::string_view native, Locks::Status s) {
  return misuse(call, native,
                s == Locks::Status::kHeld
                    ? "this thread holds the lock already (a Lock is not reentrant)"
                    : "this thread does not hold the lock");
}

// A new Lock, free.
NativeStatus lock_new(NativeCall& call) {
  return made(call, "lock_new", locks(call).make(call.m, &call.result));
}

// Takes the lock, waiting while another thread holds it.
NativeStatus lock_acquire(NativeCall& call) {
  if (auto bad = want_lock(call, "lock_acquire", 0)) return *bad;
  const Locks::Status s = Locks::acquire(call.args[0], call.thread);
  if (s != Locks::Status::kOk) return lock_misuse(call, "lock_acquire", s);
  return NativeStatus::kReturn;
}

// Takes the lock if no thread holds it: whether it did.
NativeStatus lock_try(NativeCall& call) {
  if (auto bad = want_lock(call, "lock_try", 0)) return *bad;
  const Locks::Status s = Locks::try_acquire(*call.args[0], call.thread);
  if (s == Locks::Status::kHeld) return lock_misuse(call, "lock_try", s);
  call.result = types::make_boolean(s == Locks::Status::kOk);
  return NativeStatus::kReturn;
}

// Gives the lock back; only the thread that holds it may.
NativeStatus lock_release(NativeCall& call) {
  if (auto bad = want_lock(call, "lock_release", 0)) return *bad;
  const Locks::Status s = Locks::release(*call.args[0], call.thread);
  if (s != Locks::Status::kOk) return lock_misuse(call, "lock_release", s);
  return NativeStatus::kReturn;
}

// A new RwLock, free.
NativeStatus rwlock_new(NativeCall& call) {
  return made(call, "rwlock_new", synchronisers(call).make_rwlock(call.m, &call.result));
}

// The errors of a RwLock used out of turn (sync.hpp).
NativeStatus rwlock_misuse(NativeCall& call, std::string_view native, Synchronisers::Status s) {
  switch (s) {
    case Synchronisers::Status::kReading:
      return misuse(call, native,
                    "this thread holds the read-write lock for reading already (it is not "
                    "reentrant, and a read lock cannot become a write lock: release it first)");
    case Synchronisers::Status::kWriting:
      return misuse(call, native,
                    "this thread holds the read-write lock for writing already (it is not "
                    "reentrant: release it first)");
    case Synchronisers::Status::kNotReading:
      return misuse(call, native, "this thread does not hold the read-write lock for reading");
    default:
      return misuse(call, native, "this thread does not hold the read-write lock for writing");
  }
}

NativeStatus rwlock_acquire(NativeCall& call, std::string_view native, bool write) {
  if (auto bad = want_rwlock(call, native)) return *bad;
  const Synchronisers::Status s = Synchronisers::acquire(call.args[0], call.thread, write);
  if (s != Synchronisers::Status::kOk) return rwlock_misuse(call, native, s);
  return NativeStatus::kReturn;
}
NativeStatus rwlock_release(NativeCall& call, std::string_view native, bool write) {
  if (auto bad = want_rwlock(call, native)) return *bad;
  const Synchronisers::Status s = Synchronisers::release(*call.args[0], call.thread, write);
  if (s != Synchronisers::Status::kOk) return rwlock_misuse(call, native, s);
  return NativeStatus::kReturn;
}

// Takes the RwLock for reading, waiting while a writer holds or waits for it.
NativeStatus rwlock_read(NativeCall& call) {
  return rwlock_acquire(call, "rwlock_read", false);
}
NativeStatus rwlock_read_release(NativeCall& call) {
  return rwlock_release(call, "rwlock_read_release", false);
}
// Takes the RwLock for writing, waiting while any thread holds it.
NativeStatus rwlock_write(NativeCall& call) {
  return rwlock_acquire(call, "rwlock_write", true);
}
NativeStatus rwlock_write_release(NativeCall& call) {
  return rwlock_release(call, "rwlock_write_release", true);
}

// A new Semaphore holding `permits` permits.
NativeStatus semaphore_new(NativeCall& call) {
  NativeStatus failed{};
  const auto permits = int_arg(call, "semaphore_new", 0, &failed);
  if (!permits) return failed;
  if (*permits < 0 || *permits > Synchronisers::kMostPermits) {
    return misuse(call, "semaphore_new",
                  "a number of permits is 0 to " + std::to_string(Synchronisers::kMostPermits) +
                      ", not " + std::to_string(*permits));
  }
  return made(call, "semaphore_new",
              synchronisers(call).make_semaphore(call.m, *permits, &call.result));
}

// Takes a permit, waiting while there is none.
NativeStatus semaphore_acquire(NativeCall& call) {
  if (auto bad = want_semaphore(call, "semaphore_acquire")) return *bad;
  Synchronisers::semaphore(*call.args[0]).acquire();
  return NativeStatus::kReturn;
}

// Takes a permit if there is one: whether it did.
NativeStatus semaphore_try(NativeCall& call) {
  if (auto bad = want_semaphore(call, "semaphore_try")) return *bad;
  call.result = types::make_boolean(Synchronisers::semaphore(*call.args[0]).try_acquire());
  return NativeStatus::kReturn;
}

// Adds a permit (any thread may), waking a waiter.
NativeStatus semaphore_release(NativeCall& call) {
  if (auto bad = want_semaphore(call, "semaphore_release")) return *bad;
  if (Synchronisers::release_permit(*call.args[0]) != Synchronisers::Status::kOk) {
    return misuse(call, "semaphore_release",
                  "the semaphore holds " + std::to_string(Synchronisers::kMostPermits) +
                      " permits already, the most (more releases than acquires?)");
  }
  return NativeStatus::kReturn;
}

// A new Condition.
NativeStatus condition_new(NativeCall& call) {
  return made(call, "condition_new", synchronisers(call).make_condition(call.m, &call.result));
}

// Gives the Lock back, waits until notified (or woken spuriously), takes
// the Lock again.
NativeStatus condition_wait(NativeCall& call) {
  if (auto bad = want_condition(call, "condition_wait")) return *bad;
  if (auto bad = want_lock(call, "condition_wait", 1)) return *bad;
  if (Locks::wait(Synchronisers::condition(*call.args[0]), call.args[1], call.thread) !=
      Locks::Status::kOk) {
    return misuse(call, "condition_wait",
                  "this thread does not hold the lock (wait with the lock that guards the "
                  "condition held)");
  }
  return NativeStatus::kReturn;
}

// Wakes one thread waiting on the Condition, if any.
NativeStatus condition_notify(NativeCall& call) {
  if (auto bad = want_condition(call, "condition_notify")) return *bad;
  Synchronisers::condition(*call.args[0]).notify_one();
  return NativeStatus::kReturn;
}

// Wakes every thread waiting on the Condition.
NativeStatus condition_notify_all(NativeCall& call) {
  if (auto bad = want_condition(call, "condition_notify_all")) return *bad;
  Synchronisers::condition(*call.args[0]).notify_all();
  return NativeStatus::kReturn;
}

}  // namespace

void add_sync_natives(Natives& natives) {
  natives.add("lock_new", 0, lock_new);
  natives.add("lock_acquire", 1, lock_acquire);
  natives.add("lock_try", 1, lock_try);
  natives.add("lock_release", 1, lock_release);
  natives.add("rwlock_new", 0, rwlock_new);
  natives.add("rwlock_read", 1, rwlock_read);
  natives.add("rwlock_read_release", 1, rwlock_read_release);
  natives.add("rwlock_write", 1, rwlock_write);
  natives.add("rwlock_write_release", 1, rwlock_write_release);
  natives.add("semaphore_new", 1, semaphore_new);
  natives.add("semaphore_acquire", 1, semaphore_acquire);
  natives.add("semaphore_try", 1, semaphore_try);
  natives.add("semaphore_release", 1, semaphore_release);
  natives.add("condition_new", 0, condition_new);
  natives.add("condition_wait", 2, condition_wait);
  natives.add("condition_notify", 1, condition_notify);
  natives.add("condition_notify_all", 1, condition_notify_all);
}

}  // namespace runa::bridge
