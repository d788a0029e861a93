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
// giving up report kKilled (error null). A child that stops normally is not
// restarted.
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
// Lifetime: a supervisor must outlive its children's failures (a child
// reaches it through a plain pointer that ~Supervisor clears); a parent
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
  ActorRef<M> spawn(typename Actor<M>::Factory factory, ActorOptions options = {}) {
    return start<M>(std::move(factory), options)->ref();
  }
  // As spawn(), for an owner that keeps the Actor itself. Once the
  // supervisor is down, the child is killed at once.
  template <class M>
  std::shared_ptr<Actor<M>> start(typename Actor<M>::Factory factory, ActorOptions options = {}) {
    std::shared_ptr<Actor<M>> a = Actor<M>::spawn(pool_, std::move(factory), options);
    adopt(a);
    return a;
  }
  // A child supervisor, started after the children started before it (for
  // kRestForOne). Once this one is down, the child is down at once
  // (stopped: kKilled).
  std::shared_ptr<Supervisor> start_supervisor(Strategy strategy, unsigned max_restarts,
                                               Clock::duration window);

  // fn runs once when the supervisor goes down (at once if it is down).
  void monitor(DownFn fn);
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
    [[nodiscard]] const void* who() const {
      return actor != nullptr ? static_cast<const void*>(actor.get()) : supervisor.get();
    }
  };

  void adopt(const std::shared_ptr<ActorBase>& child);
  // A child failed (an actor, from its failing turn; a child supervisor,
  // past its limit): whether `who` is restarted. Carries out the
  // strategy, escalates or gives up.
  bool child_failed(const void* who, const std::exception_ptr& error);
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
  bool escalating_ = false;  // past the limit, asking the parent
  bool down_ = false;
  Down last_down_;  // once down_: what late monitors are told
  std::vector<DownFn> monitors_;
  Supervisor* parent_ = nullptr;  // cleared by the parent's destructor
  Latch down_latch_{1};           // opened once down_ is set and last_down_ written
};

}  // namespace runa::concurrency
