// HeapSnapshotWriter: V8's .heapsnapshot JSON, written as it is produced.
//
// The format (what Chrome DevTools' Memory tab, memlab and other readers
// take): one JSON object whose "snapshot.meta" names the fields of each
// node and edge and the vocabulary of their types; then "nodes", a flat
// array of NodeFields numbers per node; "edges", a flat array of three
// numbers per edge; and "strings", every name, referred to by index.
// Edges are listed grouped by the node they leave, in node order (each
// node's edge_count says how many are its), and an edge's target is the
// index of the target's first field in "nodes" (its ordinal times the
// field count), so a node's ordinal must be known before edges into it
// are written.
//
// Streaming: the caller announces the counts, then writes every node, then
// every edge; only the string table is held in memory (names are few: type
// names, field names, root categories), so a snapshot of any heap costs the
// writer its strings and the file's buffers (snapshot_file.hpp).
//
// Formatting in parallel: a SnapText holds a run of nodes or edges
// formatted apart (on any thread), which the writer then appends whole, in
// order (append()); nodes and edges formatted directly and appended runs
// mix freely. Every item is formatted with its leading separator, which
// the writer drops for the first item of its array.
//
// Invariants: begin() once, then exactly `nodes` nodes, then begin_edges()
// and exactly `edges` edges, then finish(); the writer aborts when the
// counts disagree, since a reader would silently misparse every node after
// the first wrong one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace runa::services {

// V8's node and edge types, in the order of the meta's vocabularies.
enum class SnapNode : std::uint8_t {
  kHidden,
  kArray,
  kString,
  kObject,
  kCode,
  kClosure,
  kRegexp,
  kNumber,
  kNative,
  kSynthetic,
};
enum class SnapEdge : std::uint8_t {
  kContext,
  kElement,   // name is an index
  kProperty,  // name is a string
  kInternal,
  kHidden,  // name is an index
  kShortcut,
  kWeak,
};

inline constexpr unsigned kNodeFields = 7;

// Memory for formatted text, straight from the kernel (mmap), in huge
// pages where the kernel has them: every first touch of a page is a page
// fault, tens of microseconds each on a virtual machine, and a snapshot
// formats its texts into a few MiB of buffers over and over. Throws
// std::bad_alloc when the memory is refused.
class TextBuffer {
 public:
  TextBuffer() = default;
  explicit TextBuffer(std::size_t bytes);
  ~TextBuffer();
  TextBuffer(TextBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) {
    o.p_ = nullptr;
    o.bytes_ = 0;
  }
  TextBuffer& operator=(TextBuffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  TextBuffer(const TextBuffer&) = delete;
  TextBuffer& operator=(const TextBuffer&) = delete;

  [[nodiscard]] char* get() const { return p_; }

 private:
  char* p_ = nullptr;
  std::size_t bytes_ = 0;
};

// Nodes or edges, formatted (see above); reused by clear(). A cache line
// of its own: workers format into texts side by side in one array, and
// its counts change with every item.
class alignas(64) SnapText {
 public:
  void node(SnapNode type, std::uint32_t name, std::uint64_t id, std::uint64_t self_size,
            std::uint32_t edge_count);
  // As HeapSnapshotWriter::edge.
  void edge(SnapEdge type, std::uint64_t name, std::uint64_t to);
  void clear() {
    used_ = 0;
    nodes_ = edges_ = targets_ = 0;
  }

  [[nodiscard]] std::string_view text() const { return {buf_.get(), used_}; }
  [[nodiscard]] std::uint64_t nodes() const { return nodes_; }
  [[nodiscard]] std::uint64_t edges() const { return edges_; }
  // The largest `to` an edge was formatted with, plus one (0 without edges).
  [[nodiscard]] std::uint64_t targets() const { return targets_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  // Room for n more bytes at the end of the text.
  char* room(std::size_t n) {
    if (capacity_ - used_ < n) grow(n);
    return buf_.get() + used_;
  }
  void grow(std::size_t n);

  TextBuffer buf_;
  std::size_t capacity_ = 0, used_ = 0;
  std::uint64_t nodes_ = 0, edges_ = 0, targets_ = 0;
};

class SnapshotFile;

class HeapSnapshotWriter {
 public:
  static constexpr unsigned kNodeFields = services::kNodeFields;

  explicit HeapSnapshotWriter(SnapshotFile& out) : out_(out) {}

  // The index of `s` in the string table (added on first use).
  std::uint32_t string(std::string_view s);

  void begin(std::uint64_t nodes, std::uint64_t edges);
  void node(SnapNode type, std::uint32_t name, std::uint64_t id, std::uint64_t self_size,
            std::uint32_t edge_count);
  void begin_edges();
  // `name` is a string index for kProperty, kInternal, kContext, kShortcut
  // and kWeak, an element index for kElement and kHidden; `to` is the
  // target's node ordinal.
  void edge(SnapEdge type, std::uint64_t name, std::uint64_t to);
  // The nodes or edges of `t`, after those written so far.
  void append(const SnapText& t);
  // Writes the strings and finishes the file; false (errno set) when any
  // write failed.
  bool finish();

 private:
  void put(std::string_view s);
  void number(std::uint64_t v);
  void json_string(std::string_view s);
  void count_nodes(std::uint64_t n);
  void count_edges(std::uint64_t n, std::uint64_t targets);

  SnapText one_;  // the nodes and edges formatted directly, one at a time
  SnapshotFile& out_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<const std::string*> strings_;  // keys of index_, in index order
  std::uint64_t nodes_ = 0, edges_ = 0;      // announced
  std::uint64_t nodes_written_ = 0, edges_written_ = 0;
};

}  // namespace runa::services
