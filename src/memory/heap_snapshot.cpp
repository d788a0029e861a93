// Heap snapshots: the whole reachable heap, written as a V8 .heapsnapshot
// (services/heapsnapshot.hpp) with the world stopped.
//
// The algorithm, in three passes over a heap that cannot change under it:
//
//  1. Mark. From every root, depth-first with an explicit stack, every
//     reachable object is marked in a side bitmap (one bit per 8-byte
//     granule of the heap's reservation) and its outgoing references are
//     counted. Weak references are followed too: what they refer to is
//     still in the heap, and the format marks the edge weak, so readers
//     leave it out of retained sizes. Nothing in the heap itself is
//     written: headers, mark bits and forwarding words stay the
//     collectors'.
//  2. Rank. A node's ordinal must be known before any edge into it is
//     written, and nodes are written in address order, so an object's
//     ordinal is the number of marked granules below it: a prefix count
//     per bitmap word plus one popcount.
//  3. Write. Synthetic nodes first (the root, then one per root category:
//     each thread's handles and frames, persistent handles, root sets, the
//     finalization queue), then every marked object in address order; then
//     the edges in the same order, the roots' walked again (the world is
//     still stopped, so they are the same).
//
// Stable ids: an object keeps its snapshot id across snapshots of one
// heap, although collections move it, through the heap's `snapshot_ids`
// table (watched.hpp), which every collection renames and prunes. Writing
// merges the table, sorted by address, with the address-ordered walk:
// objects found in it keep their id, the others get the next one.
//
// Extra memory, all given back before returning: the bitmap (1/64 of the
// reserved heap, committed only where objects are) and its prefix counts
// (1/64 again), the mark stack (at most one entry per edge in flight), the
// ids of objects new to the table (16 bytes each), and the writer's buffer
// and strings. The snapshot itself streams to the file.
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>

#include "memory/heap.hpp"
#include "memory/mutators.hpp"
#include "memory/watched.hpp"
#include "runatime/heap_profile.hpp"
#include "services/heapsnapshot.hpp"

namespace runa::heap {
namespace {

using services::HeapSnapshotWriter;
using services::SnapEdge;
using services::SnapNode;

// Anonymous memory reserved whole and committed by the kernel page by page
// as it is touched: a bitmap over a 16 GiB reservation costs only the pages
// of the granules where objects are.
class SideMap {
 public:
  explicit SideMap(std::size_t bytes) : bytes_(bytes) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    words_ = p == MAP_FAILED ? nullptr : static_cast<std::uint64_t*>(p);
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
  void rank_all() {
    std::uint64_t n = 0;
    for (std::size_t w = lo_; w < hi_; ++w) {
      prefix_.words()[w] = n;
      n += static_cast<std::uint64_t>(std::popcount(bits_.words()[w]));
    }
  }
  // Marked objects below o (o itself marked).
  [[nodiscard]] std::uint64_t rank(const Object* o) const {
    std::size_t g = granule(o);
    std::uint64_t below = bits_.words()[g / 64] & ((std::uint64_t{1} << (g % 64)) - 1);
    return prefix_.words()[g / 64] + static_cast<std::uint64_t>(std::popcount(below));
  }
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t w = lo_; w < hi_; ++w) {
      for (std::uint64_t bits = bits_.words()[w]; bits != 0; bits &= bits - 1) {
        std::size_t g = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        fn(reinterpret_cast<Object*>(base_ + g * 8));
      }
    }
  }
  [[nodiscard]] std::uint64_t count() const { return count_; }
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

// One outgoing reference of an object, as the format types it.
struct Ref {
  SnapEdge type;
  std::uint64_t name;  // string index or element index (see SnapEdge)
  Object* to;
};

// The references of o, typed: elements of arrays and tails by index, fixed
// fields as properties named by their index, weak slots as weak edges.
template <class Fn>
void for_each_ref(const Layout& l, Object* o, HeapSnapshotWriter* w, Fn&& fn) {
  RefRange r = ref_slots(l, o);
  bool element_kind = l.kind == LayoutKind::kRefArray;
  std::uint32_t fixed = element_kind ? 0 : l.refs;
  std::uint32_t next_weak = 0;
  for (Value* s = r.begin; s < r.end; ++s) {
    auto i = static_cast<std::uint32_t>(s - r.begin);
    bool weak =
        (l.kind == LayoutKind::kWeakRef && i == 0) || (l.kind == LayoutKind::kEphemeron && i == 0);
    if (next_weak < l.weak_count && l.weak_fields[next_weak] == i) {
      weak = true;
      ++next_weak;
    }
    if (!is_ref(*s)) continue;
    Ref ref{SnapEdge::kElement, i, as_object(*s)};
    if (weak) {
      ref.type = SnapEdge::kWeak;
    } else if (i >= fixed) {
      ref.name = i - fixed;
    } else {
      ref.type = SnapEdge::kProperty;
    }
    // Names are interned only while writing (w set): counting needs none.
    if (w != nullptr && ref.type != SnapEdge::kElement) {
      const char* key = l.kind == LayoutKind::kEphemeron ? (i == 0 ? "key" : "value") : nullptr;
      ref.name = key != nullptr ? w->string(key) : w->string(std::to_string(i));
    }
    fn(ref);
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

class Snapshot {
 public:
  Snapshot(HeapImpl& h, std::FILE* out) : h_(h), marks_(h.region), w_(out) {}

  Result<SnapshotInfo> run() {
    if (!marks_.ok())
      return Error{"heap snapshot", {}, {}, {}, {}, "no memory for the mark bitmap"};
    mark();
    marks_.rank_all();
    write_nodes();
    write_edges();
    if (!w_.finish()) {
      return Error{
          "heap snapshot", {}, {}, {}, {}, std::string("write failed: ") + std::strerror(errno)};
    }
    info_.extra_bytes = marks_.touched() + stack_peak_ * sizeof(std::uintptr_t) +
                        fresh_peak_ * sizeof(Watched::Entry);
    return info_;
  }

 private:
  void reach(Object* o) {
    if (marks_.mark(o)) {
      stack_.push_back(o);
      stack_peak_ = std::max(stack_peak_, stack_.size());
    }
  }

  void mark() {
    for_each_root_category(h_, [&](const std::string&, auto&& visit) {
      ++categories_;
      std::uint32_t n = 0;
      SlotVisitor v([&](Object* o) {
        ++n;
        reach(o);
      });
      visit(v);
      root_edges_.push_back(n);
      info_.edges += n;
    });
    info_.edges += categories_;  // the root's edges to the categories
    while (!stack_.empty()) {
      Object* o = stack_.back();
      stack_.pop_back();
      const Layout& l = h_.layouts.at(hdr::type_of(o->header));
      info_.bytes += object_size(l, o);
      for_each_ref(l, o, nullptr, [&](const Ref& r) {
        ++info_.edges;
        reach(r.to);
      });
    }
    info_.objects = marks_.count();
    info_.nodes = 1 + categories_ + info_.objects;
  }

  [[nodiscard]] std::uint64_t ordinal(const Object* o) const {
    return 1 + categories_ + marks_.rank(o);
  }

  void write_nodes() {
    w_.begin(info_.nodes, info_.edges);
    w_.node(SnapNode::kSynthetic, w_.string(""), 1, 0, static_cast<std::uint32_t>(categories_));
    std::size_t c = 0;
    for_each_root_category(h_, [&](const std::string& name, auto&&) {
      w_.node(SnapNode::kSynthetic, w_.string(name), 3 + 2 * c, 0, root_edges_[c]);
      ++c;
    });
    std::vector<Watched::Entry>& ids = h_.snapshot_ids.entries();
    std::sort(ids.begin(), ids.end(),
              [](const Watched::Entry& a, const Watched::Entry& b) { return a.object < b.object; });
    std::size_t known = 0;
    std::vector<Watched::Entry> fresh;
    marks_.for_each([&](Object* o) {
      while (known < ids.size() && ids[known].object < o) ++known;
      std::uint64_t id = 0;
      if (known < ids.size() && ids[known].object == o) {
        id = ids[known].word;
      } else {
        id = h_.next_snapshot_id;
        h_.next_snapshot_id += 2;
        fresh.push_back({o, id});
      }
      const Layout& l = h_.layouts.at(hdr::type_of(o->header));
      std::uint32_t edges = 0;
      for_each_ref(l, o, nullptr, [&](const Ref&) { ++edges; });
      w_.node(node_type(l), w_.string(type_name(l, o)), id, object_size(l, o), edges);
    });
    fresh_peak_ = fresh.size();
    std::size_t old_size = ids.size();
    ids.insert(ids.end(), fresh.begin(), fresh.end());
    std::inplace_merge(
        ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(old_size), ids.end(),
        [](const Watched::Entry& a, const Watched::Entry& b) { return a.object < b.object; });
  }

  void write_edges() {
    w_.begin_edges();
    for (std::uint64_t c = 0; c < categories_; ++c) w_.edge(SnapEdge::kElement, c, 1 + c);
    for_each_root_category(h_, [&](const std::string&, auto&& visit) {
      std::uint64_t i = 0;
      SlotVisitor v([&](Object* o) { w_.edge(SnapEdge::kElement, i++, ordinal(o)); });
      visit(v);
    });
    marks_.for_each([&](Object* o) {
      const Layout& l = h_.layouts.at(hdr::type_of(o->header));
      for_each_ref(l, o, &w_, [&](const Ref& r) { w_.edge(r.type, r.name, ordinal(r.to)); });
    });
  }

  static SnapNode node_type(const Layout& l) {
    switch (l.kind) {
      case LayoutKind::kRefArray:
        return SnapNode::kArray;
      case LayoutKind::kByteArray:
        return SnapNode::kNative;  // raw bytes: nothing a reader can look into
      default:
        return SnapNode::kObject;
    }
  }

  static std::string type_name(const Layout& l, Object* o) {
    if (l.name[0] != '\0') return l.name;
    return "(type " + std::to_string(hdr::type_of(o->header)) + ")";
  }

  HeapImpl& h_;
  Marks marks_;
  HeapSnapshotWriter w_;
  std::vector<Object*> stack_;
  std::size_t stack_peak_ = 0;
  std::size_t fresh_peak_ = 0;
  std::uint64_t categories_ = 0;
  std::vector<std::uint32_t> root_edges_;
  SnapshotInfo info_;
};

}  // namespace

Result<SnapshotInfo> write_heap_snapshot(Heap& heap, Mutator& m, const std::string& path) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) {
    return Error{"heap snapshot", {}, {}, {}, {}, path + ": " + std::strerror(errno)};
  }
  HeapImpl& h = impl_of(heap);
  MutatorRecord& self = record(m);
  h.safepoint.stop(self, Safepoint::kAnyEpoch);
  Result<SnapshotInfo> r = Snapshot(h, out).run();
  h.safepoint.resume(false);
  if (std::fclose(out) != 0 && r.ok()) {
    return Error{"heap snapshot", {}, {}, {}, {}, path + ": " + std::strerror(errno)};
  }
  return r;
}

}  // namespace runa::heap
