// Actors for programs: actors.hpp states what is owned and the invariants.
//
// Stranded messages. A sender checks the phase, then pushes; the actor's
// last turn stores a final phase, then (in Actor<M>::terminate) drops its
// mailbox. The interleaving to rule out: the sender reads kRunning, the
// actor stores kFailed and drops its mailbox, then the sender's push lands
// in a mailbox nobody will ever read — an ask would wait for ever. So each
// side fences (seq_cst) between its write and its read: the sender, after
// the push, reads the phase again; the actor, after storing the phase,
// pops the mailbox. One of them sees the other: either the drop finds the
// message (its ask is settled "stopped" by the Envelope's destructor), or
// the sender sees the final phase. Then its message was either the last
// one handled (the one the behaviour threw on, whose ask the turn settled
// before storing the phase) or will never be handled (none is handled
// after the final phase): the sender settles its own ask "stopped", and
// the AskCell's CAS keeps whichever outcome came first. A plain send
// cannot tell the two apart and raises nothing (a send racing with a stop
// may be dropped, as a message to an exiting Erlang process is).
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

#include "bridge/runtime_impl.hpp"
#include "concurrency/actor/actor.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/latch.hpp"
#include "runatime/ops.hpp"

namespace runa::bridge {

namespace cc = runa::concurrency;

// The answer to one ask, shared by the asker and the message.
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

  // The first settle wins; a later one frees what it brought. `value` is
  // written before the latch opens, and the asker reads it only after.
  void settle(std::uint32_t how, Value* v = nullptr) {
    std::uint32_t pending = kPending;
    if (!outcome.compare_exchange_strong(pending, how, std::memory_order_acq_rel)) {
      if (v != nullptr) heap.free_persistent(v);
      return;
    }
    value = v;
    done.count_down();
  }
  // The asker's deadline passed: true when it claimed the cell before any
  // settle (the header's "A reply racing the timeout"). The latch stays
  // closed; nobody waits on it any more.
  bool give_up() {
    std::uint32_t pending = kPending;
    return outcome.compare_exchange_strong(pending, kTimedOut, std::memory_order_acq_rel);
  }

  heap::Heap& heap;
  std::atomic<std::uint32_t> outcome{kPending};
  Value* value = nullptr;  // persistent: the reply, when answered
  cc::Latch done{1};
};

// A message in the mailbox (or the stop marker of actor_stop). Dropped
// unhandled, it gives its slot back and settles its ask "stopped".
struct Envelope {
  Envelope() = default;
  Envelope(heap::Heap& h, Value* s, std::shared_ptr<AskCell> a, bool is_stop)
      : heap(&h), slot(s), ask(std::move(a)), stop(is_stop) {}
  Envelope(Envelope&& o) noexcept
      : heap(o.heap), slot(std::exchange(o.slot, nullptr)), ask(std::move(o.ask)), stop(o.stop) {}
  Envelope& operator=(Envelope&& o) noexcept {
    if (this != &o) {
      drop();
      heap = o.heap;
      slot = std::exchange(o.slot, nullptr);
      ask = std::move(o.ask);
      stop = o.stop;
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
  }

  heap::Heap* heap = nullptr;
  Value* slot = nullptr;  // persistent: the message
  std::shared_ptr<AskCell> ask;
  bool stop = false;
};

struct ActorCore : std::enable_shared_from_this<ActorCore> {
  enum : std::uint32_t { kRunning, kStopping, kStopped, kFailed };
  ActorCore(heap::Heap& h, std::uint64_t n, std::string_view behaviour_name, Value behaviour_value,
            Value state_value)
      : heap(h),
        number(n),
        name(behaviour_name),
        behaviour(h.new_persistent(behaviour_value)),
        state(h.new_persistent(state_value)) {}
  ~ActorCore() {
    heap.free_persistent(behaviour);
    heap.free_persistent(state);
    if (failure != nullptr) heap.free_persistent(failure);
  }
  ActorCore(const ActorCore&) = delete;
  ActorCore& operator=(const ActorCore&) = delete;
  ActorCore(ActorCore&&) = delete;
  ActorCore& operator=(ActorCore&&) = delete;

  [[nodiscard]] static bool is_final(std::uint32_t phase) { return phase >= kStopped; }

  heap::Heap& heap;
  const std::uint64_t number;
  const std::string name;    // the behaviour's function, for dumps
  Value* behaviour;          // persistent
  Value* state;              // persistent: the state, then the last state
  Value* failure = nullptr;  // persistent: what the behaviour threw
  std::string failure_text;  // "TypeError: message", written before kFailed
  std::atomic<std::uint32_t> phase{kRunning};
  // For dumps: messages delivered and not yet taken by a turn (counted
  // before the push, so a turn never takes one away first), and the
  // number of the worker thread handling one now (0: none).
  std::atomic<std::uint64_t> waiting{0};
  std::atomic<std::uint32_t> running_on{0};
  cc::Latch done{1};  // opened once the actor has stopped
  std::shared_ptr<cc::Actor<Envelope>> actor;
};

struct ActorBox {
  std::shared_ptr<ActorCore> core;
};

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

ActorCore& core_of(Value actor) {
  return *ForeignObjects<ActorBox>::of(actor)->core;
}

// "Type: message" of a thrown value. Never collects.
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

enum class Sent : std::uint8_t { kOk, kRefused, kStranded };

// Pushes the envelope unless the actor has stopped (the header's "Stranded
// messages"): kStranded when the actor reached its final phase meanwhile.
Sent deliver(ActorCore& c, Envelope& e) {
  if (c.phase.load(std::memory_order_acquire) != ActorCore::kRunning && !e.stop) {
    return Sent::kRefused;
  }
  const bool counted = !e.stop;
  if (counted) c.waiting.fetch_add(1, std::memory_order_relaxed);
  if (c.actor->deliver(e) != cc::Delivery::kOk) {
    if (counted) c.waiting.fetch_sub(1, std::memory_order_relaxed);
    return Sent::kRefused;
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // acquire: a final phase read here shows the settle of the failing
  // message's ask, made before it (handle()).
  return ActorCore::is_final(c.phase.load(std::memory_order_acquire)) ? Sent::kStranded : Sent::kOk;
}

// actor_stop: kRunning -> kStopping and the stop marker behind what was
// sent before; nothing when it is stopping or stopped already.
void request_stop(ActorCore& c) {
  std::uint32_t running = ActorCore::kRunning;
  if (!c.phase.compare_exchange_strong(running, ActorCore::kStopping, std::memory_order_seq_cst)) {
    return;
  }
  Envelope marker(c.heap, nullptr, nullptr, true);
  (void)deliver(c, marker);
}

}  // namespace

Actors::Actors(rt::Runtime& r) : runtime_(r), boxes_(r.heap(), "Actor") {}

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

bool Actors::spawn(rt::Thread& t, const Value* behaviour, const Value* state, Value* out) {
  const rt::FunctionInfo* f = rt::ops::callee(t, *behaviour, 2);
  if (f == nullptr) return false;
  std::uint64_t number = 0;
  {
    std::lock_guard lock(mu_);
    number = next_++;
  }
  auto core = std::make_shared<ActorCore>(runtime_.heap(), number, f->name(), *behaviour, *state);
  // The Actor object first: if the heap cannot hold it, no actor has started.
  if (!make_box(t, core, out)) return false;
  ActorCore* c = core.get();
  using Context = cc::Actor<Envelope>::Context;
  core->actor = cc::Actor<Envelope>::spawn(pool(), [this, c] {
    return [this, c](Context& ctx, Envelope& e) {
      bool stop = false;
      handle(*c, e, stop);
      if (stop) ctx.stop();
    };
  });
  core->actor->monitor([this, c](const cc::Down& /*down*/) { stopped(*c); });
  std::lock_guard lock(mu_);
  live_.emplace(number, std::move(core));
  return true;
}

void Actors::handle(ActorCore& c, Envelope& e, bool& stop) {
  if (e.stop) {
    c.phase.store(ActorCore::kStopped, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the Dekker pair of the header
    stop = true;
    return;
  }
  c.waiting.fetch_sub(1, std::memory_order_relaxed);
  Worker& w = *tl_worker;
  rt::Thread& t = *w.thread;
  w.slots[0] = *c.behaviour;
  w.slots[1] = *c.state;
  w.slots[2] = *e.slot;
  w.slots[3] = types::kNothing;
  runtime_.heap().free_persistent(std::exchange(e.slot, nullptr));  // now in a root slot
  Turn turn{&c, e.ask.get(), false};
  tl_turn = &turn;
  c.running_on.store(t.id, std::memory_order_relaxed);
  const bool ok = runtime_.call(t, &w.slots[0], &w.slots[1], 2, &w.slots[3]);
  c.running_on.store(0, std::memory_order_relaxed);
  tl_turn = nullptr;
  if (ok) {
    *c.state = w.slots[3];
    if (e.ask) e.ask->settle(AskCell::kNoReply);
  } else {
    c.failure_text = describe_thrown(rt::impl_of(t).types(), t.exception);
    if (t.exception != types::kNothing) c.failure = runtime_.heap().new_persistent(t.exception);
    t.exception = types::kNothing;
    t.trace = types::kNothing;
    // The ask first: a sender that sees the final phase settles its ask
    // "stopped", and this message was handled (header, "Stranded messages").
    if (e.ask) e.ask->settle(AskCell::kFailed);
    c.phase.store(ActorCore::kFailed, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    stop = true;
  }
  e.ask.reset();
  for (Value& s : w.slots) s = types::kNothing;  // keep nothing alive past the turn
}

void Actors::stopped(ActorCore& c) {
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

bool Actors::refuse_stopped(rt::Thread& t, const char* native, const ActorCore& c,
                            const char* what) {
  std::string why;
  switch (c.phase.load(std::memory_order_acquire)) {
    case ActorCore::kFailed:
      why = "the actor has stopped: its behaviour threw " + c.failure_text;
      break;
    case ActorCore::kStopping:
      why = "the actor is stopping (actor_stop was called)";
      break;
    default:
      why = "the actor has stopped (actor_stop was called)";
  }
  return rt::ops::raise(t, "ValueError", std::string(native) + ": " + why + what);
}

bool Actors::send(rt::Thread& t, const Value* actor, const Value* message) {
  ActorCore& c = core_of(*actor);
  Envelope e(runtime_.heap(), runtime_.heap().new_persistent(*message), nullptr, false);
  // kStranded is no error for a send: the message may be the very one the
  // actor handled last (it failed on it, or stopped after it), or one that
  // raced with the stop and is dropped, as a message to a process that is
  // exiting is in Erlang. Only a send refused outright raises.
  if (deliver(c, e) != Sent::kRefused) return true;
  return refuse_stopped(t, "actor_send", c, "; the message was not delivered");
}

bool Actors::ask(rt::Thread& t, const Value* actor, const Value* message, Value* out,
                 std::optional<std::int64_t> millis) {
  const char* native = millis ? "actor_ask_timeout" : "actor_ask";
  if (tl_turn != nullptr) return refuse_in_behaviour(t, native);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(millis ? std::min(*millis, kLongestAsk) : 0);
  ActorCore& c = core_of(*actor);  // alive: *actor is a root slot
  auto cell = std::make_shared<AskCell>(runtime_.heap());
  {
    Envelope e(runtime_.heap(), runtime_.heap().new_persistent(*message), cell, false);
    const Sent sent = deliver(c, e);
    if (sent == Sent::kRefused) {
      return refuse_stopped(t, native, c, "; the message was not delivered");
    }
    if (sent == Sent::kStranded) cell->settle(AskCell::kStopped);
  }
  // Both waits are in a blocking region: they never delay a collection.
  if (millis && !cell->done.wait_until(deadline) && cell->give_up()) {
    return rt::ops::raise(t, "Timeout",
                          std::string(native) + ": no reply within " + std::to_string(*millis) +
                              " ms; the actor keeps the message and may still handle it (its "
                              "reply is then dropped)");
  }
  cell->done.wait();  // at once, or for the instant a settle that won needs to open it
  switch (cell->outcome.load(std::memory_order_acquire)) {
    case AskCell::kAnswered:
      *out = *cell->value;
      return true;
    case AskCell::kNoReply:
      return rt::ops::raise(t, "ValueError",
                            std::string(native) +
                                ": the behaviour returned without answering the message "
                                "(call actor_reply(value) while handling it)");
    case AskCell::kFailed:
      return rt::ops::raise(t, "ValueError",
                            std::string(native) + ": the actor's behaviour threw " +
                                c.failure_text +
                                " while handling the message; the actor has stopped");
    default:
      return refuse_stopped(t, native, c, " before it handled the message");
  }
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
  if (c.phase.load(std::memory_order_acquire) != ActorCore::kFailed) {
    *out = *c.state;
    return true;
  }
  if (c.failure == nullptr) return rt::ops::out_of_memory(t);
  heap::HandleScope scope(*t.m);
  heap::Handle e(*t.m, *c.failure);
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
      out += phase == ActorCore::kFailed ? "failed\n" : "stopped\n";
      continue;
    }
    if (phase == ActorCore::kStopping) out += "stopping, ";
    const std::uint32_t on = c.running_on.load(std::memory_order_relaxed);
    out += on != 0 ? "running on thread " + std::to_string(on) : std::string("idle");
    const std::uint64_t waiting = c.waiting.load(std::memory_order_relaxed);
    out +=
        ", " + std::to_string(waiting) + (waiting == 1 ? " message" : " messages") + " waiting\n";
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
