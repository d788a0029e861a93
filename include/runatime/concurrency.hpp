// runatime/concurrency.hpp — the concurrency services in the C++ API:
// channels of Runa values, actors whose behaviour is a C++ callable or a
// Runa function, and C++ callables run on the runtime's pool (jobs).
// docs/bridge.md ("Concurrency from C++") explains each call; this header
// is the contract. The C ABI's runatime/c/concurrency.h is a layer over it:
// the same calls, the same outcomes, the same rules.
//
// Rules (those of runatime/c/concurrency.h, in C++ terms):
//   - A Channel and an Actor are Runa values: the very objects the program
//     natives make and take (channel_new, actor_spawn, ...), so C++ and
//     Runa code share them — pass one to Runtime::call, or receive one
//     from Runa code. The classes below are views of a root slot holding
//     one (a heap::Handle's, a heap::Persistent's, a root set's): they
//     own nothing, and each call reads the slot, so the value may move.
//     A thread keeps a channel or an actor across calls that may collect
//     in such a slot; threads share one through a heap::Persistent, whose
//     slot every thread may read. The runtime frees what a Channel or an
//     Actor stands for once no slot or object references it (an actor
//     lives until it stops).
//   - Every call takes the calling thread's Thread (attached to the
//     runtime that made the value), except Job::start and Job::wait.
//   - Values travel by reference, never copied, and the collector keeps a
//     value alive and updates it while it waits in a channel or a
//     mailbox. Value arguments are root slots; a call writes its result
//     into the root slot `out` only when it succeeds.
//   - Every call that waits (send, receive, ask, wait) waits in a blocking
//     region: an attached thread blocked in it never delays a collection,
//     and the call MAY COLLECT (every reference the caller holds outside
//     root slots is stale after it).
//   - A timeout: kWaitForever waits without limit; 0 or more milliseconds
//     give up with Status::kTimeout once that much time has passed; a
//     negative one is Status::kInvalidArgument.
//   - Status::kClosed: the channel is closed (for a receive: and drained),
//     or the actor is stopping or has stopped. Status::kWouldBlock: a try_
//     call found the channel full or empty, or the mailbox full.
//   - A value of the wrong kind (a String where a Channel is wanted) is
//     Status::kInvalidArgument.
//   - Status::kThrown leaves the Runa exception in flight on the thread
//     (Thread::exception); every other failure leaves none: an exception
//     the services raised becomes the Outcome's message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runatime/runtime.hpp"

namespace runa::rt {

// The kinds of outcome; the numbers are the C ABI's rt_status values.
enum class Status : std::uint8_t {
  kOk = 0,
  kInvalidArgument = 1,
  kOutOfMemory = 2,
  kInvalidState = 3,
  kUnsupported = 4,
  kVerifyFailed = 5,
  kInternal = 6,
  kThrown = 7,
  kClosed = 8,
  kTimeout = 9,
  kWouldBlock = 10,
};

// What a call did: kOk, or a failure with a message for a person.
struct [[nodiscard]] Outcome {
  Status status = Status::kOk;
  std::string message;  // empty for kOk

  [[nodiscard]] bool ok() const { return status == Status::kOk; }
  explicit operator bool() const { return ok(); }
};

using Timeout = std::optional<std::chrono::milliseconds>;
inline constexpr Timeout kWaitForever = std::nullopt;

// ---- channels --------------------------------------------------------------------------------

class Channel {
 public:
  // The largest capacity of a bounded channel.
  static constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 20;

  // A new Channel in *out: holding up to `capacity` values (rounded up to
  // a power of two, at least 2), or any number when `capacity` is 0.
  // kInvalidArgument above kMaxCapacity; kOutOfMemory when the heap cannot
  // hold it. MAY COLLECT.
  static Outcome make(Thread& t, std::uint64_t capacity, Value* out);
  // Whether v is a Channel. Never collects.
  [[nodiscard]] static bool is(Thread& t, Value v);

  // The channel in the root slot `slot`.
  explicit Channel(const Value* slot) : slot_(slot) {}

  // Sends *value, waiting while the channel is full: kClosed (not sent)
  // once it is closed, kTimeout (not sent) when the timeout passed first.
  // MAY COLLECT.
  Outcome send(Thread& t, const Value* value, Timeout timeout = kWaitForever) const;
  // The oldest value sent and not yet received in *out, waiting while
  // there is none: each value is received once, in the order its send
  // took effect. kClosed once the channel is closed and every value sent
  // before the close was received. MAY COLLECT.
  Outcome receive(Thread& t, Value* out, Timeout timeout = kWaitForever) const;
  // send and receive that never wait: kWouldBlock when the channel is full
  // (nothing sent) or empty. Never collect.
  Outcome try_send(Thread& t, const Value* value) const;
  Outcome try_receive(Thread& t, Value* out) const;
  // Closes the channel: final, closing twice is harmless. Waiting senders
  // fail with kClosed, waiting receivers take what is left, then fail.
  // Never collects.
  Outcome close(Thread& t) const;

 private:
  const Value* slot_;
};

// ---- actors ----------------------------------------------------------------------------------

class Actor {
 public:
  // A C++ behaviour: called once per message (*message, a root slot), one
  // message at a time, on a worker of the runtime's pool (`t` is that
  // worker's Thread; Actor::reply answers an ask with it). Returning goes
  // on to the next message, unless a Runa exception is in flight on `t`
  // (ops::raise): the actor then fails with it, as a Runa behaviour that
  // threw. A C++ exception escaping it fails the actor with a ValueError
  // naming it ("a C++ behaviour threw: what()"). A failed actor stops, and
  // monitors see reason "failed". It must not wait for an actor (ask and
  // wait refuse it). The runtime owns it from spawn on and destroys it
  // once nothing references the actor's state (or at the runtime's end).
  using Behaviour = std::function<void(Thread& t, Value* message)>;

  // A new actor in *out running `behaviour` for each message; its mailbox
  // holds at most `capacity` messages (0: unbounded). Its state, which
  // wait() returns, is an opaque object. MAY COLLECT.
  static Outcome spawn(Thread& t, Behaviour behaviour, Value* out, std::uint64_t capacity = 0);
  // A new actor in *out running the Runa function *behaviour (a Function
  // or closure taking (state, message) and returning the next state) from
  // *state, as the native actor_spawn does (actor_spawn_bounded when
  // `capacity` is not 0). kInvalidArgument when *behaviour cannot be
  // called with 2 arguments. MAY COLLECT.
  static Outcome spawn_function(Thread& t, const Value* behaviour, const Value* state, Value* out,
                                std::uint64_t capacity = 0);
  // Whether v is an Actor. Never collects.
  [[nodiscard]] static bool is(Thread& t, Value v);
  // Inside a behaviour: answers the ask being handled with *value; *asked
  // (may be null) is true, or false when the message came by a send (the
  // value is dropped). kInvalidState outside a behaviour, or for an ask
  // answered already.
  static Outcome reply(Thread& t, const Value* value, bool* asked = nullptr);

  // The actor in the root slot `slot`.
  explicit Actor(const Value* slot) : slot_(slot) {}

  // Queues *message for the actor (one thread's messages are handled in
  // the order sent), waiting while its bounded mailbox is full. kClosed
  // when the actor is stopping or has stopped (not delivered). MAY COLLECT.
  Outcome send(Thread& t, const Value* message) const;
  // send without waiting: kWouldBlock (nothing sent) when the bounded
  // mailbox is full: the sender's backpressure.
  Outcome try_send(Thread& t, const Value* message) const;
  // Sends *message (waiting for room in a full mailbox) and waits for the
  // behaviour's reply, put in *out. kTimeout when no reply came within the
  // timeout (the actor keeps the message and may still handle it; its
  // reply is then dropped); kClosed when the actor was stopping or stopped
  // before it handled the message; kThrown (the exception in flight) when
  // the behaviour returned without replying or failed on the message;
  // kInvalidState inside a behaviour. MAY COLLECT.
  Outcome ask(Thread& t, const Value* message, Value* out, Timeout timeout = kWaitForever) const;
  // The actor handles what was sent before, then stops; later sends and
  // asks get kClosed. A second stop does nothing. Never waits.
  Outcome stop(Thread& t) const;
  // Waits until the actor has stopped: kOk with its last state in *out
  // (may be null), kThrown with what its behaviour threw in flight, kClosed
  // when it was killed (a link or its supervisor); kInvalidState inside a
  // behaviour. MAY COLLECT.
  Outcome wait(Thread& t, Value* out = nullptr) const;
  // Once this actor stops, the actor *watcher gets the message ("down",
  // actor, reason, error), a Tuple, as the native actor_monitor sends it
  // (reason "normal", "failed" or "killed"); at once when it has stopped
  // already. Never collects.
  Outcome monitor(Thread& t, const Value* watcher) const;

 private:
  const Value* slot_;
};

// ---- jobs on the runtime's pool ----------------------------------------------------------------

// A job: runs on a worker of the runtime's pool (the workers actors run
// on), an attached thread (`t`) that may allocate and run Runa code. What
// it returns is what wait() returns; a Runa exception it leaves in flight
// on a failure becomes the message (and is cleared either way); a C++
// exception escaping it is kInternal naming it. It must remove the roots
// it adds. Like any running mutator, a long job that neither calls the
// runtime nor waits holds collections up.
class Job {
 public:
  using Fn = std::function<Outcome(Thread& t)>;

  // Starts `fn` on the runtime's pool (started at first use), a handle to
  // it in *out. Any thread, attached or not; kInvalidState before any
  // thread attached (the workers attach, after which no native or tier
  // registers). Wait for every job before the runtime is destroyed.
  static Outcome start(Runtime& r, Fn fn, Job* out);

  Job() = default;  // no job
  Job(Job&&) noexcept = default;
  Job& operator=(Job&&) noexcept = default;
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;
  // A job never waited for still runs to its end.
  ~Job() = default;

  // Whether this handle has a job not yet waited for to its end.
  [[nodiscard]] bool valid() const { return state_ != nullptr; }
  // Waits for the job: kTimeout when the timeout passed first (wait
  // again); otherwise the job has ended, this handle is empty, and the
  // call returns the job's outcome. kInvalidState for an empty handle.
  // Waits in a blocking region when the calling thread is attached.
  Outcome wait(Timeout timeout = kWaitForever);

  struct State;  // the bridge's (src/bridge/concurrency_api.cpp)

 private:
  std::shared_ptr<State> state_;
};

// Fork-join over a range: calls fn(t, lo, hi) for consecutive pieces
// [lo, hi) that cover [begin, end) once, on the workers of the runtime's
// pool (`t` is the worker's Thread, as for a Job), splitting the range in
// halves that idle workers steal (Cilk's work-first join), down to pieces
// of `grain` indices (0: about 8 pieces per worker). Returns when every
// piece has returned: kOk, or the first failure a piece returned (a Runa
// exception it left in flight becomes the message, as for a Job; a C++
// exception is kInternal); after a failure the pieces not yet started are
// skipped. From a thread outside the pool the caller waits in a blocking
// region (MAY COLLECT); called in a Job, its worker takes part.
// kInvalidState inside a behaviour (a behaviour may not wait for other
// work on the pool, as for ask), and before any thread attached.
using RangeFn = std::function<Outcome(Thread& t, std::uint64_t lo, std::uint64_t hi)>;
Outcome parallel_for(Runtime& r, std::uint64_t begin, std::uint64_t end, std::uint64_t grain,
                     const RangeFn& fn);

}  // namespace runa::rt
