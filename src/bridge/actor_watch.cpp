// Monitors, links and supervisors for programs' actors (docs/concurrency.md,
// "Actors for programs"), over the C++ actors' monitors and Supervisor
// (src/concurrency/actor/).
//
// Monitors and links are both monitors of the C++ Actor<M>: a DownFn
// registered on the watched actor that queues a notice (an Envelope of kind
// kDown or kExit; made into a Tuple on the watcher's turn) or, for a link
// that does not trap exits, kills the other side with the same reason. The
// C++ link is not used: it cannot trap exits, and its kill carries no
// reason. A DownFn runs on the stopping actor's turn, or at once on the
// thread that sets it when the actor is down already; it never touches the
// heap (a notice carries the stopped actor's Core and its Thrown, both
// outside the heap), so it runs on any thread.
//
// actor_demonitor and actor_unlink take the DownFns out again, named by a
// tag (the other actor's number and the kind); supervisor_demonitor takes
// a supervisor's monitor out the same way (Supervisor::unmonitor and
// go_down share the supervisor's lock). Removing races with the
// watched actor's stop: ActorBase::unmonitor() and terminate() both take
// the actor's lock, so a DownFn is either removed (no notice, no kill) or
// handed to the stop (the notice comes, the kill happens), never both,
// never neither; the native's result says which (true: removed).
//
// The interleavings to rule out:
//   - A monitor or link set while the watched actor stops: registered just
//     after the actor swapped its monitors out, the DownFn would never run.
//     ActorBase::monitor() registers under the actor's lock, where
//     terminate() marks it down; a later one runs at once with the Down the
//     actor stopped with (reason and error kept in `last_down_`), so the
//     watcher gets exactly one notice either way.
//   - A notice lost to backpressure: a notice is queued past the mailbox's
//     bound (deliver_past_bound), never refused for a full mailbox.
//   - A notice pushed into a watcher that has stopped meanwhile: dropped
//     with that mailbox (nobody would handle it), as a message to a dead
//     process is.
// Supervision is the C++ Supervisor's: a failing turn throws
// BehaviourFailed through Actor<M> (actors.cpp, handle()), so the
// supervisor sees it, restarts the child (the factory resets its state to
// the first one; the mailbox, and what was sent during the restart, stay),
// escalates to its parent supervisor (which renews it in place: every
// actor under it restarts behind the same Actor values) or gives up,
// killing the others; supervisor_wait and supervisor_monitor read the Down
// it went down with (its error holds the BehaviourFailed, so the Thrown).
// Restart types are the C++ Supervisor's; a permanent child's actor_stop
// lets Actor<M> ask its supervisor (actors.cpp, handle()).
// supervisor_stop_child is Supervisor::stop_child (which deletes the child
// under the supervisor's lock before stopping it: a crash racing it is no
// restart), then the phase a sender reads goes to stopping.
// Ownership without cycles: an ActorCore holds its SupervisorCore, a child
// SupervisorCore its parent's, a C++ Supervisor its children; a monitor on
// a supervisor lives inside it and holds the watcher and the supervisor
// weakly (a watcher among the supervisor's descendants keeps it alive).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bridge/actor_core.hpp"
#include "bridge/actors.hpp"
#include "bridge/runtime_impl.hpp"
#include "runatime/ops.hpp"

namespace runa::bridge {

std::shared_ptr<const Thrown> thrown_of(const std::exception_ptr& error) {
  if (!error) return nullptr;
  try {
    std::rethrow_exception(error);
  } catch (const BehaviourFailed& failed) {
    return failed.thrown;
  } catch (...) {
    return nullptr;
  }
}

namespace {

// Queues a notice that `from` went down to `to`, unless `to` has stopped.
void notify(ActorCore& to, const std::shared_ptr<ActorCore>& from, Envelope::Kind kind,
            const cc::Down& down) {
  Envelope e(to.heap, nullptr, nullptr, kind);
  e.from = from;
  e.reason = down.reason;
  e.error = thrown_of(down.error);
  (void)to.actor->deliver_past_bound(e);
}

// A linked actor went down: `to` traps it as a notice, or dies of it too.
void linked_down(ActorCore& to, const std::shared_ptr<ActorCore>& from, const cc::Down& down) {
  if (to.trap_exits.load(std::memory_order_acquire)) {
    notify(to, from, Envelope::Kind::kExit, down);
  } else if (down.reason != cc::Down::Reason::kNormal) {
    to.actor->kill(down.error);  // the same reason: stopped() records it
  }
}

// What names a monitor or a link in the watched actor's list (unmonitor):
// the other actor's number, and which of the two it is.
enum class Watch : std::uint8_t { kMonitor, kLink };
std::uint64_t watch_tag(const ActorCore& other, Watch w) {
  return other.number * 2 + (w == Watch::kLink ? 1 : 0);  // numbers start at 1: never 0
}

// A restart type by its name, or false after raising ValueError.
bool restart_named(rt::Thread& t, const char* native, std::string_view name,
                   cc::Supervisor::Restart* out) {
  if (name == "permanent") {
    *out = cc::Supervisor::Restart::kPermanent;
  } else if (name == "temporary") {
    *out = cc::Supervisor::Restart::kTemporary;
  } else if (name == "transient") {
    *out = cc::Supervisor::Restart::kTransient;
  } else {
    return rt::ops::raise(t, "ValueError",
                          std::string(native) +
                              ": the restart type is \"permanent\", \"transient\" or "
                              "\"temporary\", not \"" +
                              std::string(name) + "\"");
  }
  return true;
}

// Whether a child may be added to `core` by `native`; false after raising.
bool may_add_child(rt::Thread& t, const char* native, const SupervisorCore& core, bool simple) {
  if (core.supervisor->gave_up()) {
    return rt::ops::raise(t, "ValueError",
                          std::string(native) +
                              ": the supervisor is down (it gave up after too "
                              "many restarts, or a supervisor above it did)");
  }
  if ((core.simple != nullptr) == simple) return true;
  return rt::ops::raise(
      t, "ValueError",
      std::string(native) +
          (simple ? ": the supervisor is not a simple_one_for_one one (supervisor_new_simple)"
                  : ": a simple_one_for_one supervisor's children start with "
                    "supervisor_start_child, all from its one behaviour"));
}

const char* reason_name(cc::Down::Reason r) {
  switch (r) {
    case cc::Down::Reason::kFailed:
      return "failed";
    case cc::Down::Reason::kKilled:
      return "killed";
    default:
      return "normal";
  }
}

}  // namespace

void Actors::monitor(const Value* actor, const Value* watcher) {
  std::shared_ptr<ActorCore> watched = core_of(*actor).shared_from_this();
  std::shared_ptr<ActorCore> to = core_of(*watcher).shared_from_this();
  // The DownFn holds both Cores until it runs or is removed; the watched
  // actor drops its monitors when it stops, and every actor stops by the
  // runtime's end.
  watched->actor->monitor(
      [to, watched](const cc::Down& down) { notify(*to, watched, Envelope::Kind::kDown, down); },
      watch_tag(*to, Watch::kMonitor));
}

bool Actors::demonitor(const Value* actor, const Value* watcher) {
  return core_of(*actor).actor->unmonitor(watch_tag(core_of(*watcher), Watch::kMonitor)) > 0;
}

void Actors::link(const Value* a, const Value* b) {
  std::shared_ptr<ActorCore> first = core_of(*a).shared_from_this();
  std::shared_ptr<ActorCore> second = core_of(*b).shared_from_this();
  first->actor->monitor(
      [second, first](const cc::Down& down) { linked_down(*second, first, down); },
      watch_tag(*second, Watch::kLink));
  second->actor->monitor(
      [first, second](const cc::Down& down) { linked_down(*first, second, down); },
      watch_tag(*first, Watch::kLink));
}

bool Actors::unlink(const Value* a, const Value* b) {
  ActorCore& first = core_of(*a);
  ActorCore& second = core_of(*b);
  // Both sides are removed whatever happens; the link had no effect only
  // if neither side's stop had taken it yet.
  const bool from_first = first.actor->unmonitor(watch_tag(second, Watch::kLink)) > 0;
  const bool from_second = second.actor->unmonitor(watch_tag(first, Watch::kLink)) > 0;
  return from_first && from_second;
}

void Actors::trap_exits(const Value* actor, bool trap) {
  core_of(*actor).trap_exits.store(trap, std::memory_order_release);
}

bool Actors::make_notice(rt::Thread& t, const Envelope& e, Value* out) {
  heap::HandleScope scope(*t.m);
  const types::TypeSystem& ts = rt::impl_of(t).types();
  heap::Handle kind(*t.m,
                    ts.strings().make(*t.m, e.kind == Envelope::Kind::kDown ? "down" : "exit"));
  heap::Handle from(*t.m, types::kNothing);
  heap::Handle reason(*t.m, types::kNothing);
  heap::Handle error(*t.m, types::kNothing);
  if (kind.value() == types::kNothing) return rt::ops::out_of_memory(t);
  if (e.from_supervisor != nullptr) {
    auto core = std::make_shared<SupervisorCore>();
    core->supervisor = e.from_supervisor;
    if (!make_supervisor_box(t, std::move(core), from.slot())) return false;
  } else if (!make_box(t, e.from, from.slot())) {
    return false;
  }
  reason.set(ts.strings().make(*t.m, reason_name(e.reason)));
  if (reason.value() == types::kNothing) return rt::ops::out_of_memory(t);
  if (e.error != nullptr && e.error->slot != nullptr) error.set(*e.error->slot);
  Value* const items[] = {kind.slot(), from.slot(), reason.slot(), error.slot()};
  *out = ts.tuples().make(*t.m, items);
  return *out != types::kNothing || rt::ops::out_of_memory(t);
}

bool Actors::is_supervisor(Value v) const {
  return supervisors_.is(v);
}

bool Actors::make_supervisor_box(rt::Thread& t, std::shared_ptr<SupervisorCore> core, Value* out) {
  auto made =
      supervisors_.make(*t.m, std::make_unique<SupervisorBox>(SupervisorBox{std::move(core)}), out);
  if (!made) return rt::ops::raise(t, "ValueError", "supervisor: " + made.error().message);
  return *made || rt::ops::out_of_memory(t);
}

bool Actors::new_supervisor(rt::Thread& t, const char* native, std::string_view strategy,
                            std::int64_t max_restarts, std::int64_t period_ms, const Value* parent,
                            Value* out) {
  cc::Supervisor::Strategy s{};
  if (strategy == "one_for_one") {
    s = cc::Supervisor::Strategy::kOneForOne;
  } else if (strategy == "one_for_all") {
    s = cc::Supervisor::Strategy::kOneForAll;
  } else if (strategy == "rest_for_one") {
    s = cc::Supervisor::Strategy::kRestForOne;
  } else {
    return rt::ops::raise(t, "ValueError",
                          std::string(native) +
                              ": the strategy is \"one_for_one\", \"one_for_all\" or "
                              "\"rest_for_one\", not \"" +
                              std::string(strategy) + "\"");
  }
  if (max_restarts < 0 || period_ms < 0) {
    return rt::ops::raise(t, "ValueError",
                          std::string(native) + ": the restart limit and the period are 0 or more");
  }
  const auto max = static_cast<unsigned>(
      std::min<std::int64_t>(max_restarts, std::numeric_limits<unsigned>::max()));
  const std::chrono::milliseconds period(period_ms);
  auto core = std::make_shared<SupervisorCore>();
  if (parent == nullptr) {
    core->supervisor = std::make_shared<cc::Supervisor>(pool(), s, max, period);
  } else {
    core->parent = ForeignObjects<SupervisorBox>::of(*parent)->core;
    if (core->parent->supervisor->gave_up()) {
      return rt::ops::raise(t, "ValueError",
                            std::string(native) + ": the parent supervisor is down");
    }
    if (!may_add_child(t, native, *core->parent, false)) return false;
    core->supervisor = core->parent->supervisor->start_supervisor(s, max, period);
  }
  return make_supervisor_box(t, std::move(core), out);
}

bool Actors::supervised_spawn(rt::Thread& t, const char* native, const Value* supervisor,
                              const Value* behaviour, const Value* state, Value* out,
                              std::size_t capacity, std::string_view restart) {
  Supervised under{ForeignObjects<SupervisorBox>::of(*supervisor)->core};
  if (!restart_named(t, native, restart, &under.restart)) return false;
  if (!may_add_child(t, native, *under.core, false)) return false;
  return spawn(t, behaviour, state, out, capacity, &under);
}

bool Actors::new_simple_supervisor(rt::Thread& t, const Value* behaviour, std::string_view restart,
                                   std::int64_t max_restarts, std::int64_t period_ms, Value* out) {
  constexpr const char* kNative = "supervisor_new_simple";
  cc::Supervisor::Restart r{};
  if (!restart_named(t, kNative, restart, &r)) return false;
  if (!new_supervisor(t, kNative, "one_for_one", max_restarts, period_ms, nullptr, out)) {
    return false;
  }
  // Nobody else sees the supervisor yet: its template is set before any
  // child can start.
  ForeignObjects<SupervisorBox>::of(*out)->core->simple =
      std::make_shared<const ChildTemplate>(runtime_.heap(), *behaviour, r);
  return true;
}

bool Actors::start_child(rt::Thread& t, const Value* supervisor, const Value* state, Value* out) {
  Supervised under{ForeignObjects<SupervisorBox>::of(*supervisor)->core};
  if (!may_add_child(t, "supervisor_start_child", *under.core, true)) return false;
  // Held: the template's slot outlives the spawn even if the supervisor's
  // last Supervisor object is collected meanwhile.
  const std::shared_ptr<const ChildTemplate> simple = under.core->simple;
  under.restart = simple->restart;
  return spawn(t, simple->behaviour, state, out, 0, &under);
}

std::int64_t Actors::restarts(const Value* supervisor) {
  return ForeignObjects<SupervisorBox>::of(*supervisor)->core->supervisor->restarts();
}

void Actors::monitor_supervisor(const Value* supervisor, const Value* watcher) {
  const std::shared_ptr<cc::Supervisor>& watched =
      ForeignObjects<SupervisorBox>::of(*supervisor)->core->supervisor;
  // Both weak: the DownFn lives in the supervisor, which a watcher among
  // its descendants keeps alive (a cycle otherwise). The supervisor is
  // alive while it reports; a watcher gone has stopped, and a notice to it
  // would be dropped anyway.
  ActorCore& watcher_core = core_of(*watcher);
  std::weak_ptr<ActorCore> to = watcher_core.shared_from_this();
  std::weak_ptr<cc::Supervisor> from = watched;
  watched->monitor(
      [to, from](const cc::Down& down) {
        std::shared_ptr<ActorCore> live = to.lock();
        std::shared_ptr<cc::Supervisor> gone = from.lock();
        if (live == nullptr || gone == nullptr) return;
        Envelope e(live->heap, nullptr, nullptr, Envelope::Kind::kDown);
        e.from_supervisor = std::move(gone);
        e.reason = down.reason;
        e.error = thrown_of(down.error);
        (void)live->actor->deliver_past_bound(e);
      },
      watch_tag(watcher_core, Watch::kMonitor));
}

bool Actors::stop_child(const Value* supervisor, const Value* actor) {
  ActorCore& c = core_of(*actor);
  const std::shared_ptr<cc::Supervisor>& s =
      ForeignObjects<SupervisorBox>::of(*supervisor)->core->supervisor;
  if (c.supervisor == nullptr || c.supervisor->supervisor != s) return false;
  if (!s->stop_child(*c.actor)) return false;
  // Sends are refused from now on (the C++ actor's stop drops what its
  // mailbox holds; a sender that pushed before this store is covered by
  // its Dekker pair with terminate(): actors.cpp, "Stranded messages").
  std::uint32_t running = ActorCore::kRunning;
  c.phase.compare_exchange_strong(running, ActorCore::kStopping, std::memory_order_seq_cst);
  if (c.capacity != 0) c.space_made(true);  // senders waiting for room learn it
  return true;
}

bool Actors::children(rt::Thread& t, const Value* supervisor, Value* out) {
  const std::vector<std::shared_ptr<cc::ActorBase>> kids =
      ForeignObjects<SupervisorBox>::of(*supervisor)->core->supervisor->children();
  // In spawn order: the children's positions, then one pass over the
  // live actors (not one per child).
  std::unordered_map<const cc::ActorBase*, std::size_t> position;
  for (std::size_t i = 0; i < kids.size(); ++i) position.emplace(kids[i].get(), i);
  std::vector<std::shared_ptr<ActorCore>> found(kids.size());
  {
    std::lock_guard lock(mu_);  // actors.cpp, "The dump": never held across a collection
    for (const auto& [number, core] : live_) {
      auto at = position.find(core->actor.get());
      if (at != position.end()) found[at->second] = core;
    }
  }
  std::vector<std::shared_ptr<ActorCore>> cores;
  for (auto& core : found) {
    if (core != nullptr) cores.push_back(std::move(core));
  }
  heap::HandleScope scope(*t.m);
  const types::TypeSystem& ts = rt::impl_of(t).types();
  heap::Handle list(*t.m, ts.lists().make(*t.m, cores.size()));
  if (list.value() == types::kNothing) return rt::ops::out_of_memory(t);
  heap::Handle box(*t.m, types::kNothing);
  for (const auto& core : cores) {
    if (!make_box(t, core, box.slot())) return false;
    if (!ts.lists().append(*t.m, list, box)) return rt::ops::out_of_memory(t);
  }
  *out = list.value();
  return true;
}

bool Actors::demonitor_supervisor(const Value* supervisor, const Value* watcher) {
  const std::shared_ptr<cc::Supervisor>& watched =
      ForeignObjects<SupervisorBox>::of(*supervisor)->core->supervisor;
  return watched->unmonitor(watch_tag(core_of(*watcher), Watch::kMonitor)) > 0;
}

bool Actors::wait_supervisor(rt::Thread& t, const Value* supervisor) {
  if (in_behaviour()) return refuse_in_behaviour(t, "supervisor_wait");
  const std::shared_ptr<cc::Supervisor>& s =
      ForeignObjects<SupervisorBox>::of(*supervisor)->core->supervisor;
  const cc::Down down = s->wait();  // in a blocking region
  if (down.reason == cc::Down::Reason::kKilled) {
    return rt::ops::raise(t, "ValueError",
                          "supervisor_wait: the supervisor was stopped: a supervisor above it "
                          "gave up");
  }
  const std::shared_ptr<const Thrown> thrown = thrown_of(down.error);
  const std::string last = thrown != nullptr ? thrown->text
                           : down.error == nullptr
                               ? "none: a permanent child stopped normally (actor_stop)"
                               : "an internal error";
  return rt::ops::raise(
      t, "ValueError",
      "supervisor_wait: the supervisor gave up: a child failed after " +
          std::to_string(s->max_restarts()) + " restarts within " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(s->window()).count()) +
          " ms; it killed its other children. The last failure: " + last);
}

}  // namespace runa::bridge
