// Savina's thread ring on CAF 0.17.6: 503 actors in a ring pass a token N hops.
//
//   peer_caf_threadring [N]   (default 10000000)
//
// Event-based actors on CAF's default scheduler (default worker count). Timed from
// before the actors are spawned until main (a scoped_actor) hears the token's end.
// Actor i (1..503) gets its successor (i % 503 + 1) in a message from main; then main
// sends the token, the number of hops left (N), to actor 1. An actor receiving token t:
// t == 0 reports its own number to main, else sends t - 1 to its successor.
// ops = N hops; check = the number of the actor holding the token at the end,
// N % 503 + 1 (361 for 10M). The ring is shut down after the clock stops.
#include <caf/all.hpp>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "peer_common.hpp"

namespace {

constexpr std::uint32_t kRingSize = 503;

using next_atom = caf::atom_constant<caf::atom("tr_next")>;
using token_atom = caf::atom_constant<caf::atom("tr_token")>;
using done_atom = caf::atom_constant<caf::atom("tr_done")>;

struct MemberState {
  caf::actor next;
};

caf::behavior member(caf::stateful_actor<MemberState>* self, std::uint32_t id, caf::actor main) {
  return {
      [=](next_atom, caf::actor next) { self->state.next = std::move(next); },
      [=](token_atom, std::uint64_t hops_left) {
        if (hops_left == 0) {
          self->send(main, done_atom::value, id);
        } else {
          self->send(self->state.next, token_atom::value, hops_left - 1);
        }
      },
  };
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = peers::count_arg(argc, argv, 1, 10'000'000);
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  std::fprintf(stderr, "caf: %zu scheduler workers\n", system.scheduler().num_workers());
  caf::scoped_actor main_actor{system};
  const auto main_handle = caf::actor_cast<caf::actor>(main_actor);
  std::uint32_t last = 0;

  const auto start = peers::Clock::now();
  std::vector<caf::actor> ring;
  for (std::uint32_t id = 1; id <= kRingSize; ++id)
    ring.push_back(system.spawn(member, id, main_handle));
  for (std::uint32_t i = 0; i < kRingSize; ++i)
    main_actor->send(ring[i], next_atom::value, ring[(i + 1) % kRingSize]);
  main_actor->send(ring[0], token_atom::value, n);
  main_actor->receive([&](done_atom, std::uint32_t id) { last = id; });
  const double seconds = peers::seconds_since(start);

  for (auto& a : ring) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  peers::report("threadring", "caf", seconds, n, last);
}
