// HeapSnapshotWriter: see heapsnapshot.hpp for the format and its order.
#include "services/heapsnapshot.hpp"

#include <cstdlib>

namespace runa::services {
namespace {

[[noreturn]] void misuse(const char* what) {
  std::fprintf(stderr, "runatime: heap snapshot writer: %s\n", what);
  std::abort();
}

}  // namespace

void HeapSnapshotWriter::put(std::string_view s) {
  buf_.append(s);
  if (buf_.size() >= kFlushAt) flush();
}

void HeapSnapshotWriter::flush() {
  if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size())
    failed_ = true;
  buf_.clear();
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
  buf_.reserve(kFlushAt + 64);
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

void HeapSnapshotWriter::separator(std::uint64_t& written) {
  if (written++ != 0) put(",");
}

void HeapSnapshotWriter::number(std::uint64_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  put({p, static_cast<std::size_t>(buf + sizeof buf - p)});
}

void HeapSnapshotWriter::node(SnapNode type, std::uint32_t name, std::uint64_t id,
                              std::uint64_t self_size, std::uint32_t edge_count) {
  if (nodes_written_ == nodes_) misuse("more nodes than announced");
  separator(nodes_written_);
  put("\n");  // one node a line: diffs and readers of partial files stay sane
  number(static_cast<std::uint64_t>(type));
  put(",");
  number(name);
  put(",");
  number(id);
  put(",");
  number(self_size);
  put(",");
  number(edge_count);
  put(",0,0");  // no allocation trace; not a detached DOM node
}

void HeapSnapshotWriter::begin_edges() {
  if (nodes_written_ != nodes_) misuse("fewer nodes than announced");
  put("],\n\"edges\":[");
}

void HeapSnapshotWriter::edge(SnapEdge type, std::uint64_t name, std::uint64_t to) {
  if (edges_written_ == edges_) misuse("more edges than announced");
  if (to >= nodes_) misuse("an edge to a node that does not exist");
  separator(edges_written_);
  if (edges_written_ % 16 == 1) put("\n");
  number(static_cast<std::uint64_t>(type));
  put(",");
  number(name);
  put(",");
  number(to * kNodeFields);
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
  flush();
  return !failed_ && std::fflush(out_) == 0;
}

}  // namespace runa::services
