// A randomized mutator with a shadow model: it builds and mutates a graph of
// heap objects (nodes with 0-4 references, reference arrays, byte arrays,
// large arrays) from a registered root set, mirrors every change in a plain
// std::vector/map model, and checks that the heap graph reachable from the
// roots is exactly the model's: same ids, kinds, contents, edges and
// sharing (one id, one address).
//
// Every store into a heap object goes through the write barrier; objects
// are held across allocations only in the root set and handles. With
// set_major_every(n), every nth step also requests a major collection.
#pragma once

#include <cstring>
#include <random>
#include <unordered_map>
#include <vector>

#include "heap_fixture.hpp"

namespace runa::heap::testing {

struct Types {
  std::uint32_t node[5];
  std::uint32_t ref_array;
  std::uint32_t byte_array;

  explicit Types(const TestHeap& t) : ref_array(t.ref_array), byte_array(t.byte_array) {
    std::copy(std::begin(t.node), std::end(t.node), std::begin(node));
  }
};

class GraphModel {
 public:
  static constexpr std::size_t kRoots = 48;
  static constexpr std::uint64_t kImm = std::uint64_t{1} << 63;  // model edge: an immediate
  static constexpr std::size_t kLargeLength = 1100;              // 8816 bytes: large

  GraphModel(Heap& heap, Mutator& m, const Types& types, std::uint64_t seed, std::uint64_t id_base,
             std::size_t max_large = 20)
      : heap_(heap),
        m_(m),
        types_(types),
        rng_(seed),
        next_id_(id_base + 1),
        max_large_(max_large) {
    roots_.assign(kRoots, 0);
    model_roots_.assign(kRoots, 0);
    roots_id_ = heap_.add_roots(roots_.data(), roots_.size());
  }
  ~GraphModel() { heap_.remove_roots(roots_id_); }
  GraphModel(const GraphModel&) = delete;
  GraphModel& operator=(const GraphModel&) = delete;

  void set_major_every(std::size_t n) { major_every_ = n; }

  // One random operation. False if the heap ran out of memory.
  bool step() {
    if (major_every_ != 0 && ++steps_ % major_every_ == 0 && !heap_.collect(m_, true)) {
      return false;
    }
    std::size_t op = pick(100);
    if (op < 30) return allocate_into_root(pick(kRoots));
    if (op < 60) return store();
    if (op < 75) {
      load();
      return true;
    }
    if (op < 83) {
      std::size_t i = pick(kRoots);
      roots_[i] = 0;
      model_roots_[i] = 0;
      return true;
    }
    // Garbage, dead at once: fills eden.
    for (std::size_t i = pick(8) + 1; i > 0; --i) {
      if (allocate(pick(5), next_id_++) == nullptr) return false;
    }
    return true;
  }

  // Compares the heap graph with the model and forgets unreachable model
  // nodes. Reports mismatches as test failures; false after the first.
  bool check() {
    std::unordered_map<std::uint64_t, Object*> seen;
    std::vector<std::pair<Value, std::uint64_t>> work;
    for (std::size_t i = 0; i < kRoots; ++i) work.emplace_back(roots_[i], model_roots_[i]);
    while (!work.empty()) {
      auto [v, e] = work.back();
      work.pop_back();
      if (e == 0 || (e & kImm) != 0) {
        Value want = e == 0 ? 0 : imm(e & ~kImm);
        if (v != want)
          return fail("value " + std::to_string(v) + " where the model has " +
                      std::to_string(want));
        continue;
      }
      if (!is_ref(v))
        return fail("non-reference " + std::to_string(v) + " for object " + std::to_string(e));
      Object* o = as_object(v);
      auto [it, fresh] = seen.emplace(e, o);
      if (!fresh) {
        if (it->second != o) return fail("object " + std::to_string(e) + " at two addresses");
        continue;
      }
      const Node& n = nodes_.at(e);
      if (id_of(o, n.kind) != e)
        return fail("object " + std::to_string(e) + " has id " + std::to_string(id_of(o, n.kind)));
      if (n.kind == kBytes) {
        if (array_length(o) != n.length) return fail("byte array length");
        for (std::size_t i = 8; i < n.length; ++i) {
          if (array_bytes(o)[i] != static_cast<std::uint8_t>(e + i))
            return fail("byte array contents");
        }
        continue;
      }
      Value* s = slots(o, n.kind);
      if (n.kind == kArray && array_length(o) != n.edges.size() + 1) return fail("array length");
      for (std::size_t i = 0; i < n.edges.size(); ++i) work.emplace_back(s[i], n.edges[i]);
    }
    // Forget what the model can no longer reach.
    for (auto it = nodes_.begin(); it != nodes_.end();) {
      it = seen.count(it->first) != 0 ? std::next(it) : nodes_.erase(it);
    }
    live_ = seen.size();
    return true;
  }

  [[nodiscard]] std::size_t live() const { return live_; }
  [[nodiscard]] std::size_t large_made() const { return large_; }

 private:
  enum Kind : std::uint8_t { kNode0, kNode1, kNode2, kNode3, kNode4, kArray, kBytes };
  struct Node {
    Kind kind;
    std::size_t length = 0;            // byte arrays
    std::vector<std::uint64_t> edges;  // reference slots (arrays: after the id element)
  };

  std::size_t pick(std::size_t n) {
    last_pick_ = std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    return last_pick_;
  }

  bool fail(const std::string& what) {
    ADD_FAILURE() << "heap and model differ: " << what;
    return false;
  }

  static Value* slots(Object* o, Kind k) { return k == kArray ? array_slots(o) + 1 : o->slots(); }

  static std::uint64_t id_of(Object* o, Kind k) {
    if (k == kArray) return from_imm(array_slots(o)[0]);
    if (k == kBytes) {
      std::uint64_t id = 0;
      std::memcpy(&id, array_bytes(o), 8);
      return id;
    }
    return o->slots()[k];
  }

  // A new object of a random kind (kind < 5: a node with that many refs),
  // recorded in the model; nullptr when out of memory.
  Object* allocate(std::size_t kind, std::uint64_t id) {
    Node n{};
    Object* o = nullptr;
    std::size_t r = pick(100);
    if (kind < 5 && r < 70) {
      n.kind = static_cast<Kind>(kind);
      o = allocate_raw(types_.node[kind], 16 + 8 * kind);
      if (o != nullptr) o->slots()[kind] = id;
      n.edges.assign(kind, 0);
    } else if (r < 88 || (r < 99 && large_ >= max_large_)) {
      std::size_t len = pick(12) + 1;
      n.kind = kArray;
      o = allocate_array(m_, types_.ref_array, ref_array_bytes(len), len);
      if (o != nullptr) array_slots(o)[0] = imm(id);
      n.edges.assign(len - 1, 0);
    } else if (r < 99) {
      n.kind = kArray;
      ++large_;
      o = allocate_array(m_, types_.ref_array, ref_array_bytes(kLargeLength), kLargeLength);
      if (o != nullptr) array_slots(o)[0] = imm(id);
      n.edges.assign(kLargeLength - 1, 0);
    } else {
      n.kind = kBytes;
      n.length = pick(200) + 8;
      o = allocate_array(m_, types_.byte_array, byte_array_bytes(n.length), n.length);
      if (o != nullptr) {
        std::memcpy(array_bytes(o), &id, 8);
        for (std::size_t i = 8; i < n.length; ++i)
          array_bytes(o)[i] = static_cast<std::uint8_t>(id + i);
      }
    }
    if (o != nullptr) nodes_.emplace(id, std::move(n));
    return o;
  }

  Object* allocate_raw(std::uint32_t type, std::size_t bytes) {
    return heap::allocate(m_, type, bytes);
  }

  bool allocate_into_root(std::size_t i) {
    std::uint64_t id = next_id_++;
    Object* o = allocate(pick(5), id);
    if (o == nullptr) return false;
    roots_[i] = ref_value(o);
    model_roots_[i] = id;
    return true;
  }

  // Number of reference slots of the model node behind root i (0 if none).
  std::size_t ref_count(std::size_t i) {
    std::uint64_t e = model_roots_[i];
    if (e == 0 || (e & kImm) != 0) return 0;
    return nodes_.at(e).edges.size();
  }

  bool store() {
    std::size_t target = pick(kRoots);
    std::size_t n = ref_count(target);
    if (n == 0) return true;
    std::size_t slot = pick(n);
    Value v = 0;
    std::uint64_t e = 0;
    switch (pick(4)) {
      case 0:
        break;  // clear
      case 1: {
        std::size_t src = pick(kRoots);
        v = roots_[src];
        e = model_roots_[src];
        break;
      }
      case 2: {
        std::uint64_t k = pick(1000);
        v = imm(k);
        e = kImm | k;
        break;
      }
      default: {
        // A fresh object; it may collect, so hold it in a handle and reload
        // the target from its root afterwards.
        HandleScope scope(m_);
        e = next_id_++;
        Object* o = allocate(pick(5), e);
        if (o == nullptr) return false;
        Handle h(m_, o);
        v = h.value();
        Object* t = as_object(roots_[target]);
        write(m_, t, slots(t, nodes_.at(model_roots_[target]).kind) + slot, v);
        nodes_.at(model_roots_[target]).edges[slot] = e;
        return true;
      }
    }
    Object* t = as_object(roots_[target]);
    write(m_, t, slots(t, nodes_.at(model_roots_[target]).kind) + slot, v);
    nodes_.at(model_roots_[target]).edges[slot] = e;
    return true;
  }

  // roots[i] = roots[j].slot[k]: walks into the graph.
  void load() {
    std::size_t from = pick(kRoots);
    std::size_t n = ref_count(from);
    if (n == 0) return;
    std::size_t slot = pick(n);
    std::size_t to = pick(kRoots);
    Object* o = as_object(roots_[from]);
    const Node& node = nodes_.at(model_roots_[from]);
    roots_[to] = slots(o, node.kind)[slot];
    model_roots_[to] = node.edges[slot];
  }

  Heap& heap_;
  Mutator& m_;
  Types types_;
  std::mt19937_64 rng_;
  std::uint64_t next_id_;
  std::size_t max_large_;
  std::size_t large_ = 0;
  std::size_t major_every_ = 0;
  std::size_t steps_ = 0;
  std::size_t last_pick_ = 0;
  std::vector<Value> roots_;
  std::vector<std::uint64_t> model_roots_;
  std::uint64_t roots_id_ = 0;
  std::unordered_map<std::uint64_t, Node> nodes_;
  std::size_t live_ = 0;
};

}  // namespace runa::heap::testing
