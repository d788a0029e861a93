// Supervisor: restarts failed children, within limits (Erlang/OTP's
// supervisors, Akka's supervision strategies). A child is an actor or
// another supervisor (a supervision tree).
//
// Strategies: kOneForOne restarts only the child that failed; kOneForAll
// restarts every child; kRestForOne restarts the failed child and every
// child started after it (children started before are untouched). The
// others restart at the start of their next turn. A restart gives an actor
// a fresh behaviour from its factory and keeps its mailbox and its
// ActorRef.
//
// Restart intensity. A failure that finds `max_restarts` restarts within
// `window` means restarting does not help: the supervisor fails as a
// whole. A top-level supervisor then gives up: it kills every other child
// (a child supervisor is stopped, recursively), the failing one stops, and
// it reports itself down to its monitors (reason kFailed, the failure as
// the error). A child supervisor instead escalates: its parent treats it
// as a failing child and applies its own strategy and limit. If the parent
// restarts it, the child supervisor is renewed in place: its restart
// history is forgotten and every one of its children restarts from its
// factory (recursively for its own child supervisors), keeping their
// mailboxes and ActorRefs — OTP would start new processes; here, as for a
// restarted actor, the identities stay, so references held elsewhere keep
// working. If the parent gives up too, the failure escalates further; the
// supervisors that give up report kFailed, the ones stopped by an ancestor
// giving up report kKilled (error null).
//
// Restart types (OTP's), one per child. kTransient (the default, and what
// every child was before there were types): restarted when it fails; a
// normal stop (ActorBase::stop, Context::stop) ends it for good.
// kPermanent: restarted after a normal stop too, counted against the
// intensity as a failure is (past the limit the supervisor fails as a
// whole, its Down's error null); wind_down() makes normal stops final
// again, for an owner ending everything. kTemporary: never restarted — not
// when it fails (the failure is not counted: it cannot make the supervisor
// give up), not when a sibling's failure restarts the others (one-for-all,
// rest-for-one). A killed child (a link, the supervisor giving up) is never
// restarted, whatever its type.
//
// Monitors get one Down when the supervisor goes down (gives up, or is
// stopped by its parent giving up); a monitor set afterwards gets the same
// Down at once, as an actor's does.
//
// Concurrency. `mu_` guards the children, the restart history and the
// state; it is never held while calling into another supervisor or an
// actor (a parent and a child call each other in both directions: restart
// requests go down, escalations go up). So a decision is taken under the
// lock and carried out after it. The interleavings to rule out:
//   - Two children failing at once while the limit is exceeded: both would
//     escalate, and the parent would count two restarts of this supervisor
//     for one episode. The first sets `escalating_`; a failure that finds
//     it set restarts its own child at once, uncounted, and is covered by
//     the outcome: a renewal restarts that child again, a give-up kills it.
//   - A give-up racing a stop by the parent (this supervisor escalates
//     while the parent gives up because of another child): both mark the
//     supervisor down under the lock; the first takes the monitors, the
//     second finds `down_` and does nothing, so monitors run once.
//   - A renewal (the parent's one-for-all) racing a child's failure: the
//     history and the children list change only under the lock; a child
//     restarted twice just gets two fresh behaviours.
//   - A removal (unmonitor) racing the supervisor going down: both take
//     `mu_`, where go_down() marks it down and takes every monitor, so a
//     monitor is either removed (it never runs) or taken (it runs, and
//     unmonitor answers 0), never both, never neither.
//   - A sibling's failure restarting a temporary child: the list of
//     siblings to restart is made under the lock and leaves temporary
//     children out, so a temporary child is never handed a fresh behaviour
//     (its state would start again, the very thing "temporary" rules out).
//   - A permanent child's normal stop racing wind_down(): the decision is
//     taken under the lock, where wind_down() sets `winding_down_`; a stop
//     decided after it is final, one decided before it restarted the child,
//     whose next stop (the owner's, after wind_down) is then final. So an
//     owner that winds down and then stops every child sees them all end.
//   - stop_child racing the child's failure (or a permanent child's stop)
//     and its restart: stop_child takes the child out of `children_` under
//     the lock before it asks it to stop, and a failure looks its child up
//     there under the lock. A failure that finds it gone is no restart
//     (the child stops, kFailed); a restart decided before the removal is
//     ended by the stop request, which the child reads before any further
//     message. Either way the child ends; a fresh behaviour made by a
//     restart decided before the removal handles no message.
//   - A transient or permanent child failing while the supervisor gives up
//     because of another child: the failure finds `down_` under the lock
//     and the child stops (kFailed); the give-up's kill finds it stopping.
// Lifetime: a supervisor must outlive its children's failures (a child
// reaches it through a plain pointer that ~Supervisor clears), and a
// child deleted by stop_child until it has stopped; a parent
// owns its child supervisors (start_supervisor makes them shared; a
// top-level one may live anywhere).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "concurrency/actor/actor.hpp"
#include "concurrency/sync/latch.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

class Supervisor {
 public:
  enum class Strategy : std::uint8_t { kOneForOne, kOneForAll, kRestForOne };
  enum class Restart : std::uint8_t { kPermanent, kTransient, kTemporary };
  using Clock = std::chrono::steady_clock;

  Supervisor(Pool& pool, Strategy strategy, unsigned max_restarts, Clock::duration window)
      : pool_(pool),
        id_(next_actor_id()),
        strategy_(strategy),
        max_restarts_(max_restarts),
        window_(window) {}
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  Supervisor(Supervisor&&) = delete;
  Supervisor& operator=(Supervisor&&) = delete;

  template <class M>
  ActorRef<M> spawn(typename Actor<M>::Factory factory, ActorOptions options = {},
                    Restart restart = Restart::kTransient) {
    return start<M>(std::move(factory), options, restart)->ref();
  }
  // As spawn(), for an owner that keeps the Actor itself. Once the
  // supervisor is down, the child is killed at once.
  template <class M>
  std::shared_ptr<Actor<M>> start(typename Actor<M>::Factory factory, ActorOptions options = {},
                                  Restart restart = Restart::kTransient) {
    std::shared_ptr<Actor<M>> a = Actor<M>::spawn(pool_, std::move(factory), options);
    adopt(a, restart);
    return a;
  }
  // A child supervisor, started after the children started before it (for
  // kRestForOne). Once this one is down, the child is down at once
  // (stopped: kKilled).
  std::shared_ptr<Supervisor> start_supervisor(Strategy strategy, unsigned max_restarts,
                                               Clock::duration window);

  // fn runs once when the supervisor goes down (at once if it is down).
  // A non-zero `tag` names it for unmonitor().
  void monitor(DownFn fn, std::uint64_t tag = 0);
  // Removes the monitors set with `tag` (non-zero) that the supervisor
  // going down has not taken: how many. 0 once it is down (the header,
  // "A removal racing the supervisor going down").
  std::size_t unmonitor(std::uint64_t tag);
  // Stops the actor `child` through this supervisor and deletes it from
  // the children: it finishes the message in progress (if any) and stops
  // (kNormal); what its mailbox still holds is dropped. It is never
  // restarted, whatever its type (the header, "stop_child racing the
  // child's failure"). false when it is not a child of this supervisor
  // (or no longer: stopped this way already).
  bool stop_child(ActorBase& child);
  // The actor children that have not stopped, in start order (a snapshot).
  std::vector<std::shared_ptr<ActorBase>> children();
  // From now on a normal stop ends every child for good, permanent ones
  // included: for an owner about to stop them all (the header, "A
  // permanent child's normal stop racing wind_down()").
  void wind_down();
  // Whether it is down: it gave up, or its parent stopped it.
  [[nodiscard]] bool gave_up();
  // Waits until it is down: the Down its monitors got. MAY COLLECT (the
  // wait is a Latch's, in a blocking region).
  Down wait();
  // Restarts it made of its own children (a renewal by its parent is
  // counted by the parent, and keeps this count).
  [[nodiscard]] unsigned restarts();
  [[nodiscard]] std::uint64_t id() const { return id_; }
  [[nodiscard]] unsigned max_restarts() const { return max_restarts_; }
  [[nodiscard]] Clock::duration window() const { return window_; }

 private:
  friend class ActorBase;
  // A child: an actor or a supervisor (one of the two is set).
  struct Child {
    std::shared_ptr<ActorBase> actor;
    std::shared_ptr<Supervisor> supervisor;
    Restart restart = Restart::kTransient;
    [[nodiscard]] const void* who() const {
      return actor != nullptr ? static_cast<const void*>(actor.get()) : supervisor.get();
    }
  };

  void adopt(const std::shared_ptr<ActorBase>& child, Restart restart);
  // A child failed (an actor, from its failing turn; a child supervisor,
  // past its limit): whether `who` is restarted. Carries out the
  // strategy, escalates or gives up.
  // Or (`failed` false) an actor child is stopping normally, on its turn:
  // whether it is restarted instead (a permanent child, the supervisor not
  // winding down).
  bool child_exited(const void* who, const std::exception_ptr& error, bool failed);
  // The actor no longer reaches this supervisor (it left the list, or the
  // supervisor is going away). Not under mu_.
  static void orphan(ActorBase& child);
  // Takes the actor child `who` out of the list (null if it is not there).
  std::shared_ptr<ActorBase> forget_locked(const void* who);
  // Whether `who` is restarted when it exits so (its restart type).
  bool restarts_locked(const void* who, bool failed) const;
  // Whether one more restart is within the intensity (recorded if so).
  bool within_limit_locked();
  // The children the strategy restarts besides `who`.
  std::vector<Child> siblings_to_restart_locked(const void* who) const;
  // Restarted by the parent: history forgotten, every child but `except`
  // restarted; false when it is down. `escalated`: the end of this
  // supervisor's own escalation.
  bool renew(const void* except, bool escalated);
  // Down: marks it, kills every child but `except`, tells the monitors.
  void go_down(const void* except, Down::Reason reason, const std::exception_ptr& error);
  static void restart(const Child& c);
  static void stop(const Child& c);

  Pool& pool_;
  const std::uint64_t id_;
  const Strategy strategy_;
  const unsigned max_restarts_;
  const Clock::duration window_;
  Mutex mu_;                              // everything below
  std::vector<Child> children_;           // in start order
  std::deque<Clock::time_point> recent_;  // restarts within the window
  unsigned restarts_ = 0;
  bool escalating_ = false;    // past the limit, asking the parent
  bool winding_down_ = false;  // normal stops are final
  bool down_ = false;
  Down last_down_;  // once down_: what late monitors are told
  std::vector<Monitor> monitors_;
  Supervisor* parent_ = nullptr;  // cleared by the parent's destructor
  Latch down_latch_{1};           // opened once down_ is set and last_down_ written
};

}  // namespace runa::concurrency
