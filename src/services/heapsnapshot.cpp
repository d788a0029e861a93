// HeapSnapshotWriter: see heapsnapshot.hpp for the format and its order.
#include "services/heapsnapshot.hpp"

#include "services/snapshot_file.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

namespace runa::services {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

[[noreturn]] void misuse(const char* what) {
  std::fprintf(stderr, "runatime: heap snapshot writer: %s\n", what);
  std::abort();
}

// "00" to "99": two digits a step halves the divisions of formatting
// tens of millions of numbers.
constexpr auto kPairs = [] {
  std::array<char, 200> p{};
  for (int i = 0; i < 100; ++i) {
    p[2 * i] = static_cast<char>('0' + i / 10);
    p[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return p;
}();

constexpr auto kPowers = [] {
  std::array<std::uint64_t, 20> p{};
  std::uint64_t x = 1;
  for (auto& e : p) {
    e = x;
    x *= 10;
  }
  return p;
}();

// The decimal digits of v: log10 from the bit width (1233 / 4096 is just
// above log10(2)), corrected by one comparison.
int digits(std::uint64_t v) {
  auto t = static_cast<unsigned>(std::bit_width(v | 1) * 1233) >> 12;
  return static_cast<int>(t) + (v >= kPowers[t] ? 1 : 0);
}

// Writes v (two or more digits) in decimal, ending at end.
template <class U>
void pairs(char* end, U v) {
  char* q = end;
  while (v >= 100) {
    q -= 2;
    std::memcpy(q, &kPairs[2 * static_cast<std::size_t>(v % 100)], 2);
    v /= 100;
  }
  if (v >= 10) {
    std::memcpy(q - 2, &kPairs[2 * static_cast<std::size_t>(v)], 2);
  } else {
    *(q - 1) = static_cast<char>('0' + v);
  }
}

// Writes the four digits of v < 10000 ending at end.
inline void four(char* end, std::uint32_t v) {
  std::memcpy(end - 4, &kPairs[2 * static_cast<std::size_t>(v / 100)], 2);
  std::memcpy(end - 2, &kPairs[2 * static_cast<std::size_t>(v % 100)], 2);
}

// Writes v in decimal at p; returns the end. Most numbers of a snapshot
// are one or two digits (types, names, sizes, edge counts) or fit 32
// bits (ids, edge targets), where division by 100 is a shorter multiply;
// those of five digits or more are split at 10^4 first, so that the low
// four digits and the rest are two short chains of multiplies rather than
// one long one (ids and targets are most of the digits).
[[gnu::always_inline]] inline char* decimal(char* p, std::uint64_t v) {
  if (v < 10) {
    *p = static_cast<char>('0' + v);
    return p + 1;
  }
  if (v < 100) {
    std::memcpy(p, &kPairs[2 * static_cast<std::size_t>(v)], 2);
    return p + 2;
  }
  char* end = p + digits(v);
  if (v <= UINT32_MAX) {
    auto u = static_cast<std::uint32_t>(v);
    if (u >= 10000) {
      std::uint32_t high = u / 10000;
      four(end, u - high * 10000);
      if (high >= 10) {
        pairs(end - 4, high);
      } else {
        *(end - 5) = static_cast<char>('0' + high);
      }
    } else {
      pairs(end, u);
    }
  } else {
    pairs(end, v);
  }
  return end;
}

// The most a node or an edge takes: separators and five 20-digit numbers.
constexpr std::size_t kItemBytes = 2 + 5 * 21 + 4;

}  // namespace

void HeapSnapshotWriter::put(std::string_view s) {
  out_.append(s);
}

void HeapSnapshotWriter::json_string(std::string_view s) {
  put("\"");
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', c};
      put({esc, 2});
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      put(esc);
    } else {
      put({&c, 1});  // UTF-8 passes through: JSON text is UTF-8
    }
  }
  put("\"");
}

std::uint32_t HeapSnapshotWriter::string(std::string_view s) {
  auto [it, added] =
      index_.try_emplace(std::string(s), static_cast<std::uint32_t>(strings_.size()));
  if (added) strings_.push_back(&it->first);
  return it->second;
}

void HeapSnapshotWriter::begin(std::uint64_t nodes, std::uint64_t edges) {
  nodes_ = nodes;
  edges_ = edges;
  put("{\"snapshot\":{\"meta\":{"
      "\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\","
      "\"detachedness\"],"
      "\"node_types\":[[\"hidden\",\"array\",\"string\",\"object\",\"code\",\"closure\","
      "\"regexp\",\"number\",\"native\",\"synthetic\",\"concatenated string\",\"sliced string\","
      "\"symbol\",\"bigint\",\"object shape\"],\"string\",\"number\",\"number\",\"number\","
      "\"number\",\"number\"],"
      "\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],"
      "\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",\"hidden\",\"shortcut\","
      "\"weak\"],\"string_or_number\",\"node\"],"
      "\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\","
      "\"line\",\"column\"],"
      "\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\",\"size\",\"children\"],"
      "\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],"
      "\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},");
  put("\"node_count\":");
  number(nodes);
  put(",\"edge_count\":");
  number(edges);
  put(",\"trace_function_count\":0},\n\"nodes\":[");
}

void HeapSnapshotWriter::number(std::uint64_t v) {
  char text[24];
  put({text, static_cast<std::size_t>(decimal(text, v) - text)});
}

TextBuffer::TextBuffer(std::size_t bytes) : bytes_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  if (bytes >= kHugePage) madvise(p, bytes, MADV_HUGEPAGE);
  p_ = static_cast<char*>(p);
}

TextBuffer::~TextBuffer() {
  if (p_ != nullptr) munmap(p_, bytes_);
}

void SnapText::grow(std::size_t n) {
  // Whole huge pages once past the first: a chunk's text is a few MiB.
  std::size_t capacity = std::max({2 * capacity_, used_ + n, std::size_t{1} << 16});
  if (capacity > kHugePage) capacity = (capacity + kHugePage - 1) / kHugePage * kHugePage;
  TextBuffer bigger(capacity);
  if (used_ != 0) std::memcpy(bigger.get(), buf_.get(), used_);
  buf_ = std::move(bigger);
  capacity_ = capacity;
}

void SnapText::node(SnapNode type, std::uint32_t name, std::uint64_t id, std::uint64_t self_size,
                    std::uint32_t edge_count) {
  // One line a node (diffs and readers of partial files stay sane).
  char* p = room(kItemBytes);
  char* start = p;
  *p++ = ',';
  *p++ = '\n';
  p = decimal(p, static_cast<std::uint64_t>(type));
  *p++ = ',';
  p = decimal(p, name);
  *p++ = ',';
  p = decimal(p, id);
  *p++ = ',';
  p = decimal(p, self_size);
  *p++ = ',';
  p = decimal(p, edge_count);
  std::memcpy(p, ",0,0", 4);  // no allocation trace; not a detached DOM node
  p += 4;
  used_ += static_cast<std::size_t>(p - start);
  ++nodes_;
}

void SnapText::edge(SnapEdge type, std::uint64_t name, std::uint64_t to) {
  char* p = room(kItemBytes);
  char* start = p;
  *p++ = ',';
  if (edges_++ % 16 == 0) *p++ = '\n';
  p = decimal(p, static_cast<std::uint64_t>(type));
  *p++ = ',';
  p = decimal(p, name);
  *p++ = ',';
  p = decimal(p, to * kNodeFields);
  used_ += static_cast<std::size_t>(p - start);
  targets_ = std::max(targets_, to + 1);
}

void HeapSnapshotWriter::count_nodes(std::uint64_t n) {
  if (edges_written_ != 0 || nodes_ - nodes_written_ < n) misuse("more nodes than announced");
  nodes_written_ += n;
}

void HeapSnapshotWriter::count_edges(std::uint64_t n, std::uint64_t targets) {
  if (edges_ - edges_written_ < n) misuse("more edges than announced");
  if (targets > nodes_) misuse("an edge to a node that does not exist");
  edges_written_ += n;
}

void HeapSnapshotWriter::node(SnapNode type, std::uint32_t name, std::uint64_t id,
                              std::uint64_t self_size, std::uint32_t edge_count) {
  one_.clear();
  one_.node(type, name, id, self_size, edge_count);
  append(one_);
}

void HeapSnapshotWriter::begin_edges() {
  if (nodes_written_ != nodes_) misuse("fewer nodes than announced");
  put("],\n\"edges\":[");
}

void HeapSnapshotWriter::edge(SnapEdge type, std::uint64_t name, std::uint64_t to) {
  one_.clear();
  one_.edge(type, name, to);
  append(one_);
}

void HeapSnapshotWriter::append(const SnapText& t) {
  std::string_view text = t.text();
  if (t.nodes() != 0) {
    if (nodes_written_ == 0) text.remove_prefix(1);  // the array's first: no comma
    count_nodes(t.nodes());
  } else if (t.edges() != 0) {
    if (edges_written_ == 0) text.remove_prefix(1);
    count_edges(t.edges(), t.targets());
  }
  put(text);
}

bool HeapSnapshotWriter::finish() {
  if (edges_written_ != edges_) misuse("fewer edges than announced");
  put("],\n\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\"locations\":[],"
      "\n\"strings\":[");
  for (std::size_t i = 0; i < strings_.size(); ++i) {
    if (i != 0) put(",\n");
    json_string(*strings_[i]);
  }
  put("]}\n");
  return out_.finish();
}

}  // namespace runa::services
