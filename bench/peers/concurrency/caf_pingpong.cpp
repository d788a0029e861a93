// Savina's ping-pong on CAF 0.17.6: a ping actor and a pong actor exchange N round trips.
//
//   peer_caf_pingpong [N]     (default 1000000)
//
// Event-based actors on CAF's default scheduler (default worker count). Timed from
// before the two actors are spawned until main (a scoped_actor) has ping's report.
//   ping: on start or on pong: if it has sent N pings, send stop to pong, report the
//         number of pongs received to main and quit; else send ping to pong.
//   pong: on ping: send pong to the sender; on stop: quit.
// Savina's ping also sends itself a message between two pings; that extra hop is left
// out here, so exactly 2N messages are exchanged. ops = 2N, check = pongs received (N).
#include <caf/all.hpp>

#include <cstdint>
#include <cstdio>

#include "peer_common.hpp"

namespace {

using start_atom = caf::atom_constant<caf::atom("pp_start")>;
using ping_atom = caf::atom_constant<caf::atom("pp_ping")>;
using pong_atom = caf::atom_constant<caf::atom("pp_pong")>;
using stop_atom = caf::atom_constant<caf::atom("pp_stop")>;
using done_atom = caf::atom_constant<caf::atom("pp_done")>;

struct PingState {
  std::uint64_t sent = 0;
  std::uint64_t pongs = 0;
};

caf::behavior ping(caf::stateful_actor<PingState>* self, caf::actor pong, std::uint64_t n,
                   caf::actor main) {
  auto next = [=] {
    if (self->state.sent == n) {
      self->send(pong, stop_atom::value);
      self->send(main, done_atom::value, self->state.pongs);
      self->quit();
    } else {
      ++self->state.sent;
      self->send(pong, ping_atom::value);
    }
  };
  return {
      [=](start_atom) { next(); },
      [=](pong_atom) {
        ++self->state.pongs;
        next();
      },
  };
}

caf::behavior pong(caf::event_based_actor* self) {
  return {
      [=](ping_atom) {
        self->send(caf::actor_cast<caf::actor>(self->current_sender()), pong_atom::value);
      },
      [=](stop_atom) { self->quit(); },
  };
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = peers::count_arg(argc, argv, 1, 1'000'000);
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  std::fprintf(stderr, "caf: %zu scheduler workers\n", system.scheduler().num_workers());
  caf::scoped_actor main_actor{system};
  std::uint64_t pongs = 0;

  const auto start = peers::Clock::now();
  auto pong_actor = system.spawn(pong);
  auto ping_actor = system.spawn(ping, pong_actor, n, caf::actor_cast<caf::actor>(main_actor));
  main_actor->send(ping_actor, start_atom::value);
  main_actor->receive([&](done_atom, std::uint64_t received) { pongs = received; });
  const double seconds = peers::seconds_since(start);

  peers::report("pingpong", "caf", seconds, 2 * n, pongs);
}
