// PprofBuilder (profile_proto.hpp): the encoded message read back field by
// field with a small protobuf reader of its own (string table, sample types,
// shared locations and functions, packed ids and values, labels); the gzip
// file inflated back to encode()'s bytes; and `go tool pprof` reading the
// file, naming the functions and the totals that were added.
//
// The go test fails, never skips, when go is missing: scripts/setup
// installs it (golang-go).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "services/profile_proto.hpp"

namespace runa::services {
namespace {

// One field of a message: wire type 0 carries `num`, wire type 2 `bytes`.
struct Field {
  unsigned number = 0;
  unsigned wire = 0;
  std::uint64_t num = 0;
  std::string bytes;
};

class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  [[nodiscard]] bool done() const { return at_ == s_.size(); }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (done()) throw std::runtime_error("truncated varint");
      auto b = static_cast<unsigned char>(s_[at_++]);
      v |= std::uint64_t{b & 0x7fU} << shift;
      if ((b & 0x80U) == 0) return v;
    }
    throw std::runtime_error("varint longer than ten bytes");
  }
  std::string take(std::uint64_t n) {
    if (n > s_.size() - at_) throw std::runtime_error("truncated length-delimited field");
    std::string b = s_.substr(at_, n);
    at_ += n;
    return b;
  }

 private:
  const std::string& s_;
  std::size_t at_ = 0;
};

std::vector<Field> fields(const std::string& msg) {
  Reader r(msg);
  std::vector<Field> out;
  while (!r.done()) {
    std::uint64_t key = r.varint();
    Field f;
    f.number = static_cast<unsigned>(key >> 3);
    f.wire = static_cast<unsigned>(key & 7);
    if (f.wire == 0) {
      f.num = r.varint();
    } else if (f.wire == 2) {
      f.bytes = r.take(r.varint());
    } else {
      throw std::runtime_error("unexpected wire type " + std::to_string(f.wire));
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::uint64_t> unpack(const std::string& b) {
  Reader r(b);
  std::vector<std::uint64_t> out;
  while (!r.done()) out.push_back(r.varint());
  return out;
}

// The varint of field `n`, 0 when absent (proto3's default).
std::uint64_t num(const std::vector<Field>& fs, unsigned n) {
  for (const Field& f : fs) {
    if (f.number == n) return f.num;
  }
  return 0;
}

// The bytes of every occurrence of field `n`.
std::vector<std::string> all(const std::vector<Field>& fs, unsigned n) {
  std::vector<std::string> out;
  for (const Field& f : fs) {
    if (f.number == n) out.push_back(f.bytes);
  }
  return out;
}

// A Profile message, decoded as far as the tests look.
struct Decoded {
  struct Function {
    std::string name, system_name, file;
  };
  struct Line {
    std::uint64_t function = 0;
    std::int64_t line = 0;
  };
  struct Label {
    std::string key, str, unit;
    std::int64_t num = 0;
  };
  struct Sample {
    std::vector<std::uint64_t> locations;
    std::vector<std::int64_t> values;
    std::vector<Label> labels;
    std::vector<Field> raw;  // the Sample's own fields, to check the packing
  };

  std::vector<std::string> strings;
  std::vector<std::pair<std::string, std::string>> sample_types;
  std::pair<std::string, std::string> period_type;
  std::int64_t period = 0;
  std::string default_sample_type;
  std::map<std::uint64_t, Function> functions;           // by id
  std::map<std::uint64_t, std::vector<Line>> locations;  // by id
  std::vector<Sample> samples;

  // The frame (function name, line) of location `id`'s first Line.
  [[nodiscard]] std::pair<std::string, std::int64_t> frame(std::uint64_t id) const {
    const Line& l = locations.at(id).at(0);
    return {functions.at(l.function).name, l.line};
  }
};

Decoded decode(const std::string& msg) {
  std::vector<Field> top = fields(msg);
  Decoded d;
  d.strings = all(top, 6);
  auto text = [&](std::uint64_t i) { return d.strings.at(i); };
  auto value_type = [&](const std::string& b) {
    std::vector<Field> fs = fields(b);
    return std::pair{text(num(fs, 1)), text(num(fs, 2))};
  };
  for (const std::string& b : all(top, 1)) d.sample_types.push_back(value_type(b));
  for (const std::string& b : all(top, 2)) {
    Decoded::Sample s;
    s.raw = fields(b);
    for (const std::string& p : all(s.raw, 1)) {
      for (std::uint64_t v : unpack(p)) s.locations.push_back(v);
    }
    for (const std::string& p : all(s.raw, 2)) {
      for (std::uint64_t v : unpack(p)) s.values.push_back(static_cast<std::int64_t>(v));
    }
    for (const std::string& l : all(s.raw, 3)) {
      std::vector<Field> fs = fields(l);
      s.labels.push_back({text(num(fs, 1)), text(num(fs, 2)), text(num(fs, 4)),
                          static_cast<std::int64_t>(num(fs, 3))});
    }
    d.samples.push_back(std::move(s));
  }
  for (const std::string& b : all(top, 4)) {
    std::vector<Field> fs = fields(b);
    std::vector<Decoded::Line>& lines = d.locations[num(fs, 1)];
    for (const std::string& l : all(fs, 4)) {
      std::vector<Field> ls = fields(l);
      lines.push_back({num(ls, 1), static_cast<std::int64_t>(num(ls, 2))});
    }
  }
  for (const std::string& b : all(top, 5)) {
    std::vector<Field> fs = fields(b);
    d.functions[num(fs, 1)] = {text(num(fs, 2)), text(num(fs, 3)), text(num(fs, 4))};
  }
  std::vector<std::string> period_type = all(top, 11);
  if (!period_type.empty()) d.period_type = value_type(period_type.front());
  d.period = static_cast<std::int64_t>(num(top, 12));
  d.default_sample_type = text(num(top, 14));
  return d;
}

const std::vector<PprofBuilder::Type> kTypes{{"alloc_objects", "count"},
                                             {"alloc_space", "bytes"},
                                             {"inuse_objects", "count"},
                                             {"inuse_space", "bytes"}};

// Three samples over four distinct frames in three functions: make_leaf:7
// and main:1 recur, main appears at two lines. alloc_space totals 1144
// bytes: 48 + 96 in make_leaf, 1000 in make_tree.
PprofBuilder example() {
  PprofBuilder b(kTypes, {"space", "bytes"}, 524288);
  b.set_default_sample_type("alloc_space");
  b.add({{"make_leaf", "a.runa", 7}, {"main", "a.runa", 1}}, {1, 48, 1, 48}, {{"type", "String"}},
        {{"bytes", 48, "bytes"}});
  b.add({{"make_leaf", "a.runa", 7}, {"main", "a.runa", 2}}, {2, 96, 0, 0}, {{"type", "String"}});
  b.add({{"make_tree", "b.runa", 3}, {"main", "a.runa", 1}}, {3, 1000, 3, 1000},
        {{"type", "Tree"}});
  return b;
}

std::string temp_path(const std::string& tag) {
  return ::testing::TempDir() + "pprof_" + tag + "_" + std::to_string(::getpid()) + ".pb.gz";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string gunzip(std::string gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);  // 16: gzip header and trailer
  z.next_in = reinterpret_cast<Bytef*>(gz.data());
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[4096];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END) << "gzip stream did not end";
  EXPECT_EQ(z.avail_in, 0U) << "bytes after the gzip stream";
  inflateEnd(&z);
  return out;
}

// Runs `go tool pprof ARGS path` with a fresh HOME, GOCACHE and GOPATH (a
// clean CI machine has none); its output, stderr included, and exit status.
std::pair<std::string, int> pprof(const std::string& args, const std::string& path) {
  std::string home = ::testing::TempDir() + "pprof_gohome_" + std::to_string(::getpid());
  std::string cmd = "HOME=" + home + " GOCACHE=" + home + "/cache GOPATH=" + home +
                    " go tool pprof " + args + " " + path + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (p == nullptr) return {"popen failed", -1};
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p.get()) != nullptr) out += buf;
  return {out, pclose(p.release())};
}

TEST(Pprof, StringTableStartsEmptyAndHoldsEachStringOnce) {
  Decoded d = decode(example().encode());
  ASSERT_FALSE(d.strings.empty());
  EXPECT_EQ(d.strings[0], "");
  std::map<std::string, int> seen;
  for (const std::string& s : d.strings) EXPECT_EQ(++seen[s], 1) << "duplicate \"" << s << "\"";
}

TEST(Pprof, SampleTypesPeriodAndDefault) {
  Decoded d = decode(example().encode());
  EXPECT_EQ(d.sample_types, kTypes);
  EXPECT_EQ(d.period_type, (std::pair<std::string, std::string>{"space", "bytes"}));
  EXPECT_EQ(d.period, 524288);
  EXPECT_EQ(d.default_sample_type, "alloc_space");
}

TEST(Pprof, IdenticalFramesShareOneLocationAndOneFunction) {
  Decoded d = decode(example().encode());
  // make_leaf:7, main:1, main:2, make_tree:3 in make_leaf, main, make_tree.
  ASSERT_EQ(d.locations.size(), 4U);
  ASSERT_EQ(d.functions.size(), 3U);
  EXPECT_EQ(d.locations.count(0), 0U) << "location id 0 means none";
  EXPECT_EQ(d.functions.count(0), 0U) << "function id 0 means none";
  for (const auto& [id, lines] : d.locations) {
    ASSERT_EQ(lines.size(), 1U) << "location " << id;
    EXPECT_EQ(d.functions.count(lines[0].function), 1U) << "location " << id;
  }
  for (const auto& [id, f] : d.functions) EXPECT_EQ(f.system_name, f.name) << "function " << id;

  ASSERT_EQ(d.samples.size(), 3U);
  for (const Decoded::Sample& s : d.samples) ASSERT_EQ(s.locations.size(), 2U);
  const auto& s = d.samples;
  EXPECT_EQ(s[0].locations[0], s[1].locations[0]);  // make_leaf:7
  EXPECT_EQ(s[0].locations[1], s[2].locations[1]);  // main:1
  EXPECT_NE(s[0].locations[1], s[1].locations[1]);  // main:1 against main:2
  EXPECT_EQ(d.locations.at(s[0].locations[1])[0].function,
            d.locations.at(s[1].locations[1])[0].function);  // both main

  using Frame = std::pair<std::string, std::int64_t>;
  EXPECT_EQ(d.frame(s[0].locations[0]), (Frame{"make_leaf", 7}));  // innermost first
  EXPECT_EQ(d.frame(s[0].locations[1]), (Frame{"main", 1}));
  EXPECT_EQ(d.frame(s[1].locations[1]), (Frame{"main", 2}));
  EXPECT_EQ(d.frame(s[2].locations[0]), (Frame{"make_tree", 3}));
  std::map<std::string, std::string> files;
  for (const auto& [id, f] : d.functions) files[f.name] = f.file;
  EXPECT_EQ(files, (std::map<std::string, std::string>{
                       {"main", "a.runa"}, {"make_leaf", "a.runa"}, {"make_tree", "b.runa"}}));
}

TEST(Pprof, IdsAndValuesArePacked) {
  Decoded d = decode(example().encode());
  ASSERT_EQ(d.samples.size(), 3U);
  for (const Decoded::Sample& s : d.samples) {
    int ids = 0;
    int values = 0;
    for (const Field& f : s.raw) {
      if (f.number == 1 || f.number == 2) {
        EXPECT_EQ(f.wire, 2U) << "field " << f.number;
      }
      ids += f.number == 1 ? 1 : 0;
      values += f.number == 2 ? 1 : 0;
    }
    EXPECT_EQ(ids, 1);
    EXPECT_EQ(values, 1);
  }
  EXPECT_EQ(d.samples[0].values, (std::vector<std::int64_t>{1, 48, 1, 48}));
  EXPECT_EQ(d.samples[1].values, (std::vector<std::int64_t>{2, 96, 0, 0}));
  EXPECT_EQ(d.samples[2].values, (std::vector<std::int64_t>{3, 1000, 3, 1000}));
}

TEST(Pprof, NegativeAndLargeValuesSurvive) {
  PprofBuilder b({{"delta", "bytes"}, {"big", "bytes"}}, {"space", "bytes"}, 1);
  b.add({{"f", "x.runa", 1}}, {-5, std::int64_t{1} << 62});
  Decoded d = decode(b.encode());
  ASSERT_EQ(d.samples.size(), 1U);
  EXPECT_EQ(d.samples[0].values, (std::vector<std::int64_t>{-5, std::int64_t{1} << 62}));
  EXPECT_EQ(d.default_sample_type, "");  // not set: index 0
}

TEST(Pprof, StringAndNumericLabels) {
  Decoded d = decode(example().encode());
  ASSERT_EQ(d.samples.size(), 3U);
  const std::vector<Decoded::Label>& l = d.samples[0].labels;
  ASSERT_EQ(l.size(), 2U);
  EXPECT_EQ(l[0].key, "type");
  EXPECT_EQ(l[0].str, "String");
  EXPECT_EQ(l[0].num, 0);
  EXPECT_EQ(l[1].key, "bytes");
  EXPECT_EQ(l[1].str, "");
  EXPECT_EQ(l[1].num, 48);
  EXPECT_EQ(l[1].unit, "bytes");
  ASSERT_EQ(d.samples[2].labels.size(), 1U);
  EXPECT_EQ(d.samples[2].labels[0].str, "Tree");
}

TEST(Pprof, GzipFileInflatesToTheEncodedBytes) {
  PprofBuilder b = example();
  std::string path = temp_path("roundtrip");
  std::string error;
  ASSERT_TRUE(b.write_gzip(path, &error)) << error;
  std::string gz = read_file(path);
  ASSERT_GE(gz.size(), 18U);  // header and trailer at least
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1fU);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8bU);
  EXPECT_EQ(gunzip(gz), b.encode());
  std::remove(path.c_str());
}

TEST(Pprof, UnwritablePathIsAnErrorNamingIt) {
  std::string path = ::testing::TempDir() + "no_such_dir_" + std::to_string(::getpid()) + "/p.gz";
  std::string error;
  EXPECT_FALSE(example().write_gzip(path, &error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
}

TEST(Pprof, GoToolPprofReadsTheFile) {
  if (std::system("command -v go >/dev/null 2>&1") != 0) {
    FAIL() << "go is not installed: run scripts/setup (it installs golang-go)";
  }
  std::string path = temp_path("go");
  std::string error;
  ASSERT_TRUE(example().write_gzip(path, &error)) << error;

  auto [top, top_rc] = pprof("-top -sample_index=alloc_space", path);
  ASSERT_EQ(top_rc, 0) << top;
  EXPECT_NE(top.find("Type: alloc_space"), std::string::npos) << top;
  EXPECT_NE(top.find("1144B total"), std::string::npos) << top;
  EXPECT_NE(top.find("make_leaf"), std::string::npos) << top;
  EXPECT_NE(top.find("make_tree"), std::string::npos) << top;
  // Flat bytes per function: 1000 in make_tree, 144 in make_leaf.
  std::istringstream lines(top);
  std::map<std::string, std::string> flat;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w{std::istream_iterator<std::string>(words),
                               std::istream_iterator<std::string>()};
    if (w.size() == 6) flat[w[5]] = w[0];
  }
  EXPECT_EQ(flat["make_tree"], "1000B") << top;
  EXPECT_EQ(flat["make_leaf"], "144B") << top;

  auto [traces, traces_rc] = pprof("-traces -sample_index=inuse_space", path);
  ASSERT_EQ(traces_rc, 0) << traces;
  EXPECT_NE(traces.find("Type: inuse_space"), std::string::npos) << traces;
  EXPECT_NE(traces.find("make_tree"), std::string::npos) << traces;
  EXPECT_NE(traces.find("main"), std::string::npos) << traces;
  // Labels print as "key:  value", numeric ones with their unit.
  EXPECT_NE(traces.find("type:  Tree"), std::string::npos) << traces;
  EXPECT_NE(traces.find("bytes:  48B"), std::string::npos) << traces;
  EXPECT_NE(traces.find("1000B   make_tree"), std::string::npos) << traces;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace runa::services
