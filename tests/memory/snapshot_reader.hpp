// A reader of the .heapsnapshot files heap_snapshot.cpp writes, for tests:
// just enough JSON (numbers, strings, arrays, the keys it needs) to check
// every node and edge. Independent of the writer: it parses the text.
#pragma once

#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace runa::heap::testing {

struct SnapNodeRec {
  std::uint64_t type, name, id, self_size, edge_count;
};
struct SnapEdgeRec {
  std::uint64_t type, name, to;  // to: node ordinal (to_node / field count)
};

struct ParsedSnapshot {
  std::uint64_t node_count = 0, edge_count = 0;
  std::vector<SnapNodeRec> nodes;
  std::vector<SnapEdgeRec> edges;
  std::vector<std::size_t> first_edge;  // per node, index into edges
  std::vector<std::string> strings;
  std::string error;  // empty when well formed

  [[nodiscard]] std::string name(std::size_t node) const { return strings.at(nodes[node].name); }
  // Edges of a node.
  [[nodiscard]] std::vector<SnapEdgeRec> out(std::size_t node) const {
    return {edges.begin() + static_cast<std::ptrdiff_t>(first_edge[node]),
            edges.begin() + static_cast<std::ptrdiff_t>(first_edge[node] + nodes[node].edge_count)};
  }
  [[nodiscard]] std::vector<std::size_t> named(const std::string& n) const {
    std::vector<std::size_t> r;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (strings[nodes[i].name] == n) r.push_back(i);
    }
    return r;
  }
};

inline std::vector<std::uint64_t> snapshot_numbers(const std::string& text,
                                                   const std::string& key) {
  std::vector<std::uint64_t> out;
  std::size_t at = text.find("\"" + key + "\":[");
  if (at == std::string::npos) return out;
  at = text.find('[', at) + 1;
  std::uint64_t v = 0;
  bool in = false;
  for (; at < text.size() && text[at] != ']'; ++at) {
    char c = text[at];
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
      in = true;
    } else if (in) {
      out.push_back(v);
      v = 0;
      in = false;
    }
  }
  if (in) out.push_back(v);
  return out;
}

inline std::uint64_t snapshot_count(const std::string& text, const std::string& key) {
  std::size_t at = text.find("\"" + key + "\":");
  return at == std::string::npos ? 0 : std::stoull(text.substr(at + key.size() + 3));
}

inline ParsedSnapshot read_snapshot(const std::string& path) {
  ParsedSnapshot s;
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  s.node_count = snapshot_count(text, "node_count");
  s.edge_count = snapshot_count(text, "edge_count");
  auto n = snapshot_numbers(text, "nodes");
  auto e = snapshot_numbers(text, "edges");
  if (n.size() != 7 * s.node_count || e.size() != 3 * s.edge_count) {
    s.error = "counts disagree with the arrays";
    return s;
  }
  std::size_t next = 0;
  for (std::size_t i = 0; i < n.size(); i += 7) {
    s.nodes.push_back({n[i], n[i + 1], n[i + 2], n[i + 3], n[i + 4]});
    s.first_edge.push_back(next);
    next += n[i + 4];
  }
  if (next != s.edge_count) s.error = "edge_count fields do not sum to edge_count";
  for (std::size_t i = 0; i < e.size(); i += 3) {
    if (e[i + 2] % 7 != 0 || e[i + 2] / 7 >= s.node_count) s.error = "an edge to no node";
    s.edges.push_back({e[i], e[i + 1], e[i + 2] / 7});
  }
  std::size_t at = text.find("\"strings\":[");
  if (at == std::string::npos) {
    s.error = "no strings";
    return s;
  }
  at += 11;
  while (at < text.size() && text[at] != ']') {
    if (text[at] != '"') {
      ++at;
      continue;
    }
    std::string str;
    for (++at; at < text.size() && text[at] != '"'; ++at) {
      if (text[at] == '\\') ++at;
      str += text[at];
    }
    ++at;
    s.strings.push_back(str);
  }
  for (const SnapNodeRec& node : s.nodes) {
    if (node.name >= s.strings.size()) s.error = "a node name out of the string table";
  }
  return s;
}

}  // namespace runa::heap::testing
