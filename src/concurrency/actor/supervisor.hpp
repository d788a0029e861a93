// Supervisor: restarts failed actors, within limits (Erlang/OTP's
// supervisors, Akka's supervision strategies).
//
// Strategies: kOneForOne restarts only the actor that failed; kOneForAll
// restarts every child (the others at the start of their next turn). A
// restart gives the child a fresh behaviour from its factory and keeps its
// mailbox and its ActorRef. More than `max_restarts` restarts within
// `window` means restarting does not help: the supervisor then stops every
// child (killed) and reports itself down to its own monitors (escalation),
// as an OTP supervisor exits when its restart intensity is exceeded.
// A child that stops normally is not restarted.
#pragma once

#include <chrono>
#include <deque>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "concurrency/actor/actor.hpp"
#include "concurrency/sync/mutex.hpp"

namespace runa::concurrency {

class Supervisor {
 public:
  enum class Strategy : std::uint8_t { kOneForOne, kOneForAll };
  using Clock = std::chrono::steady_clock;

  Supervisor(Pool& pool, Strategy strategy, unsigned max_restarts, Clock::duration window)
      : pool_(pool), strategy_(strategy), max_restarts_(max_restarts), window_(window) {}
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  Supervisor(Supervisor&&) = delete;
  Supervisor& operator=(Supervisor&&) = delete;

  template <class M>
  ActorRef<M> spawn(typename Actor<M>::Factory factory, ActorOptions options = {}) {
    return start<M>(std::move(factory), options)->ref();
  }
  // As spawn(), for an owner that keeps the Actor itself.
  template <class M>
  std::shared_ptr<Actor<M>> start(typename Actor<M>::Factory factory, ActorOptions options = {}) {
    std::shared_ptr<Actor<M>> a = Actor<M>::spawn(pool_, std::move(factory), options);
    adopt(a);
    return a;
  }

  // fn runs once if the supervisor gives up (escalation).
  void monitor(DownFn fn);
  [[nodiscard]] bool gave_up();
  [[nodiscard]] unsigned restarts();

 private:
  friend class ActorBase;
  void adopt(const std::shared_ptr<ActorBase>& child);
  // From a failing child's turn.
  bool restart(ActorBase& child, const std::exception_ptr& error);

  Pool& pool_;
  const Strategy strategy_;
  const unsigned max_restarts_;
  const Clock::duration window_;
  Mutex mu_;
  std::vector<std::shared_ptr<ActorBase>> children_;
  std::deque<Clock::time_point> recent_;  // restarts within the window
  unsigned restarts_ = 0;
  bool gave_up_ = false;
  std::vector<DownFn> monitors_;
};

}  // namespace runa::concurrency
