// Card marking against RunaTime's object-logging write barrier, side by side in
// one program: what each costs the mutator per store, and what each costs a
// minor collection to find the old-to-young references (docs/memory.md, "The
// write barrier", carries the decision; bench/README-barrier.md the commands).
//
//   bench_barrier_cards [Google Benchmark flags]
//   bench_barrier_cards --count=<steady|first>/<barrier>/<rounds>
//
// The second form runs only store_round() below, for callgrind
// (bench/count_barrier_instructions.sh): instruction counts, unlike the times
// of a shared machine, do not vary from run to run.
//
// Mutator side: ns per store of a reference into an old object of a real
// RunaTime heap (3 slots, 32 bytes), with four barriers over the same objects:
//   plain       no barrier: the store alone
//   logging     runa::heap::write(), RunaTime's barrier: the store, then a test
//               of the header's unlogged bit (set: the logging slow path)
//   cards       HotSpot's card mark: after the store, cards[slot >> 9] = 0
//               (dirty), through a table base biased by the first card's index,
//               so the mark is one shift and one byte store
//   cond_cards  the same, but the card is read first and stored only when it
//               is not dirty yet (HotSpot's -XX:+UseCondCardMark)
// in three workloads:
//   mutator/steady/*       4096 objects in address order, every one already
//                          logged and every card already dirty
//   mutator/first/*        2^21 objects (64 MB) in random order, the first store
//                          into each since the last collection: before each
//                          round (untimed) a real minor collection sets the
//                          unlogged bits again (logging) or the card table is
//                          cleaned (cards), and the caches are flushed
//   mutator/two_threads/*  two threads, each with its own mutator, storing into
//                          the first 1024 objects of mutator/steady (32 KB: 64
//                          cards, 64 bytes of the table) taken in alternate
//                          256-byte runs: the threads share every card but no
//                          cache line of objects (false sharing of the table)
//
// Collector side: µs per minor collection to find the old-to-young references,
// for an old generation of 64 MB or 256 MB of 3-slot objects of which a fraction
// p in {0.1%, 1%, 10%} was stored into since the last collection (one young
// reference each), chosen
//   random     uniformly among the objects, stored into in random order
//   clustered  as whole cards (16 consecutive objects), cards in random order:
//              card marking's best case, no clean object on a dirty card
// Before each collection (untimed) the stores are made and the caches flushed,
// as a nursery's worth of allocation between two collections would.
//   collector/model/log/*    the buffer of logged objects, in store order: scan
//                            each object's slots, set its unlogged bit again
//   collector/model/cards/*  the card table, eight cards per compare; each dirty
//                            card is cleaned and its 16 objects' slots scanned
//   collector/real/log/*     a real minor collection of RunaTime's heap (256 MB
//                            of old objects, the 64 MB rows storing into the
//                            first 64 MB; random pattern only); p = 0% is its
//                            fixed cost (stop the world, roots, nursery flip)
// MODELLED: the model/* rows run on a synthetic old generation, one aligned
// allocation of back-to-back 32-byte objects with RunaTime's header, layout
// lookup and young test, the same code for both schemes. Left out for both: the
// copy of each young object found (the model's are all forwarded already: a
// header load). In favour of cards: fixed-size objects aligned to cards make a
// card's first object arithmetic (card * 16) and no object straddles two cards;
// an Immix heap would need a first-object table per card and walk straddlers.
// The model scans each logged object once, as RunaTime's collector does (it
// decides an object's remembered-set membership in the same pass); the
// real/* rows add copying the young objects reached and, with more than one
// collector worker, waking them.
//
// Times are CPU time: on a shared machine a thread's CPU time does not grow
// while it waits for a core. After Google Benchmark's table a summary gives,
// from the medians, ns per store per thread and µs per collection.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runatime/heap.hpp"

namespace {

namespace hdr = runa::heap::hdr;
using runa::heap::as_object;
using runa::heap::Heap;
using runa::heap::Mutator;
using runa::heap::Object;
using runa::heap::ref_value;
using runa::heap::Value;

constexpr std::size_t kMB = std::size_t{1} << 20;
constexpr std::size_t kSlots = 3;
constexpr std::size_t kObjectBytes = 8 + 8 * kSlots;
constexpr unsigned kCardShift = 9;  // 512-byte cards, as HotSpot's
constexpr std::size_t kCardBytes = std::size_t{1} << kCardShift;
constexpr std::size_t kObjectsPerCard = kCardBytes / kObjectBytes;
// HotSpot's encoding: marking stores a zero, and a clean word of eight cards is
// all ones, so the collector skips it with one compare.
constexpr std::uint8_t kDirty = 0;
constexpr std::uint8_t kClean = 0xff;
constexpr std::uint64_t kCleanWord = ~std::uint64_t{0};

constexpr std::size_t kSteadyObjects = 4096;
constexpr std::size_t kSharedObjects = 1024;                 // 32 KB: 64 cards
constexpr std::size_t kFirstObjects = std::size_t{1} << 21;  // 64 MB: twice the L3 here
constexpr std::size_t kBigObjects = 256 * kMB / kObjectBytes;
constexpr std::size_t kValues = 4096;      // distinct values stored (a power of two)
constexpr std::int64_t kCollections = 20;  // timed collections per repetition
constexpr std::size_t kFlushBytes = 64 * kMB;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bench_barrier_cards: %s\n", what);
  std::abort();
}

// ---- the barriers ---------------------------------------------------------------

enum class Barrier { kPlain, kLogging, kCards, kCondCards };
constexpr std::array<Barrier, 4> kBarriers{Barrier::kPlain, Barrier::kLogging, Barrier::kCards,
                                           Barrier::kCondCards};

const char* name_of(Barrier b) {
  switch (b) {
    case Barrier::kPlain:
      return "plain";
    case Barrier::kLogging:
      return "logging";
    case Barrier::kCards:
      return "cards";
    case Barrier::kCondCards:
      return "cond_cards";
  }
  return "?";
}

// A byte per 512-byte card of [lo, hi).
class CardTable {
 public:
  CardTable(std::uintptr_t lo, std::uintptr_t hi)
      : first_(lo >> kCardShift), cards_(((hi - 1) >> kCardShift) - first_ + 1, kClean) {}

  // The table's address minus the first card's index: the barrier indexes it
  // with the slot's address shifted, as compiled code would with a constant.
  [[nodiscard]] std::uintptr_t biased() const {
    return reinterpret_cast<std::uintptr_t>(cards_.data()) - first_;
  }
  void clean() { std::fill(cards_.begin(), cards_.end(), kClean); }

 private:
  std::uintptr_t first_;
  std::vector<std::uint8_t> cards_;
};

template <Barrier kB>
inline void store([[maybe_unused]] Mutator& m, [[maybe_unused]] std::uintptr_t cards, Object* o,
                  Value* slot, Value v) {
  if constexpr (kB == Barrier::kLogging) {
    runa::heap::write(m, o, slot, v);
  } else {
    // The same relaxed store as write()'s: a plain mov.
    std::atomic_ref<Value>(*slot).store(v, std::memory_order_relaxed);
    if constexpr (kB != Barrier::kPlain) {
      // Atomic only so that two threads marking one card is not a data race
      // in C++ terms: it compiles to a plain byte load and store.
      std::atomic_ref<std::uint8_t> card(*reinterpret_cast<std::uint8_t*>(
          cards + (reinterpret_cast<std::uintptr_t>(slot) >> kCardShift)));
      if constexpr (kB == Barrier::kCondCards) {
        if (card.load(std::memory_order_relaxed) == kDirty) return;
      }
      card.store(kDirty, std::memory_order_relaxed);
    }
  }
}

// One store into each of objs[0..n), in that order, into slot (i + round) & 1,
// of a value that changes with the round so that no store repeats the last
// one. Not inlined: every benchmark times this very code, and callgrind counts
// its instructions by name.
template <Barrier kB>
[[gnu::noinline]] void store_round(Mutator& m, std::uintptr_t cards, Object* const* objs,
                                   std::size_t n, const Value* values, std::size_t round) {
  for (std::size_t i = 0; i < n; ++i) {
    Object* o = objs[i];
    store<kB>(m, cards, o, o->slots() + ((i + round) & 1), values[(i + round) & (kValues - 1)]);
  }
}

using RoundFn = void (*)(Mutator&, std::uintptr_t, Object* const*, std::size_t, const Value*,
                         std::size_t);

RoundFn round_fn(Barrier b) {
  switch (b) {
    case Barrier::kPlain:
      return &store_round<Barrier::kPlain>;
    case Barrier::kLogging:
      return &store_round<Barrier::kLogging>;
    case Barrier::kCards:
      return &store_round<Barrier::kCards>;
    case Barrier::kCondCards:
      return &store_round<Barrier::kCondCards>;
  }
  return nullptr;
}

// ---- a real heap --------------------------------------------------------------------

// A RunaTime heap holding n old objects of three slots, reachable from
// reference arrays in the large-object space: those never move, and a minor
// collection scans them only when they are stored into, so the roots cost
// nothing. Raw pointers to the objects stay valid: minor collections move only
// young objects, and a major collection runs only on request
// (major_growth_percent = 0), which nothing here makes.
class RealHeap {
 public:
  explicit RealHeap(std::size_t n) {
    runa::heap::Options o;
    o.nursery = 64 * kMB;
    o.promotion_age = 1;  // every survivor of a minor collection is promoted
    o.max_heap = std::size_t{1} << 30;
    o.major_growth_percent = 0;
    auto h = Heap::create(o);
    if (!h.ok()) die(h.error().describe().c_str());
    heap = std::move(h.value());
    m = &heap->attach();

    runa::heap::Layout node;
    node.size = kObjectBytes;
    node.refs = kSlots;
    node.name = "node";
    const std::uint32_t node_type = heap->register_layout(node).value();
    runa::heap::Layout refs;
    refs.kind = runa::heap::LayoutKind::kRefArray;
    refs.name = "refs";
    const std::uint32_t refs_type = heap->register_layout(refs).value();

    constexpr std::size_t kPerArray = std::size_t{1} << 20;
    arrays_.assign((n + kPerArray - 1) / kPerArray, 0);
    roots_ = heap->add_roots(arrays_.data(), arrays_.size());
    for (std::size_t a = 0; a < arrays_.size(); ++a) {
      const std::size_t len = std::min(kPerArray, n - a * kPerArray);
      Object* array =
          runa::heap::allocate_array(*m, refs_type, runa::heap::ref_array_bytes(len), len);
      if (array == nullptr) die("out of memory building the heap");
      arrays_[a] = ref_value(array);
      for (std::size_t i = 0; i < len; ++i) {
        Object* obj = runa::heap::allocate(*m, node_type, kObjectBytes);
        if (obj == nullptr) die("out of memory building the heap");
        array = as_object(arrays_[a]);
        runa::heap::write(*m, array, runa::heap::array_slots(array) + i, ref_value(obj));
      }
    }
    heap->collect(*m);  // promotes the objects still young

    objects.reserve(n);
    for (Value a : arrays_) {
      Object* array = as_object(a);
      for (std::size_t i = 0; i < runa::heap::array_length(array); ++i) {
        objects.push_back(as_object(runa::heap::array_slots(array)[i]));
      }
    }
    std::sort(objects.begin(), objects.end());
    for (std::size_t i = 0; i < kValues; ++i) values.push_back(ref_value(objects[i % n]));
    cards = std::make_unique<CardTable>(
        reinterpret_cast<std::uintptr_t>(objects.front()),
        reinterpret_cast<std::uintptr_t>(objects.back()) + kObjectBytes);
  }
  ~RealHeap() {
    heap->remove_roots(roots_);
    heap->detach(*m);
  }
  RealHeap(const RealHeap&) = delete;
  RealHeap& operator=(const RealHeap&) = delete;
  RealHeap(RealHeap&&) = delete;
  RealHeap& operator=(RealHeap&&) = delete;

  std::unique_ptr<Heap> heap;
  Mutator* m = nullptr;
  std::vector<Object*> objects;      // in address order
  std::vector<Value> values;         // references to old objects, for the stores
  std::unique_ptr<CardTable> cards;  // over `objects`

 private:
  std::vector<Value> arrays_;  // a registered root set
  std::uint64_t roots_ = 0;
};

RealHeap& small_heap() {
  static RealHeap h(kSteadyObjects);
  return h;
}

RealHeap& big_heap() {
  static RealHeap h(kBigObjects);
  return h;
}

// Reads twice this machine's 32 MB L3: afterwards no level of the cache holds
// the heap, as after the allocation of a nursery's worth of objects.
void flush_caches() {
  static const std::vector<std::uint64_t> junk(kFlushBytes / 8, 1);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < junk.size(); i += 8) sum += junk[i];
  benchmark::DoNotOptimize(sum);
}

// ---- mutator benchmarks -----------------------------------------------------------

void set_stores(benchmark::State& state, std::size_t n) {
  // Per thread: the summary divides one thread's time per round by it.
  state.counters["stores"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kAvgThreads);
}

void steady(benchmark::State& state, Barrier b) {
  RealHeap& h = small_heap();
  const RoundFn run_round = round_fn(b);
  const std::uintptr_t cards = h.cards->biased();
  std::size_t r = 0;
  run_round(*h.m, cards, h.objects.data(), h.objects.size(), h.values.data(), r);  // logs, dirties
  for (auto _ : state)
    run_round(*h.m, cards, h.objects.data(), h.objects.size(), h.values.data(), ++r);
  set_stores(state, h.objects.size());
}

void two_threads(benchmark::State& state, Barrier b) {
  RealHeap& h = small_heap();
  Mutator& m = h.heap->attach();
  std::vector<Object*> mine;
  for (std::size_t i = 0; i < kSharedObjects; ++i) {
    Object* o = h.objects[i];
    const auto run = static_cast<int>((reinterpret_cast<std::uintptr_t>(o) >> 8) & 1);
    if (run == state.thread_index()) mine.push_back(o);
  }
  const RoundFn run_round = round_fn(b);
  const std::uintptr_t cards = h.cards->biased();
  std::size_t r = 0;
  run_round(m, cards, mine.data(), mine.size(), h.values.data(), r);
  for (auto _ : state) run_round(m, cards, mine.data(), mine.size(), h.values.data(), ++r);
  set_stores(state, mine.size());
  h.heap->detach(m);
}

void first_store(benchmark::State& state, Barrier b) {
  RealHeap& h = big_heap();
  static const std::vector<Object*> shuffled = [&] {
    std::vector<Object*> v(h.objects.begin(),
                           h.objects.begin() + static_cast<std::ptrdiff_t>(kFirstObjects));
    std::shuffle(v.begin(), v.end(), std::mt19937_64(1));
    return v;
  }();
  const RoundFn run_round = round_fn(b);
  const std::uintptr_t cards = h.cards->biased();
  std::size_t r = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (b == Barrier::kLogging) h.heap->collect(*h.m);
    if (b == Barrier::kCards || b == Barrier::kCondCards) h.cards->clean();
    flush_caches();
    state.ResumeTiming();
    run_round(*h.m, cards, shuffled.data(), shuffled.size(), h.values.data(), ++r);
  }
  set_stores(state, shuffled.size());
}

// ---- collector benchmarks ------------------------------------------------------------

enum class Scheme { kLog, kCards };
enum class Pattern { kRandom, kClustered };

struct Fraction {
  double p;
  const char* label;
};
constexpr std::array<Fraction, 3> kFractions{{{0.001, "0.1%"}, {0.01, "1%"}, {0.1, "10%"}}};
constexpr std::array<std::size_t, 2> kOldMB{64, 256};

// Indices of the objects stored into between two collections, in store order.
std::vector<std::uint32_t> choose(std::size_t objects, double p, Pattern pattern) {
  const std::size_t units = pattern == Pattern::kRandom ? objects : objects / kObjectsPerCard;
  const auto k = static_cast<std::size_t>(std::llround(static_cast<double>(units) * p));
  std::vector<std::uint32_t> pick(units);
  std::iota(pick.begin(), pick.end(), 0U);
  std::mt19937_64 rng(2);
  for (std::size_t i = 0; i < k; ++i) {  // the first k steps of a Fisher-Yates shuffle
    std::swap(pick[i], pick[std::uniform_int_distribution<std::size_t>(i, units - 1)(rng)]);
  }
  pick.resize(k);
  if (pattern == Pattern::kRandom) return pick;
  std::vector<std::uint32_t> out;
  out.reserve(k * kObjectsPerCard);
  for (std::uint32_t card : pick) {
    for (std::size_t j = 0; j < kObjectsPerCard; ++j) {
      out.push_back(static_cast<std::uint32_t>(card * kObjectsPerCard + j));
    }
  }
  return out;
}

// The synthetic old generation: 256 MB of 32-byte objects back to back from a
// card-aligned base (a smaller old generation is a prefix), each slot pointing
// at another old object; a card table over it; the buffer of logged objects;
// and a model nursery whose objects were all copied already (their headers
// are forwarding words to old objects).
class OldGenModel {
 public:
  OldGenModel()
      : base_(static_cast<std::uint8_t*>(std::aligned_alloc(kCardBytes, kBytes))),
        cards_(kBytes / kCardBytes, kClean),
        young_(kYoungObjects * (1 + kSlots)) {
    if (base_ == nullptr) die("out of memory for the old generation model");
    constexpr std::size_t kObjects = kBytes / kObjectBytes;
    std::mt19937_64 rng(3);
    for (std::size_t i = 0; i < kObjects; ++i) {
      Object* o = object(i);
      o->header = hdr::make(kType) | hdr::kUnlogged;
      for (std::size_t s = 0; s < kSlots; ++s) o->slots()[s] = ref_value(object(rng() % kObjects));
    }
    for (std::size_t j = 0; j < kYoungObjects; ++j) {
      young_[j * (1 + kSlots)] = ref_value(object(j)) | hdr::kForwarded;
    }
  }
  ~OldGenModel() { std::free(base_); }
  OldGenModel(const OldGenModel&) = delete;
  OldGenModel& operator=(const OldGenModel&) = delete;
  OldGenModel(OldGenModel&&) = delete;
  OldGenModel& operator=(OldGenModel&&) = delete;

  // The mutator between two collections: a young reference into each
  // modified object, remembered as the scheme's barrier would (untimed).
  void mutate(const std::vector<std::uint32_t>& modified, Scheme s) {
    for (std::size_t k = 0; k < modified.size(); ++k) {
      Object* o = object(modified[k]);
      o->slots()[k % kSlots] = ref_value(young(k % kYoungObjects));
      if (s == Scheme::kCards) {
        cards_[modified[k] / kObjectsPerCard] = kDirty;
      } else if ((o->header & hdr::kUnlogged) != 0) {
        o->header &= ~hdr::kUnlogged;
        log_.push_back(o);
      }
    }
  }

  // The remembered-set part of a minor collection, logging: every logged
  // object once. The model promotes every young object it finds, so no
  // old-to-young reference is left and every object gets its bit back.
  // Returns the objects scanned.
  std::size_t scan_log() {
    for (Object* o : log_) {
      scan(o);
      o->header |= hdr::kUnlogged;
    }
    const std::size_t n = log_.size();
    log_.clear();
    return n;
  }

  // The same with cards, over the first `objects` objects: every card of the
  // table is looked at; a dirty one is cleaned and all its objects scanned.
  std::size_t scan_cards(std::size_t objects) {
    std::size_t scanned = 0;
    const std::size_t n = objects / kObjectsPerCard;  // a multiple of 8
    for (std::size_t c = 0; c < n; c += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, cards_.data() + c, sizeof word);
      if (word == kCleanWord) continue;
      for (std::size_t k = c; k < c + 8; ++k) {
        if (cards_[k] != kDirty) continue;
        cards_[k] = kClean;
        for (std::size_t j = 0; j < kObjectsPerCard; ++j) scan(object(k * kObjectsPerCard + j));
        scanned += kObjectsPerCard;
      }
    }
    return scanned;
  }

  // Old-to-young references found since the last call.
  std::size_t take_edges() { return std::exchange(edges_, 0); }

  static constexpr std::size_t kBytes = 256 * kMB;

 private:
  static constexpr std::uint32_t kType = 1;
  static constexpr std::size_t kYoungObjects = 4096;
  // The layouts, by type index: the reference slots of each.
  static constexpr std::array<std::uint32_t, 2> kRefsOfType{0, kSlots};

  Object* object(std::size_t i) { return reinterpret_cast<Object*>(base_ + i * kObjectBytes); }
  Object* young(std::size_t j) { return reinterpret_cast<Object*>(&young_[j * (1 + kSlots)]); }

  // RunaTime's young test: a reference into the nursery's address range.
  [[nodiscard]] bool is_young(Value v) const {
    return runa::heap::is_ref(v) &&
           v - reinterpret_cast<std::uintptr_t>(young_.data()) < young_.size() * sizeof(Value);
  }

  // One object's slots as a minor collection visits them: the layout from the
  // header's type, then each young reference replaced by the new address.
  void scan(Object* o) {
    const std::uint32_t refs = kRefsOfType[hdr::type_of(o->header)];
    Value* s = o->slots();
    for (std::uint32_t i = 0; i < refs; ++i) {
      if (is_young(s[i])) {
        s[i] = as_object(s[i])->header & ~hdr::kForwarded;
        ++edges_;
      }
    }
  }

  std::uint8_t* base_;
  std::vector<std::uint8_t> cards_;
  std::vector<Value> young_;
  std::vector<Object*> log_;
  std::size_t edges_ = 0;
};

OldGenModel& model() {
  static OldGenModel g;
  return g;
}

void model_collection(benchmark::State& state, Scheme s, std::size_t mb, double p,
                      Pattern pattern) {
  OldGenModel& g = model();
  const std::size_t objects = mb * kMB / kObjectBytes;
  const std::vector<std::uint32_t> modified = choose(objects, p, pattern);
  std::size_t scanned = 0;
  g.take_edges();
  for (auto _ : state) {
    state.PauseTiming();
    g.mutate(modified, s);
    flush_caches();
    state.ResumeTiming();
    scanned += s == Scheme::kLog ? g.scan_log() : g.scan_cards(objects);
  }
  // Both schemes must find every reference stored, each once.
  if (g.take_edges() != modified.size() * static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("old-to-young references missed or found twice");
  }
  state.counters["modified"] = static_cast<double>(modified.size());
  state.counters["scanned"] =
      benchmark::Counter(static_cast<double>(scanned), benchmark::Counter::kAvgIterations);
}

void real_collection(benchmark::State& state, std::size_t mb, double p) {
  RealHeap& h = big_heap();
  const std::vector<std::uint32_t> modified = choose(mb * kMB / kObjectBytes, p, Pattern::kRandom);
  const std::uint64_t majors = h.heap->stats().major_collections;
  h.heap->collect(*h.m);  // nothing logged before the first timed collection
  for (auto _ : state) {
    state.PauseTiming();
    for (std::size_t k = 0; k < modified.size(); ++k) {
      runa::heap::set_slot(*h.m, h.objects[modified[k]], k % kSlots, h.values[k & (kValues - 1)]);
    }
    flush_caches();
    state.ResumeTiming();
    h.heap->collect(*h.m);
  }
  if (h.heap->stats().major_collections != majors) {
    state.SkipWithError("a major collection ran: objects may have moved");
  }
  state.counters["modified"] = static_cast<double>(modified.size());
}

// ---- names and the summary --------------------------------------------------------

std::string mutator_name(const char* workload, Barrier b) {
  return std::string("mutator/") + workload + "/" + name_of(b);
}

std::string collector_name(const char* kind, std::size_t mb, Pattern pattern, const char* p) {
  return std::string("collector/") + kind + "/" + std::to_string(mb) + "MB/" +
         (pattern == Pattern::kRandom ? "random" : "clustered") + "/p=" + p;
}

double ns_per(benchmark::TimeUnit u) {
  switch (u) {
    case benchmark::kNanosecond:
      return 1;
    case benchmark::kMicrosecond:
      return 1e3;
    case benchmark::kMillisecond:
      return 1e6;
    case benchmark::kSecond:
      return 1e9;
  }
  return 1;
}

// Keeps each benchmark's median (or only run) for the tables printed at the end.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      Result& out = results_[r.run_name.function_name];
      // CPU time: on a shared machine a thread's CPU time does not grow while
      // it waits for a core. (With threads, iterations and CPU time are both
      // summed over the threads: this is one thread's time per round.)
      out.ns = r.GetAdjustedCPUTime() * ns_per(r.time_unit);
      for (const auto& [name, c] : r.counters) out.counters[name] = c.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void print_summary() const {
    std::printf("\nMutator: ns per store (per thread), medians\n");
    std::printf("  %-12s", "workload");
    for (Barrier b : kBarriers) std::printf(" %10s", name_of(b));
    std::printf("\n");
    for (const char* w : {"steady", "first", "two_threads"}) {
      std::printf("  %-12s", w);
      for (Barrier b : kBarriers) {
        const Result* r = find(mutator_name(w, b));
        if (r == nullptr) {
          std::printf(" %10s", "-");
        } else {
          std::printf(" %10.3f", r->ns / r->counters.at("stores"));
        }
      }
      std::printf("\n");
    }

    std::printf(
        "\nCollector: us per minor collection to find old-to-young references, medians\n"
        "  model: synthetic old generation (fixed-size objects, card = 16 objects);\n"
        "  real: RunaTime's minor collection minus its fixed cost (p = 0%%)\n");
    std::printf("  %-7s %-9s %-5s %9s %10s %10s %9s %13s %10s\n", "old gen", "pattern", "p",
                "modified", "log", "cards", "cards/log", "cards scanned", "real log");
    for (std::size_t mb : kOldMB) {
      const Result* fixed = find(collector_name("real/log", mb, Pattern::kRandom, "0%"));
      for (Pattern pattern : {Pattern::kRandom, Pattern::kClustered}) {
        for (const Fraction& f : kFractions) {
          const Result* logged = find(collector_name("model/log", mb, pattern, f.label));
          const Result* cards = find(collector_name("model/cards", mb, pattern, f.label));
          if (logged == nullptr || cards == nullptr) continue;
          std::printf("  %4zu MB %-9s %-5s %9.0f %10.1f %10.1f %9.2f %13.0f", mb,
                      pattern == Pattern::kRandom ? "random" : "clustered", f.label,
                      logged->counters.at("modified"), logged->ns / 1e3, cards->ns / 1e3,
                      cards->ns / logged->ns, cards->counters.at("scanned"));
          const Result* real = find(collector_name("real/log", mb, pattern, f.label));
          if (real != nullptr && fixed != nullptr) {
            std::printf(" %10.1f", (real->ns - fixed->ns) / 1e3);
          }
          std::printf("\n");
        }
      }
      if (fixed != nullptr) {
        std::printf("  %4zu MB real minor collection at p = 0%%: %.1f us\n", mb, fixed->ns / 1e3);
      }
    }
  }

 private:
  struct Result {
    double ns = 0;  // CPU time per iteration of one thread
    std::map<std::string, double> counters;
  };
  [[nodiscard]] const Result* find(const std::string& name) const {
    auto it = results_.find(name);
    return it == results_.end() ? nullptr : &it->second;
  }
  std::map<std::string, Result> results_;
};

void register_benchmarks() {
  for (Barrier b : kBarriers) {
    benchmark::RegisterBenchmark(mutator_name("steady", b).c_str(), steady, b);
  }
  for (Barrier b : kBarriers) {
    benchmark::RegisterBenchmark(mutator_name("two_threads", b).c_str(), two_threads, b)
        ->Threads(2);
  }
  for (Barrier b : kBarriers) {
    benchmark::RegisterBenchmark(mutator_name("first", b).c_str(), first_store, b)
        ->Unit(benchmark::kMicrosecond);
  }
  for (std::size_t mb : kOldMB) {
    benchmark::RegisterBenchmark(collector_name("real/log", mb, Pattern::kRandom, "0%").c_str(),
                                 real_collection, mb, 0.0)
        ->Iterations(kCollections)
        ->Unit(benchmark::kMicrosecond);
    for (const Fraction& f : kFractions) {
      benchmark::RegisterBenchmark(
          collector_name("real/log", mb, Pattern::kRandom, f.label).c_str(), real_collection, mb,
          f.p)
          ->Iterations(kCollections)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  for (std::size_t mb : kOldMB) {
    for (Pattern pattern : {Pattern::kRandom, Pattern::kClustered}) {
      for (const Fraction& f : kFractions) {
        for (Scheme s : {Scheme::kLog, Scheme::kCards}) {
          const char* kind = s == Scheme::kLog ? "model/log" : "model/cards";
          benchmark::RegisterBenchmark(collector_name(kind, mb, pattern, f.label).c_str(),
                                       model_collection, s, mb, f.p, pattern)
              ->Iterations(kCollections)
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
}

// --count=<steady|first>/<barrier>/<rounds>: that many rounds of store_round
// over the 4096 objects of mutator/steady (for "first", each after a minor
// collection or a clean card table), nothing else timed or measured.
int count_rounds(std::string_view spec) {
  const std::size_t slash = spec.find('/');
  const std::size_t last = spec.rfind('/');
  if (slash == std::string_view::npos || last == slash) return 2;
  const std::string_view workload = spec.substr(0, slash);
  const std::string_view barrier = spec.substr(slash + 1, last - slash - 1);
  const std::size_t rounds = std::strtoull(std::string(spec.substr(last + 1)).c_str(), nullptr, 10);
  const auto b = std::find_if(kBarriers.begin(), kBarriers.end(),
                              [&](Barrier k) { return barrier == name_of(k); });
  if ((workload != "steady" && workload != "first") || b == kBarriers.end() || rounds == 0)
    return 2;

  RealHeap& h = small_heap();
  const RoundFn run_round = round_fn(*b);
  for (std::size_t r = 0; r < rounds; ++r) {
    if (workload == "first") {
      if (*b == Barrier::kLogging) {
        h.heap->collect(*h.m);
      } else {
        h.cards->clean();
      }
    }
    run_round(*h.m, h.cards->biased(), h.objects.data(), h.objects.size(), h.values.data(), r);
  }
  std::printf("%zu rounds of %zu stores\n", rounds, h.objects.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr std::string_view kCount = "--count=";
  if (argc == 2 && std::string_view(argv[1]).starts_with(kCount)) {
    const int rc = count_rounds(std::string_view(argv[1]).substr(kCount.size()));
    if (rc != 0) {
      std::fprintf(stderr, "usage: %s --count=<steady|first>/<%s|%s|%s|%s>/<rounds>\n", argv[0],
                   name_of(kBarriers[0]), name_of(kBarriers[1]), name_of(kBarriers[2]),
                   name_of(kBarriers[3]));
    }
    return rc;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_benchmarks();
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary();
  benchmark::Shutdown();
  return 0;
}
