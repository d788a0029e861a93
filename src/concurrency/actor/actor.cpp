#include "concurrency/actor/actor.hpp"

#include <algorithm>
#include <iterator>

#include "concurrency/actor/supervisor.hpp"

namespace runa::concurrency {

std::uint64_t next_actor_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void ActorBase::schedule() {
  // Read before the CAS: a busy actor is usually kScheduled, and a failed
  // CAS still takes its line from the worker running the turn, which reads
  // the stop flags beside it after every message. The load is enough for
  // the idle check (actor.hpp, "Scheduling": the sender's push, then this
  // seq_cst read).
  std::uint32_t s = state_.load(std::memory_order_seq_cst);
  if (s == kIdle && state_.compare_exchange_strong(s, kScheduled, std::memory_order_seq_cst)) {
    keep_alive();
    // Sent from a running actor's turn, this actor usually runs soon on
    // that worker (pool.hpp, "The next queue").
    pool_.submit_next(this);
  }
}

void ActorBase::end_turn(bool more) {
  if (more) {
    keep_alive();
    pool_.submit_next(this);  // behind the actors this turn woke (actor.hpp, "Scheduling")
    return;
  }
  state_.store(kIdle, std::memory_order_seq_cst);
  // A sender that pushed before our store may have seen kScheduled and not
  // queued us: look once more (actor.hpp, "Scheduling").
  if (!mailbox_empty() || kill_requested_.load(std::memory_order_seq_cst) ||
      stop_asked_.load(std::memory_order_seq_cst) ||
      restart_requested_.load(std::memory_order_seq_cst)) {
    schedule();
  }
}

void ActorBase::kill(std::exception_ptr why) {
  {
    std::lock_guard lock(mu_);
    if (!kill_why_) kill_why_ = std::move(why);
  }
  kill_requested_.store(true, std::memory_order_seq_cst);
  schedule();
}

void ActorBase::stop() {
  stop_asked_.store(true, std::memory_order_seq_cst);
  schedule();
}

void ActorBase::request_restart() {
  restart_requested_.store(true, std::memory_order_seq_cst);
  schedule();
}

std::exception_ptr ActorBase::kill_reason() {
  std::lock_guard lock(mu_);
  return kill_why_;
}

void ActorBase::monitor(DownFn fn, std::uint64_t tag) {
  Down down;
  {
    std::lock_guard lock(mu_);
    if (!down_) {
      monitors_.push_back({std::move(fn), tag});
      return;
    }
    down = last_down_;
  }
  fn(down);
}

std::size_t take_monitors(std::vector<Monitor>& from, std::uint64_t tag,
                          std::vector<Monitor>& out) {
  auto kept = std::stable_partition(from.begin(), from.end(),
                                    [tag](const Monitor& m) { return m.tag != tag; });
  const auto n = static_cast<std::size_t>(from.end() - kept);
  std::move(kept, from.end(), std::back_inserter(out));
  from.erase(kept, from.end());
  return n;
}

std::size_t ActorBase::unmonitor(std::uint64_t tag) {
  std::vector<Monitor> removed;  // destroyed after the lock: a DownFn may own references
  std::lock_guard lock(mu_);
  return take_monitors(monitors_, tag, removed);
}

void ActorBase::link(const std::shared_ptr<ActorBase>& a, const std::shared_ptr<ActorBase>& b) {
  {
    std::lock_guard lock(a->mu_);
    a->links_.push_back(b);
  }
  {
    std::lock_guard lock(b->mu_);
    b->links_.push_back(a);
  }
  // A link to an actor already down acts at once.
  if (a->stopped()) b->kill();
  if (b->stopped()) a->kill();
}

ActorBase::Decision ActorBase::on_exit(const std::exception_ptr& error, bool failed) {
  Supervisor* s = nullptr;
  {
    std::lock_guard lock(mu_);
    s = supervisor_;
  }
  return s != nullptr && s->child_exited(this, error, failed) ? Decision::kRestart
                                                              : Decision::kStop;
}

void ActorBase::terminate(Down::Reason reason, std::exception_ptr error) {
  state_.store(kStopped, std::memory_order_seq_cst);
  // A sender that pushes, fences and then reads state_ (as the runtime's
  // actors for programs do) sees kStopped, or its message is in the
  // mailbox for the drop below: the two fences make a Dekker pair.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  drop_mailbox();
  std::vector<Monitor> monitors;
  std::vector<std::weak_ptr<ActorBase>> links;
  Down down{id_, reason, std::move(error)};
  {
    std::lock_guard lock(mu_);
    down_ = true;
    last_down_ = down;
    monitors.swap(monitors_);
    links.swap(links_);
  }
  for (Monitor& m : monitors) m.fn(down);
  if (reason != Down::Reason::kNormal) {
    for (auto& weak : links) {
      if (auto other = weak.lock()) other->kill();
    }
  }
}

}  // namespace runa::concurrency
