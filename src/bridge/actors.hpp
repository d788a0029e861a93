// Actors for programs (docs/concurrency.md, "Actors for programs"): the
// natives actor_spawn (and actor_spawn_bounded), actor_send (and
// actor_try_send), actor_ask (and actor_ask_timeout), actor_reply,
// actor_self, actor_stop and actor_wait, and actor_ask_async (and
// actor_ask_timeout_async: actor_asks.cpp) over the concurrency runtime's
// Actor<M> (src/concurrency/actor/actor.hpp), whose behaviour here calls a
// Runa function; monitors, links and supervisors in actor_watch.cpp. The
// records are in actor_core.hpp.
//
//   Actor    a foreign object (foreign.hpp, layout "Actor") standing for a
//            Box: a shared reference to the actor's Core. actor_self makes
//            another Actor object for the same Core.
//   Core     the actor: its C++ Actor<Envelope>, persistent slots for the
//            behaviour, the first state (for restarts) and the state, what
//            it failed or was killed with, its phase, and a latch opened
//            once it has stopped.
//   Envelope a message in the mailbox: a persistent slot holding the value
//            (so the collector keeps it alive and updates it while it
//            waits), and the AskCell of an ask; or a stop marker, or a
//            notice that a watched actor is down. The mailbox never holds
//            a heap reference of its own.
//   pool     one work-stealing pool per runtime, made at the first spawn,
//            whose workers are attached to the runtime as "actor worker N":
//            turns run Runa code on them; idle workers sleep in a blocking
//            region, so they never delay a collection.
//
// Invariants:
//   - A behaviour runs one message at a time (Actor<M>'s state word); the
//     state slot is read and written only on the actor's turn, and by
//     actor_wait after the actor's latch opened.
//   - An actor lives until it stops (actor_stop, a behaviour that throws,
//     or the runtime's end), as an Erlang process does, whether or not the
//     program still holds an Actor: `live_` holds its Core meanwhile.
//   - Phase: kRunning -> kStopping (actor_stop) -> kStopped, or kRunning /
//     kStopping -> kFailed (its behaviour threw and no supervisor restarts
//     it) or kKilled (a link, or its supervisor giving up). kStopped is
//     stored on the actor's turn before it stops; the others once the C++
//     actor has stopped (stopped(), from its Down). Every message the
//     behaviour will never see is either still in the mailbox when the C++
//     actor drops it (its ask is settled "stopped") or was pushed after
//     the final phase or the C++ actor's kStopped was stored, which its
//     sender sees (a seq_cst fence on each side, the Dekker pair of
//     actors.cpp, "Stranded messages") and settles itself.
//   - A bounded mailbox's senders wait for room on the Core's condition
//     variable (actors.cpp, deliver_waiting); every message taken, a stop
//     request and the stop itself wake them.
//   - An AskCell is settled exactly once (a CAS from kPending): answered by
//     actor_reply, "no reply" when the behaviour returned without one,
//     "failed" when it threw, "stopped" when the message was dropped, or
//     "timed out" by an asker whose deadline passed first (actors.cpp,
//     "A reply racing the timeout"); a later settle frees what it brought.
//   - The dump (describe()) reads live_ under `mu_` with the world stopped;
//     no thread holds `mu_` across a safepoint poll or a blocking wait, so
//     it never waits for a stopped thread (actors.cpp, "The dump").
//   - A thread waiting in actor_ask or actor_wait sleeps in a blocking
//     region: it never delays a collection. A task awaiting an Ask
//     (actor_ask_async) waits in its AskCell's WaitList as it would in a
//     channel's (actor_core.hpp, AskCell), so the thread runs other tasks;
//     a task whose message waits for room in a full mailbox (an Ask, or an
//     ActorSend of actor_send_async) waits in the Core's `room` list,
//     woken by the turn that frees a slot (actor_core.hpp, space_made).
//   - Asks and waits are refused inside a behaviour: the pool's workers are
//     few, and a worker waiting for an actor whose turn is queued behind it
//     could wait for ever.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "bridge/foreign.hpp"
#include "runatime/runtime.hpp"

namespace runa::types {
class TypeSystem;
}  // namespace runa::types

namespace runa::concurrency {
class Pool;
struct Down;
class WaitList;
}  // namespace runa::concurrency

namespace runa::bridge {

using heap::Value;

struct ActorCore;
struct ActorBox;
struct SupervisorCore;
struct Supervised;
struct SupervisorBox;
struct AskBox;
struct AskCell;
struct Envelope;

// "Type: message" of a thrown value ("OutOfMemory" for none: the heap
// could not make the exception). Never collects.
std::string describe_thrown(const types::TypeSystem& ts, Value e);

class Actors {
 public:
  explicit Actors(rt::Runtime& r);
  Actors(const Actors&) = delete;
  Actors& operator=(const Actors&) = delete;
  Actors(Actors&&) = delete;
  Actors& operator=(Actors&&) = delete;
  ~Actors();

  [[nodiscard]] bool is_actor(Value v) const;
  [[nodiscard]] bool is_supervisor(Value v) const;
  // Each of these returns false with an exception in flight on t. MAY COLLECT.
  // A new actor running *behaviour(state, message) per message, from *state;
  // its mailbox holds at most `capacity` messages (0: unbounded); a child
  // of a supervisor when `under` is given.
  bool spawn(rt::Thread& t, const Value* behaviour, const Value* state, Value* out,
             std::size_t capacity = 0, const Supervised* under = nullptr);
  // Sends, waiting while the mailbox is full; with `delivered`, never
  // waits: *delivered is false when the mailbox was full.
  bool send(rt::Thread& t, const Value* actor, const Value* message, bool* delivered = nullptr);
  // Sends and waits for the behaviour's actor_reply: the reply in *out.
  // With `millis` (>= 0; longer than kLongestAsk waits that long), raises
  // Timeout once that many milliseconds have passed with no reply; the
  // message stays queued and a later reply is dropped.
  // With `failure`, a false return says why there: kStopped when the
  // actor was stopping or stopped before it handled the message, kTimedOut
  // for the Timeout, kOther for anything else (no reply, the behaviour
  // threw, asked inside a behaviour).
  static constexpr std::int64_t kLongestAsk = std::int64_t{1} << 40;  // ms: 34 years
  enum class AskFailure : std::uint8_t { kOther, kStopped, kTimedOut };
  bool ask(rt::Thread& t, const Value* actor, const Value* message, Value* out,
           std::optional<std::int64_t> millis = std::nullopt, AskFailure* failure = nullptr);
  // actor_ask_async (actor_asks.cpp): sends now (or, when the bounded
  // mailbox is full, keeps the message to deliver once there is room, at
  // the AWAIT) and puts in *out an Ask, whose AWAIT is the reply (or what
  // ask() would raise) while only the awaiting task waits, for room and
  // then for the reply; with `millis`, Timeout once that many milliseconds
  // have passed since this call with no reply (and no room: the message is
  // then withdrawn).
  bool ask_async(rt::Thread& t, const Value* actor, const Value* message, Value* out,
                 std::optional<std::int64_t> millis = std::nullopt);
  // actor_send_async: as ask_async with no reply to wait for; *out is an
  // ActorSend whose AWAIT is nothing once the message is delivered.
  bool send_async(rt::Thread& t, const Value* actor, const Value* message, Value* out);
  // Whether v is an Ask or an ActorSend.
  [[nodiscard]] bool is_ask(Value v) const;
  // One look at an Ask (or an ActorSend), never waiting: kAnswered (the
  // reply in *out; nothing for an ActorSend), kThrew (what ask() would
  // raise, or Timeout), or kPending (its reply has not come) or kNoRoom
  // (its message waits for room in the full mailbox): *list is the
  // WaitList to wait in and *deadline when to give up (0: never).
  enum class AskPoll : std::uint8_t { kAnswered, kThrew, kPending, kNoRoom };
  static AskPoll poll_ask(rt::Thread& t, Value ask, Value* out, concurrency::WaitList** list,
                          std::int64_t* deadline);
  // Inside a behaviour: answers the ask being handled; *out true, or false
  // when the message came by actor_send.
  bool reply(rt::Thread& t, const Value* value, Value* out);
  // Inside a behaviour: an Actor for the actor running it.
  bool self(rt::Thread& t, Value* out);
  // The actor handles what was sent before, then stops. Idempotent.
  static bool stop(rt::Thread& t, const Value* actor);
  // Waits until the actor has stopped: its last state in *out, or its
  // behaviour's exception thrown again.
  bool wait(rt::Thread& t, const Value* actor, Value* out);

  // Monitors, links and supervisors (actor_watch.cpp). Never collect.
  // *watcher gets ("down", actor, reason, error) once *actor stops; at once
  // when it has stopped already.
  static void monitor(const Value* actor, const Value* watcher);
  // Removes every monitor *watcher set on *actor: true when one was
  // removed before *actor stopped (no notice comes of it); false when
  // none was set, or *actor is down (its notice was or is being sent).
  static bool demonitor(const Value* actor, const Value* watcher);
  // Each of the two, when the other stops abnormally, is killed, or gets
  // ("exit", other, reason, error) if it traps exits (then on any stop).
  static void link(const Value* a, const Value* b);
  // Removes the links between *a and *b: true when they were removed
  // before either actor went down (then nothing comes of them); false when
  // there was none, or one side is down (its link acted or is acting).
  static bool unlink(const Value* a, const Value* b);
  static void trap_exits(const Value* actor, bool trap);
  // A supervisor: "one_for_one", "one_for_all" or "rest_for_one", giving
  // up (or, a child of *parent, failing as a whole) at a failure beyond
  // `max_restarts` restarts within `period_ms`. MAY COLLECT.
  bool new_supervisor(rt::Thread& t, const char* native, std::string_view strategy,
                      std::int64_t max_restarts, std::int64_t period_ms, const Value* parent,
                      Value* out);
  // spawn() under *supervisor (refused once it is down), restarted as
  // `restart` says: "transient" (when it fails), "permanent" (when it
  // fails or stops: actor_stop restarts it) or "temporary" (never).
  bool supervised_spawn(rt::Thread& t, const char* native, const Value* supervisor,
                        const Value* behaviour, const Value* state, Value* out,
                        std::size_t capacity = 0, std::string_view restart = "transient");
  // supervisor_new_simple (OTP's simple_one_for_one): a one-for-one
  // supervisor whose children all run *behaviour, restarted as `restart`
  // says (as supervised_spawn's), limited as new_supervisor's. MAY COLLECT.
  bool new_simple_supervisor(rt::Thread& t, const Value* behaviour, std::string_view restart,
                             std::int64_t max_restarts, std::int64_t period_ms, Value* out);
  // supervisor_start_child: a child of the simple_one_for_one *supervisor
  // running its behaviour from *state (refused once it is down). MAY
  // COLLECT.
  bool start_child(rt::Thread& t, const Value* supervisor, const Value* state, Value* out);
  [[nodiscard]] static std::int64_t restarts(const Value* supervisor);
  // supervisor_stop_child: *actor, a child of *supervisor, is deleted from
  // it and stops after the message in progress; its mailbox is dropped
  // (asks in it raise "stopped"), sends are refused from now on, and it is
  // never restarted. false when it is not a child of *supervisor (any
  // more). Never collects.
  static bool stop_child(const Value* supervisor, const Value* actor);
  // supervisor_children: a List of Actors, the children of *supervisor
  // that have not stopped, in spawn order. MAY COLLECT.
  bool children(rt::Thread& t, const Value* supervisor, Value* out);
  // *watcher gets ("down", supervisor, reason, error) once *supervisor is
  // down (gave up: "failed"; stopped by its parent giving up: "killed").
  static void monitor_supervisor(const Value* supervisor, const Value* watcher);
  // As demonitor(), for a monitor set by monitor_supervisor: true when one
  // was removed before *supervisor went down (no notice comes of it).
  static bool demonitor_supervisor(const Value* supervisor, const Value* watcher);
  // Waits until the supervisor is down, then raises ValueError saying so.
  static bool wait_supervisor(rt::Thread& t, const Value* supervisor);

  // Runs job(thread) on a worker of the actors' pool, `thread` being the
  // worker's attached thread (the C ABI's rt_job_start). The job must leave
  // no exception in flight on it and no root of its own behind.
  void run(std::function<void(rt::Thread&)> job);
  // Runs piece(thread, lo, hi) on consecutive pieces covering [begin,
  // end), fork-join on the actors' pool (concurrency/pool/join.hpp: halves
  // that idle workers steal, down to `grain` indices; 0: about 8 pieces per
  // worker), `thread` being the worker's attached thread. Returns when
  // every piece has; the caller outside the pool sleeps meanwhile (a
  // blocking region), a worker takes part. Not in a behaviour.
  using Piece = std::function<void(rt::Thread&, std::uint64_t lo, std::uint64_t hi)>;
  void parallel_for(std::uint64_t begin, std::uint64_t end, std::uint64_t grain,
                    const Piece& piece);

  // Whether the calling thread is running a behaviour now.
  [[nodiscard]] static bool in_behaviour();
  // The calling pool worker's attached thread; nullptr on other threads.
  [[nodiscard]] static rt::Thread* worker_thread();
  // The runtime's pool, made at its first use: actors' turns, jobs and
  // pool tasks (pool_tasks.hpp) run on it.
  concurrency::Pool& pool();
  // Appends the dump's lines of the live actors (docs/concurrency.md,
  // "Dumps"): number, behaviour, state, messages waiting. With the world
  // stopped (Runtime::dump). Never collects.
  void describe(std::string& out);

  // The runtime's end (no thread of the caller attached): stops every
  // actor still running after what its mailbox holds, then ends the pool.
  void shut_down();

 private:
  friend struct ActorCore;
  void handle(ActorCore& c, Envelope& e, bool& stop);
  // A notice's Tuple in *out (actor_watch.cpp). MAY COLLECT.
  bool make_notice(rt::Thread& t, const Envelope& e, Value* out);
  void stopped(ActorCore& c, const concurrency::Down& down);
  bool make_box(rt::Thread& t, const std::shared_ptr<ActorCore>& core, Value* out);
  bool make_supervisor_box(rt::Thread& t, std::shared_ptr<SupervisorCore> core, Value* out);
  static std::string why_stopped(const ActorCore& c);
  static bool refuse_in_behaviour(rt::Thread& t, const char* native);
  static bool refuse_stopped(rt::Thread& t, const char* native, const ActorCore& c,
                             const char* what);
  // An ask's message: delivered (waiting for room), or the cell settled
  // "stopped" when it was stranded; false after raising when refused.
  bool post_ask(rt::Thread& t, const char* native, ActorCore& c, const Value* message,
                const std::shared_ptr<AskCell>& cell);
  // What a settled cell answers: the reply in *out, or false after raising.
  static bool answer(rt::Thread& t, const char* native, const ActorCore& c, const AskCell& cell,
                     Value* out);
  static bool timed_out(rt::Thread& t, const char* native, std::int64_t millis);
  // ask_async and send_async: the box of `layout` for a message to *actor,
  // answered in `cell` (null: a send). MAY COLLECT.
  bool post_async(rt::Thread& t, const char* native, ForeignObjects<AskBox>& layout,
                  const Value* actor, const Value* message, std::shared_ptr<AskCell> cell,
                  std::optional<std::int64_t> millis, Value* out);

  rt::Runtime& runtime_;
  ForeignObjects<ActorBox> boxes_;
  ForeignObjects<SupervisorBox> supervisors_;
  ForeignObjects<AskBox> asks_;
  ForeignObjects<AskBox> sends_;  // ActorSend: an AskBox with no cell
  std::mutex mu_;                 // live_, pool_
  std::map<std::uint64_t, std::shared_ptr<ActorCore>> live_;
  std::uint64_t next_ = 1;
  std::unique_ptr<concurrency::Pool> pool_;
};

}  // namespace runa::bridge
