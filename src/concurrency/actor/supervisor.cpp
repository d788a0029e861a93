#include "concurrency/actor/supervisor.hpp"

#include <mutex>

namespace runa::concurrency {

Supervisor::~Supervisor() {
  std::vector<std::shared_ptr<ActorBase>> children;
  {
    std::lock_guard lock(mu_);
    children.swap(children_);
  }
  for (auto& c : children) {
    std::lock_guard lock(c->mu_);
    c->supervisor_ = nullptr;  // a late failure no longer reaches us
  }
}

void Supervisor::adopt(const std::shared_ptr<ActorBase>& child) {
  {
    std::lock_guard lock(child->mu_);
    child->supervisor_ = this;
  }
  std::lock_guard lock(mu_);
  children_.push_back(child);
}

void Supervisor::monitor(DownFn fn) {
  std::lock_guard lock(mu_);
  monitors_.push_back(std::move(fn));
}

bool Supervisor::gave_up() {
  std::lock_guard lock(mu_);
  return gave_up_;
}

unsigned Supervisor::restarts() {
  std::lock_guard lock(mu_);
  return restarts_;
}

bool Supervisor::restart(ActorBase& child, const std::exception_ptr& error) {
  std::vector<std::shared_ptr<ActorBase>> siblings;
  std::vector<DownFn> monitors;
  bool give_up = false;
  {
    std::lock_guard lock(mu_);
    if (gave_up_) return false;
    Clock::time_point now = Clock::now();
    while (!recent_.empty() && now - recent_.front() > window_) recent_.pop_front();
    if (recent_.size() >= max_restarts_) {
      gave_up_ = give_up = true;
      siblings = children_;
      monitors.swap(monitors_);
    } else {
      recent_.push_back(now);
      ++restarts_;
      if (strategy_ == Strategy::kOneForAll) siblings = children_;
    }
  }
  if (give_up) {
    // Escalation: every other child is killed; the failing one stops.
    for (auto& c : siblings) {
      if (c.get() != &child) c->kill();
    }
    Down down{0, Down::Reason::kFailed, error};
    for (DownFn& fn : monitors) fn(down);
    return false;
  }
  for (auto& c : siblings) {
    if (c.get() != &child) c->request_restart();
  }
  return true;
}

}  // namespace runa::concurrency
