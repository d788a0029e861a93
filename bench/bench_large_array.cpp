// A large reference array and the write barrier, counted rather than timed
// (docs/memory.md, "Large arrays"; bench/count_large_array.sh runs it under
// callgrind, whose instruction counts do not vary on a shared machine).
//
//   bench_large_array store/<kind>/<rounds>   rounds of store_round()
//   bench_large_array minor/<length>/<young>  one measured_minor()
//
// store/<kind>: 4096 stores per round through runa::heap::write into
//   array_young  elements 0..4095 of a 2^20-slot array (8 MiB, large: born
//                old), each store a young reference whose card is already
//                dirty (the steady state of filling an array)
//   array_old    the same elements, each store an old reference (what a
//                large array mostly receives once its contents are old)
//   object       one slot each of 4096 old 3-slot objects, young
//                references, objects already logged: the ordinary fast path
// minor/<length>/<young>: a `length`-slot array whose cards are clean, then
//   `young` elements spread evenly set to young objects, then one minor
//   collection (measured_minor); prints the remembered slots it read
//   (Stats::remembered_slots_scanned). young = 0 gives the collection's
//   fixed cost.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/heap.hpp"

using namespace runa::heap;

namespace {

constexpr std::size_t kStores = 4096;

struct Bench {
  std::unique_ptr<Heap> heap;
  Mutator* m = nullptr;
  std::uint32_t node = 0;
  std::uint32_t array = 0;

  Bench() {
    Options o;
    o.max_heap = std::size_t{256} << 20;
    heap = std::move(Heap::create(o).value());
    m = &heap->attach();
    Layout n;
    n.size = 32;
    n.refs = 3;
    n.name = "node";
    node = heap->register_layout(n).value();
    Layout a;
    a.kind = LayoutKind::kRefArray;
    a.name = "array";
    array = heap->register_layout(a).value();
  }
  ~Bench() { heap->detach(*m); }
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;
  Bench(Bench&&) = delete;
  Bench& operator=(Bench&&) = delete;

  Value* new_array(std::size_t length) {
    return heap->new_persistent(
        ref_value(allocate_array(*m, array, ref_array_bytes(length), length)));
  }
  Value* new_node() { return heap->new_persistent(ref_value(allocate(*m, node, 32))); }
  void collect(unsigned n) {
    for (unsigned i = 0; i < n; ++i) heap->collect(*m);
  }
};

// noinline: callgrind counts from this function's entry (--toggle-collect).
[[gnu::noinline]] void store_round(Mutator& m, Object* const* targets, Value* const* slots,
                                   Value v) {
  for (std::size_t i = 0; i < kStores; ++i) write(m, targets[i], slots[i], v);
}

[[gnu::noinline]] void measured_minor(Heap& h, Mutator& m) {
  h.collect(m);
}

int stores(std::string_view kind, long rounds) {
  Bench b;
  std::vector<Object*> targets(kStores);
  std::vector<Value*> slots(kStores);
  Value* old_ref = b.new_node();
  b.collect(4);  // promoted
  Value* young = b.new_node();
  if (kind == "object") {
    std::vector<Value*> objects;
    for (std::size_t i = 0; i < kStores; ++i) objects.push_back(b.new_node());
    b.collect(4);
    young = b.new_node();
    for (std::size_t i = 0; i < kStores; ++i) {
      targets[i] = as_object(*objects[i]);
      slots[i] = targets[i]->slots();
    }
  } else if (kind == "array_young" || kind == "array_old") {
    Object* a = as_object(*b.new_array(std::size_t{1} << 20));
    b.collect(1);  // its cards clean
    for (std::size_t i = 0; i < kStores; ++i) {
      targets[i] = a;
      slots[i] = array_slots(a) + i;
    }
  } else {
    return 2;
  }
  Value v = kind == "array_old" ? *old_ref : *young;
  store_round(*b.m, targets.data(), slots.data(), v);  // logs, dirties the cards
  for (long r = 0; r < rounds; ++r) store_round(*b.m, targets.data(), slots.data(), v);
  return 0;
}

int minor(std::size_t length, std::size_t young) {
  Bench b;
  Object* a = as_object(*b.new_array(length));
  b.collect(1);  // born remembered: the first collection reads it all
  for (std::size_t k = 0; k < young; ++k) {
    Value y = ref_value(allocate(*b.m, b.node, 32));
    set_slot(*b.m, a, 1 + (k * 2 + 1) * length / (2 * young), y);
  }
  std::uint64_t before = b.heap->stats().remembered_slots_scanned;
  measured_minor(*b.heap, *b.m);
  std::printf("remembered slots read: %llu\n",
              static_cast<unsigned long long>(b.heap->stats().remembered_slots_scanned - before));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view arg = argc == 2 ? argv[1] : "";
  auto slash = arg.find('/');
  auto last = arg.rfind('/');
  if (slash == std::string_view::npos || last == slash) {
    std::fprintf(stderr,
                 "usage: %s store/<array_young|array_old|object>/<rounds> | "
                 "minor/<length>/<young>\n",
                 argv[0]);
    return 2;
  }
  std::string what(arg.substr(0, slash));
  std::string mid(arg.substr(slash + 1, last - slash - 1));
  long n = std::strtol(std::string(arg.substr(last + 1)).c_str(), nullptr, 10);
  int rc = 2;
  if (what == "store") {
    rc = stores(mid, n);
  } else if (what == "minor") {
    rc = minor(std::strtoul(mid.c_str(), nullptr, 10), static_cast<std::size_t>(n));
  }
  if (rc == 2) std::fprintf(stderr, "%s: cannot read '%s'\n", argv[0], argv[1]);
  return rc;
}
