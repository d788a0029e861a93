// The records behind a program's actors (actors.hpp states the invariants;
// actors.cpp and actor_watch.cpp use them): the answer to an ask, a message
// in a mailbox, the actor itself, a behaviour's exception carried through
// the C++ Actor<M>, and a supervisor.
//
// Private to src/bridge/: only the two files above include it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "bridge/foreign.hpp"
#include "concurrency/actor/actor.hpp"
#include "concurrency/actor/supervisor.hpp"
#include "concurrency/channel/waiter.hpp"
#include "concurrency/sync/condvar.hpp"
#include "concurrency/sync/latch.hpp"
#include "concurrency/sync/mutex.hpp"
#include "runatime/heap.hpp"

namespace runa::bridge {

namespace cc = runa::concurrency;
using heap::Value;

// A value a behaviour threw: a persistent slot (null when the heap could
// not hold one: OutOfMemory) and its "Type: message". Shared, immutable
// once made: a Down, a notice in a mailbox and the actor's failure may
// all hold it.
struct Thrown {
  Thrown(heap::Heap& h, Value* s, std::string t) : heap(h), slot(s), text(std::move(t)) {}
  ~Thrown() {
    if (slot != nullptr) heap.free_persistent(slot);
  }
  Thrown(const Thrown&) = delete;
  Thrown& operator=(const Thrown&) = delete;
  Thrown(Thrown&&) = delete;
  Thrown& operator=(Thrown&&) = delete;

  heap::Heap& heap;
  Value* slot;
  const std::string text;
};
// What a failing turn throws through Actor<M> (so that its Supervisor sees
// the failure), and what a Down's error then holds.
struct BehaviourFailed {
  std::shared_ptr<const Thrown> thrown;
};
// The Thrown inside a Down's error, or null.
std::shared_ptr<const Thrown> thrown_of(const std::exception_ptr& error);

// The answer to one ask, shared by the asker and the message (and by the
// Ask object of actor_ask_async).
//
// A task awaiting an Ask waits in `answered` (scheduler.hpp), under the
// register-then-retry rule of waiter.hpp: the task registers, fences and
// looks at the latch once more; settle() opens the latch, fences and
// notifies every waiter. The interleaving to rule out: the task finds the
// latch closed, the settle opens it and sees no waiter, then the task
// registers and sleeps for ever — one of the two fences' reads sees the
// other's write. The task reads the answer only once the latch is open,
// never on the outcome alone (a settle that won the CAS may still be
// writing `value`).
struct AskCell {
  enum : std::uint32_t { kPending, kAnswered, kNoReply, kFailed, kStopped, kTimedOut };
  explicit AskCell(heap::Heap& h) : heap(h) {}
  ~AskCell() {
    if (value != nullptr) heap.free_persistent(value);
  }
  AskCell(const AskCell&) = delete;
  AskCell& operator=(const AskCell&) = delete;
  AskCell(AskCell&&) = delete;
  AskCell& operator=(AskCell&&) = delete;

  // The first settle wins; a later one frees what it brought. `value` and
  // `failure` are written before the latch opens, and the asker reads them
  // only after.
  void settle(std::uint32_t how, Value* v = nullptr, std::string why = {}) {
    std::uint32_t pending = kPending;
    if (!outcome.compare_exchange_strong(pending, how, std::memory_order_acq_rel)) {
      if (v != nullptr) heap.free_persistent(v);
      return;
    }
    value = v;
    failure = std::move(why);
    done.count_down();
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (answered.waiting()) answered.notify_all();
  }
  // The asker's deadline passed: true when it claimed the cell before any
  // settle (actors.cpp, "A reply racing the timeout"). The latch stays
  // closed; nobody waits on it any more.
  bool give_up() {
    std::uint32_t pending = kPending;
    return outcome.compare_exchange_strong(pending, kTimedOut, std::memory_order_acq_rel);
  }

  heap::Heap& heap;
  std::atomic<std::uint32_t> outcome{kPending};
  Value* value = nullptr;  // persistent: the reply, when answered
  std::string failure;     // kFailed: what the behaviour threw
  cc::Latch done{1};
  cc::WaitList answered;  // tasks awaiting the Ask
};

struct ActorCore;

// A message in the mailbox, the stop marker of actor_stop, or a notice
// that a watched actor is down (a monitor's "down", a trapped link's
// "exit"; made into a Tuple on the watcher's turn). Dropped unhandled, it
// gives its slot back and settles its ask "stopped".
struct Envelope {
  enum class Kind : std::uint8_t { kMessage, kStop, kDown, kExit };
  Envelope() = default;
  Envelope(heap::Heap& h, Value* s, std::shared_ptr<AskCell> a, Kind k)
      : heap(&h), slot(s), ask(std::move(a)), kind(k) {}
  Envelope(Envelope&& o) noexcept
      : heap(o.heap),
        slot(std::exchange(o.slot, nullptr)),
        ask(std::move(o.ask)),
        kind(o.kind),
        from(std::move(o.from)),
        from_supervisor(std::move(o.from_supervisor)),
        reason(o.reason),
        error(std::move(o.error)) {}
  Envelope& operator=(Envelope&& o) noexcept {
    if (this != &o) {
      drop();
      heap = o.heap;
      slot = std::exchange(o.slot, nullptr);
      ask = std::move(o.ask);
      kind = o.kind;
      from = std::move(o.from);
      from_supervisor = std::move(o.from_supervisor);
      reason = o.reason;
      error = std::move(o.error);
    }
    return *this;
  }
  Envelope(const Envelope&) = delete;
  Envelope& operator=(const Envelope&) = delete;
  ~Envelope() { drop(); }

  void drop() {
    if (slot != nullptr) heap->free_persistent(slot);
    slot = nullptr;
    if (ask) ask->settle(AskCell::kStopped);
    ask.reset();
    from.reset();
    from_supervisor.reset();
    error.reset();
  }
  [[nodiscard]] bool notice() const { return kind == Kind::kDown || kind == Kind::kExit; }

  heap::Heap* heap = nullptr;
  Value* slot = nullptr;  // persistent: the message
  std::shared_ptr<AskCell> ask;
  Kind kind = Kind::kMessage;
  // A notice: the actor (or supervisor) that went down, why, and what it
  // threw.
  std::shared_ptr<ActorCore> from;
  std::shared_ptr<cc::Supervisor> from_supervisor;
  cc::Down::Reason reason = cc::Down::Reason::kNormal;
  std::shared_ptr<const Thrown> error;
};

// A supervisor of program actors: the C++ Supervisor (shared: a parent
// supervisor owns its child supervisors too), and the Core of its parent,
// which a child supervisor keeps alive so that its escalations reach it
// (Supervisor's plain parent pointer). A Supervisor object made for a
// notice has no parent: it is down, and a supervisor that is down never
// escalates.
//
// A simple_one_for_one supervisor (supervisor_new_simple) has a template:
// the behaviour every child runs and their restart type; its children
// start with supervisor_start_child, each from its own state.
struct ChildTemplate {
  ChildTemplate(heap::Heap& h, Value b, cc::Supervisor::Restart r)
      : heap(h), behaviour(h.new_persistent(b)), restart(r) {}
  ~ChildTemplate() { heap.free_persistent(behaviour); }
  ChildTemplate(const ChildTemplate&) = delete;
  ChildTemplate& operator=(const ChildTemplate&) = delete;
  ChildTemplate(ChildTemplate&&) = delete;
  ChildTemplate& operator=(ChildTemplate&&) = delete;

  heap::Heap& heap;
  Value* behaviour;  // persistent
  const cc::Supervisor::Restart restart;
};
struct SupervisorCore {
  std::shared_ptr<cc::Supervisor> supervisor;
  std::shared_ptr<SupervisorCore> parent;
  std::shared_ptr<const ChildTemplate> simple;  // a simple_one_for_one's; else null
};
// Where a supervised actor goes: its supervisor and its restart type.
struct Supervised {
  std::shared_ptr<SupervisorCore> core;
  cc::Supervisor::Restart restart = cc::Supervisor::Restart::kTransient;
};

struct ActorCore : std::enable_shared_from_this<ActorCore> {
  // kRunning -> kStopping (actor_stop) -> kStopped; kFailed (its behaviour
  // threw, not restarted); kKilled (a link or its supervisor stopped it).
  enum : std::uint32_t { kRunning, kStopping, kStopped, kFailed, kKilled };
  ActorCore(heap::Heap& h, std::uint64_t n, std::string_view behaviour_name, Value behaviour_value,
            Value state_value, std::size_t mailbox_capacity)
      : heap(h),
        number(n),
        name(behaviour_name),
        capacity(mailbox_capacity),
        behaviour(h.new_persistent(behaviour_value)),
        initial(h.new_persistent(state_value)),
        state(h.new_persistent(state_value)) {}
  ~ActorCore() {
    heap.free_persistent(behaviour);
    heap.free_persistent(initial);
    heap.free_persistent(state);
  }
  ActorCore(const ActorCore&) = delete;
  ActorCore& operator=(const ActorCore&) = delete;
  ActorCore(ActorCore&&) = delete;
  ActorCore& operator=(ActorCore&&) = delete;

  [[nodiscard]] static bool is_final(std::uint32_t phase) { return phase >= kStopped; }
  // Wakes the senders blocked on a full mailbox: a message was taken
  // (`every` false: one waiting task, as a channel's receive wakes one
  // sender), or the actor is stopping or stopped (`every`: all of them).
  //
  // A task waits for room in `room` (actor_asks.cpp, "Waiting for room")
  // under the register-then-retry rule of waiter.hpp. The interleaving to
  // rule out: the task's deliver finds the mailbox full; the turn takes
  // the last message, frees its slot (Actor<M>'s queued_ count goes down
  // before the behaviour runs) and finds no waiter; then the task
  // registers and sleeps with room in the mailbox, for ever if no other
  // message comes. Here the slot is freed (queued_'s fetch_sub), then a
  // seq_cst fence, then `room` is looked at; the task registers
  // (WaitList::add), fences (Scheduler::wait_on), then delivers again
  // (queued_'s fetch_add). Either the task's second deliver comes after
  // the fetch_sub in queued_'s order and finds the slot, or the fetch_sub
  // comes after it, so the first fence precedes the second and the look
  // at `room` sees the registration.
  void space_made(bool every) {
    {
      std::lock_guard lock(space_mu);
      ++space_epoch;
    }
    space.notify_all();
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!room.waiting()) return;
    if (every) {
      room.notify_all();
    } else {
      room.notify_one();
    }
  }

  heap::Heap& heap;
  const std::uint64_t number;
  const std::string name;      // the behaviour's function, for dumps
  const std::size_t capacity;  // the mailbox's bound (0: unbounded)
  Value* behaviour;            // persistent
  Value* initial;              // persistent: the first state, for restarts
  Value* state;                // persistent: the state, then the last state
  // Written before the final phase: what the behaviour threw (kFailed) or
  // the reason it was killed with (kKilled; null: by its supervisor).
  std::shared_ptr<const Thrown> failure;
  std::atomic<std::uint32_t> phase{kRunning};
  std::atomic<bool> trap_exits{false};
  // For dumps: messages delivered and not yet taken by a turn (counted
  // before the push, so a turn never takes one away first), the number of
  // the worker thread handling one now (0: none), and the senders waiting
  // for room in a full mailbox.
  std::atomic<std::uint64_t> waiting{0};
  std::atomic<std::uint32_t> running_on{0};
  std::atomic<std::uint32_t> blocked_senders{0};
  cc::Mutex space_mu;  // space_epoch
  cc::CondVar space;
  std::uint64_t space_epoch = 0;
  cc::WaitList room;                           // tasks awaiting room in the full mailbox
  cc::Latch done{1};                           // opened once the actor has stopped
  std::shared_ptr<SupervisorCore> supervisor;  // keeps it while a child lives
  // A permanent child: its actor_stop restarts it (actors.cpp, handle()).
  bool permanent = false;
  std::shared_ptr<cc::Actor<Envelope>> actor;
};

struct ActorBox {
  std::shared_ptr<ActorCore> core;
};
// An Ask (actor_ask_async) or an ActorSend (actor_send_async, no cell):
// its cell, the actor (whose phase its answer may describe), when its
// asker gives up, and the message while it waits for room in the full
// mailbox (actor_asks.cpp): null once delivered, refused or withdrawn.
// `pending` is taken under `post_mu`, so two threads awaiting the same
// Ask deliver its message once.
struct AskBox {
  std::shared_ptr<AskCell> cell;
  std::shared_ptr<ActorCore> core;
  std::int64_t deadline = 0;  // monotonic nanoseconds (Scheduler::now); 0: never
  std::int64_t millis = 0;    // the timeout given, for Timeout's message
  // kWaiting (for room) -> kSent (delivered, or stranded: its ask is
  // settled "stopped"), kRefused (the actor was stopping or stopped) or
  // kWithdrawn (the deadline passed first). Each AWAIT answers by it.
  enum class Post : std::uint8_t { kWaiting, kSent, kRefused, kWithdrawn };
  cc::Mutex post_mu;  // post, pending
  Post post = Post::kSent;
  std::unique_ptr<Envelope> pending;
};
struct SupervisorBox {
  std::shared_ptr<SupervisorCore> core;
};

// What delivering an envelope came to (actors.cpp, deliver()).
enum class Sent : std::uint8_t { kOk, kRefused, kStranded, kFull };
// Pushes the envelope unless the actor has stopped or its bounded mailbox
// is full; never waits. Never collects.
Sent deliver(ActorCore& c, Envelope& e);

inline ActorCore& core_of(Value actor) {
  return *ForeignObjects<ActorBox>::of(actor)->core;
}

}  // namespace runa::bridge
