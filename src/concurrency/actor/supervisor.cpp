#include "concurrency/actor/supervisor.hpp"

#include <algorithm>
#include <mutex>

namespace runa::concurrency {

Supervisor::~Supervisor() {
  std::vector<Child> children;
  {
    std::lock_guard lock(mu_);
    children.swap(children_);
  }
  // A late failure or escalation no longer reaches us.
  for (Child& c : children) {
    if (c.actor != nullptr) {
      orphan(*c.actor);
    } else {
      std::lock_guard lock(c.supervisor->mu_);
      c.supervisor->parent_ = nullptr;
    }
  }
}

void Supervisor::adopt(const std::shared_ptr<ActorBase>& child, Restart restart) {
  {
    std::lock_guard lock(child->mu_);
    child->supervisor_ = this;
  }
  bool down = false;
  {
    std::lock_guard lock(mu_);
    down = down_;
    children_.push_back({child, nullptr, restart});
  }
  if (down) child->kill();
}

std::shared_ptr<Supervisor> Supervisor::start_supervisor(Strategy strategy, unsigned max_restarts,
                                                         Clock::duration window) {
  auto child = std::make_shared<Supervisor>(pool_, strategy, max_restarts, window);
  child->parent_ = this;  // not shared yet: no lock needed
  bool down = false;
  {
    std::lock_guard lock(mu_);
    down = down_;
    children_.push_back({nullptr, child, Restart::kTransient});
  }
  if (down) child->go_down(nullptr, Down::Reason::kKilled, nullptr);
  return child;
}

void Supervisor::monitor(DownFn fn, std::uint64_t tag) {
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

void Supervisor::orphan(ActorBase& child) {
  std::lock_guard lock(child.mu_);
  child.supervisor_ = nullptr;
}

std::shared_ptr<ActorBase> Supervisor::forget_locked(const void* who) {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [who](const Child& c) { return c.actor != nullptr && c.who() == who; });
  if (it == children_.end()) return nullptr;
  std::shared_ptr<ActorBase> child = std::move(it->actor);
  children_.erase(it);
  return child;
}

bool Supervisor::stop_child(ActorBase& child) {
  std::shared_ptr<ActorBase> kept;  // alive until it is asked to stop
  {
    std::lock_guard lock(mu_);
    kept = forget_locked(&child);
    if (kept == nullptr) return false;
  }
  orphan(child);  // deleted: this supervisor may die before it stops
  child.stop();
  return true;
}

std::vector<std::shared_ptr<ActorBase>> Supervisor::children() {
  std::vector<std::shared_ptr<ActorBase>> out;
  std::lock_guard lock(mu_);
  for (const Child& c : children_) {
    if (c.actor != nullptr && !c.actor->stopped()) out.push_back(c.actor);
  }
  return out;
}

void Supervisor::wind_down() {
  std::lock_guard lock(mu_);
  winding_down_ = true;
}

std::size_t Supervisor::unmonitor(std::uint64_t tag) {
  std::vector<Monitor> removed;  // destroyed after the lock: a DownFn may own references
  std::lock_guard lock(mu_);
  return take_monitors(monitors_, tag, removed);
}

bool Supervisor::gave_up() {
  std::lock_guard lock(mu_);
  return down_;
}

Down Supervisor::wait() {
  down_latch_.wait();
  std::lock_guard lock(mu_);
  return last_down_;
}

unsigned Supervisor::restarts() {
  std::lock_guard lock(mu_);
  return restarts_;
}

bool Supervisor::within_limit_locked() {
  const Clock::time_point now = Clock::now();
  while (!recent_.empty() && now - recent_.front() > window_) recent_.pop_front();
  if (recent_.size() >= max_restarts_) return false;
  recent_.push_back(now);
  ++restarts_;
  return true;
}

std::vector<Supervisor::Child> Supervisor::siblings_to_restart_locked(const void* who) const {
  std::vector<Child> out;
  if (strategy_ == Strategy::kOneForOne) return out;
  auto it = children_.begin();
  if (strategy_ == Strategy::kRestForOne) {
    it = std::find_if(children_.begin(), children_.end(),
                      [who](const Child& c) { return c.who() == who; });
  }
  for (; it != children_.end(); ++it) {
    // Never a temporary child (the header, "A sibling's failure
    // restarting a temporary child").
    if (it->who() != who && it->restart != Restart::kTemporary) out.push_back(*it);
  }
  return out;
}

void Supervisor::restart(const Child& c) {
  if (c.actor != nullptr) {
    c.actor->request_restart();
  } else {
    (void)c.supervisor->renew(nullptr, false);
  }
}

void Supervisor::stop(const Child& c) {
  if (c.actor != nullptr) {
    c.actor->kill();
  } else {
    c.supervisor->go_down(nullptr, Down::Reason::kKilled, nullptr);
  }
}

bool Supervisor::restarts_locked(const void* who, bool failed) const {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [who](const Child& c) { return c.who() == who; });
  // Not found: the child of a supervisor being destroyed.
  if (it == children_.end() || it->restart == Restart::kTemporary) return false;
  if (failed) return true;
  return it->restart == Restart::kPermanent && !winding_down_;
}

bool Supervisor::child_exited(const void* who, const std::exception_ptr& error, bool failed) {
  std::vector<Child> siblings;
  bool escalate = false;
  Supervisor* parent = nullptr;
  bool ends = false;
  std::shared_ptr<ActorBase> ended;  // the actor child that ends, if it is one
  {
    std::lock_guard lock(mu_);
    if (down_) return false;
    if (!restarts_locked(who, failed)) {
      // Before the intensity: a temporary child's failure, or a transient
      // one's normal stop, is no restart and is not counted. The child
      // ends for good, so it leaves the list (a supervisor that starts
      // children all its life would otherwise keep every one it ever
      // had); it is on its last turn and never calls here again.
      ends = true;
      ended = forget_locked(who);
    } else if (escalating_) {
      // Covered by the escalation in flight (the header, "two children
      // failing at once").
      return true;
    } else if (within_limit_locked()) {
      siblings = siblings_to_restart_locked(who);
    } else {
      escalating_ = escalate = true;
      parent = parent_;
    }
  }
  if (ends) {
    if (ended != nullptr) orphan(*ended);  // as stop_child: this supervisor may go first
    return false;
  }
  if (!escalate) {
    for (const Child& c : siblings) restart(c);
    return true;
  }
  // Past the limit: this supervisor fails as a whole. Its parent restarts
  // it (renewed in place), or gives up too.
  if (parent != nullptr && parent->child_exited(this, error, true) && renew(who, true)) return true;
  go_down(who, Down::Reason::kFailed, error);
  return false;
}

bool Supervisor::renew(const void* except, bool escalated) {
  std::vector<Child> children;
  {
    std::lock_guard lock(mu_);
    if (escalated) escalating_ = false;
    if (down_) return false;  // the parent stopped it meanwhile
    recent_.clear();
    children = children_;
  }
  for (const Child& c : children) {
    // A temporary child keeps running as it is: never restarted.
    if (c.who() != except && c.restart != Restart::kTemporary) restart(c);
  }
  return true;
}

void Supervisor::go_down(const void* except, Down::Reason reason, const std::exception_ptr& error) {
  std::vector<Child> children;
  std::vector<Monitor> monitors;
  Down down{id_, reason, error};
  {
    std::lock_guard lock(mu_);
    if (down_) return;  // the first of a give-up and a stop by the parent
    down_ = true;
    escalating_ = false;
    last_down_ = down;
    children = children_;
    monitors.swap(monitors_);
  }
  down_latch_.count_down();
  for (const Child& c : children) {
    if (c.who() != except) stop(c);
  }
  for (Monitor& m : monitors) m.fn(down);
}

}  // namespace runa::concurrency
