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
// objects found in it keep their id, the others get the next one. The
// table is the price of stable ids, as V8's HeapObjectsMap is: 16 bytes per
// object written, kept until the objects die (collections then cost a pass
// over it), which is why only heaps that take snapshots have one.
//
// Extra memory during the snapshot: the bitmap and its prefix counts (1/32
// of the address range objects span, committed only where they are), the
// mark stack (at most one entry per edge in flight), the new id table (and
// the old one until the swap), and the writer's buffer and strings. The
// snapshot itself streams to the file.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>

#include "memory/heap_walk.hpp"
#include "memory/watched.hpp"
#include "runatime/heap_profile.hpp"
#include "services/heapsnapshot.hpp"

namespace runa::heap {
namespace {

using services::HeapSnapshotWriter;
using services::SnapEdge;
using services::SnapNode;
using walk::for_each_ref;
using walk::for_each_root_category;
using walk::Marks;
using walk::Ref;
using walk::SlotVisitor;

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
    info_.extra_bytes = marks_.touched() + stack_peak_ * sizeof(std::uintptr_t) + table_bytes_;
    return info_;
  }

 private:
  void mark() {
    for_each_root_category(h_, [&](const std::string&, auto&&) { root_edges_.push_back(0); });
    categories_ = root_edges_.size();
    info_.edges = categories_;  // the root's edges to the categories
    stack_peak_ = walk::mark_reachable(
        h_, marks_,
        [&](std::uint32_t category, Object*) {
          ++root_edges_[category];
          ++info_.edges;
        },
        [&](Object* o, const Layout& l) {
          info_.bytes += object_size(l, o);
          for_each_ref(l, o, [&](const Ref&) { ++info_.edges; });
        });
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
    // The table, sorted by address, merged with the walk into a new table
    // of exactly the objects written (entries of unreached objects, dead
    // since, are dropped): the old one and the new one are the peak.
    std::vector<Watched::Entry> ids = h_.snapshot_ids.take();
    std::sort(ids.begin(), ids.end(),
              [](const Watched::Entry& a, const Watched::Entry& b) { return a.object < b.object; });
    std::vector<Watched::Entry> merged;
    merged.reserve(marks_.count());
    std::size_t known = 0;
    marks_.for_each([&](Object* o) {
      while (known < ids.size() && ids[known].object < o) ++known;
      std::uint64_t id = 0;
      if (known < ids.size() && ids[known].object == o) {
        id = ids[known].word;
      } else {
        id = h_.next_snapshot_id;
        h_.next_snapshot_id += 2;
      }
      merged.push_back({o, id});
      std::uint32_t type = hdr::type_of(o->header);
      const Layout& l = h_.layouts.at(type);
      std::uint32_t edges = 0;
      for_each_ref(l, o, [&](const Ref&) { ++edges; });
      w_.node(node_type(l), type_name(type, l, o), id, object_size(l, o), edges);
    });
    table_bytes_ = merged.capacity() * sizeof(Watched::Entry);
    ids = {};
    h_.snapshot_ids.replace(std::move(merged));
  }

  // Interned once per type and per field index: strings cost a hash
  // lookup each, and there are tens of millions of nodes and edges.
  std::uint32_t type_name(std::uint32_t type, const Layout& l, const Object* o) {
    if (type >= type_names_.size()) type_names_.resize(type + 1, kUnset);
    if (type_names_[type] == kUnset) type_names_[type] = w_.string(walk::type_name(l, o));
    return type_names_[type];
  }
  std::uint32_t field_name(std::uint64_t index) {
    if (index >= field_names_.size()) field_names_.resize(index + 1, kUnset);
    if (field_names_[index] == kUnset) field_names_[index] = w_.string(std::to_string(index));
    return field_names_[index];
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
      for_each_ref(l, o, [&](const Ref& r) { w_.edge(r.type, edge_name(r), ordinal(r.to)); });
    });
  }

  // The format names elements by index and other edges by a string.
  std::uint64_t edge_name(const Ref& r) {
    if (r.type == SnapEdge::kElement) return r.index;
    return r.name != nullptr ? w_.string(r.name) : field_name(r.index);
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

  HeapImpl& h_;
  Marks marks_;
  HeapSnapshotWriter w_;
  std::size_t stack_peak_ = 0;
  static constexpr std::uint32_t kUnset = UINT32_MAX;
  std::size_t table_bytes_ = 0;
  std::vector<std::uint32_t> type_names_, field_names_;
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
