// Savina's fork-join throughput on CAF 0.17.6: 60 actors each receive N messages and
// do a tiny computation on each.
//
//   peer_caf_forkjoin [N]     (default 100000 per actor)
//
// Event-based actors on CAF's default scheduler (default worker count). Timed from
// before the actors are spawned until main (a scoped_actor) has all 60 reports.
// Main sends message i (i = 0 .. N-1, a uint64) to actor 0, 1, ..., 59 in turn, then
// i + 1, and so on (Savina's order). An actor receiving i computes
// s = sin(37.2 + i * 1e-6) and adds s * s to its accumulator (Savina computes sin(37.2)
// squared; the index keeps compilers from folding it). After its N-th message it sends
// its accumulator to main and quits. All actors see the same i sequence, so all
// accumulators are equal and their sum does not depend on arrival order.
// ops = 60 N; check = llround(sum of the 60 accumulators) (1134115 for N = 100000).
#include <caf/all.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "peer_common.hpp"

namespace {

constexpr int kActors = 60;

using work_atom = caf::atom_constant<caf::atom("fj_work")>;
using done_atom = caf::atom_constant<caf::atom("fj_done")>;

struct WorkerState {
  std::uint64_t processed = 0;
  double acc = 0;
};

caf::behavior worker(caf::stateful_actor<WorkerState>* self, std::uint64_t n, caf::actor main) {
  return {
      [=](work_atom, std::uint64_t i) {
        const double s = std::sin(37.2 + static_cast<double>(i) * 1e-6);
        self->state.acc += s * s;
        if (++self->state.processed == n) {
          self->send(main, done_atom::value, self->state.acc);
          self->quit();
        }
      },
  };
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = peers::count_arg(argc, argv, 1, 100'000);
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  std::fprintf(stderr, "caf: %zu scheduler workers\n", system.scheduler().num_workers());
  caf::scoped_actor main_actor{system};
  const auto main_handle = caf::actor_cast<caf::actor>(main_actor);
  double total = 0;

  const auto start = peers::Clock::now();
  std::vector<caf::actor> workers;
  for (int a = 0; a < kActors; ++a) workers.push_back(system.spawn(worker, n, main_handle));
  for (std::uint64_t i = 0; i < n; ++i)
    for (auto& w : workers) main_actor->send(w, work_atom::value, i);
  for (int a = 0; a < kActors; ++a)
    main_actor->receive([&](done_atom, double acc) { total += acc; });
  const double seconds = peers::seconds_since(start);

  peers::report("forkjoin", "caf", seconds, kActors * n,
                static_cast<std::uint64_t>(std::llround(total)));
}
