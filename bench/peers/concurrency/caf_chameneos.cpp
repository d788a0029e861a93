// Savina's chameneos on CAF 0.17.6: 100 creatures meet in pairs at a mall, N meetings.
//
//   peer_caf_chameneos [N]    (default 200000 meetings)
//
// Event-based actors on CAF's default scheduler (default worker count). Timed from
// before the mall is spawned until main (a scoped_actor) has the mall's report.
// Colours: 0 red, 1 yellow, 2 blue, 3 faded; complement(a, b) = a == b ? a : 3 - a - b.
//   mall:     spawns creature i (0..99) with colour i % 3. On meet(colour, sender):
//             while meetings are left, the first of a pair waits; the second's meet is
//             forwarded to the waiting one and one meeting is done. With none left,
//             the sender gets exit. On count(meetings, received) from a faded creature:
//             add them up; when all 100 have faded, report to main and quit.
//   creature: on start, meet(colour) to the mall. On meet(c, other) (from the mall):
//             colour = complement(colour, c), meetings++, change(colour) to other, then
//             meet(colour) to the mall. On change(c): colour = c, meetings++, meet(colour)
//             to the mall. On exit: fade, count(meetings, received) to the mall, quit.
// ops = every message the mall and the creatures received (800300 for N = 200000 and
// 100 creatures: 400100 meets, 200000 forwarded meets, 200000 changes, 100 exits, 100
// counts); check = the sum of the creatures' meetings, 2N.
#include <caf/all.hpp>

#include <cstdint>
#include <cstdio>

#include "peer_common.hpp"

namespace {

constexpr std::uint32_t kCreatures = 100;
constexpr std::uint32_t kFaded = 3;

using meet_atom = caf::atom_constant<caf::atom("ch_meet")>;
using change_atom = caf::atom_constant<caf::atom("ch_change")>;
using exit_atom = caf::atom_constant<caf::atom("ch_exit")>;
using count_atom = caf::atom_constant<caf::atom("ch_count")>;
using done_atom = caf::atom_constant<caf::atom("ch_done")>;

std::uint32_t complement(std::uint32_t a, std::uint32_t b) {
  return a == b ? a : 3 - a - b;
}

struct CreatureState {
  std::uint32_t colour = 0;
  std::uint64_t meetings = 0;
  std::uint64_t received = 0;
};

caf::behavior creature(caf::stateful_actor<CreatureState>* self, caf::actor mall,
                       std::uint32_t colour) {
  const auto me = caf::actor_cast<caf::actor>(self);
  self->state.colour = colour;
  self->send(mall, meet_atom::value, colour, me);
  return {
      [=](meet_atom, std::uint32_t other_colour, const caf::actor& other) {
        auto& s = self->state;
        ++s.received;
        s.colour = complement(s.colour, other_colour);
        ++s.meetings;
        self->send(other, change_atom::value, s.colour);
        self->send(mall, meet_atom::value, s.colour, me);
      },
      [=](change_atom, std::uint32_t new_colour) {
        auto& s = self->state;
        ++s.received;
        s.colour = new_colour;
        ++s.meetings;
        self->send(mall, meet_atom::value, s.colour, me);
      },
      [=](exit_atom) {
        auto& s = self->state;
        ++s.received;
        s.colour = kFaded;
        self->send(mall, count_atom::value, s.meetings, s.received);
        self->quit();
      },
  };
}

struct MallState {
  std::uint64_t meetings_left = 0;
  caf::actor waiting;  // invalid while nobody waits
  std::uint32_t faded = 0;
  std::uint64_t sum_meetings = 0;
  std::uint64_t received = 0;  // by the mall and, once reported, by the creatures
};

caf::behavior mall(caf::stateful_actor<MallState>* self, std::uint64_t meetings, caf::actor main) {
  self->state.meetings_left = meetings;
  const auto me = caf::actor_cast<caf::actor>(self);
  for (std::uint32_t i = 0; i < kCreatures; ++i) self->spawn(creature, me, i % 3);
  return {
      [=](meet_atom, std::uint32_t colour, const caf::actor& sender) {
        auto& s = self->state;
        ++s.received;
        if (s.meetings_left == 0) {
          self->send(sender, exit_atom::value);
        } else if (!s.waiting) {
          s.waiting = sender;
        } else {
          --s.meetings_left;
          self->send(s.waiting, meet_atom::value, colour, sender);
          s.waiting = nullptr;
        }
      },
      [=](count_atom, std::uint64_t creature_meetings, std::uint64_t creature_received) {
        auto& s = self->state;
        ++s.received;
        s.sum_meetings += creature_meetings;
        s.received += creature_received;
        if (++s.faded == kCreatures) {
          self->send(main, done_atom::value, s.sum_meetings, s.received);
          self->quit();
        }
      },
  };
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = peers::count_arg(argc, argv, 1, 200'000);
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  std::fprintf(stderr, "caf: %zu scheduler workers\n", system.scheduler().num_workers());
  caf::scoped_actor main_actor{system};
  std::uint64_t sum_meetings = 0;
  std::uint64_t messages = 0;

  const auto start = peers::Clock::now();
  system.spawn(mall, n, caf::actor_cast<caf::actor>(main_actor));
  main_actor->receive([&](done_atom, std::uint64_t sum, std::uint64_t received) {
    sum_meetings = sum;
    messages = received;
  });
  const double seconds = peers::seconds_since(start);

  peers::report("chameneos", "caf", seconds, messages, sum_meetings);
}
