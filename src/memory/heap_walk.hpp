// Walking the reachable heap with the world stopped, for the heap's
// observers (heap snapshots, leak reports): a side bitmap of marks with
// prefix counts that rank objects in address order, each object's typed
// references, and the roots by category.
//
// Marks: one bit per 8-byte granule of the heap's reservation, in
// anonymous memory the kernel commits page by page as it is touched (a
// bitmap over a 16 GiB reservation costs only the pages of granules where
// objects are); rank(o) is the number of marked objects below o, a prefix
// count per bitmap word plus one popcount, so objects numbered in address
// order need no table. Nothing in the heap itself is written: headers,
// mark bits and forwarding words stay the collectors'.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <string>
#include <vector>

#include "memory/heap.hpp"
#include "memory/mutators.hpp"
#include "services/heapsnapshot.hpp"

namespace runa::heap::walk {

// std::popcount without the popcnt instruction (baseline x86-64) is a
// call into libgcc; this is the same count inline, a dozen instructions.
inline std::uint64_t popcount64(std::uint64_t x) {
#if defined(__POPCNT__) || !defined(__x86_64__)
  return static_cast<std::uint64_t>(std::popcount(x));
#else
  x -= (x >> 1) & 0x5555555555555555;
  x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f;
  return (x * 0x0101010101010101) >> 56;
#endif
}

class SideMap {
 public:
  explicit SideMap(std::size_t bytes) : bytes_(bytes) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    words_ = p == MAP_FAILED ? nullptr : static_cast<std::uint64_t*>(p);
    // Huge pages where the kernel has them (transparent huge pages in
    // "madvise" mode): every first touch of a page is a fault, tens of
    // microseconds each on a virtual machine, and the 4 KiB pages of a
    // snapshot's bitmap and prefix counts cost it 0.05 to 0.15 s for a
    // GiB (its rank pass alone, 4 ms with huge pages). 2 MiB of bitmap
    // covers 1 GiB of heap.
    if (words_ != nullptr) madvise(p, bytes_, MADV_HUGEPAGE);
  }
  ~SideMap() {
    if (words_ != nullptr) munmap(words_, bytes_);
  }
  SideMap(const SideMap&) = delete;
  SideMap& operator=(const SideMap&) = delete;
  SideMap(SideMap&&) = delete;
  SideMap& operator=(SideMap&&) = delete;

  [[nodiscard]] std::uint64_t* words() const { return words_; }

 private:
  std::size_t bytes_;
  std::uint64_t* words_;
};

class Marks {
 public:
  explicit Marks(const Region& r)
      : base_(r.base()), words_(r.size() / 512 + 1), bits_(words_ * 8), prefix_(words_ * 8) {}

  [[nodiscard]] bool ok() const { return bits_.words() != nullptr && prefix_.words() != nullptr; }
  // Whether o (any address) is a marked object's start.
  [[nodiscard]] bool marked(const Object* o) const {
    auto offset = reinterpret_cast<std::uintptr_t>(o) - reinterpret_cast<std::uintptr_t>(base_);
    if (offset % 8 != 0 || offset / 512 >= words_) return false;
    std::size_t g = offset / 8;
    return (bits_.words()[g / 64] & (std::uint64_t{1} << (g % 64))) != 0;
  }
  // False when o was marked already.
  bool mark(const Object* o) {
    std::size_t g = granule(o);
    std::uint64_t& w = bits_.words()[g / 64];
    std::uint64_t bit = std::uint64_t{1} << (g % 64);
    if ((w & bit) != 0) return false;
    w |= bit;
    lo_ = std::min(lo_, g / 64);
    hi_ = std::max(hi_, g / 64 + 1);
    ++count_;
    return true;
  }
  // Several threads at once (a parallel walk): marks o with an atomic or;
  // false when it was marked already. The bounds and the count are the
  // callers', who give them back with add_marked() when they are done.
  bool mark_shared(const Object* o) {
    std::size_t g = granule(o);
    std::atomic_ref<std::uint64_t> w(bits_.words()[g / 64]);
    std::uint64_t bit = std::uint64_t{1} << (g % 64);
    if ((w.load(std::memory_order_relaxed) & bit) != 0) return false;
    return (w.fetch_or(bit, std::memory_order_relaxed) & bit) == 0;
  }
  [[nodiscard]] std::size_t word_of(const Object* o) const { return granule(o) / 64; }
  // What one thread marked with mark_shared(): `count` objects, all in
  // bitmap words [lo, hi).
  void add_marked(std::size_t lo, std::size_t hi, std::uint64_t count) {
    if (count == 0) return;
    lo_ = std::min(lo_, lo);
    hi_ = std::max(hi_, hi);
    count_ += count;
  }
  void rank_all() {
    std::uint64_t n = 0;
    for (std::size_t w = lo_; w < hi_; ++w) {
      prefix_.words()[w] = n;
      n += popcount64(bits_.words()[w]);
    }
  }
  // Marked objects below o (o itself marked).
  [[nodiscard]] std::uint64_t rank(const Object* o) const {
    std::size_t g = granule(o);
    std::uint64_t below = bits_.words()[g / 64] & ((std::uint64_t{1} << (g % 64)) - 1);
    return prefix_.words()[g / 64] + popcount64(below);
  }
  template <class Fn>
  void for_each(Fn&& fn) const {
    for_each(lo_, hi_, fn);
  }
  // The marked objects of bitmap words [from, to), in address order.
  template <class Fn>
  void for_each(std::size_t from, std::size_t to, Fn&& fn) const {
    for (std::size_t w = from; w < to; ++w) {
      for (std::uint64_t bits = bits_.words()[w]; bits != 0; bits &= bits - 1) {
        std::size_t g = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        fn(reinterpret_cast<Object*>(base_ + g * 8));
      }
    }
  }
  [[nodiscard]] std::uint64_t count() const { return count_; }
  // The bitmap words holding marks: [first_word(), end_word()).
  [[nodiscard]] std::size_t first_word() const { return hi_ > lo_ ? lo_ : 0; }
  [[nodiscard]] std::size_t end_word() const { return hi_; }
  // Bytes of side memory the marks touched.
  [[nodiscard]] std::uint64_t touched() const {
    return hi_ > lo_ ? static_cast<std::uint64_t>(hi_ - lo_) * 16 : 0;  // two words each
  }

 private:
  [[nodiscard]] std::size_t granule(const Object* o) const {
    return static_cast<std::size_t>(reinterpret_cast<const std::uint8_t*>(o) - base_) / 8;
  }

  std::uint8_t* base_;
  std::size_t words_;
  SideMap bits_;
  SideMap prefix_;
  std::size_t lo_ = ~std::size_t{0}, hi_ = 0;
  std::uint64_t count_ = 0;
};

// One outgoing reference of an object, typed as the snapshot format types
// it: elements of arrays and tails by index, fixed fields by their index
// (or an ephemeron's "key" and "value"), weak slots as weak edges.
struct Ref {
  services::SnapEdge type;
  std::uint64_t index;  // element index, or field index
  const char* name;     // a fixed name, or nullptr (then the field index names it)
  Object* to;
};

template <class Fn>
void for_each_ref(const Layout& l, Object* o, Fn&& fn) {
  RefRange r = slots_of(l, o);
  std::uint32_t fixed = l.kind == LayoutKind::kRefArray ? 0 : l.refs;
  std::uint32_t next_weak = 0;
  for (Value* s = r.begin; s < r.end; ++s) {
    auto i = static_cast<std::uint32_t>(s - r.begin);
    bool weak = (l.kind == LayoutKind::kWeakRef || l.kind == LayoutKind::kEphemeron) && i == 0;
    if (next_weak < l.weak_count && l.weak_fields[next_weak] == i) {
      weak = true;
      ++next_weak;
    }
    if (!is_ref(*s)) continue;
    const char* name = nullptr;
    if (l.kind == LayoutKind::kEphemeron) name = i == 0 ? "key" : "value";
    if (l.field_names != nullptr && i < l.refs) name = l.field_names[i];
    if (weak) {
      fn(Ref{services::SnapEdge::kWeak, i, name, as_object(*s)});
    } else if (i >= fixed) {
      fn(Ref{services::SnapEdge::kElement, i - fixed, nullptr, as_object(*s)});
    } else {
      fn(Ref{services::SnapEdge::kProperty, i, name, as_object(*s)});
    }
  }
}

// The roots, by category, in an order both walks repeat.
template <class Fn>
void for_each_root_category(HeapImpl& h, Fn&& fn) {
  std::size_t thread = 0;
  for (MutatorRecord* m : h.safepoint.mutators()) {
    fn("(Thread " + std::to_string(++thread) + ")",
       [m](RootVisitor& v) { visit_mutator_roots(*m, v); });
  }
  fn(std::string("(Persistent handles)"), [&h](RootVisitor& v) { h.persistents.visit(v); });
  fn(std::string("(Root sets)"), [&h](RootVisitor& v) { h.roots.visit(v); });
  fn(std::string("(Finalization queue)"), [&h](RootVisitor& v) { h.finalizers.visit(v); });
}

template <class Fn>
// NOLINTNEXTLINE(cppcoreguidelines-virtual-class-destructor): never deleted through a base
class SlotVisitor final : public RootVisitor {
 public:
  explicit SlotVisitor(Fn fn) : fn_(std::move(fn)) {}
  void visit(Value* slot) override {
    if (is_ref(*slot)) fn_(as_object(*slot));
  }

 private:
  Fn fn_;
};

// Marks every object reachable from the roots, depth first with an explicit
// stack: root(category, o) for each root reference, categories in the
// order of for_each_root_category, then reached(o, layout) once for each
// object marked, in no particular order. Weak references are followed too.
// Returns the mark stack's peak length.
template <class Root, class Reached>
std::size_t mark_reachable(HeapImpl& h, Marks& marks, Root&& root, Reached&& reached) {
  std::vector<Object*> stack;
  std::size_t peak = 0;
  auto reach = [&](Object* o) {
    if (marks.mark(o)) {
      stack.push_back(o);
      peak = std::max(peak, stack.size());
    }
  };
  std::uint32_t category = 0;
  for_each_root_category(h, [&](const std::string&, auto&& visit) {
    SlotVisitor v([&](Object* o) {
      root(category, o);
      reach(o);
    });
    visit(v);
    ++category;
  });
  while (!stack.empty()) {
    Object* o = stack.back();
    stack.pop_back();
    const Layout& l = h.layouts.at(hdr::type_of(o->header));
    reached(o, l);
    for_each_ref(l, o, [&](const Ref& r) { reach(r.to); });
  }
  return peak;
}

// A layout's name for people ("(type N)" when it has none).
inline std::string type_name(const Layout& l, const Object* o) {
  if (l.name[0] != '\0') return l.name;
  return "(type " + std::to_string(hdr::type_of(o->load_header())) + ")";
}

}  // namespace runa::heap::walk
