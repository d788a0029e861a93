// Collection pauses under a large old generation: about 200 MB of long-lived
// data (a complete binary tree of 48-byte nodes, depth 21: 4,194,303 nodes,
// 201 MB) while the program allocates short-lived trees and now and then
// replaces a leaf of the long-lived tree (an old-to-young store through the
// write barrier; the new leaf is later promoted, the old one becomes garbage).
//
//   runa_pauses [--seconds=N] [--depth=D] [--update-every=K] [heap options]
//
//   --seconds=N       length of the steady phase (default 10)
//   --depth=D         depth of the long-lived tree (default 21: ~201 MB)
//   --update-every=K  replace one long-lived leaf every K short-lived trees
//                     (default 16; 0: never)
//   heap options      bench/runa_options.hpp (--nursery=, --max-heap=, --gc-log, ...)
//
// Pauses are measured from the mutator: the wall time of every allocation that
// took the slow path and during which a collection ran (a frame enumerator
// counts collections; the program is the only mutator, so every collection
// runs inside one of its allocations). A pause during which Heap::stats()'s
// major_collections grew is a major one. Only the steady phase is counted.
// Also printed: Heap::stats() for the whole run (building the tree included),
// and the time of three requested major collections with the tree alive (a
// full mark of ~200 MB).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runa_options.hpp"

namespace {

using runa::heap::as_object;
using runa::heap::Handle;
using runa::heap::HandleScope;
using runa::heap::Mutator;
using runa::heap::Object;
using runa::heap::ref_value;
using runa::heap::set_slot;
using runa::heap::Value;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kNodeBytes = 48;  // header, left, right, three payload words
std::uint32_t node_type = 0;

struct Pauses {
  runa::heap::Heap* heap = nullptr;
  std::uint64_t collections = 0;  // bumped by the frame enumerator
  std::uint64_t majors = 0;       // Stats::major_collections at the last pause
  bool recording = false;
  std::vector<std::uint64_t> minor_ns;
  std::vector<std::uint64_t> major_ns;
};
Pauses pauses;

void count_collection(void* /*ctx*/, runa::heap::RootVisitor& /*v*/) {
  ++pauses.collections;
}

Object* new_node(Mutator& m, std::uint64_t payload) {
  Object* o = nullptr;
  if (static_cast<std::size_t>(m.limit - m.cursor) >= kNodeBytes) {
    o = runa::heap::allocate(m, node_type, kNodeBytes);
  } else {
    const std::uint64_t before = pauses.collections;
    const auto start = Clock::now();
    o = runa::heap::allocate(m, node_type, kNodeBytes);
    const auto end = Clock::now();
    if (pauses.recording && pauses.collections != before) {
      const auto ns = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
      // Heap::stats() only when a collection ran: it takes a lock.
      const std::uint64_t majors = pauses.heap->stats().major_collections;
      (majors != pauses.majors ? pauses.major_ns : pauses.minor_ns).push_back(ns);
      pauses.majors = majors;
    }
  }
  if (o == nullptr) runa_bench::out_of_memory("runa_pauses");
  o->slots()[2] = payload;
  return o;
}

Object* bottom_up(Mutator& m, int depth) {
  if (depth <= 0) return new_node(m, 1);
  HandleScope scope(m);
  Handle left(m, bottom_up(m, depth - 1));
  Handle right(m, bottom_up(m, depth - 1));
  Object* node = new_node(m, static_cast<std::uint64_t>(depth));
  set_slot(m, node, 0, left.value());
  set_slot(m, node, 1, right.value());
  return node;
}

long check(Value v) {
  if (v == 0) return 0;
  Object* o = as_object(v);
  return 1 + check(o->slots()[0]) + check(o->slots()[1]);
}

std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

double ms(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

// Times `n` requested major collections (Heap::collect(m, true)).
std::vector<std::uint64_t> forced_majors(runa::heap::Heap& heap, Mutator& m, int n) {
  std::vector<std::uint64_t> ns;
  for (int k = 0; k < n; ++k) {
    const auto start = Clock::now();
    heap.collect(m, true);
    ns.push_back(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
  }
  return ns;
}

// One kind of pause: count, p50, p99, max, total.
void report(const char* kind, std::vector<std::uint64_t> ns, double phase_s) {
  std::sort(ns.begin(), ns.end());
  std::uint64_t total = 0;
  for (std::uint64_t p : ns) total += p;
  std::printf(
      "%s pauses (steady phase, mutator-observed): %zu, p50 %.3f ms, p99 %.3f ms, max %.3f ms, "
      "total %.1f ms (%.1f%% of the phase)\n",
      kind, ns.size(), ms(percentile(ns, 0.50)), ms(percentile(ns, 0.99)),
      ns.empty() ? 0.0 : ms(ns.back()), ms(total), 100.0 * ms(total) / 1e3 / phase_s);
}

long option_value(const std::string& arg, const char* name, long fallback, bool& used) {
  const std::string prefix = std::string(name) + "=";
  if (arg.compare(0, prefix.size(), prefix) != 0) return fallback;
  used = true;
  char* end = nullptr;
  long v = std::strtol(arg.c_str() + prefix.size(), &end, 10);
  if (*end != '\0' || v < 0) runa_bench::option_fail(name, arg);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  runa::heap::Options defaults;
  // Leaf replacements promote garbage that only a major collector reclaims.
  defaults.max_heap = std::size_t{8} << 30;
  runa_bench::BenchOptions opts = runa_bench::parse_options(argc, argv, defaults);
  long seconds = 10;
  long depth = 21;
  long update_every = 16;
  for (const std::string& a : opts.rest) {
    bool used = false;
    seconds = option_value(a, "--seconds", seconds, used);
    depth = option_value(a, "--depth", depth, used);
    update_every = option_value(a, "--update-every", update_every, used);
    if (!used) {
      std::fprintf(stderr,
                   "usage: runa_pauses [--seconds=N] [--depth=D] [--update-every=K] [heap "
                   "options]\n");
      return 2;
    }
  }
  if (depth < 2 || depth > 26) runa_bench::option_fail("--depth", std::to_string(depth));

  auto heap = runa_bench::make_heap(opts.heap);
  runa::heap::Layout layout;
  layout.size = kNodeBytes;
  layout.refs = 2;
  layout.name = "pause node";
  node_type = heap->register_layout(layout).value();
  Mutator& m = heap->attach();
  const std::uint64_t enumerator = heap->add_frame_enumerator(m, count_collection, nullptr);
  bool ok = true;
  {
    HandleScope scope(m);
    const auto build_start = Clock::now();
    Handle long_lived(m, bottom_up(m, static_cast<int>(depth)));
    const double build_s = std::chrono::duration<double>(Clock::now() - build_start).count();
    const long nodes = check(long_lived.value());
    runa::heap::Stats built = heap->stats();
    std::printf("long-lived tree: depth %ld, %ld nodes, %.1f MB; built in %.2f s\n", depth, nodes,
                static_cast<double>(nodes) * kNodeBytes / 1e6, build_s);
    std::printf("after building: old generation %.1f MB, %llu minor collections\n",
                static_cast<double>(built.old_bytes) / 1e6,
                static_cast<unsigned long long>(built.minor_collections));

    pauses.heap = heap.get();
    pauses.majors = heap->stats().major_collections;
    pauses.recording = true;
    std::uint64_t rng = 0x9E3779B97F4A7C15ULL;
    long trees = 0;
    long updates = 0;
    long short_check = 0;
    const auto start = Clock::now();
    const auto stop = start + std::chrono::seconds(seconds);
    while (Clock::now() < stop) {
      for (int k = 0; k < 64; ++k) {
        short_check += check(ref_value(bottom_up(m, 7)));
        ++trees;
        if (update_every != 0 && trees % update_every == 0) {
          // A new leaf first (it may collect), then the walk (it does not).
          Handle leaf(m, new_node(m, 1));
          rng ^= rng << 13;
          rng ^= rng >> 7;
          rng ^= rng << 17;
          Object* parent = long_lived.get();
          for (long d = 1; d < depth; ++d) parent = as_object(parent->slots()[(rng >> d) & 1]);
          set_slot(m, parent, rng & 1, leaf.value());
          ++updates;
        }
      }
    }
    const double steady_s = std::chrono::duration<double>(Clock::now() - start).count();
    pauses.recording = false;

    const long expected_short = trees * ((1L << 8) - 1);
    const long final_nodes = check(long_lived.value());
    ok = short_check == expected_short && final_nodes == nodes;
    std::printf("steady phase: %.2f s, %ld short-lived trees (check %s), %ld leaf replacements\n",
                steady_s, trees, short_check == expected_short ? "ok" : "FAILED", updates);
    std::printf("long-lived tree after: %ld nodes (%s)\n", final_nodes,
                final_nodes == nodes ? "ok" : "FAILED");

    report("minor", pauses.minor_ns, steady_s);
    report("major", pauses.major_ns, steady_s);
    // With the long-lived tree still alive: a full collection's cost at ~200 MB live.
    std::vector<std::uint64_t> forced = forced_majors(*heap, m, 3);
    std::sort(forced.begin(), forced.end());
    std::printf("requested major collections (%zu, tree live): median %.3f ms, max %.3f ms\n",
                forced.size(), ms(percentile(forced, 0.5)), ms(forced.back()));
    ok = ok && check(long_lived.value()) == nodes;
  }
  runa::heap::Stats s = heap->stats();
  std::printf(
      "Heap::stats() (whole run): minor collections %llu, p50 %.3f ms, p99 %.3f ms, max %.3f ms, "
      "promoted %.1f MB, old now %.1f MB\n",
      static_cast<unsigned long long>(s.minor_collections), ms(s.p50_pause_ns), ms(s.p99_pause_ns),
      ms(s.max_pause_ns), static_cast<double>(s.promoted_bytes) / 1e6,
      static_cast<double>(s.old_bytes) / 1e6);
  std::printf("major collections (whole run): %llu\n",
              static_cast<unsigned long long>(s.major_collections));
  if (opts.stats) runa_bench::print_stats(*heap);
  heap->remove_frame_enumerator(m, enumerator);
  heap->detach(m);
  return ok ? 0 : 1;
}
