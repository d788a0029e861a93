// Savina's big on CAF 0.17.6: 120 actors each send N pings to random actors and answer
// the pings they get with pongs.
//
//   peer_caf_big [N]          (default 20000 pings per actor)
//
// Event-based actors on CAF's default scheduler (default worker count). Timed from
// before the actors are spawned until main (a scoped_actor) has the sink's report.
// Main spawns a sink and workers 0..119, sends every worker the list of all workers,
// then a start (Savina's pong from "-1") to each.
//   worker w: on start or on pong from the worker it pinged: if it has sent N pings,
//             report (pings sent, sum of its ping targets) to the sink; else draw
//             x = xorshift32(x) (13, 17, 5; seeded with (w + 1) * 2654435761 mod 2^32),
//             ping worker x % 120, telling it w. On ping from v: pong to worker v,
//             telling it w. A pong from any other worker than the one pinged aborts.
//   sink:     after 120 reports, reports the totals to main and tells every worker to
//             quit. (A worker that has sent its N pings still answers others' pings.)
// ops = pings + pongs = 2 * 120 * N; check = the sum of all ping targets.
#include <caf/all.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "peer_common.hpp"

namespace {

constexpr std::uint32_t kWorkers = 120;

using neighbors_atom = caf::atom_constant<caf::atom("bg_nbrs")>;
using ping_atom = caf::atom_constant<caf::atom("bg_ping")>;
using pong_atom = caf::atom_constant<caf::atom("bg_pong")>;
using report_atom = caf::atom_constant<caf::atom("bg_report")>;
using quit_atom = caf::atom_constant<caf::atom("bg_quit")>;
using done_atom = caf::atom_constant<caf::atom("bg_done")>;

constexpr std::int32_t kStart = -1;  // the sender of the starting pong

struct WorkerState {
  std::vector<caf::actor> neighbors;
  std::uint32_t rng = 0;
  std::int32_t expected = kStart;
  std::uint64_t pings = 0;
  std::uint64_t target_sum = 0;
};

caf::behavior worker(caf::stateful_actor<WorkerState>* self, std::int32_t id, std::uint64_t n,
                     caf::actor sink) {
  self->state.rng = peers::seed(static_cast<std::uint32_t>(id));
  return {
      [=](neighbors_atom, const std::vector<caf::actor>& all) { self->state.neighbors = all; },
      [=](ping_atom, std::int32_t sender) {
        self->send(self->state.neighbors[static_cast<std::size_t>(sender)], pong_atom::value, id);
      },
      [=](pong_atom, std::int32_t sender) {
        auto& s = self->state;
        if (sender != s.expected) {
          std::fprintf(stderr, "big: worker %d expected a pong from %d, got %d\n", id, s.expected,
                       sender);
          std::abort();
        }
        if (s.pings == n) {
          self->send(sink, report_atom::value, s.pings, s.target_sum);
          return;
        }
        s.rng = peers::xorshift32(s.rng);
        const std::uint32_t target = s.rng % kWorkers;
        s.expected = static_cast<std::int32_t>(target);
        s.target_sum += target;
        ++s.pings;
        self->send(s.neighbors[target], ping_atom::value, id);
      },
      [=](quit_atom) { self->quit(); },
  };
}

struct SinkState {
  std::vector<caf::actor> workers;
  std::uint32_t reports = 0;
  std::uint64_t pings = 0;
  std::uint64_t target_sum = 0;
};

caf::behavior sink(caf::stateful_actor<SinkState>* self, caf::actor main) {
  return {
      [=](neighbors_atom, const std::vector<caf::actor>& all) { self->state.workers = all; },
      [=](report_atom, std::uint64_t pings, std::uint64_t target_sum) {
        auto& s = self->state;
        s.pings += pings;
        s.target_sum += target_sum;
        if (++s.reports == kWorkers) {
          self->send(main, done_atom::value, s.pings, s.target_sum);
          for (auto& w : s.workers) self->send(w, quit_atom::value);
          self->quit();
        }
      },
  };
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = peers::count_arg(argc, argv, 1, 20'000);
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  std::fprintf(stderr, "caf: %zu scheduler workers\n", system.scheduler().num_workers());
  caf::scoped_actor main_actor{system};
  std::uint64_t pings = 0;
  std::uint64_t target_sum = 0;

  const auto start = peers::Clock::now();
  auto sink_actor = system.spawn(sink, caf::actor_cast<caf::actor>(main_actor));
  std::vector<caf::actor> workers;
  for (std::uint32_t w = 0; w < kWorkers; ++w)
    workers.push_back(system.spawn(worker, static_cast<std::int32_t>(w), n, sink_actor));
  main_actor->send(sink_actor, neighbors_atom::value, workers);
  for (auto& w : workers) main_actor->send(w, neighbors_atom::value, workers);
  for (auto& w : workers) main_actor->send(w, pong_atom::value, kStart);
  main_actor->receive([&](done_atom, std::uint64_t total_pings, std::uint64_t total_targets) {
    pings = total_pings;
    target_sum = total_targets;
  });
  const double seconds = peers::seconds_since(start);

  peers::report("big", "caf", seconds, 2 * pings, target_sum);
}
