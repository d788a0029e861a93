// RunaTime's side of the Savina actor benchmarks (Imam and Sarkar, 2014),
// run by scripts/bench-concurrency beside CAF and Erlang with the same
// algorithms (bench/peers/concurrency/README.md). One result line:
//   bench=<name> impl=runatime seconds=<s> ops=<messages> check=<value>
//
//   runa_savina pingpong [N]     two actors, N (1,000,000) round trips
//   runa_savina threadring [N]   503 actors in a ring pass a token N (10,000,000) hops
//   runa_savina forkjoin [N]     60 actors each receive N (100,000) messages
//   runa_savina chameneos [N]    100 chameneos, N (200,000) meetings at a mall
//   runa_savina big [N]          120 actors, each sends N (20,000) pings to random neighbours
//
// Actors run on a pool with one worker per core (the defaults).
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "concurrency/actor/actor.hpp"
#include "concurrency/sync/latch.hpp"
#include "result_line.hpp"

namespace cc = runa::concurrency;

namespace {

using runa::bench::Clock;
using runa::bench::report;
using runa::bench::since;

// ---- ping-pong: a ping actor sends N pings, the pong actor answers each -------
void pingpong(std::uint64_t n) {
  cc::Pool pool;
  cc::Latch done(1);
  std::uint64_t pongs = 0;
  auto start = Clock::now();
  cc::ActorRef<std::uint64_t> ping;
  cc::ActorRef<std::uint64_t> pong = cc::spawn_actor<std::uint64_t>(
      pool, [&] { return [&](auto&, std::uint64_t& k) { ping.tell(k); }; });
  ping = cc::spawn_actor<std::uint64_t>(pool, [&] {
    return [&](auto&, std::uint64_t& k) {
      ++pongs;
      if (k == n) {
        done.count_down();
        return;
      }
      pong.tell(k + 1);
    };
  });
  pong.tell(1);
  done.wait();
  report("pingpong", "runatime", since(start), 2 * n, pongs);
}

// ---- thread-ring: a token of N hops passes around 503 actors -------------------
void threadring(std::uint64_t hops) {
  constexpr int kRing = 503;
  cc::Pool pool;
  cc::Latch done(1);
  std::vector<cc::ActorRef<std::uint64_t>> ring(kRing);
  std::atomic<std::uint64_t> finisher{0};
  auto start = Clock::now();
  for (int i = 0; i < kRing; ++i) {
    ring[i] = cc::spawn_actor<std::uint64_t>(pool, [&, i] {
      return [&, i](auto&, std::uint64_t& left) {
        if (left == 0) {
          finisher = static_cast<std::uint64_t>(i) + 1;
          done.count_down();
          return;
        }
        ring[(i + 1) % kRing].tell(left - 1);
      };
    });
  }
  ring[0].tell(hops);
  done.wait();
  report("threadring", "runatime", since(start), hops, finisher.load());
}

// ---- fork-join throughput: 60 actors each handle N messages --------------------
// Message i costs s = sin(37.2 + i * 1e-6), acc += s * s, as in every peer.
void forkjoin(std::uint64_t per) {
  constexpr int kActors = 60;
  cc::Pool pool;
  cc::Latch done(kActors);
  std::vector<cc::ActorRef<std::uint64_t>> actors;
  std::vector<double> results(kActors, 0.0);
  auto start = Clock::now();
  for (int a = 0; a < kActors; ++a) {
    actors.push_back(cc::spawn_actor<std::uint64_t>(pool, [&, a] {
      return [&, a, count = std::uint64_t{0}, acc = 0.0](auto& ctx, std::uint64_t& i) mutable {
        double x = std::sin(37.2 + static_cast<double>(i) * 1e-6);
        acc += x * x;
        if (++count == per) {
          results[a] = acc;
          ctx.stop();
          done.count_down();
        }
      };
    }));
  }
  for (std::uint64_t i = 0; i < per; ++i) {
    for (auto& a : actors) a.tell(i);
  }
  done.wait();
  double seconds = since(start);
  double sum = 0;
  for (double r : results) sum += r;
  report("forkjoin", "runatime", seconds, per * kActors,
         static_cast<std::uint64_t>(std::llround(sum)));
}

// ---- chameneos: 100 creatures meet in pairs at a mall, N meetings -------------
// bench/peers/concurrency/caf_chameneos.cpp states the protocol; the same here.
struct Cham {
  enum Kind : std::uint8_t { kMeet, kChange, kExit, kCount } kind = kMeet;
  std::uint32_t colour = 0;
  std::uint32_t from = 0;  // a creature's index
  std::uint64_t meetings = 0;
  std::uint64_t received = 0;
};

std::uint32_t complement(std::uint32_t a, std::uint32_t b) {
  return a == b ? a : 3 - a - b;
}

void chameneos(std::uint64_t n) {
  constexpr std::uint32_t kCreatures = 100;
  cc::Pool pool;
  cc::Latch done(1);
  std::vector<cc::ActorRef<Cham>> creatures(kCreatures);
  std::atomic<std::uint64_t> messages{0};
  std::uint64_t meetings_sum = 0;
  auto start = Clock::now();
  cc::ActorRef<Cham> mall = cc::spawn_actor<Cham>(pool, [&] {
    return [&, left = n, waiting = false, waiter = Cham{}, faded = std::uint32_t{0},
            received = std::uint64_t{0}](auto&, Cham& m) mutable {
      ++received;
      if (m.kind == Cham::kCount) {
        meetings_sum += m.meetings;
        received += m.received;
        if (++faded == kCreatures) {
          messages = received;
          done.count_down();
        }
        return;
      }
      if (left == 0) {
        creatures[m.from].tell(Cham{Cham::kExit});
      } else if (!waiting) {
        waiting = true;
        waiter = m;
      } else {
        creatures[waiter.from].tell(Cham{Cham::kMeet, m.colour, m.from});
        waiting = false;
        --left;
      }
    };
  });
  for (std::uint32_t i = 0; i < kCreatures; ++i) {
    creatures[i] = cc::spawn_actor<Cham>(pool, [&, i] {
      return [&, i, colour = i % 3, meetings = std::uint64_t{0}, received = std::uint64_t{0}](
                 auto& ctx, Cham& m) mutable {
        ++received;
        switch (m.kind) {
          case Cham::kMeet:
            colour = complement(colour, m.colour);
            ++meetings;
            creatures[m.from].tell(Cham{Cham::kChange, colour, i});
            mall.tell(Cham{Cham::kMeet, colour, i});
            break;
          case Cham::kChange:
            colour = m.colour;
            ++meetings;
            mall.tell(Cham{Cham::kMeet, colour, i});
            break;
          case Cham::kExit:
            mall.tell(Cham{Cham::kCount, 3, i, meetings, received});
            ctx.stop();
            break;
          case Cham::kCount:
            break;
        }
      };
    });
  }
  for (std::uint32_t i = 0; i < kCreatures; ++i) mall.tell(Cham{Cham::kMeet, i % 3, i});
  done.wait();
  report("chameneos", "runatime", since(start), messages.load(), meetings_sum);
}

// ---- big: 120 actors ping random neighbours N times each ----------------------
// bench/peers/concurrency/caf_big.cpp states the protocol and the generator.
struct Big {
  enum Kind : std::uint8_t { kPing, kPong } kind = kPing;
  std::int32_t from = 0;  // -1: the starting pong
};

std::uint32_t xorshift32(std::uint32_t x) {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

void big(std::uint64_t n) {
  constexpr std::uint32_t kWorkers = 120;
  cc::Pool pool;
  cc::Latch done(kWorkers);
  std::vector<cc::ActorRef<Big>> workers(kWorkers);
  std::atomic<std::uint64_t> pings{0};
  std::atomic<std::uint64_t> targets{0};
  auto start = Clock::now();
  for (std::uint32_t w = 0; w < kWorkers; ++w) {
    workers[w] = cc::spawn_actor<Big>(pool, [&, w] {
      return [&, w, rng = (w + 1U) * 2654435761U, expected = std::int32_t{-1},
              sent = std::uint64_t{0}, sum = std::uint64_t{0}](auto&, Big& m) mutable {
        if (m.kind == Big::kPing) {
          workers[static_cast<std::size_t>(m.from)].tell(
              Big{Big::kPong, static_cast<std::int32_t>(w)});
          return;
        }
        if (m.from != expected) {
          std::fprintf(stderr, "big: worker %u expected a pong from %d, got %d\n", w, expected,
                       m.from);
          std::abort();
        }
        if (sent == n) {
          pings.fetch_add(sent);
          targets.fetch_add(sum);
          done.count_down();
          return;
        }
        rng = xorshift32(rng);
        std::uint32_t target = rng % kWorkers;
        expected = static_cast<std::int32_t>(target);
        ++sent;
        sum += target;
        workers[target].tell(Big{Big::kPing, static_cast<std::int32_t>(w)});
      };
    });
  }
  for (auto& w : workers) w.tell(Big{Big::kPong, -1});
  done.wait();
  report("big", "runatime", since(start), 2 * pings.load(), targets.load());
}

constexpr const char* kUsage =
    "usage: runa_savina pingpong|threadring|forkjoin|chameneos|big [N]\n"
    "  pingpong N:   two actors, N round trips (default 1000000)\n"
    "  threadring N: 503 actors pass a token N hops (default 10000000)\n"
    "  forkjoin N:   60 actors each handle N messages (default 100000)\n"
    "  chameneos N:  100 chameneos, N meetings (default 200000)\n"
    "  big N:        120 actors each ping random neighbours N times (default 20000)\n";

constexpr std::uint64_t kMany = std::uint64_t{1} << 40;

}  // namespace

int main(int argc, char** argv) {
  const runa::bench::Mode modes[] = {
      {"pingpong", 1'000'000, kMany, pingpong},
      {"threadring", 10'000'000, kMany, threadring},
      {"forkjoin", 100'000, kMany, forkjoin},
      {"chameneos", 200'000, kMany, chameneos},
      {"big", 20'000, kMany, big},
  };
  return runa::bench::run_mode("runa_savina", kUsage, modes, argc, argv);
}
