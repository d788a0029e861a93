// Actor<M>: an actor on the work-stealing pool — a behaviour, a mailbox of
// M, and one turn at a time.
//
// Scheduling. state_ is kIdle, kScheduled (queued or running a turn) or
// kStopped. deliver() pushes on the mailbox, then moves kIdle -> kScheduled
// by CAS and, if it won, submits the actor to the pool: only the winner
// submits, so an actor runs one turn at a time and its behaviour needs no
// lock. A turn handles at most kThroughput messages (fairness: a busy
// actor cannot hold a worker while others wait) and then either requeues
// itself, or stores kIdle and looks at the mailbox once more.
//
// It requeues at the back of its worker's next queue (pool.hpp), behind
// the actors its turn woke: the conversation stays on the core whose cache
// holds it. The injector, where it went before, handed a busy actor to
// whichever idle worker looked first, and the hub of a chatty program
// (chameneos' mall) changed cores 1,000 to 3,000 times in a 30 ms run.
// Idle workers still get a share of that queue by asking.
//
// Going idle: a sender pushes then reads the state, the actor stores the
// state then reads the mailbox (all seq_cst), so one of them sees the other —
// no message is left in an idle actor's mailbox.
//
// Failure. A behaviour that throws fails the actor. Without a supervisor
// it stops; with one (supervisor.hpp) the supervisor decides: restart (a
// fresh behaviour from the factory; the mailbox and the ActorRef stay, the
// failing message is dropped) or stop. A normal stop asks the supervisor
// too: a permanent child is restarted instead (its mailbox kept). A stopped actor refuses
// deliveries (kStopped), drops its mailbox, tells its monitors (a Down, once each: a monitor set
// after the stop gets the same Down, reason and error, at once), and kills the actors linked to it
// unless it stopped normally.
//
// Mailbox. Unbounded, or bounded by ActorOptions::capacity: deliver()
// answers kFull beyond it (backpressure: the sender decides whether to
// wait, drop or retry), counted by `queued_`.
//
// The pool must outlive its actors' turns; an actor lives as long as
// references to it (ActorRef, a supervisor, a link) or a queued turn.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "concurrency/actor/endpoint.hpp"
#include "concurrency/actor/mpsc_queue.hpp"
#include "concurrency/pool/pool.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

struct Down {
  enum class Reason : std::uint8_t { kNormal, kFailed, kKilled };
  std::uint64_t id = 0;
  Reason reason = Reason::kNormal;
  std::exception_ptr error;  // kFailed: what the behaviour threw
};
using DownFn = std::function<void(const Down&)>;
// A monitor of an actor or a supervisor: what runs at its Down, and the
// tag that names it for removal (0: none).
struct Monitor {
  DownFn fn;
  std::uint64_t tag = 0;
};
// Moves the monitors tagged `tag` (non-zero) from `from` to `out`, keeping
// the others in order: how many. The caller holds the lock guarding
// `from` and destroys `out` after it (a DownFn may own references).
std::size_t take_monitors(std::vector<Monitor>& from, std::uint64_t tag, std::vector<Monitor>& out);

struct ActorOptions {
  std::size_t capacity = 0;  // mailbox bound (0: unbounded)
};

class Supervisor;

// What is common to every actor whatever its message type: identity,
// lifecycle, monitors, links and supervision.
class ActorBase : public Job {
 public:
  static constexpr unsigned kThroughput = 64;  // messages per turn

  ActorBase(Pool& pool, std::uint64_t id, void (*turn)(Job*)) : Job(turn), pool_(pool), id_(id) {}
  virtual ~ActorBase() = default;
  ActorBase(const ActorBase&) = delete;
  ActorBase& operator=(const ActorBase&) = delete;
  ActorBase(ActorBase&&) = delete;
  ActorBase& operator=(ActorBase&&) = delete;

  [[nodiscard]] std::uint64_t id() const { return id_; }
  [[nodiscard]] bool stopped() const { return state_.load(std::memory_order_acquire) == kStopped; }

  // fn runs once when the actor stops (at once, if it has stopped already).
  // A non-zero `tag` names it for unmonitor().
  void monitor(DownFn fn, std::uint64_t tag = 0);
  // Removes the monitors set with `tag` (non-zero) that have not been
  // handed to the stop: how many. 0 once the actor is down — its monitors
  // have run or are running (terminate() takes them all under the lock, so
  // a monitor is either removed here or runs, never both, never neither).
  std::size_t unmonitor(std::uint64_t tag);
  // If either fails or is killed, the other is killed.
  static void link(const std::shared_ptr<ActorBase>& a, const std::shared_ptr<ActorBase>& b);
  // Stops the actor at the start of its next turn (reason kKilled, with
  // `why` as the Down's error: the first kill's reason is kept).
  void kill(std::exception_ptr why = nullptr);
  // Stops it after the message in progress, or at the start of its next
  // turn (reason kNormal); messages still in its mailbox are dropped.
  void stop();
  // Supervisors: a fresh behaviour at the start of its next turn.
  void request_restart();

 protected:
  enum : std::uint32_t { kIdle, kScheduled, kStopped };
  enum class Decision : std::uint8_t { kRestart, kStop };

  // Submits a turn if the actor was idle (the CAS winner submits).
  void schedule();
  // The turn's epilogue: requeue, or go idle and look once more.
  void end_turn(bool more);
  // Stops for good: monitors, links, supervisor. On the actor's turn.
  void terminate(Down::Reason reason, std::exception_ptr error);
  // The actor failed (`failed`, with `error`) or is stopping normally:
  // whether its supervisor restarts it (for a normal stop, only a
  // permanent child is).
  Decision on_exit(const std::exception_ptr& error, bool failed);
  std::exception_ptr kill_reason();
  virtual void keep_alive() = 0;  // holds a self-reference while queued
  virtual void release_alive() = 0;
  [[nodiscard]] virtual bool mailbox_empty() const = 0;
  virtual void drop_mailbox() = 0;
  virtual void restart_behaviour() = 0;

 private:
  template <class M>
  friend class Actor;
  friend class Supervisor;

  Pool& pool_;
  const std::uint64_t id_;
  std::atomic<std::uint32_t> state_{kIdle};
  std::atomic<bool> kill_requested_{false};
  std::atomic<bool> stop_asked_{false};
  std::atomic<bool> restart_requested_{false};
  Mutex mu_;  // monitors_, links_, down_, last_down_, kill_why_ and supervisor_
  std::vector<Monitor> monitors_;
  std::vector<std::weak_ptr<ActorBase>> links_;
  bool down_ = false;
  Down last_down_;  // once down_: what late monitors are told
  std::exception_ptr kill_why_;
  Supervisor* supervisor_ = nullptr;
};

std::uint64_t next_actor_id();

template <class M>
class Actor final : public ActorBase,
                    public Endpoint<M>,
                    public std::enable_shared_from_this<Actor<M>> {
 public:
  class Context {
   public:
    explicit Context(Actor& a) : a_(a) {}
    [[nodiscard]] ActorRef<M> self() const { return ActorRef<M>(a_.shared_from_this()); }
    void stop() { a_.stop_asked_.store(true, std::memory_order_relaxed); }

   private:
    Actor& a_;
  };
  using Behaviour = std::function<void(Context&, M&)>;
  using Factory = std::function<Behaviour()>;

  static std::shared_ptr<Actor> spawn(Pool& pool, Factory factory, ActorOptions options = {}) {
    return std::shared_ptr<Actor>(new Actor(pool, std::move(factory), options));
  }

  Delivery deliver(M& msg) override {
    if (stopped()) return Delivery::kStopped;
    if (options_.capacity != 0 &&
        queued_.fetch_add(1, std::memory_order_relaxed) >= options_.capacity) {
      queued_.fetch_sub(1, std::memory_order_relaxed);
      return Delivery::kFull;
    }
    mailbox_.push(std::move(msg));
    schedule();
    return Delivery::kOk;
  }
  // As deliver(), never kFull: for the few messages that must not be lost
  // to backpressure (a stop request, a notice that a watched actor is
  // down). It may take the mailbox past its capacity for a while.
  Delivery deliver_past_bound(M& msg) {
    if (stopped()) return Delivery::kStopped;
    if (options_.capacity != 0) queued_.fetch_add(1, std::memory_order_relaxed);
    mailbox_.push(std::move(msg));
    schedule();
    return Delivery::kOk;
  }
  [[nodiscard]] std::uint64_t id() const override { return ActorBase::id(); }
  [[nodiscard]] ActorRef<M> ref() { return ActorRef<M>(this->shared_from_this()); }

 private:
  Actor(Pool& pool, Factory factory, ActorOptions options)
      : ActorBase(pool, next_actor_id(), &turn),
        factory_(std::move(factory)),
        behaviour_(factory_()),
        options_(options) {}

  static void turn(Job* job) {
    auto* a = static_cast<Actor*>(job);
    std::shared_ptr<Actor> self = std::move(a->alive_);  // dies after the turn
    a->run_turn();
  }

  void run_turn() {
    if (kill_requested_.load(std::memory_order_acquire)) {
      terminate(Down::Reason::kKilled, kill_reason());
      return;
    }
    if (stop_asked_.load(std::memory_order_acquire) && stops_for_good()) return;
    if (restart_requested_.exchange(false, std::memory_order_acq_rel)) behaviour_ = factory_();
    Context ctx(*this);
    unsigned handled = 0;
    M msg{};
    while (handled < kThroughput) {
      auto got = mailbox_.pop(msg);
      if (got == MpscQueue<M>::Pop::kEmpty) break;
      if (got == MpscQueue<M>::Pop::kRetry) continue;  // a sender between its claim and its write
      // Whoever earlier messages made runnable waits in this worker's next
      // queue for the turn to end, unless an idle worker asked for it
      // (pool.hpp, "The next queue").
      Pool::share_next_if_asked();
      ++handled;
      if (options_.capacity != 0) queued_.fetch_sub(1, std::memory_order_relaxed);
      try {
        behaviour_(ctx, msg);
      } catch (...) {
        std::exception_ptr e = std::current_exception();
        if (on_exit(e, true) == Decision::kStop) {
          terminate(Down::Reason::kFailed, e);
          return;
        }
        behaviour_ = factory_();
      }
      if (stop_asked_.load(std::memory_order_acquire) && stops_for_good()) return;
    }
    end_turn(handled == kThroughput);
  }

  // A stop was asked: the actor stops (true), or, a permanent child, is
  // restarted instead (supervisor.hpp, "Restart types"). The request is
  // taken by an exchange, so a stop asked again meanwhile is seen next.
  bool stops_for_good() {
    stop_asked_.exchange(false, std::memory_order_acq_rel);
    if (on_exit(nullptr, false) == Decision::kRestart) {
      restart_requested_.store(false, std::memory_order_relaxed);
      behaviour_ = factory_();
      return false;
    }
    terminate(Down::Reason::kNormal, nullptr);
    return true;
  }

  void keep_alive() override { alive_ = this->shared_from_this(); }
  void release_alive() override { alive_.reset(); }
  [[nodiscard]] bool mailbox_empty() const override { return mailbox_.empty(); }
  void drop_mailbox() override {
    M msg{};
    while (mailbox_.pop(msg) != MpscQueue<M>::Pop::kEmpty) {
    }
  }
  void restart_behaviour() override { behaviour_ = factory_(); }

  Factory factory_;
  Behaviour behaviour_;
  ActorOptions options_;
  MpscQueue<M> mailbox_;
  std::atomic<std::size_t> queued_{0};
  std::shared_ptr<Actor> alive_;  // set by the scheduler that queued the turn
};

template <class M>
ActorRef<M> spawn_actor(Pool& pool, typename Actor<M>::Factory factory, ActorOptions options = {}) {
  return Actor<M>::spawn(pool, std::move(factory), options)->ref();
}

}  // namespace runa::concurrency
