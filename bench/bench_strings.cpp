// Strings against std::string (docs/types.md, "String"): building a string
// from N pieces by repeated `+`, then hashing and comparing N strings, side
// by side in one run, medians of R runs, with the ratio to std::string.
//
//   bench_strings [--count N] [--runs R]
//
// Building: RunaTime concatenates runtime String values (ropes from 64
// bytes on) and flattens the result once at the end, as printing it would;
// std::string appends in place (amortised doubling). Hashing: N distinct
// strings of 16..31 bytes, each hashed once (RunaTime then caches it:
// "again" hashes them a second time) against std::hash<std::string_view>.
// Equality: N pairs of equal strings in different objects. The heap runs
// with its default options. Uses the types part's internal headers.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "count_runs.hpp"
#include "runatime/heap.hpp"
#include "types/strings.hpp"

namespace {

using runa::heap::Handle;
using runa::heap::HandleScope;
using runa::heap::Value;
using runa::types::Strings;

double now_ns() {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
}

struct Figures {
  double build = 0, hash = 0, again = 0, equal = 0;  // ns per piece / string / pair
};

std::vector<std::string> texts(std::size_t n, int salt) {
  std::vector<std::string> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    v.push_back("piece-" + std::to_string(i * 2654435761U + static_cast<unsigned>(salt)) + "-" +
                std::string(i % 16, 'x'));
  }
  return v;
}

Figures runa_run(const std::vector<std::string>& pieces) {
  Figures f;
  auto heap = runa::heap::Heap::create().value();
  runa::heap::Mutator& m = heap->attach();
  const Strings st = Strings::create(*heap).value();
  runa::heap::Layout l;
  l.kind = runa::heap::LayoutKind::kRefArray;
  l.name = "strings";
  const std::uint32_t refs = heap->register_layout(l).value();
  const std::size_t n = pieces.size();
  {
    HandleScope scope(m);
    Handle all(m, runa::heap::ref_value(runa::heap::allocate_array(
                      m, refs, runa::heap::ref_array_bytes(2 * n), 2 * n)));
    for (std::size_t i = 0; i < n; ++i) {
      runa::heap::set_slot(m, all, 1 + i, st.make(m, pieces[i]));
      runa::heap::set_slot(m, all, 1 + n + i, st.make(m, pieces[i]));
    }
    auto at = [&](std::size_t i) { return runa::heap::array_slots(all.get())[i]; };
    Handle acc(m, st.make(m, ""));
    Handle piece(m, Value{0});
    double t0 = now_ns();
    for (std::size_t i = 0; i < n; ++i) {
      piece.set(at(i));
      acc.set(st.concat(m, acc, piece));
    }
    const Value flat = st.flatten(m, acc);
    f.build = (now_ns() - t0) / static_cast<double>(n);
    if (Strings::view(flat).size() == 1) std::puts("");
    std::uint64_t sum = 0;
    t0 = now_ns();
    for (std::size_t i = 0; i < n; ++i) sum += Strings::hash(at(i));
    f.hash = (now_ns() - t0) / static_cast<double>(n);
    t0 = now_ns();
    for (std::size_t i = 0; i < n; ++i) sum += Strings::hash(at(i));
    f.again = (now_ns() - t0) / static_cast<double>(n);
    t0 = now_ns();
    for (std::size_t i = 0; i < n; ++i) sum += Strings::equal(at(i), at(n + i)) ? 1 : 0;
    f.equal = (now_ns() - t0) / static_cast<double>(n);
    if (sum == 42) std::puts("");
  }
  heap->detach(m);
  return f;
}

Figures std_run(const std::vector<std::string>& pieces) {
  Figures f;
  const std::size_t n = pieces.size();
  const std::vector<std::string> copies = pieces;
  double t0 = now_ns();
  std::string acc;
  for (const std::string& p : pieces) acc += p;
  f.build = (now_ns() - t0) / static_cast<double>(n);
  if (acc.size() == 1) std::puts("");
  std::uint64_t sum = 0;
  std::hash<std::string_view> h;
  t0 = now_ns();
  for (const std::string& p : pieces) sum += h(p);
  f.hash = (now_ns() - t0) / static_cast<double>(n);
  t0 = now_ns();
  for (const std::string& p : pieces) sum += h(p);
  f.again = (now_ns() - t0) / static_cast<double>(n);
  t0 = now_ns();
  for (std::size_t i = 0; i < n; ++i) sum += pieces[i] == copies[i] ? 1 : 0;
  f.equal = (now_ns() - t0) / static_cast<double>(n);
  if (sum == 42) std::puts("");
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int status = 0;
  const auto options = runa::bench::parse_count_runs(argc, argv, &status);
  if (!options) return status;
  const std::size_t n = options->count;
  const int runs = options->runs;
  const std::vector<std::string> pieces = texts(n, 1);
  std::vector<Figures> r[2];
  for (int run = 0; run < runs; ++run) {
    r[0].push_back(runa_run(pieces));
    r[1].push_back(std_run(pieces));
  }
  std::printf(
      "Strings vs std::string: %zu pieces, median of %d runs, ns per piece (ratio to std)\n", n,
      runs);
  std::printf("%-12s %16s %16s %16s %16s\n", "system", "build by +", "hash", "hash again", "equal");
  const double Figures::*fields[] = {&Figures::build, &Figures::hash, &Figures::again,
                                     &Figures::equal};
  double base[4];
  for (int f = 0; f < 4; ++f) {
    std::vector<double> v;
    for (const Figures& x : r[1]) v.push_back(x.*fields[f]);
    base[f] = runa::bench::median(v);
  }
  for (int s : {1, 0}) {
    std::printf("%-12s", s == 0 ? "runatime" : "std::string");
    for (int f = 0; f < 4; ++f) {
      std::vector<double> v;
      for (const Figures& x : r[s]) v.push_back(x.*fields[f]);
      const double med = runa::bench::median(v);
      std::printf(" %8.1f (%4.2fx)", med, med / base[f]);
    }
    std::printf("\n");
  }
  return 0;
}
