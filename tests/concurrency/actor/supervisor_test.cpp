// Supervision trees: rest-for-one, supervisors of supervisors (a child
// supervisor past its limit restarted by its parent, escalation to the
// top), monitors on a supervisor, and the races between a failure and a
// restart or a stop coming from another worker (supervisor.hpp,
// "Concurrency").
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../eventually.hpp"
#include "../scale.hpp"
#include "concurrency/actor/supervisor.hpp"

namespace runa::concurrency {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::scaled;
using Strategy = Supervisor::Strategy;

// A child that counts its messages since its last (re)start (`count`) and
// in all (`handled`), fails on a negative one (counted in `failures` just
// before), and counts the behaviours its factory made (`starts`: 1 at the
// start, one more per restart). A message of -2 waits, before failing, until
// `gate` (if any) has as many arrivals as it expects: two children failing
// at once.
struct Probe {
  std::atomic<int> count{0};
  std::atomic<int> starts{0};
  std::atomic<int> handled{0};
  std::atomic<int> failures{0};
  std::atomic<int>* gate = nullptr;
  int gate_parties = 0;

  Actor<int>::Factory factory() {
    return [this] {
      starts.fetch_add(1);
      count.store(0);
      return [this, n = 0](auto&, int& m) mutable {
        if (m == -2 && gate != nullptr) {
          gate->fetch_add(1);
          // Bounded: if the other child cannot run meanwhile, fail anyway
          // (the race is then just not exercised this round).
          for (int i = 0; i < 100'000 && gate->load() < gate_parties; ++i) {
            std::this_thread::yield();
          }
        }
        if (m < 0) {
          failures.fetch_add(1);
          throw std::runtime_error("negative");
        }
        count.store(++n);
        handled.fetch_add(1);
      };
    };
  }
};

// Counts the Downs a supervisor reports, and keeps the last one's reason.
struct DownCount {
  std::atomic<int> downs{0};
  std::atomic<Down::Reason> reason{Down::Reason::kNormal};
  DownFn fn() {
    return [this](const Down& d) {
      reason.store(d.reason);
      downs.fetch_add(1);
    };
  }
};

std::string what(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  }
}

TEST(SupervisionTree, RestForOneRestartsTheFailedChildAndTheOnesStartedAfterIt) {
  Pool pool({.workers = 2});
  Supervisor sup(pool, Strategy::kRestForOne, 5, 1min);
  std::array<Probe, 4> p;  // a, b, c, d: started in this order
  std::vector<ActorRef<int>> r;
  r.reserve(p.size());
  for (Probe& child : p) r.push_back(sup.spawn<int>(child.factory()));
  for (int i = 0; i < 3; ++i) {
    r[0].tell(1);
    r[2].tell(1);
  }
  EXPECT_TRUE(eventually([&] { return p[0].count.load() == 3 && p[2].count.load() == 3; }));
  r[1].tell(-1);
  // b restarts on its failing turn, c and d at their next turns; a not.
  EXPECT_TRUE(eventually([&] {
    return p[1].starts.load() == 2 && p[2].starts.load() == 2 && p[3].starts.load() == 2;
  }));
  EXPECT_EQ(sup.restarts(), 1U);
  r[0].tell(1);
  r[2].tell(1);
  EXPECT_TRUE(eventually([&] { return p[0].count.load() == 4 && p[2].count.load() == 1; }));
  EXPECT_EQ(p[0].starts.load(), 1);
  // The last child failing restarts only itself.
  r[3].tell(-1);
  EXPECT_TRUE(eventually([&] { return p[3].starts.load() == 3; }));
  r[2].tell(1);
  EXPECT_TRUE(eventually([&] { return p[2].count.load() == 2; }));
  EXPECT_EQ(p[2].starts.load(), 2);
}

// A grandchild failing past its supervisor's limit: the child supervisor
// escalates, its parent restarts it, and every grandchild starts again
// (same ActorRefs); the renewed child supervisor has a fresh history.
TEST(SupervisionTree, AParentRestartsAChildSupervisorPastItsLimit) {
  Pool pool({.workers = 2});
  Supervisor top(pool, Strategy::kOneForOne, 5, 1min);
  DownCount top_down;
  DownCount child_down;
  top.monitor(top_down.fn());
  std::shared_ptr<Supervisor> child = top.start_supervisor(Strategy::kOneForOne, 1, 1min);
  child->monitor(child_down.fn());
  Probe g;
  Probe h;
  auto rg = child->spawn<int>(g.factory());
  auto rh = child->spawn<int>(h.factory());
  rh.tell(1);
  rg.tell(-1);  // within the child's limit: only g restarts
  EXPECT_TRUE(eventually([&] { return g.starts.load() == 2 && h.count.load() == 1; }));
  EXPECT_EQ(child->restarts(), 1U);
  EXPECT_EQ(top.restarts(), 0U);
  rg.tell(-1);  // one too many for the child: the top restarts it
  EXPECT_TRUE(eventually([&] { return g.starts.load() == 3 && h.starts.load() == 2; }));
  EXPECT_EQ(top.restarts(), 1U);
  EXPECT_EQ(child->restarts(), 1U);
  rg.tell(1);
  rh.tell(1);
  EXPECT_TRUE(eventually([&] { return g.count.load() == 1 && h.count.load() == 1; }));
  EXPECT_FALSE(child->gave_up());
  rg.tell(-1);  // a fresh history: the child restarts g itself again
  EXPECT_TRUE(eventually([&] { return g.starts.load() == 4; }));
  EXPECT_EQ(child->restarts(), 2U);
  EXPECT_EQ(top.restarts(), 1U);
  EXPECT_EQ(top_down.downs.load(), 0);
  EXPECT_EQ(child_down.downs.load(), 0);
}

// A one-for-all parent restarting a sibling supervisor renews it: its
// children start again.
TEST(SupervisionTree, OneForAllRenewsASiblingSupervisor) {
  Pool pool({.workers = 2});
  Supervisor top(pool, Strategy::kOneForAll, 5, 1min);
  Probe x;
  auto rx = top.spawn<int>(x.factory());
  std::shared_ptr<Supervisor> child = top.start_supervisor(Strategy::kOneForOne, 5, 1min);
  Probe g;
  auto rg = child->spawn<int>(g.factory());
  rx.tell(-1);
  EXPECT_TRUE(eventually([&] { return x.starts.load() == 2 && g.starts.load() == 2; }));
  EXPECT_EQ(top.restarts(), 1U);
  EXPECT_EQ(child->restarts(), 0U);
  EXPECT_EQ(rg.tell(1), Delivery::kOk);
  EXPECT_TRUE(eventually([&] { return g.handled.load() == 1; }));  // before g dies
}

// Three levels, every limit 0: a great-grandchild failing makes each
// supervisor on its way up fail (kFailed, with the failure); the top's
// other child supervisor is stopped (kKilled) with its children; a
// monitor set afterwards gets the same Down at once.
TEST(SupervisionTree, EscalationReachesTheTopAndStopsTheTree) {
  Pool pool({.workers = 2});
  Supervisor top(pool, Strategy::kOneForOne, 0, 1min);
  DownCount top_down;
  DownCount mid_down;
  DownCount low_down;
  DownCount other_down;
  top.monitor(top_down.fn());
  auto mid = top.start_supervisor(Strategy::kOneForOne, 0, 1min);
  auto other = top.start_supervisor(Strategy::kOneForOne, 5, 1min);
  auto low = mid->start_supervisor(Strategy::kOneForOne, 0, 1min);
  mid->monitor(mid_down.fn());
  low->monitor(low_down.fn());
  other->monitor(other_down.fn());
  Probe g;
  Probe sibling;
  Probe y;
  auto rg = low->spawn<int>(g.factory());
  auto rs = low->spawn<int>(sibling.factory());
  auto ry = other->spawn<int>(y.factory());
  rg.tell(-1);
  const Down down = top.wait();
  EXPECT_EQ(down.reason, Down::Reason::kFailed);
  EXPECT_EQ(down.id, top.id());
  EXPECT_EQ(what(down.error), "negative");
  EXPECT_TRUE(eventually([&] {
    return top_down.downs.load() == 1 && mid_down.downs.load() == 1 && low_down.downs.load() == 1 &&
           other_down.downs.load() == 1;
  }));
  EXPECT_EQ(mid_down.reason.load(), Down::Reason::kFailed);
  EXPECT_EQ(low_down.reason.load(), Down::Reason::kFailed);
  EXPECT_EQ(other_down.reason.load(), Down::Reason::kKilled);
  EXPECT_TRUE(eventually([&] {
    return rg.tell(1) == Delivery::kStopped && rs.tell(1) == Delivery::kStopped &&
           ry.tell(1) == Delivery::kStopped;
  }));
  EXPECT_TRUE(mid->gave_up() && low->gave_up() && other->gave_up());
  EXPECT_EQ(g.starts.load(), 1);
  // Late: at once, the same Down; a child started now is stopped at once.
  DownCount late;
  other->monitor(late.fn());
  EXPECT_EQ(late.downs.load(), 1);
  EXPECT_EQ(late.reason.load(), Down::Reason::kKilled);
  Probe z;
  auto rz = top.spawn<int>(z.factory());
  EXPECT_TRUE(eventually([&] { return rz.tell(1) == Delivery::kStopped; }));
  auto late_child = top.start_supervisor(Strategy::kOneForOne, 1, 1min);
  EXPECT_TRUE(late_child->gave_up());
  EXPECT_EQ(top_down.downs.load(), 1);
}

// The interleaving, made certain: a fails past mid's limit (0), so mid
// escalates; the top (limit 0) gives up and runs its monitor, which waits
// here — mid is still escalating, the top's answer not yet back. Then b,
// mid's other child, fails on another worker. It finds mid escalating: it
// is restarted at once, uncounted (b.starts becomes 2), instead of
// escalating a second time (without the flag it would find mid's history
// full, escalate, get the top's no, and mid would go down from b's thread
// while a's escalation is still in flight: b would stop, never restarted).
// Then the monitor returns: the top's no reaches mid, which goes down once
// (kFailed) and kills b.
TEST(SupervisionTree, AFailureDuringAnEscalationIsCoveredByIt) {
  Pool pool({.workers = 2});
  Supervisor top(pool, Strategy::kOneForOne, 0, 1min);
  std::atomic<bool> in_monitor{false};
  std::atomic<bool> release{false};
  top.monitor([&](const Down&) {
    in_monitor = true;
    while (!release.load()) std::this_thread::yield();
  });
  auto mid = top.start_supervisor(Strategy::kOneForOne, 0, 1min);
  DownCount mid_down;
  mid->monitor(mid_down.fn());
  Probe a;
  Probe b;
  auto ra = mid->spawn<int>(a.factory());
  auto rb = mid->spawn<int>(b.factory());
  ra.tell(-1);
  ASSERT_TRUE(eventually([&] { return in_monitor.load(); }));
  rb.tell(-1);
  EXPECT_TRUE(eventually([&] { return b.starts.load() == 2; }));
  EXPECT_FALSE(mid->gave_up());
  EXPECT_EQ(mid->restarts(), 0U);
  release = true;
  EXPECT_TRUE(eventually([&] {
    return mid_down.downs.load() == 1 && ra.tell(1) == Delivery::kStopped &&
           rb.tell(1) == Delivery::kStopped;
  }));
  EXPECT_EQ(mid_down.reason.load(), Down::Reason::kFailed);
  EXPECT_EQ(mid_down.downs.load(), 1);
  EXPECT_EQ(a.starts.load(), 1);
}

// Left to the scheduler, many rounds: x (under the top, limit 0) and a
// (under mid, limit 0) fail at once on two workers. Whichever reaches the
// top first makes it give up; the other path finds the top or mid down, or
// escalating (covered, as above). The interleaving to rule out: mid marked
// down twice — stopped by the top giving up because of x (kKilled) while
// its own escalation for a comes back refused (kFailed) — running its
// monitors twice. Each round: each monitor runs exactly once, and every
// actor ends stopped.
TEST(SupervisionTree, AGiveUpRacingAStopByTheParentReportsOnce) {
  Pool pool({.workers = 3});
  const int rounds = static_cast<int>(scaled(200));
  for (int r = 0; r < rounds; ++r) {
    Supervisor top(pool, Strategy::kOneForOne, 0, 1min);
    DownCount top_down;
    DownCount mid_down;
    top.monitor(top_down.fn());
    auto mid = top.start_supervisor(Strategy::kOneForOne, 0, 1min);
    mid->monitor(mid_down.fn());
    std::atomic<int> gate{0};
    Probe a;
    Probe b;
    Probe x;
    for (Probe* p : {&a, &x}) {
      p->gate = &gate;
      p->gate_parties = 2;
    }
    auto ra = mid->spawn<int>(a.factory());
    auto rb = mid->spawn<int>(b.factory());
    auto rx = top.spawn<int>(x.factory());
    ra.tell(-2);
    rx.tell(-2);
    ASSERT_TRUE(eventually([&] {
      return top_down.downs.load() == 1 && mid_down.downs.load() == 1 &&
             ra.tell(1) == Delivery::kStopped && rb.tell(1) == Delivery::kStopped &&
             rx.tell(1) == Delivery::kStopped;
    })) << "round "
        << r;
    EXPECT_EQ(top_down.reason.load(), Down::Reason::kFailed);
    EXPECT_NE(mid_down.reason.load(), Down::Reason::kNormal);
    EXPECT_EQ(mid_down.downs.load(), 1);
  }
}

// The interleaving: a one-for-all top restarts the child supervisor `mid`
// (renew, from x's failing turn on one worker) while mid's child g fails
// past mid's limit (0) on another and escalates to the top; and two of
// mid's children fail at once, the second finding mid escalating. Every
// failure is a restart (the top's limit is never reached), so nobody goes
// down, the tree keeps working, and mid's escalation flag is cleared: a
// later failure of g is counted at the top again.
TEST(SupervisionTree, FailuresRacingARenewalAllRestart) {
  // Before the pool: restarts requested late may still run while ~Pool
  // lets the queued turns finish.
  Probe x;
  Probe g;
  Probe h;
  Pool pool({.workers = 3});
  Supervisor top(pool, Strategy::kOneForAll, 1'000'000, 1h);
  DownCount top_down;
  DownCount mid_down;
  top.monitor(top_down.fn());
  std::shared_ptr<Supervisor> mid;
  auto rx = top.spawn<int>(x.factory());
  mid = top.start_supervisor(Strategy::kOneForOne, 0, 1h);
  mid->monitor(mid_down.fn());
  auto rg = mid->spawn<int>(g.factory());
  auto rh = mid->spawn<int>(h.factory());
  const int rounds = static_cast<int>(scaled(300));
  for (int r = 0; r < rounds; ++r) {
    std::atomic<int> gate{0};
    const bool both_in_mid = r % 2 == 1;
    Probe& first = both_in_mid ? h : x;
    for (Probe* p : {&first, &g}) {
      p->gate = &gate;
      p->gate_parties = 2;
    }
    const unsigned before = top.restarts();
    const int first_failures = first.failures.load();
    const int g_failures = g.failures.load();
    (both_in_mid ? rh : rx).tell(-2);
    rg.tell(-2);
    // Both have left the gate (it dies with this round) and thrown.
    ASSERT_TRUE(eventually([&] {
      return first.failures.load() == first_failures + 1 && g.failures.load() == g_failures + 1;
    })) << "round "
        << r;
    // Each failure made a restart at the top, or was covered by one.
    ASSERT_TRUE(eventually([&] { return top.restarts() >= before + 1; })) << "round " << r;
    for (Probe* p : {&first, &g}) p->gate = nullptr;
  }
  // A message handled after each failure: every failure's handling (the
  // escalations with it) is over.
  const int handled[] = {x.handled.load(), g.handled.load(), h.handled.load()};
  for (auto* ref : {&rx, &rg, &rh}) ref->tell(1);
  EXPECT_TRUE(eventually([&] {
    return x.handled.load() > handled[0] && g.handled.load() > handled[1] &&
           h.handled.load() > handled[2];
  }));
  const unsigned before = top.restarts();
  rg.tell(-1);
  EXPECT_TRUE(eventually([&] { return top.restarts() == before + 1; }));
  EXPECT_EQ(top_down.downs.load(), 0);
  EXPECT_EQ(mid_down.downs.load(), 0);
  EXPECT_FALSE(mid->gave_up());
}

// A bounded child of a supervisor: its mailbox refuses beyond the bound,
// and the bound stays across a restart.
TEST(SupervisionTree, ABoundedChildKeepsItsBoundAcrossARestart) {
  Pool pool({.workers = 2});
  Supervisor sup(pool, Strategy::kOneForOne, 5, 1min);
  std::atomic<bool> open{false};
  std::atomic<int> handled{0};
  auto child = sup.spawn<int>(
      [&] {
        return [&](auto&, int& m) {
          while (!open.load()) std::this_thread::yield();
          if (m < 0) throw std::runtime_error("negative");
          handled.fetch_add(1);
        };
      },
      ActorOptions{.capacity = 1});
  EXPECT_EQ(child.tell(-1), Delivery::kOk);  // taken by a turn that waits on `open`
  EXPECT_TRUE(eventually([&] { return child.tell(1) == Delivery::kOk; }));
  EXPECT_EQ(child.tell(2), Delivery::kFull);
  open = true;
  EXPECT_TRUE(eventually([&] { return sup.restarts() == 1U && handled.load() == 1; }));
  open = false;
  EXPECT_EQ(child.tell(3), Delivery::kOk);
  EXPECT_TRUE(eventually([&] { return child.tell(4) == Delivery::kOk; }));
  EXPECT_EQ(child.tell(5), Delivery::kFull);
  open = true;
  EXPECT_TRUE(eventually([&] { return handled.load() == 3; }));
}

}  // namespace
}  // namespace runa::concurrency
