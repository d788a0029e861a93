// Actors for programs: actors.hpp states what is owned and the invariants.
//
// Stranded messages. A sender checks the phase, then pushes; an actor that
// stops stores a final phase (actor_stop's marker) or the C++ actor's
// kStopped (a failure, a kill: Actor<M>::terminate), then drops its
// mailbox. The interleaving to rule out: the sender reads kRunning, the
// actor stops and drops its mailbox, then the sender's push lands in a
// mailbox nobody will ever read — an ask would wait for ever. So each side
// fences (seq_cst) between its write and its read: the sender, after the
// push, reads the phase and the C++ actor's state again; the actor, after
// storing them, pops the mailbox. One of them sees the other: either the
// drop finds the message (its ask is settled "stopped" by the Envelope's
// destructor), or the sender sees the actor stopped. Then its message was
// either the last one handled (the one the behaviour threw on, whose ask
// the turn settled before throwing) or will never be handled: the sender
// settles its own ask "stopped", and the AskCell's CAS keeps whichever
// outcome came first. A plain send cannot tell the two apart and raises
// nothing (a send racing with a stop may be dropped, as a message to an
// exiting Erlang process is).
//
// A reply racing the timeout (actor_ask_timeout). The asker's timed wait
// ends with the latch closed; then the behaviour replies. The interleavings
// to rule out: the asker reads `value` while the replier is still writing
// it (it would read a half-set cell), or both claim the cell (the reply's
// slot would leak, or be freed twice). Both go through the one CAS from
// kPending. If the asker's give_up() wins, the reply's settle loses and
// frees its own slot, and the cell (held by the Envelope until the turn
// ends) is freed by whoever drops it last. If the settle wins, the asker's
// CAS fails: the replier has claimed the cell and opens the latch right
// after storing `value`, so the asker waits on the latch (untimed, for an
// instant) and takes the reply as if it had come in time. A timed-out
// message is not taken back: the behaviour still handles it, as a
// gen_server still handles a call whose caller timed out.
//
// The dump (describe()). It runs with the world stopped and takes `mu_`.
// The interleaving to rule out: a thread holds `mu_` and cannot let go of
// it until the world runs again, so the dump waits for ever. No holder of
// `mu_` (spawn, pool(), stopped(), shut_down) polls, allocates or blocks
// while holding it, so a holder gives it back whether the world is stopped
// or not. What it reads is still: the Cores in live_ are kept alive by
// live_, and their phase, `running_on` and `waiting` are atomics written
// by senders and by turns, which are mutators and stopped (a turn stopped
// at a safepoint inside its behaviour shows as running on its worker).
#include "bridge/actors.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "bridge/actor_core.hpp"
#include "bridge/runtime_impl.hpp"
#include "concurrency/pool/join.hpp"
#include "concurrency/pool/pool.hpp"
#include "runatime/ops.hpp"

namespace runa::bridge {

namespace {

// A pool worker of the actors: its attached thread and the root slots a
// turn calls the behaviour with (callee, state, message, result).
struct Worker {
  rt::Thread* thread = nullptr;
  Value slots[4] = {};
  std::uint64_t roots = 0;
};
thread_local Worker* tl_worker = nullptr;

// The message a behaviour is handling on this thread, for actor_reply and
// actor_self; null outside behaviours.
struct Turn {
  ActorCore* core;
  AskCell* ask;
  bool replied;
};
thread_local Turn* tl_turn = nullptr;

}  // namespace

std::string describe_thrown(const types::TypeSystem& ts, Value e) {
  if (e == types::kNothing) return "OutOfMemory";
  if (!ts.exceptions().is_exception(e)) return "the value " + ts.describe(e);
  const types::TypeDesc* type = ts.type_of(e);
  std::string out = type != nullptr ? type->name : std::string("exception");
  const Value message = types::Exceptions::message(e);
  if (ts.strings().is_string(message)) {
    out += ": ";
    ts.strings().append_to(message, out);
  }
  return out;
}

// Pushes the envelope unless the actor has stopped (the header's "Stranded
// messages"): kStranded when the actor reached its final phase, or its
// C++ actor stopped, meanwhile; kFull when its bounded mailbox is full
// (never for a stop marker or a notice: Actor<M>::deliver_past_bound).
Sent deliver(ActorCore& c, Envelope& e) {
  const bool counted = e.kind == Envelope::Kind::kMessage;
  if (counted && c.phase.load(std::memory_order_acquire) != ActorCore::kRunning) {
    return Sent::kRefused;
  }
  if (counted) c.waiting.fetch_add(1, std::memory_order_relaxed);
  const cc::Delivery d = counted ? c.actor->deliver(e) : c.actor->deliver_past_bound(e);
  if (d != cc::Delivery::kOk) {
    if (counted) c.waiting.fetch_sub(1, std::memory_order_relaxed);
    return d == cc::Delivery::kFull ? Sent::kFull : Sent::kRefused;
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // acquire: a final phase read here shows the settle of the failing
  // message's ask, made before it (handle()).
  const bool gone =
      ActorCore::is_final(c.phase.load(std::memory_order_acquire)) || c.actor->stopped();
  return gone ? Sent::kStranded : Sent::kOk;
}

namespace {

// deliver(), waiting while the mailbox is full (actors.hpp, "Bounded
// mailboxes"): the interleaving to rule out is a sender that finds the
// mailbox full, then the turn takes a message (or the actor stops) and
// signals before the sender sleeps — it would sleep with room in the
// mailbox, or for ever on a stopped actor. The sender reads the epoch
// before its attempt and sleeps only while it is unchanged, under the
// mutex the signaller takes to change it; an actor that stops changes it
// too, and the retry then finds the actor stopping or stopped (refused).
// The wait is a CondVar's, in a blocking region: it never delays a
// collection.
Sent deliver_waiting(ActorCore& c, Envelope& e) {
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(c.space_mu);
      seen = c.space_epoch;
    }
    const Sent sent = deliver(c, e);
    if (sent != Sent::kFull) return sent;
    c.blocked_senders.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(c.space_mu);
      c.space.wait(c.space_mu, [&] { return c.space_epoch != seen; });
    }
    c.blocked_senders.fetch_sub(1, std::memory_order_relaxed);
  }
}

// actor_stop: kRunning -> kStopping and the stop marker behind what was
// sent before; nothing when it is stopping or stopped already.
void request_stop(ActorCore& c) {
  std::uint32_t running = ActorCore::kRunning;
  if (!c.phase.compare_exchange_strong(running, ActorCore::kStopping, std::memory_order_seq_cst)) {
    return;
  }
  // Senders waiting for room learn that the actor is stopping.
  if (c.capacity != 0) c.space_made(true);
  Envelope marker(c.heap, nullptr, nullptr, Envelope::Kind::kStop);
  (void)deliver(c, marker);
}

}  // namespace

Actors::Actors(rt::Runtime& r)
    : runtime_(r),
      boxes_(r.heap(), "Actor"),
      supervisors_(r.heap(), "Supervisor"),
      asks_(r.heap(), "Ask"),
      sends_(r.heap(), "ActorSend") {}

// shut_down() ran before (from ~Runtime, while threads can still detach):
// the boxes left free their Cores, all stopped, with their slots.
Actors::~Actors() = default;

bool Actors::is_actor(Value v) const {
  return boxes_.is(v);
}

cc::Pool& Actors::pool() {
  std::lock_guard lock(mu_);
  if (pool_ == nullptr) {
    cc::PoolOptions o;
    o.name = "runa-actors";
    o.on_start = [this](unsigned index) {
      auto* w = new Worker;
      w->thread = &runtime_.attach("actor worker " + std::to_string(index + 1));
      w->roots = runtime_.heap().add_roots(w->slots, 4);
      tl_worker = w;
    };
    o.on_stop = [this](unsigned /*index*/) {
      Worker* w = std::exchange(tl_worker, nullptr);
      runtime_.heap().remove_roots(w->roots);
      runtime_.detach(*w->thread);
      delete w;
    };
    pool_ = std::make_unique<cc::Pool>(std::move(o));
  }
  return *pool_;
}

bool Actors::make_box(rt::Thread& t, const std::shared_ptr<ActorCore>& core, Value* out) {
  auto made = boxes_.make(*t.m, std::make_unique<ActorBox>(ActorBox{core}), out);
  if (!made) return rt::ops::raise(t, "ValueError", "actor: " + made.error().message);
  return *made || rt::ops::out_of_memory(t);
}

bool Actors::spawn(rt::Thread& t, const Value* behaviour, const Value* state, Value* out,
                   std::size_t capacity, const Supervised* under) {
  const rt::FunctionInfo* f = rt::ops::callee(t, *behaviour, 2);
  if (f == nullptr) return false;
  std::uint64_t number = 0;
  {
    std::lock_guard lock(mu_);
    number = next_++;
  }
  auto core =
      std::make_shared<ActorCore>(runtime_.heap(), number, f->name(), *behaviour, *state, capacity);
  // The Actor object first: if the heap cannot hold it, no actor has started.
  if (!make_box(t, core, out)) return false;
  ActorCore* c = core.get();
  using Context = cc::Actor<Envelope>::Context;
  // The factory runs at the start and at each restart (on the actor's
  // turn): a restarted actor starts again from its first state.
  cc::Actor<Envelope>::Factory factory = [this, c] {
    *c->state = *c->initial;
    return [this, c](Context& ctx, Envelope& e) {
      bool stop = false;
      handle(*c, e, stop);
      if (stop) ctx.stop();
    };
  };
  const cc::ActorOptions options{capacity};
  if (under != nullptr) {
    core->supervisor = under->core;
    core->permanent = under->restart == cc::Supervisor::Restart::kPermanent;
    core->actor =
        under->core->supervisor->start<Envelope>(std::move(factory), options, under->restart);
  } else {
    core->actor = cc::Actor<Envelope>::spawn(pool(), std::move(factory), options);
  }
  core->actor->monitor([this, c](const cc::Down& down) { stopped(*c, down); });
  std::lock_guard lock(mu_);
  live_.emplace(number, std::move(core));
  return true;
}

void Actors::handle(ActorCore& c, Envelope& e, bool& stop) {
  if (e.kind == Envelope::Kind::kStop) {
    if (c.permanent) {
      // Its supervisor restarts it, or it stops (Actor<M>'s stop, on this
      // turn): running again meanwhile. A sender that sees kRunning and
      // pushes is covered by the C++ actor's own Dekker pair (terminate's
      // kStopped, then the drop), as for a failure.
      std::uint32_t stopping = ActorCore::kStopping;
      c.phase.compare_exchange_strong(stopping, ActorCore::kRunning, std::memory_order_seq_cst);
      stop = true;
      return;
    }
    c.phase.store(ActorCore::kStopped, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the Dekker pair of the header
    stop = true;
    return;
  }
  if (e.kind == Envelope::Kind::kMessage) c.waiting.fetch_sub(1, std::memory_order_relaxed);
  if (c.capacity != 0) c.space_made(false);  // Actor<M> counted the message out before this turn
  Worker& w = *tl_worker;
  rt::Thread& t = *w.thread;
  w.slots[0] = *c.behaviour;
  w.slots[1] = *c.state;
  w.slots[3] = types::kNothing;
  bool ok = true;
  if (e.notice()) {
    ok = make_notice(t, e, &w.slots[2]);  // MAY COLLECT: the slots are roots
  } else {
    w.slots[2] = *e.slot;
    runtime_.heap().free_persistent(std::exchange(e.slot, nullptr));  // now in a root slot
  }
  if (ok) {
    Turn turn{&c, e.ask.get(), false};
    tl_turn = &turn;
    c.running_on.store(t.id, std::memory_order_relaxed);
    ok = runtime_.call(t, &w.slots[0], &w.slots[1], 2, &w.slots[3]);
    c.running_on.store(0, std::memory_order_relaxed);
    tl_turn = nullptr;
  }
  if (ok) {
    *c.state = w.slots[3];
    if (e.ask) e.ask->settle(AskCell::kNoReply);
    e.ask.reset();
    for (Value& s : w.slots) s = types::kNothing;  // keep nothing alive past the turn
    return;
  }
  auto thrown = std::make_shared<const Thrown>(
      runtime_.heap(),
      t.exception != types::kNothing ? runtime_.heap().new_persistent(t.exception) : nullptr,
      describe_thrown(rt::impl_of(t).types(), t.exception));
  t.exception = types::kNothing;
  t.trace = types::kNothing;
  if (e.ask) e.ask->settle(AskCell::kFailed, nullptr, thrown->text);
  e.ask.reset();
  for (Value& s : w.slots) s = types::kNothing;
  // Through Actor<M>: its supervisor (if any) restarts the actor, or it
  // stops, and stopped() records the failure before the final phase.
  throw BehaviourFailed{std::move(thrown)};
}

void Actors::stopped(ActorCore& c, const cc::Down& down) {
  if (!ActorCore::is_final(c.phase.load(std::memory_order_acquire))) {
    std::uint32_t phase = ActorCore::kStopped;
    if (down.reason != cc::Down::Reason::kNormal) {
      c.failure = thrown_of(down.error);
      // Only a C++ exception (the heap or memory exhausted) fails a turn
      // without a BehaviourFailed.
      if (c.failure == nullptr && down.reason == cc::Down::Reason::kFailed) {
        c.failure = std::make_shared<const Thrown>(c.heap, nullptr, "OutOfMemory");
      }
      phase = down.reason == cc::Down::Reason::kFailed ? ActorCore::kFailed : ActorCore::kKilled;
    }
    c.phase.store(phase, std::memory_order_seq_cst);
  }
  if (c.capacity != 0) c.space_made(true);  // blocked senders find the actor stopped
  c.done.count_down();
  std::shared_ptr<ActorCore> last;  // may be the last reference: dies after the lock
  std::lock_guard lock(mu_);
  auto it = live_.find(c.number);
  if (it != live_.end()) {
    last = std::move(it->second);
    live_.erase(it);
  }
}

bool Actors::refuse_in_behaviour(rt::Thread& t, const char* native) {
  return rt::ops::raise(t, "ValueError",
                        std::string(native) +
                            ": a behaviour cannot wait for an actor (it would hold one of the "
                            "actors' few pool threads, and the actor it waits for may need it); "
                            "send a message carrying actor_self() and handle the answer as a "
                            "message instead");
}

std::string Actors::why_stopped(const ActorCore& c) {
  switch (c.phase.load(std::memory_order_acquire)) {
    case ActorCore::kFailed:
      return "the actor has stopped: its behaviour threw " + c.failure->text;
    case ActorCore::kKilled:
      return c.failure != nullptr
                 ? "the actor was killed: an actor linked to it failed with " + c.failure->text
                 : std::string("the actor was killed by its supervisor, which gave up");
    case ActorCore::kStopping:
      return "the actor is stopping (actor_stop was called)";
    case ActorCore::kStopped:
      return "the actor has stopped (actor_stop was called)";
    default:
      return "the actor has stopped";
  }
}

bool Actors::refuse_stopped(rt::Thread& t, const char* native, const ActorCore& c,
                            const char* what) {
  return rt::ops::raise(t, "ValueError", std::string(native) + ": " + why_stopped(c) + what);
}

bool Actors::send(rt::Thread& t, const Value* actor, const Value* message, bool* delivered) {
  const char* native = delivered != nullptr ? "actor_try_send" : "actor_send";
  ActorCore& c = core_of(*actor);
  Envelope e(runtime_.heap(), runtime_.heap().new_persistent(*message), nullptr,
             Envelope::Kind::kMessage);
  // kStranded is no error for a send: the message may be the very one the
  // actor handled last (it failed on it, or stopped after it), or one that
  // raced with the stop and is dropped, as a message to a process that is
  // exiting is in Erlang. Only a send refused outright raises.
  const Sent sent = delivered != nullptr ? deliver(c, e) : deliver_waiting(c, e);
  if (delivered != nullptr) *delivered = sent != Sent::kFull;
  if (sent != Sent::kRefused) return true;
  return refuse_stopped(t, native, c, "; the message was not delivered");
}

bool Actors::post_ask(rt::Thread& t, const char* native, ActorCore& c, const Value* message,
                      const std::shared_ptr<AskCell>& cell) {
  Envelope e(runtime_.heap(), runtime_.heap().new_persistent(*message), cell,
             Envelope::Kind::kMessage);
  const Sent sent = deliver_waiting(c, e);
  if (sent == Sent::kRefused)
    return refuse_stopped(t, native, c, "; the message was not delivered");
  if (sent == Sent::kStranded) cell->settle(AskCell::kStopped);
  return true;
}

bool Actors::answer(rt::Thread& t, const char* native, const ActorCore& c, const AskCell& cell,
                    Value* out) {
  switch (cell.outcome.load(std::memory_order_acquire)) {
    case AskCell::kAnswered:
      *out = *cell.value;
      return true;
    case AskCell::kNoReply:
      return rt::ops::raise(t, "ValueError",
                            std::string(native) +
                                ": the behaviour returned without answering the message "
                                "(call actor_reply(value) while handling it)");
    case AskCell::kFailed:
      return rt::ops::raise(t, "ValueError",
                            std::string(native) + ": the actor's behaviour threw " + cell.failure +
                                " while handling the message; " +
                                (c.supervisor != nullptr ? "its supervisor restarts it or gives up"
                                                         : "the actor has stopped"));
    default:
      return refuse_stopped(t, native, c, " before it handled the message");
  }
}

bool Actors::timed_out(rt::Thread& t, const char* native, std::int64_t millis) {
  return rt::ops::raise(t, "Timeout",
                        std::string(native) + ": no reply within " + std::to_string(millis) +
                            " ms; the actor keeps the message and may still handle it (its "
                            "reply is then dropped)");
}

bool Actors::ask(rt::Thread& t, const Value* actor, const Value* message, Value* out,
                 std::optional<std::int64_t> millis, AskFailure* failure) {
  const char* native = millis ? "actor_ask_timeout" : "actor_ask";
  AskFailure ignored{};
  AskFailure& why = failure != nullptr ? *failure : ignored;
  why = AskFailure::kOther;
  if (tl_turn != nullptr) return refuse_in_behaviour(t, native);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(millis ? std::min(*millis, kLongestAsk) : 0);
  ActorCore& c = core_of(*actor);  // alive: *actor is a root slot
  auto cell = std::make_shared<AskCell>(runtime_.heap());
  if (!post_ask(t, native, c, message, cell)) {
    why = AskFailure::kStopped;  // post_ask refuses only an actor that is not running
    return false;
  }
  // Both waits are in a blocking region: they never delay a collection.
  if (millis && !cell->done.wait_until(deadline) && cell->give_up()) {
    why = AskFailure::kTimedOut;
    return timed_out(t, native, *millis);
  }
  cell->done.wait();  // at once, or for the instant a settle that won needs to open it
  if (cell->outcome.load(std::memory_order_acquire) == AskCell::kStopped) {
    why = AskFailure::kStopped;
  }
  return answer(t, native, c, *cell, out);
}

rt::Thread* Actors::worker_thread() {
  return tl_worker != nullptr ? tl_worker->thread : nullptr;
}

void Actors::run(std::function<void(rt::Thread&)> job) {
  pool().spawn([job = std::move(job)] { job(*tl_worker->thread); });
}

namespace {

void split(cc::Pool& p, std::uint64_t lo, std::uint64_t hi, std::uint64_t grain,
           const Actors::Piece& piece) {
  if (hi - lo <= grain) {
    piece(*tl_worker->thread, lo, hi);
    return;
  }
  const std::uint64_t mid = lo + (hi - lo) / 2;
  cc::join(
      p, [&] { split(p, lo, mid, grain, piece); }, [&] { split(p, mid, hi, grain, piece); });
}

}  // namespace

void Actors::parallel_for(std::uint64_t begin, std::uint64_t end, std::uint64_t grain,
                          const Piece& piece) {
  if (begin >= end) return;
  cc::Pool& p = pool();
  if (grain == 0) grain = std::max<std::uint64_t>(1, (end - begin) / (8 * std::uint64_t{p.size()}));
  p.run([&] { split(p, begin, end, grain, piece); });
}

bool Actors::reply(rt::Thread& t, const Value* value, Value* out) {
  Turn* turn = tl_turn;
  if (turn == nullptr) {
    return rt::ops::raise(t, "ValueError",
                          "actor_reply: called outside an actor's behaviour (a behaviour answers "
                          "the ask it is handling)");
  }
  if (turn->ask == nullptr) {
    *out = types::make_boolean(false);  // the message came by actor_send: nobody waits
    return true;
  }
  if (turn->replied) {
    return rt::ops::raise(t, "ValueError",
                          "actor_reply: this message was answered already (one reply per ask)");
  }
  turn->replied = true;
  turn->ask->settle(AskCell::kAnswered, runtime_.heap().new_persistent(*value));
  *out = types::make_boolean(true);
  return true;
}

bool Actors::self(rt::Thread& t, Value* out) {
  if (tl_turn == nullptr) {
    return rt::ops::raise(t, "ValueError", "actor_self: called outside an actor's behaviour");
  }
  return make_box(t, tl_turn->core->shared_from_this(), out);
}

bool Actors::stop(rt::Thread& /*t*/, const Value* actor) {
  request_stop(core_of(*actor));
  return true;
}

bool Actors::wait(rt::Thread& t, const Value* actor, Value* out) {
  if (tl_turn != nullptr) return refuse_in_behaviour(t, "actor_wait");
  ActorCore& c = core_of(*actor);
  c.done.wait();  // in a blocking region
  const std::uint32_t phase = c.phase.load(std::memory_order_acquire);
  if (phase == ActorCore::kKilled) return refuse_stopped(t, "actor_wait", c, "");
  if (phase != ActorCore::kFailed) {
    *out = *c.state;
    return true;
  }
  if (c.failure->slot == nullptr) return rt::ops::out_of_memory(t);
  heap::HandleScope scope(*t.m);
  heap::Handle e(*t.m, *c.failure->slot);
  return rt::ops::throw_value(t, e.slot());
}

bool Actors::in_behaviour() {
  return tl_turn != nullptr;
}

void Actors::describe(std::string& out) {
  std::lock_guard lock(mu_);  // the header's "The dump"
  if (live_.empty()) return;
  out += "actors: " + std::to_string(live_.size()) + "\n";
  for (const auto& [number, core] : live_) {
    const ActorCore& c = *core;
    out += "  actor " + std::to_string(number) + ": " + c.name + ", ";
    const std::uint32_t phase = c.phase.load(std::memory_order_acquire);
    if (ActorCore::is_final(phase)) {
      out += phase == ActorCore::kFailed   ? "failed\n"
             : phase == ActorCore::kKilled ? "killed\n"
                                           : "stopped\n";
      continue;
    }
    if (phase == ActorCore::kStopping) out += "stopping, ";
    const std::uint32_t on = c.running_on.load(std::memory_order_relaxed);
    out += on != 0 ? "running on thread " + std::to_string(on) : std::string("idle");
    const std::uint64_t waiting = c.waiting.load(std::memory_order_relaxed);
    out += ", " + std::to_string(waiting) + (waiting == 1 ? " message" : " messages") + " waiting";
    if (c.capacity != 0) out += " (capacity " + std::to_string(c.capacity) + ")";
    const std::uint32_t blocked = c.blocked_senders.load(std::memory_order_relaxed);
    if (blocked != 0) {
      out += ", " + std::to_string(blocked) + (blocked == 1 ? " sender" : " senders") +
             " blocked on the full mailbox";
    }
    out += "\n";
  }
}

void Actors::shut_down() {
  // Rounds: a behaviour handling its last messages may spawn actors; when
  // no actor is live, no behaviour runs, so none can spawn another.
  for (;;) {
    std::vector<std::shared_ptr<ActorCore>> cores;
    {
      std::lock_guard lock(mu_);
      for (auto& [number, core] : live_) cores.push_back(core);
    }
    if (cores.empty()) break;
    // Every supervisor first, then every stop: a permanent child's stop is
    // then final (supervisor.hpp, "A permanent child's normal stop racing
    // wind_down()").
    for (auto& c : cores) {
      if (c->supervisor != nullptr) c->supervisor->supervisor->wind_down();
    }
    for (auto& c : cores) request_stop(*c);
    for (auto& c : cores) c->done.wait();
  }
  std::unique_ptr<cc::Pool> pool;
  {
    std::lock_guard lock(mu_);
    pool = std::move(pool_);
  }
  pool.reset();  // joins the workers, which detach
}

}  // namespace runa::bridge
