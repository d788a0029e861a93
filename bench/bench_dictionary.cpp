// The Dictionary against std::unordered_map and absl::flat_hash_map
// (docs/types.md, "Dictionary"): insert, lookup hit, lookup miss and
// delete of N Integer keys and N String keys, side by side in one run,
// medians of R runs, ns per operation, the ratio to absl, and the peak RSS
// each map added.
//
//   bench_dictionary [--count N] [--runs R]
//
// Same work for everyone: every map runs the same four loops (one template
// each, below) over the same keys in the same (shuffled) orders, grown from
// empty (no reserve); values are the keys' positions, and the lookups' sum
// is checked to agree. Each run of each map is a process of its own, forked
// once the keys are made, so no map inherits another's heap and the peak
// RSS (VmHWM, reset after the map's keys are made) is the map's own.
// RunaTime's keys are runtime values (small Integers; Strings made in the
// heap, as a program's would be), so the Dictionary pays its own hashing
// and equality; the peers hash int64_t and std::string (absl's own hash).
// Where the keys wait is the same for everyone: a flat array (the peers'
// vector; for RunaTime a vector of the small Integers, immediates that need
// no root, or a heap array of the Strings). A call reads an Integer key
// where it waits, through a handle over its slot, as a tier passes a frame
// slot and the peers a reference into their vector; a String key is copied
// into a handle first, as a tier loads a frame register. RunaTime reads
// the dictionary through its handle.
// The String keys a lookup or delete uses are copies of the inserted ones,
// as a key read again from input would be: equality compares contents, as
// the peers' does. Their hashes are computed when they are made (a String
// caches its hash: a program's keys are hashed once, however often used).
// The heap runs with its default options. This program uses the types
// part's internal headers: their public face comes with issue 12's C ABI.
//
// The loops are functions of their own so that
// bench/count_dictionary_instructions.sh can count the instructions of
// each operation with callgrind.
#include <absl/container/flat_hash_map.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "count_runs.hpp"
#include "runatime/heap.hpp"
#include "runatime/values.hpp"
#include "types/dictionary.hpp"

namespace {

using runa::heap::Handle;
using runa::heap::Value;
using namespace runa::types;

struct Times {
  double insert = 0, hit = 0, miss = 0, erase = 0;  // ns per operation
  double peak_mib = 0;                              // RSS the map added at its peak
  std::int64_t check = 0;                           // the lookups' sum
};

double now_ns() {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
}

// The keys of one kind: `keys` inserted, `misses` never.
template <class K>
struct Workload {
  std::vector<K> keys, misses;
  std::vector<std::size_t> order;  // lookup and delete order: a permutation
};

struct Keys {
  Workload<std::int64_t> ints;
  Workload<std::string> strs;
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
  k.ints.keys.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  k.ints.misses.assign(all.begin() + static_cast<std::ptrdiff_t>(n), all.end());
  char buf[32];
  for (std::size_t i = 0; i < 2 * n; ++i) {
    std::snprintf(buf, sizeof buf, "key-%016llx", static_cast<unsigned long long>(all[i]));
    (i < n ? k.strs.keys : k.strs.misses).emplace_back(buf);
  }
  k.ints.order.resize(n);
  for (std::size_t i = 0; i < n; ++i) k.ints.order[i] = i;
  std::shuffle(k.ints.order.begin(), k.ints.order.end(), rng);
  k.strs.order = k.ints.order;
  return k;
}

// The four loops every map runs.
template <class Table>
[[gnu::noinline]] void insert_all(Table& t, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) t.insert(i);
}
template <class Table>
[[gnu::noinline]] std::int64_t lookup_hits(Table& t, const std::vector<std::size_t>& order) {
  std::int64_t sum = 0;
  for (std::size_t i : order) sum += t.hit(i);
  return sum;
}
template <class Table>
[[gnu::noinline]] std::int64_t lookup_misses(Table& t, const std::vector<std::size_t>& order) {
  std::int64_t absent = 0;
  for (std::size_t i : order) absent += t.miss(i) ? 1 : 0;
  return absent;
}
template <class Table>
[[gnu::noinline]] void delete_all(Table& t, const std::vector<std::size_t>& order) {
  for (std::size_t i : order) t.erase(i);
}

template <class Map, class K>
class Peer {
 public:
  explicit Peer(const Workload<K>& w) : w_(w) {}
  void insert(std::size_t i) { map_.emplace(w_.keys[i], static_cast<std::int64_t>(i)); }
  std::int64_t hit(std::size_t i) { return map_.find(w_.keys[i])->second; }
  bool miss(std::size_t i) { return map_.find(w_.misses[i]) == map_.end(); }
  void erase(std::size_t i) { map_.erase(w_.keys[i]); }

 private:
  const Workload<K>& w_;
  Map map_;
};

// The Dictionary as a tier calls it: handles over slots, runtime values.
template <class K>
class Runa {
 public:
  explicit Runa(const Workload<K>& w) {
    const std::size_t n = w.keys.size();
    if constexpr (kStrings) {
      keys_.set(runa::heap::ref_value(
          runa::heap::allocate_array(*m_, refs_, runa::heap::ref_array_bytes(3 * n), 3 * n)));
    } else {
      ints_.resize(3 * n);
      copies_ = ints_.data() + n;
    }
    for (std::size_t i = 0; i < n; ++i) {
      set_key(i, w.keys[i]);
      set_key(n + i, w.keys[i]);  // the copy lookups and deletes use
      set_key(2 * n + i, w.misses[i]);
    }
    n_ = n;
    dict_.set(dicts_.make(*m_));
  }
  Runa(const Runa&) = delete;
  Runa& operator=(const Runa&) = delete;
  Runa(Runa&&) = delete;
  Runa& operator=(Runa&&) = delete;
  ~Runa() { heap_->detach(*m_); }

  void insert(std::size_t i) {
    value_.set(make_small_int(static_cast<std::int64_t>(i)));
    dicts_.set(*m_, dict_, key(i), value_);
  }
  std::int64_t hit(std::size_t i) {
    Value out = 0;
    dicts_.get(*m_, dict_, copy(i), &out);
    return small_int_value(out);
  }
  bool miss(std::size_t i) {
    Value out = 0;
    return dicts_.get(*m_, dict_, key(2 * n_ + i), &out) == Dictionaries::Status::kAbsent;
  }
  void erase(std::size_t i) { dicts_.remove(*m_, dict_, copy(i)); }

 private:
  static constexpr bool kStrings = std::is_same_v<K, std::string>;

  void set_key(std::size_t i, std::int64_t k) { ints_[i] = make_small_int(k); }
  void set_key(std::size_t i, const std::string& k) {
    const Value s = strings_.make(*m_, k);
    static_cast<void>(Strings::hash(s));  // computed once, as for a program's keys
    runa::heap::set_slot(*m_, keys_, 1 + i, s);
  }
  // Key i where the call reads it. A String is a reference, so it waits in
  // a heap array and goes to the call in a handle, as a tier's operand
  // does. An Integer is an immediate: the call reads it where it waits,
  // as the peers read theirs (a handle over the vector's slot, like a
  // tier's over its frame slot; nothing in it is for the collector).
  [[nodiscard]] Handle key(std::size_t i) {
    if constexpr (kStrings) {
      key_.set(runa::heap::array_slots(keys_.get())[i]);
      return key_;
    } else {
      return Handle(&ints_[i]);
    }
  }
  // The copy of inserted key i, which lookups and deletes use.
  [[nodiscard]] Handle copy(std::size_t i) {
    if constexpr (kStrings) {
      return key(n_ + i);
    } else {
      return Handle(&copies_[i]);  // as the peers index their vector
    }
  }

  std::unique_ptr<runa::heap::Heap> heap_ = runa::heap::Heap::create().value();
  std::unique_ptr<Context> cx_ = Context::create(*heap_).value();
  runa::heap::Mutator* m_ = &heap_->attach();
  Strings strings_ = Strings::create(*heap_).value();
  KeyRules rules_{cx_.get(), &strings_, {}};
  Dictionaries dicts_ = Dictionaries::create(*heap_, rules_).value();
  std::uint32_t refs_ = heap_
                            ->register_layout([] {
                              runa::heap::Layout l;
                              l.kind = runa::heap::LayoutKind::kRefArray;
                              l.name = "keys";
                              return l;
                            }())
                            .value();
  // Handles for the mutator's life, which ends with the heap's.
  // Stored keys, their copies, misses: Strings in the heap, Integers here.
  Handle keys_{*m_, Value{0}};
  std::vector<Value> ints_;
  Value* copies_ = nullptr;  // ints_'s second third
  Handle dict_{*m_, Value{0}};
  Handle key_{*m_, Value{0}};
  Handle value_{*m_, Value{0}};
  std::size_t n_ = 0;
};

// A field of /proc/self/status in MiB (VmRSS, VmHWM).
double status_mib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t len = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, len, field) == 0 && line[len] == ':') {
      return std::strtod(line.c_str() + len + 1, nullptr) / 1024;
    }
  }
  return 0;
}

// One run of Table over `w`: the four loops, timed.
template <class Table, class K>
Times measure(const Workload<K>& w) {
  Table t(w);
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the RSS now
  const double base = status_mib("VmRSS");
  const std::size_t n = w.keys.size();
  Times r;
  double t0 = now_ns();
  insert_all(t, n);
  double t1 = now_ns();
  r.insert = (t1 - t0) / static_cast<double>(n);
  r.check = lookup_hits(t, w.order);
  t0 = now_ns();
  r.hit = (t0 - t1) / static_cast<double>(n);
  r.check += lookup_misses(t, w.order);
  t1 = now_ns();
  r.miss = (t1 - t0) / static_cast<double>(n);
  delete_all(t, w.order);
  r.erase = (now_ns() - t1) / static_cast<double>(n);
  r.peak_mib = status_mib("VmHWM") - base;
  return r;
}

// measure() in a child process: its figures come back through a pipe.
template <class Table, class K>
Times in_child(const Workload<K>& w) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid < 0) std::exit(1);
  if (pid == 0) {
    close(fds[0]);
    const Times r = measure<Table>(w);
    const bool ok = write(fds[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  Times r;
  const bool ok = read(fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_dictionary: a measuring process failed\n");
    std::exit(1);
  }
  return r;
}

template <class K>
void compare(const char* kind, const Workload<K>& w, int runs) {
  const char* names[] = {"absl::flat_hash_map", "runatime", "std::unordered_map"};
  std::vector<Times> r[3];
  for (int run = 0; run < runs; ++run) {
    r[1].push_back(in_child<Runa<K>>(w));
    r[0].push_back(in_child<Peer<absl::flat_hash_map<K, std::int64_t>, K>>(w));
    r[2].push_back(in_child<Peer<std::unordered_map<K, std::int64_t>, K>>(w));
  }
  for (const auto& times : r) {
    for (const Times& t : times) {
      if (t.check != r[0][0].check) {
        std::fprintf(stderr, "bench_dictionary: the maps disagree on %s keys\n", kind);
        std::exit(1);
      }
    }
  }
  std::printf("\n%s keys\n%-22s %16s %16s %16s %16s %10s\n", kind, "map", "insert", "lookup hit",
              "lookup miss", "delete", "peak RSS");
  const double Times::*fields[] = {&Times::insert, &Times::hit, &Times::miss, &Times::erase};
  double base[4] = {};
  for (int s = 0; s < 3; ++s) {
    std::printf("%-22s", names[s]);
    for (int f = 0; f < 4; ++f) {
      std::vector<double> v;
      for (const Times& t : r[s]) v.push_back(t.*fields[f]);
      const double med = runa::bench::median(v);
      if (s == 0) base[f] = med;
      std::printf(" %8.1f (%4.2fx)", med, med / base[f]);
    }
    std::vector<double> peaks;
    for (const Times& t : r[s]) peaks.push_back(t.peak_mib);
    std::printf(" %6.0f MiB\n", runa::bench::median(peaks));
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int status = 0;
  const auto options = runa::bench::parse_count_runs(argc, argv, &status);
  if (!options) return status;
  const Keys k = make_keys(options->count);
  std::printf(
      "Dictionary vs peers: %zu keys, median of %d runs, ns per operation (ratio to absl), "
      "peak RSS added\n",
      options->count, options->runs);
  std::fflush(stdout);  // before the children inherit the buffer
  compare("Integer", k.ints, options->runs);
  compare("String", k.strs, options->runs);
  return 0;
}
