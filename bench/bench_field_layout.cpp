// Object layout and field order: the two candidate schemes side by side, in
// one program, on a real RunaTime heap (docs/types.md, "Object layout and
// field order", carries the decision and the figures).
//
//   bench_field_layout                          times every kernel (ns per unit)
//   bench_field_layout --count=<kernel>/<rounds> runs one kernel for callgrind
//
// bench/count_field_layout.sh counts instructions with callgrind (R and 2R
// rounds, the difference divided by R units), which unlike times on a shared
// machine do not vary from run to run.
//
// The schemes, for a struct hierarchy Base {x: Integer, next: Base} with four
// subtypes Sub_k {x, next, y: Integer, z: Base, w..: Integer} (8 fields):
//   words    every field is a value word in declaration order, inherited
//            fields first (docs/bytecode.md §2.6): field i is slot i in the
//            type and every subtype. The layout lists every field as a
//            reference slot; the collector skips immediates by their tag.
//            LOAD_FIELD i checks the receiver's field count (its "TypeError
//            if obj is not a struct with that many fields"), then loads.
//   offsets  the heap's order: reference fields first, raw words after, so
//            a field's slot depends on the type (x is slot 1 in Base, slot 2
//            in a Sub). LOAD_FIELD i goes through an inline cache of up to 4
//            (type, slot) entries, filled from a per-type table on a miss.
// Kernels (a unit is one LOAD_FIELD, or one object collected):
//   words_mono / offsets_mono   LOAD_FIELD x over 1024 objects of one Sub
//   words_poly / offsets_poly   the same over objects of the 4 Subs in turn
//   minor_words / minor_offsets a minor collection copying N live objects
//   major_words / major_offsets a major collection marking N old objects
#include <runatime/heap.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace rh = runa::heap;

constexpr std::uint32_t kFields = 8;  // x, next, y, z, and 4 more Integers
constexpr std::uint32_t kSubs = 4;
constexpr std::size_t kObjects = 1024;   // receivers of the field kernels
constexpr std::size_t kPerRound = 1000;  // objects a collection kernel adds per round

rh::Value imm(std::uint64_t n) {
  return (n << 3) | 1;  // an immediate: the tag bits are not 000
}

// What a tier keeps per LOAD_FIELD site under `offsets`.
struct FieldCache {
  std::array<std::uint32_t, 4> type{};
  std::array<std::uint32_t, 4> slot{};
  std::uint32_t used = 0;
};

struct Bench {
  enum class Scheme : std::uint8_t { kWords, kOffsets };

  explicit Bench(Scheme s) : scheme(s) {
    rh::Options o;
    o.nursery = std::size_t{64} << 20;
    o.max_heap = std::size_t{1} << 30;
    o.promotion_age = 1;
    o.gc_threads = 1;  // callgrind counts the collecting thread only
    heap = std::move(rh::Heap::create(o).value());
    m = &heap->attach();
    field_count.assign(1, 0);
    slot_of.assign(1, {});
    // Base: x, next.
    add_type(2, 1, {1, 0});
    // Sub_k: x, next, y, z, w1..w4 (refs: next, z).
    for (std::uint32_t k = 0; k < kSubs; ++k) add_type(kFields, 2, {2, 0, 3, 1, 4, 5, 6, 7});
  }
  ~Bench() { heap->detach(*m); }
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;
  Bench(Bench&&) = delete;
  Bench& operator=(Bench&&) = delete;

  // `offsets_slots[i]`: field i's slot under `offsets`.
  void add_type(std::uint32_t fields, std::uint32_t refs,
                std::vector<std::uint32_t> offsets_slots) {
    rh::Layout l;
    l.size = 8 + 8 * fields;
    l.refs = scheme == Scheme::kWords ? fields : refs;
    l.name = "struct";
    std::uint32_t t = heap->register_layout(l).value();
    if (field_count.size() <= t) {
      field_count.resize(t + 1);
      slot_of.resize(t + 1);
    }
    field_count[t] = fields;
    if (scheme == Scheme::kWords) {
      for (std::uint32_t i = 0; i < fields; ++i) offsets_slots[i] = i;
    }
    slot_of[t] = std::move(offsets_slots);
    types.push_back(t);
  }

  // A Sub_k object with x = id, next = the object in `next` (read after the
  // allocation, which may move it) or 0, z = 0, Integers elsewhere.
  rh::Object* new_sub(std::uint32_t k, std::uint64_t id, const rh::Handle* next) const {
    std::uint32_t t = types[1 + k];
    rh::Object* o = rh::allocate(*m, t, 8 + 8 * kFields);
    if (o == nullptr) std::abort();
    const std::vector<std::uint32_t>& s = slot_of[t];
    for (std::uint32_t i = 0; i < kFields; ++i) o->slots()[s[i]] = imm(id + i);
    // Initialising stores: nothing has collected since the allocation.
    o->slots()[s[1]] = next != nullptr ? next->value() : 0;
    o->slots()[s[3]] = 0;
    return o;
  }

  Scheme scheme;
  std::unique_ptr<rh::Heap> heap;
  rh::Mutator* m = nullptr;
  std::vector<std::uint32_t> types;                 // Base, Sub_0..Sub_3
  std::vector<std::uint32_t> field_count;           // by type index
  std::vector<std::vector<std::uint32_t>> slot_of;  // by type index: field -> slot
};

[[noreturn]] void type_error() {
  std::fputs("TypeError: no such field\n", stderr);
  std::abort();
}

// LOAD_FIELD `field` under `words`: the field count check, then slot `field`.
inline rh::Value load_words(const Bench& b, rh::Object* o, std::uint32_t field) {
  std::uint32_t t = rh::hdr::type_of(o->header);
  if (field >= b.field_count[t]) [[unlikely]]
    type_error();
  return o->slots()[field];
}

// The inline cache's miss: the per-type table, then a free entry if any.
[[gnu::noinline]] rh::Value load_offsets_miss(const Bench& b, rh::Object* o, std::uint32_t field,
                                              FieldCache& ic) {
  std::uint32_t t = rh::hdr::type_of(o->header);
  if (field >= b.field_count[t]) type_error();
  std::uint32_t slot = b.slot_of[t][field];
  if (ic.used < ic.type.size()) {
    ic.type[ic.used] = t;
    ic.slot[ic.used] = slot;
    ++ic.used;
  }
  return o->slots()[slot];
}

// LOAD_FIELD `field` under `offsets`: the inline cache's entries in turn.
inline rh::Value load_offsets(const Bench& b, rh::Object* o, std::uint32_t field, FieldCache& ic) {
  std::uint32_t t = rh::hdr::type_of(o->header);
  for (std::uint32_t k = 0; k < ic.used; ++k) {
    if (ic.type[k] == t) return o->slots()[ic.slot[k]];
  }
  return load_offsets_miss(b, o, field, ic);
}

// One pass of LOAD_FIELD x over the receivers, as an interpreter's loop
// would run it (the sum stands for what the next instructions do with it).
// Not inlined: callgrind counts this function.
[[gnu::noinline]] std::uint64_t field_round(const Bench& b, const std::vector<rh::Object*>& objs,
                                            FieldCache& ic) {
  std::uint64_t sum = 0;
  if (b.scheme == Bench::Scheme::kWords) {
    for (rh::Object* o : objs) sum += load_words(b, o, 0) >> 3;
  } else {
    for (rh::Object* o : objs) sum += load_offsets(b, o, 0, ic) >> 3;
  }
  return sum;
}

[[gnu::noinline]] void collect_round(Bench& b, bool major) {
  if (!b.heap->collect(*b.m, major)) std::abort();
}

// The receivers: one Sub (mono) or the four in turn (poly). The nursery
// (64 MiB) holds them many times over, so nothing collects while they are
// made and the raw pointers stay valid: the field kernels allocate nothing.
std::vector<rh::Object*> receivers(Bench& b, bool poly) {
  std::vector<rh::Object*> objs;
  for (std::size_t i = 0; i < kObjects; ++i) {
    objs.push_back(b.new_sub(poly ? static_cast<std::uint32_t>(i % kSubs) : 0, i, nullptr));
  }
  return objs;
}

// A chain of n live Subs ending in `head`: each holds its predecessor in
// `next`.
void live_chain(Bench& b, const rh::Handle& head, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    rh::Object* o = b.new_sub(static_cast<std::uint32_t>(i % kSubs), i, &head);
    head.set(rh::ref_value(o));
  }
}

struct Kernel {
  const char* name;
  Bench::Scheme scheme;
  int kind;  // 0 mono, 1 poly, 2 minor, 3 major
};

constexpr std::array<Kernel, 8> kKernels{{
    {"words_mono", Bench::Scheme::kWords, 0},
    {"offsets_mono", Bench::Scheme::kOffsets, 0},
    {"words_poly", Bench::Scheme::kWords, 1},
    {"offsets_poly", Bench::Scheme::kOffsets, 1},
    {"minor_words", Bench::Scheme::kWords, 2},
    {"minor_offsets", Bench::Scheme::kOffsets, 2},
    {"major_words", Bench::Scheme::kWords, 3},
    {"major_offsets", Bench::Scheme::kOffsets, 3},
}};

// Runs `k` for `rounds` rounds; returns the units done and the time of the
// counted part (field_round calls, or the one collect_round).
std::pair<std::uint64_t, double> run(const Kernel& k, std::size_t rounds) {
  Bench b(k.scheme);
  rh::HandleScope scope(*b.m);
  using Clock = std::chrono::steady_clock;
  if (k.kind <= 1) {
    std::vector<rh::Object*> objs = receivers(b, k.kind == 1);
    FieldCache ic;
    std::uint64_t sum = 0;
    auto start = Clock::now();
    for (std::size_t r = 0; r < rounds; ++r) sum += field_round(b, objs, ic);
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (sum == 0) std::abort();  // keeps the loads
    return {rounds * kObjects, ns};
  }
  rh::Handle head(*b.m, rh::Value{0});
  live_chain(b, head, rounds * kPerRound);
  // Promotes them (not counted): the major collection marks old objects.
  if (k.kind == 3 && !b.heap->collect(*b.m)) std::abort();
  auto start = Clock::now();
  collect_round(b, k.kind == 3);
  double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  return {rounds * kPerRound, ns};
}

int count(std::string_view spec) {
  auto slash = spec.find('/');
  if (slash == std::string_view::npos) return 2;
  std::string name(spec.substr(0, slash));
  char* end = nullptr;
  std::string rounds_text(spec.substr(slash + 1));
  unsigned long rounds = std::strtoul(rounds_text.c_str(), &end, 10);
  if (rounds_text.empty() || *end != '\0' || rounds == 0 || rounds > 10000) return 2;
  for (const Kernel& k : kKernels) {
    if (name == k.name) {
      run(k, rounds);
      return 0;
    }
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr std::string_view kCount = "--count=";
  if (argc == 2 && std::string_view(argv[1]).starts_with(kCount)) {
    int rc = count(std::string_view(argv[1]).substr(kCount.size()));
    if (rc != 0) {
      std::fprintf(stderr, "usage: %s --count=<kernel>/<rounds 1-10000>; kernels:", argv[0]);
      for (const Kernel& k : kKernels) std::fprintf(stderr, " %s", k.name);
      std::fputc('\n', stderr);
    }
    return rc;
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--count=<kernel>/<rounds>]\n", argv[0]);
    return 2;
  }
  std::printf("%-14s %12s  %s\n", "kernel", "ns/unit",
              "(unit: one LOAD_FIELD, or one object collected)");
  for (const Kernel& k : kKernels) {
    auto [units, ns] = run(k, k.kind <= 1 ? 2000 : 50);
    std::printf("%-14s %12.2f\n", k.name, ns / static_cast<double>(units));
  }
  return 0;
}
