// The Dictionary against std::unordered_map and absl::flat_hash_map
// (docs/types.md, "Dictionary"): insert, lookup hit, lookup miss and
// delete of N Integer keys and N String keys, side by side in one run,
// medians of R runs, ns per operation and the ratio to absl.
//
//   bench_dictionary [--count N] [--runs R]
//
// Same work for everyone: the same keys in the same (shuffled) orders, maps
// grown from empty (no reserve), values are the keys' positions. RunaTime's
// keys are runtime values (small Integers; Strings made beforehand in the
// heap, as a program's would be), so the Dictionary pays its own hashing
// and equality; the peers hash int64_t and std::string (absl's own hash).
// The heap runs with its default options. This program uses the types
// part's internal headers: their public face comes with issue 12's C ABI.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "count_runs.hpp"
#include "runatime/heap.hpp"
#include "runatime/values.hpp"
#include "types/dictionary.hpp"

namespace {

using runa::heap::Handle;
using runa::heap::HandleScope;
using runa::heap::Value;
using namespace runa::types;

struct Times {
  double insert = 0, hit = 0, miss = 0, erase = 0;  // ns per operation
};

double now_ns() {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
}

template <class F>
double timed(std::size_t n, F&& f) {
  const double t0 = now_ns();
  f();
  return (now_ns() - t0) / static_cast<double>(n);
}

struct Keys {
  std::vector<std::int64_t> ints, int_misses;
  std::vector<std::string> strs, str_misses;
  std::vector<std::size_t> order;  // lookup order: a permutation
};

Keys make_keys(std::size_t n) {
  Keys k;
  std::mt19937_64 rng(42);
  std::vector<std::int64_t> all;
  while (all.size() < 2 * n) {
    all.push_back(static_cast<std::int64_t>(rng() >> 4));  // 60 bits: small Integers
    if (all.size() == 2 * n) {
      std::sort(all.begin(), all.end());
      all.erase(std::unique(all.begin(), all.end()), all.end());
    }
  }
  std::shuffle(all.begin(), all.end(), rng);
  k.ints.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  k.int_misses.assign(all.begin() + static_cast<std::ptrdiff_t>(n), all.end());
  char buf[32];
  for (std::size_t i = 0; i < 2 * n; ++i) {
    std::snprintf(buf, sizeof buf, "key-%016llx", static_cast<unsigned long long>(all[i]));
    (i < n ? k.strs : k.str_misses).emplace_back(buf);
  }
  k.order.resize(n);
  for (std::size_t i = 0; i < n; ++i) k.order[i] = i;
  std::shuffle(k.order.begin(), k.order.end(), rng);
  return k;
}

template <class Map, class K>
Times peer(const std::vector<K>& keys, const std::vector<K>& misses,
           const std::vector<std::size_t>& order) {
  Times t;
  Map map;
  const std::size_t n = keys.size();
  t.insert = timed(n, [&] {
    for (std::size_t i = 0; i < n; ++i) map.emplace(keys[i], static_cast<std::int64_t>(i));
  });
  std::int64_t sum = 0;
  t.hit = timed(n, [&] {
    for (std::size_t i : order) sum += map.find(keys[i])->second;
  });
  t.miss = timed(n, [&] {
    for (std::size_t i : order) sum += map.find(misses[i]) == map.end() ? 1 : 0;
  });
  t.erase = timed(n, [&] {
    for (std::size_t i : order) map.erase(keys[i]);
  });
  if (sum == 42) std::puts("");  // keeps the lookups
  return t;
}

struct Runa {
  std::unique_ptr<runa::heap::Heap> heap = runa::heap::Heap::create().value();
  std::unique_ptr<Context> cx = Context::create(*heap).value();
  runa::heap::Mutator* m = &heap->attach();
  Strings strings = Strings::create(*heap).value();
  KeyRules rules{cx.get(), &strings, {}};
  Dictionaries dicts = Dictionaries::create(*heap, rules).value();
  std::uint32_t refs = heap->register_layout([] {
                             runa::heap::Layout l;
                             l.kind = runa::heap::LayoutKind::kRefArray;
                             l.name = "keys";
                             return l;
                           }())
                           .value();
  ~Runa() { heap->detach(*m); }

  // Keys as values in a heap array (hits then misses), rooted by `h`.
  void fill(Handle& h, const std::vector<std::int64_t>* ints, const std::vector<std::string>* strs,
            const std::vector<std::int64_t>* int_misses,
            const std::vector<std::string>* str_misses) {
    const std::size_t n = ints ? ints->size() : strs->size();
    h.set(runa::heap::ref_value(
        runa::heap::allocate_array(*m, refs, runa::heap::ref_array_bytes(2 * n), 2 * n)));
    for (std::size_t i = 0; i < 2 * n; ++i) {
      Value v = 0;
      if (ints) {
        v = make_small_int(i < n ? (*ints)[i] : (*int_misses)[i - n]);
      } else {
        v = strings.make(*m, i < n ? (*strs)[i] : (*str_misses)[i - n]);
      }
      runa::heap::set_slot(*m, h, 1 + i, v);
    }
  }

  Times run(const Keys& k, bool strings_keys) {
    Times t;
    HandleScope scope(*m);
    Handle keys(*m, Value{0});
    fill(keys, strings_keys ? nullptr : &k.ints, strings_keys ? &k.strs : nullptr,
         strings_keys ? nullptr : &k.int_misses, strings_keys ? &k.str_misses : nullptr);
    const std::size_t n = k.order.size();
    Handle dict(*m, dicts.make(*m));
    Handle key(*m, Value{0});
    Handle value(*m, Value{0});
    auto key_at = [&](std::size_t i) { return runa::heap::array_slots(keys.get())[i]; };
    t.insert = timed(n, [&] {
      for (std::size_t i = 0; i < n; ++i) {
        key.set(key_at(i));
        value.set(make_small_int(static_cast<std::int64_t>(i)));
        dicts.set(*m, dict, key, value);
      }
    });
    std::int64_t sum = 0;
    Value out = 0;
    t.hit = timed(n, [&] {
      for (std::size_t i : k.order) {
        key.set(key_at(i));
        dicts.get(*m, dict, key, &out);
        sum += small_int_value(out);
      }
    });
    t.miss = timed(n, [&] {
      for (std::size_t i : k.order) {
        key.set(key_at(n + i));
        sum += dicts.get(*m, dict, key, &out) == Dictionaries::Status::kAbsent ? 1 : 0;
      }
    });
    t.erase = timed(n, [&] {
      for (std::size_t i : k.order) {
        key.set(key_at(i));
        dicts.remove(*m, dict, key);
      }
    });
    if (sum == 42) std::puts("");
    return t;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int status = 0;
  const auto options = runa::bench::parse_count_runs(argc, argv, &status);
  if (!options) return status;
  const std::size_t n = options->count;
  const int runs = options->runs;
  const Keys k = make_keys(n);
  std::printf(
      "Dictionary vs peers: %zu keys, median of %d runs, ns per operation (ratio to absl)\n", n,
      runs);
  for (bool strs : {false, true}) {
    std::vector<Times> r[3];
    for (int run = 0; run < runs; ++run) {
      Runa runa;
      r[0].push_back(runa.run(k, strs));
      if (strs) {
        r[1].push_back(
            peer<absl::flat_hash_map<std::string, std::int64_t>>(k.strs, k.str_misses, k.order));
        r[2].push_back(
            peer<std::unordered_map<std::string, std::int64_t>>(k.strs, k.str_misses, k.order));
      } else {
        r[1].push_back(
            peer<absl::flat_hash_map<std::int64_t, std::int64_t>>(k.ints, k.int_misses, k.order));
        r[2].push_back(
            peer<std::unordered_map<std::int64_t, std::int64_t>>(k.ints, k.int_misses, k.order));
      }
    }
    const char* names[] = {"runatime", "absl::flat_hash_map", "std::unordered_map"};
    std::printf("\n%s keys\n%-22s %16s %16s %16s %16s\n", strs ? "String" : "Integer", "map",
                "insert", "lookup hit", "lookup miss", "delete");
    double base[4] = {};
    for (int s : {1, 0, 2}) {
      double med[4];
      const double Times::*fields[] = {&Times::insert, &Times::hit, &Times::miss, &Times::erase};
      for (int f = 0; f < 4; ++f) {
        std::vector<double> v;
        for (const Times& t : r[s]) v.push_back(t.*fields[f]);
        med[f] = runa::bench::median(v);
        if (s == 1) base[f] = med[f];
      }
      std::printf("%-22s", names[s]);
      for (int f = 0; f < 4; ++f) std::printf(" %8.1f (%4.2fx)", med[f], med[f] / base[f]);
      std::printf("\n");
    }
  }
  return 0;
}
