// Heap snapshots: the whole reachable heap, written as a V8 .heapsnapshot
// (services/heapsnapshot.hpp) with the world stopped.
//
// The algorithm, in three passes over a heap that cannot change under it:
//
//  1. Mark. From every root, depth-first with explicit stacks on the
//     collector's workers (sharing work through a pool: mark()), every
//     reachable object is marked in a side bitmap (one bit per 8-byte
//     granule of the heap's reservation, set with an atomic or) and its
//     outgoing references are counted. Weak references are followed too:
//     what they refer to is still in the heap, and the format marks the
//     edge weak, so readers leave it out of retained sizes. Nothing in the
//     heap itself is written: headers, mark bits and forwarding words stay
//     the collectors'.
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
// Writing in parallel: formatting tens of millions of numbers is most of a
// snapshot's time, so the objects' nodes, then their edges, are cut into
// chunks of the bitmap (kChunkWords words, whole blocks) that the heap's
// collector workers format into texts of their own (SnapText) while worker
// 0 also appends the finished ones to the file in chunk order (a copy into
// the file's buffers, which a thread of the file's own writes while the
// workers format: services/snapshot_file.hpp): a ring of texts bounds the
// memory, and a worker waits when the ring is full.
// Everything a chunk reads is fixed by then (marks, ranks, the sorted id
// table); what it writes is its own (its lines' numbers, its text, its
// worker's new table entries and name cache); strings are interned under
// a lock, each worker caching the indices it has seen. What one worker
// writes for every object (its text's counts, its mark counts) sits on a
// cache line no other worker writes: the first version shared lines
// between the workers' texts, and the false sharing doubled the CPU time
// of formatting on two cores. Line numbers come from the heap's counter a
// batch at a time for the same reason (place_ids.hpp).
//
// Stable ids: an old object's id is derived from its place (place_ids.hpp:
// a number per line of the old generation, given the first time a
// snapshot names an object in it, forgotten when the line is freed); the
// heap's `snapshot_ids` table (watched.hpp) holds the ids of objects that
// moved since they were named (named young, then promoted; evacuated by a
// defragmenting major collection, which adds the entry) and of objects
// named young, which get ids from a counter. Writing merges the table,
// sorted by address, with the address-ordered walk: objects found in it
// keep their id. A table entry costs 16 bytes, as V8's HeapObjectsMap
// does for every object; the place ids cost 4 bytes per 256-byte line
// named, which is what meets the memory goal.
//
// Out of memory: every allocation of the snapshot may fail (std::bad_alloc)
// — on the calling thread, or on a worker formatting a chunk, which then
// marks the chunk finished, claims no more, and lets worker 0 drain the
// ring without writing; the failure is thrown again on the calling thread
// once the workers are done. write_heap_snapshot() catches it, resumes the
// world and removes the partial file: a failed snapshot is an error the
// caller can act on, never a terminated process. The heap is as before:
// the ids table taken at the start goes back unchanged (Watched::replace
// cannot fail on it), so ids stay stable across the failure; only line
// numbers given to lines stay given, as any snapshot leaves them.
//
// Extra memory during the snapshot: the bitmap and its prefix counts (1/32
// of the address range objects span, committed only where they are, in
// huge pages where the kernel gives them), the mark stacks (at most one
// entry per edge in flight), the line numbers (1/64 of the old generation,
// kept), the table's survivors, the ring of texts, the file's buffers
// (12 MiB) and the writer's strings. The snapshot itself streams to the
// file.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "memory/heap_walk.hpp"
#include "memory/watched.hpp"
#include "runatime/heap_profile.hpp"
#include "services/heapsnapshot.hpp"
#include "services/snapshot_file.hpp"

namespace runa::heap {
namespace {

using services::HeapSnapshotWriter;
using services::SnapEdge;
using services::SnapNode;
using services::SnapText;
using walk::for_each_ref;
using walk::for_each_root_category;
using walk::Marks;
using walk::Ref;
using walk::SlotVisitor;

class Snapshot {
 public:
  Snapshot(HeapImpl& h, services::SnapshotFile& out)
      : h_(h), marks_(h.region), w_(out), names_(h.workers.size()), named_(h.workers.size()) {}
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  Snapshot(Snapshot&&) = delete;
  Snapshot& operator=(Snapshot&&) = delete;
  // A snapshot that failed between taking the ids table and replacing it
  // gives the table back as it was (header comment).
  ~Snapshot() {
    if (table_taken_) h_.snapshot_ids.replace(table_);
  }

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
    info_.extra_bytes = marks_.touched() + stack_peak_ * sizeof(std::uintptr_t) + table_bytes_ +
                        text_bytes_ + services::SnapshotFile::buffer_bytes();
    return info_;
  }

 private:
  // Bitmap words per chunk: 2 MiB of heap (whole blocks, so that no two
  // workers write the numbers of one block, place_ids.hpp).
  static constexpr std::size_t kChunkWords = 4096;
  static_assert(kChunkWords * 512 % kBlock == 0);
  static constexpr std::uint32_t kUnset = UINT32_MAX;
  // Table entries kept for moves of named objects (watched.hpp), at least.
  static constexpr std::size_t kMoveRoom = std::size_t{1} << 16;

  // A worker's string indices, so that it rarely takes the lock. (This
  // and the other per-worker records have cache lines of their own: they
  // sit side by side in arrays, and a line two workers write would bounce
  // between their cores at every object.)
  struct alignas(64) Names {
    std::vector<std::uint32_t> types, fields;
    std::unordered_map<const char*, std::uint32_t> fixed;
    std::vector<std::vector<std::uint32_t>> slots;  // by type, then slot: edge names
  };

  // A worker's share of the parallel mark.
  struct alignas(64) MarkShare {
    std::vector<Object*> stack;
    std::size_t lo = SIZE_MAX, hi = 0;  // bitmap words it marked in
    std::size_t peak = 0;
    std::uint64_t count = 0, bytes = 0, edges = 0;
  };

  void reach(MarkShare& s, Object* o) {
    if (!marks_.mark_shared(o)) return;
    s.stack.push_back(o);
    s.peak = std::max(s.peak, s.stack.size());
    ++s.count;
    std::size_t w = marks_.word_of(o);
    s.lo = std::min(s.lo, w);
    s.hi = std::max(s.hi, w + 1);
  }

  // Marks every reachable object on the collector's workers, depth first
  // from the roots (walked here, on worker 0's stack): a worker that runs
  // out of work says so (hungry), and one that has some gives the bottom
  // half of its stack (the objects found first, the largest subgraphs) to
  // a shared pool, which the hungry one takes. Done when every worker is
  // idle and the pool is empty. Marks are set with an atomic or, so each
  // object is pushed once; the counts are each worker's, added at the end.
  void mark() {
    for_each_root_category(h_, [&](const std::string&, auto&&) { root_edges_.push_back(0); });
    categories_ = root_edges_.size();
    info_.edges = categories_;  // the root's edges to the categories
    const unsigned n = h_.workers.size();
    std::vector<MarkShare> shares(n);
    std::uint32_t category = 0;
    for_each_root_category(h_, [&](const std::string&, auto&& visit) {
      SlotVisitor v([&](Object* o) {
        ++root_edges_[category];
        ++info_.edges;
        reach(shares[0], o);
      });
      visit(v);
      ++category;
    });
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Object*> pool;
    std::size_t pool_peak = 0;
    std::atomic<unsigned> hungry{0};
    std::atomic<std::size_t> pooled{0};
    std::atomic<bool> failed{false};
    unsigned idle = 0;
    bool finished = false;
    h_.workers.run([&](unsigned worker) {
      MarkShare& s = shares[worker];
      try {
        for (;;) {
          while (!s.stack.empty()) {
            Object* o = s.stack.back();
            s.stack.pop_back();
            const Layout& l = h_.layouts.at(hdr::type_of(o->header));
            s.bytes += size_of(l, o);
            for_each_ref(l, o, [&](const Ref& r) {
              ++s.edges;
              reach(s, r.to);
            });
            if (hungry.load(std::memory_order_relaxed) != 0 &&
                pooled.load(std::memory_order_relaxed) == 0 && s.stack.size() >= 2) {
              std::lock_guard lock(mu);
              auto give = static_cast<std::ptrdiff_t>(s.stack.size() / 2);
              pool.insert(pool.end(), s.stack.begin(), s.stack.begin() + give);
              s.stack.erase(s.stack.begin(), s.stack.begin() + give);
              pool_peak = std::max(pool_peak, pool.size());
              pooled.store(pool.size(), std::memory_order_relaxed);
              cv.notify_all();
            }
            if (failed.load(std::memory_order_relaxed)) return;
          }
          std::unique_lock lock(mu);
          for (;;) {
            if (finished || failed.load(std::memory_order_relaxed)) return;
            if (!pool.empty()) {
              std::size_t take = (pool.size() + 1) / 2;
              s.stack.insert(s.stack.end(), pool.end() - static_cast<std::ptrdiff_t>(take),
                             pool.end());
              pool.resize(pool.size() - take);
              pooled.store(pool.size(), std::memory_order_relaxed);
              s.peak = std::max(s.peak, s.stack.size());
              break;
            }
            if (++idle == n) {
              finished = true;
              cv.notify_all();
              return;
            }
            hungry.fetch_add(1, std::memory_order_relaxed);
            cv.wait(lock);
            hungry.fetch_sub(1, std::memory_order_relaxed);
            --idle;
          }
        }
      } catch (const std::bad_alloc&) {
        std::lock_guard lock(mu);
        failed.store(true, std::memory_order_relaxed);
        cv.notify_all();
      }
    });
    if (failed.load(std::memory_order_relaxed)) throw std::bad_alloc();
    stack_peak_ = pool_peak;
    for (const MarkShare& s : shares) {
      marks_.add_marked(s.lo, s.hi, s.count);
      info_.bytes += s.bytes;
      info_.edges += s.edges;
      stack_peak_ += s.peak;
    }
    info_.objects = marks_.count();
    info_.nodes = 1 + categories_ + info_.objects;
  }

  [[nodiscard]] std::uint64_t ordinal(const Object* o) const {
    return 1 + categories_ + marks_.rank(o);
  }

  // Formats chunks [0, chunks) with format(chunk, text, worker) on every
  // collector worker, worker 0 appending each text to the file in chunk
  // order (see the header comment).
  template <class Format>
  void in_parallel(std::size_t chunks, const Format& format) {
    const std::size_t ring = 2 * std::size_t{h_.workers.size()} + 2;
    if (texts_.size() < ring) texts_.resize(ring);
    std::vector<std::uint8_t> ready(ring, 0);
    std::mutex mu;
    std::condition_variable cv;
    std::size_t claimed = 0, written = 0;
    bool failed = false;  // a chunk found no memory: claim no more, write nothing
    h_.workers.run([&](unsigned worker) {
      std::unique_lock lock(mu);
      for (;;) {
        if (worker == 0 && written < claimed && ready[written % ring] != 0) {
          std::size_t c = written;
          if (!failed) {
            lock.unlock();
            w_.append(texts_[c % ring]);  // no allocation
            lock.lock();
          }
          ready[c % ring] = 0;
          ++written;
          cv.notify_all();
        } else if (!failed && claimed < chunks && claimed < written + ring) {
          std::size_t c = claimed++;
          lock.unlock();
          bool ok = true;
          try {
            texts_[c % ring].clear();
            format(c, texts_[c % ring], worker);
          } catch (const std::bad_alloc&) {
            ok = false;
          }
          lock.lock();
          failed = failed || !ok;
          ready[c % ring] = 1;
          cv.notify_all();
        } else if (worker == 0 ? written == claimed && (failed || written == chunks)
                               : failed || claimed == chunks) {
          // Worker 0 leaves last: every claimed chunk is finished and
          // written (or dropped).
          return;
        } else {
          cv.wait(lock);
        }
      }
    });
    if (failed) throw std::bad_alloc();
    for (const SnapText& t : texts_) text_bytes_ = std::max(text_bytes_, t.capacity() * ring);
  }

  // Chunks start at multiples of kChunkWords from the reservation's start,
  // which is block-aligned, so that each block is in one chunk.
  [[nodiscard]] std::size_t first_chunk_word() const {
    return marks_.first_word() / kChunkWords * kChunkWords;
  }
  [[nodiscard]] std::size_t chunks() const {
    return (marks_.end_word() - first_chunk_word() + kChunkWords - 1) / kChunkWords;
  }
  template <class Fn>
  void for_each_in_chunk(std::size_t c, Fn&& fn) const {
    std::size_t from = first_chunk_word() + c * kChunkWords;
    marks_.for_each(std::max(from, marks_.first_word()),
                    std::min(from + kChunkWords, marks_.end_word()), fn);
  }

  void write_nodes() {
    w_.begin(info_.nodes, info_.edges);
    w_.node(SnapNode::kSynthetic, w_.string(""), 1, 0, static_cast<std::uint32_t>(categories_));
    std::size_t c = 0;
    for_each_root_category(h_, [&](const std::string& name, auto&&) {
      w_.node(SnapNode::kSynthetic, w_.string(name), 3 + 2 * c, 0, root_edges_[c]);
      ++c;
    });
    // The table, sorted by address (entries of one address in the order
    // they were added: the first is the object's id, watched.hpp); each
    // worker keeps the entries of the objects it writes that keep table
    // ids (entries of unreached objects, dead since, are dropped).
    table_ = h_.snapshot_ids.take();
    table_taken_ = true;
    std::stable_sort(
        table_.begin(), table_.end(),
        [](const Watched::Entry& a, const Watched::Entry& b) { return a.object < b.object; });
    places_ = h_.places.activate(h_.blocks.capacity());
    next_id_ = h_.next_snapshot_id;
    in_parallel(chunks(), [&](std::size_t chunk, SnapText& text, unsigned worker) {
      write_nodes(chunk, text, worker);
    });
    std::vector<Watched::Entry> kept;
    for (auto& n : named_) kept.insert(kept.end(), n.kept.begin(), n.kept.end());
    const std::size_t kept_capacity = kept.capacity();
    // Room for the next collections to move named objects with their ids
    // (the rest stay where they are): a share of the objects named.
    h_.snapshot_ids.set_move_room(std::max<std::size_t>(kMoveRoom, info_.objects / 32));
    h_.snapshot_ids.replace(kept);
    table_taken_ = false;
    h_.next_snapshot_id = next_id_;
    table_bytes_ = (table_.capacity() + 2 * kept_capacity) * sizeof(Watched::Entry);
    table_ = {};
    named_ = {};
  }

  void write_nodes(std::size_t chunk, SnapText& text, unsigned worker) {
    Names& names = names_[worker];
    std::size_t next = 0;
    bool first = true;
    for_each_in_chunk(chunk, [&](Object* o) {
      if (first) {
        next =
            static_cast<std::size_t>(std::lower_bound(table_.begin(), table_.end(), o,
                                                      [](const Watched::Entry& e, const Object* p) {
                                                        return e.object < p;
                                                      }) -
                                     table_.begin());
        first = false;
      }
      while (next < table_.size() && table_[next].object < o) ++next;
      bool known = next < table_.size() && table_[next].object == o;
      std::uint64_t id = 0;
      if (known) {
        id = table_[next].word;
      } else if (places_ && h_.blocks.contains(o)) {
        std::size_t block = h_.blocks.index_of(o);
        id = h_.places.id(block, reinterpret_cast<std::uint8_t*>(o) - h_.blocks.block(block),
                          named_[worker].numbers);
      }
      if (id == 0) id = next_id_.fetch_add(4, std::memory_order_relaxed);  // young, or no line
      if (known || !PlaceIds::is_place_id(id)) named_[worker].kept.push_back({o, id});
      std::uint32_t type = hdr::type_of(o->header);
      const Layout& l = h_.layouts.at(type);
      std::uint32_t edges = 0;
      for_each_ref(l, o, [&](const Ref&) { ++edges; });
      text.node(node_type(l), type_name(names, type, l, o), id, size_of(l, o), edges);
    });
  }

  std::uint32_t intern(const std::string& s) {
    std::lock_guard lock(strings_mu_);
    return w_.string(s);
  }
  // Interned once per type and per field index: strings cost a hash
  // lookup each, and there are tens of millions of nodes and edges.
  std::uint32_t type_name(Names& n, std::uint32_t type, const Layout& l, const Object* o) {
    if (type >= n.types.size()) n.types.resize(type + 1, kUnset);
    if (n.types[type] == kUnset) n.types[type] = intern(walk::type_name(l, o));
    return n.types[type];
  }
  std::uint32_t field_name(Names& n, std::uint64_t index) {
    if (index >= n.fields.size()) n.fields.resize(index + 1, kUnset);
    if (n.fields[index] == kUnset) n.fields[index] = intern(std::to_string(index));
    return n.fields[index];
  }
  std::uint32_t fixed_name(Names& n, const char* name) {
    auto [it, added] = n.fixed.try_emplace(name, 0);
    if (added) it->second = intern(name);
    return it->second;
  }
  // The format names elements by index and other edges by a string: the
  // slot's name (a layout's field name, an ephemeron's key or value) or
  // its index, the same for every object of a type, so cached by type and
  // slot (a hash lookup for every edge cost as much as formatting it).
  std::uint64_t edge_name(Names& n, std::uint32_t type, const Ref& r) {
    if (r.type == SnapEdge::kElement) return r.index;
    if (type >= n.slots.size()) n.slots.resize(type + 1);
    std::vector<std::uint32_t>& slots = n.slots[type];
    if (r.index >= slots.size()) slots.resize(r.index + 1, kUnset);
    std::uint32_t& name = slots[r.index];
    if (name == kUnset) {
      name = r.name != nullptr ? fixed_name(n, r.name) : field_name(n, r.index);
    }
    return name;
  }

  void write_edges() {
    w_.begin_edges();
    for (std::uint64_t c = 0; c < categories_; ++c) w_.edge(SnapEdge::kElement, c, 1 + c);
    for_each_root_category(h_, [&](const std::string&, auto&& visit) {
      std::uint64_t i = 0;
      SlotVisitor v([&](Object* o) { w_.edge(SnapEdge::kElement, i++, ordinal(o)); });
      visit(v);
    });
    in_parallel(chunks(), [&](std::size_t chunk, SnapText& text, unsigned worker) {
      Names& names = names_[worker];
      for_each_in_chunk(chunk, [&](Object* o) {
        std::uint32_t type = hdr::type_of(o->header);
        const Layout& l = h_.layouts.at(type);
        for_each_ref(l, o, [&](const Ref& r) {
          text.edge(r.type, edge_name(names, type, r), ordinal(r.to));
        });
      });
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

  HeapImpl& h_;
  Marks marks_;
  HeapSnapshotWriter w_;
  std::size_t stack_peak_ = 0;
  std::size_t table_bytes_ = 0;
  std::size_t text_bytes_ = 0;
  std::mutex strings_mu_;  // w_.string() from the workers
  std::vector<Names> names_;
  std::vector<SnapText> texts_;
  std::vector<Watched::Entry> table_;
  bool table_taken_ = false;  // table_ is the heap's, to give back on failure
  // What a worker names: the table entries it keeps, and the line numbers
  // it took from the heap's counter and has yet to give (place_ids.hpp).
  struct alignas(64) Named {
    std::vector<Watched::Entry> kept;
    PlaceIds::Batch numbers;
  };
  std::vector<Named> named_;  // by worker
  bool places_ = false;
  std::atomic<std::uint64_t> next_id_{0};
  std::uint64_t categories_ = 0;
  std::vector<std::uint32_t> root_edges_;
  SnapshotInfo info_;
};

}  // namespace

Result<SnapshotInfo> write_heap_snapshot(Heap& heap, Mutator& m, const std::string& path) {
  HeapImpl& h = impl_of(heap);
  // The snapshot formats on the collector's workers; they start here if no
  // collection has started them, where a failure can still be reported
  // (and before the file exists, so none is left behind).
  try {
    h.workers.start();
  } catch (const std::exception& e) {  // system_error, or bad_alloc
    return Error{"heap snapshot", {}, {}, {}, {}, std::string("starting the workers: ") + e.what()};
  }
  Result<SnapshotInfo> r = Error{};
  {
    services::SnapshotFile out;
    try {
      if (!out.open(path)) {
        return Error{"heap snapshot", {}, {}, {}, {}, path + ": " + std::strerror(errno)};
      }
    } catch (const std::bad_alloc&) {  // the file's buffers, before it is created
      return Error{"heap snapshot", {}, {}, {}, {}, "out of memory while writing " + path};
    }
    MutatorRecord& self = record(m);
    h.safepoint.stop(self, Safepoint::kAnyEpoch);
    try {
      r = Snapshot(h, out).run();
    } catch (const std::bad_alloc&) {
      r = Error{"heap snapshot", {}, {}, {}, {}, "out of memory while writing " + path};
    }
    h.safepoint.resume(false);
  }
  if (!r.ok()) std::remove(path.c_str());  // a partial file would mislead its reader
  return r;
}

}  // namespace runa::heap
