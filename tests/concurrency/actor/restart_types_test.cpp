// Restart types of a supervisor's children (supervisor.hpp, "Restart
// types"): transient (restarted when it fails), permanent (after a normal
// stop too, counted), temporary (never, uncounted), and the interleavings
// of supervisor.hpp's "Concurrency" that involve them: a sibling's failure
// restarting a temporary child, a permanent child's stop racing
// wind_down(), a transient child failing while the supervisor gives up.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../eventually.hpp"
#include "concurrency/actor/supervisor.hpp"

namespace runa::concurrency {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using Strategy = Supervisor::Strategy;
using Restart = Supervisor::Restart;

// A child that counts its messages since its last (re)start (`count`),
// counts the behaviours its factory made (`starts`), fails on a negative
// message and stops itself (Context::stop) on 0.
struct Child {
  std::atomic<int> count{0};
  std::atomic<int> starts{0};
  std::atomic<int> downs{0};
  std::atomic<Down::Reason> reason{Down::Reason::kNormal};

  Actor<int>::Factory factory() {
    return [this] {
      starts.fetch_add(1);
      count.store(0);
      return [this, n = 0](Actor<int>::Context& ctx, int& m) mutable {
        if (m < 0) throw std::runtime_error("negative");
        if (m == 0) {
          ctx.stop();
          return;
        }
        count.store(++n);
      };
    };
  }
  std::shared_ptr<Actor<int>> start(Supervisor& sup, Restart restart) {
    auto a = sup.start<int>(factory(), {}, restart);
    a->monitor([this](const Down& d) {
      reason.store(d.reason);
      downs.fetch_add(1);
    });
    return a;
  }
};

TEST(RestartTypes, ATransientChildIsRestartedWhenItFailsNotWhenItStops) {
  Pool pool({.workers = 2});
  Supervisor sup(pool, Strategy::kOneForOne, 5, 1min);
  Child c;
  auto a = c.start(sup, Restart::kTransient);
  a->ref().tell(1);
  a->ref().tell(-1);
  a->ref().tell(1);
  EXPECT_TRUE(eventually([&] { return c.starts.load() == 2 && c.count.load() == 1; }));
  a->ref().tell(0);
  EXPECT_TRUE(eventually([&] { return c.downs.load() == 1; }));
  EXPECT_EQ(c.reason.load(), Down::Reason::kNormal);
  EXPECT_EQ(c.starts.load(), 2);
  EXPECT_EQ(sup.restarts(), 1U);
  EXPECT_EQ(a->ref().tell(1), Delivery::kStopped);
}

// A permanent child stopping normally starts again, mailbox kept: what was
// queued behind the stop is handled by the fresh behaviour.
TEST(RestartTypes, APermanentChildIsRestartedAfterANormalStop) {
  Pool pool({.workers = 2});
  Supervisor sup(pool, Strategy::kOneForOne, 5, 1min);
  Child c;
  auto a = c.start(sup, Restart::kPermanent);
  for (int m : {1, 1, 0, 1}) a->ref().tell(m);
  EXPECT_TRUE(eventually([&] { return c.starts.load() == 2 && c.count.load() == 1; }));
  EXPECT_EQ(sup.restarts(), 1U);
  EXPECT_EQ(c.downs.load(), 0);
  // From outside too (ActorBase::stop).
  a->stop();
  EXPECT_TRUE(eventually([&] { return c.starts.load() == 3; }));
  EXPECT_EQ(a->ref().tell(1), Delivery::kOk);
  EXPECT_EQ(c.downs.load(), 0);
}

// Normal stops of a permanent child count against the intensity: past it
// the supervisor gives up, its Down's error null (no failure to report).
TEST(RestartTypes, PermanentStopsCountTowardTheLimit) {
  Pool pool({.workers = 2});
  Supervisor sup(pool, Strategy::kOneForOne, 2, 1min);
  Child c;
  auto a = c.start(sup, Restart::kPermanent);
  for (int i = 0; i < 3; ++i) a->ref().tell(0);
  const Down down = sup.wait();
  EXPECT_EQ(down.reason, Down::Reason::kFailed);
  EXPECT_EQ(down.error, nullptr);
  EXPECT_EQ(sup.restarts(), 2U);
  EXPECT_TRUE(eventually([&] { return c.downs.load() == 1; }));
}

// A temporary child's failure is no restart and is not counted: with a
// limit of 0 the supervisor would give up at the first counted failure.
TEST(RestartTypes, ATemporaryChildIsNeverRestartedAndItsFailureIsNotCounted) {
  Pool pool({.workers = 2});
  Supervisor sup(pool, Strategy::kOneForOne, 0, 1min);
  Child c;
  auto a = c.start(sup, Restart::kTemporary);
  a->ref().tell(-1);
  EXPECT_TRUE(eventually([&] { return c.downs.load() == 1; }));
  EXPECT_EQ(c.reason.load(), Down::Reason::kFailed);
  EXPECT_EQ(c.starts.load(), 1);
  EXPECT_FALSE(sup.gave_up());
  EXPECT_EQ(sup.restarts(), 0U);
}

// One-for-all: a sibling's failure restarts the others, but not a
// temporary child (supervisor.hpp, "A sibling's failure restarting a
// temporary child"): its count goes on. Fails if the siblings' list keeps
// temporary children.
TEST(RestartTypes, ASiblingsFailureLeavesATemporaryChildAlone) {
  Pool pool({.workers = 2});
  for (Strategy s : {Strategy::kOneForAll, Strategy::kRestForOne}) {
    Supervisor sup(pool, s, 5, 1min);
    Child failing;
    Child temporary;
    auto f = failing.start(sup, Restart::kTransient);
    auto t = temporary.start(sup, Restart::kTemporary);
    for (int i = 0; i < 3; ++i) t->ref().tell(1);
    EXPECT_TRUE(eventually([&] { return temporary.count.load() == 3; }));
    f->ref().tell(-1);
    // The failing child's fresh behaviour is made after its supervisor has
    // asked the siblings to restart.
    EXPECT_TRUE(eventually([&] { return failing.starts.load() == 2; }));
    t->ref().tell(1);
    EXPECT_TRUE(eventually([&] { return temporary.count.load() == 4; }));
    EXPECT_EQ(temporary.starts.load(), 1);
  }
}

// The owner's end: wind_down(), then stop every child, while each
// permanent child also stops itself again and again. Every child must end
// (supervisor.hpp, "A permanent child's normal stop racing wind_down()");
// without the rule, the owner's stop restarts them, for ever.
TEST(RestartTypes, WindDownThenStopEndsPermanentChildrenStoppingThemselves) {
  Pool pool({.workers = 2});
  constexpr int kChildren = 8;
  Supervisor sup(pool, Strategy::kOneForOne, 1'000'000, 1min);
  std::vector<std::unique_ptr<Child>> probes;
  std::vector<std::shared_ptr<Actor<int>>> actors;
  for (int i = 0; i < kChildren; ++i) {
    probes.push_back(std::make_unique<Child>());
    actors.push_back(probes.back()->start(sup, Restart::kPermanent));
  }
  std::atomic<bool> go{true};
  std::thread self_stops([&] {
    while (go.load()) {
      for (auto& a : actors) (void)a->ref().tell(0);
      std::this_thread::yield();
    }
  });
  EXPECT_TRUE(eventually([&] { return sup.restarts() > 16; }));
  sup.wind_down();
  for (auto& a : actors) a->stop();
  EXPECT_TRUE(eventually([&] {
    for (auto& p : probes) {
      if (p->downs.load() != 1) return false;
    }
    return true;
  }));
  go.store(false);
  self_stops.join();
  for (auto& p : probes) EXPECT_EQ(p->reason.load(), Down::Reason::kNormal);
  EXPECT_FALSE(sup.gave_up());
}

// A transient child failing while its supervisor gives up because of
// another: it ends failed (the failure finds the supervisor down) or
// killed (restarted under the escalation in flight, then killed by the
// give-up); never left running. The supervisor reports down once.
TEST(RestartTypes, ATransientChildFailingDuringAGiveUpEnds) {
  Pool pool({.workers = 2});
  for (int round = 0; round < 50; ++round) {
    Supervisor sup(pool, Strategy::kOneForOne, 0, 1min);
    std::atomic<int> sup_downs{0};
    sup.monitor([&](const Down&) { sup_downs.fetch_add(1); });
    Child a;
    Child b;
    auto x = a.start(sup, Restart::kTransient);
    auto y = b.start(sup, Restart::kPermanent);
    x->ref().tell(-1);
    y->ref().tell(-1);
    EXPECT_TRUE(eventually([&] { return a.downs.load() == 1 && b.downs.load() == 1; }));
    EXPECT_NE(a.reason.load(), Down::Reason::kNormal);
    EXPECT_NE(b.reason.load(), Down::Reason::kNormal);
    EXPECT_EQ(sup_downs.load(), 1);
  }
}

TEST(RestartTypes, AChildThatEndsForGoodLeavesTheSupervisor) {
  // A supervisor that starts children all its life (a server's one per
  // request) must not keep the ones that ended: each is freed once its
  // last reference goes. Before, the list held every child ever started.
  Pool pool({.workers = 2});
  Supervisor sup(pool, Strategy::kOneForOne, 5, 1min);
  std::vector<std::weak_ptr<Actor<int>>> ended;
  Child probe;
  for (int i = 0; i < 50; ++i) {
    auto restart = i % 2 == 0 ? Restart::kTemporary : Restart::kTransient;
    std::shared_ptr<Actor<int>> a = probe.start(sup, restart);
    a->ref().tell(i % 4 == 0 ? -1 : 0);  // temporaries fail or stop; transients stop
    ended.push_back(a);
  }
  ASSERT_TRUE(eventually([&] { return probe.downs.load() == 50; }));
  EXPECT_TRUE(eventually([&] {
    for (auto& w : ended) {
      if (!w.expired()) return false;
    }
    return true;
  })) << "a child that ended is still held";
  EXPECT_TRUE(sup.children().empty());
}

}  // namespace
}  // namespace runa::concurrency
