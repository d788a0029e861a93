// PprofBuilder: the protobuf wire format by hand (profile_proto.hpp).
//
// Wire format: every field is a key varint (field number << 3 | wire type)
// then its value: wire type 0 a varint, 2 a length-delimited payload
// (strings, nested messages, packed repeated numbers). Negative int64
// values are ten-byte varints, as protobuf encodes int64.
#include "services/profile_proto.hpp"

#include <zlib.h>

namespace runa::services {
namespace {

// Field numbers of profile.proto.
enum : unsigned {
  kProfileSampleType = 1,
  kProfileSample = 2,
  kProfileLocation = 4,
  kProfileFunction = 5,
  kProfileStringTable = 6,
  kProfilePeriodType = 11,
  kProfilePeriod = 12,
  kProfileDefaultSampleType = 14,
  kValueTypeType = 1,
  kValueTypeUnit = 2,
  kSampleLocationId = 1,
  kSampleValue = 2,
  kSampleLabel = 3,
  kLabelKey = 1,
  kLabelStr = 2,
  kLabelNum = 3,
  kLabelNumUnit = 4,
  kLocationId = 1,
  kLocationLine = 4,
  kLineFunctionId = 1,
  kLineLine = 2,
  kFunctionId = 1,
  kFunctionName = 2,
  kFunctionSystemName = 3,
  kFunctionFilename = 4,
};

class Out {
 public:
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      s_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    s_ += static_cast<char>(v);
  }
  void number(unsigned field, std::uint64_t v) {
    if (v == 0) return;  // proto3: zero is the default, not written
    varint(field << 3);
    varint(v);
  }
  void bytes(unsigned field, const std::string& b) {
    varint((field << 3) | 2);
    varint(b.size());
    s_ += b;
  }
  template <class T>
  void packed(unsigned field, const std::vector<T>& v) {
    Out inner;
    for (T x : v) inner.varint(static_cast<std::uint64_t>(x));
    bytes(field, inner.s_);
  }
  [[nodiscard]] const std::string& str() const { return s_; }

 private:
  std::string s_;
};

std::string value_type(std::pair<std::int64_t, std::int64_t> t) {
  Out o;
  o.number(kValueTypeType, static_cast<std::uint64_t>(t.first));
  o.number(kValueTypeUnit, static_cast<std::uint64_t>(t.second));
  return o.str();
}

}  // namespace

PprofBuilder::PprofBuilder(const std::vector<Type>& sample_types, const Type& period_type,
                           std::int64_t period)
    : period_(period) {
  for (const Type& t : sample_types) sample_types_.emplace_back(str(t.first), str(t.second));
  period_type_ = {str(period_type.first), str(period_type.second)};
}

std::int64_t PprofBuilder::str(const std::string& s) {
  auto [it, added] = string_index_.try_emplace(s, static_cast<std::int64_t>(strings_.size()));
  if (added) strings_.push_back(s);
  return it->second;
}

std::uint64_t PprofBuilder::location(const PprofFrame& f) {
  auto [fit, fadded] = functions_.try_emplace({f.function, f.file}, function_names_.size() + 1);
  if (fadded) function_names_.emplace_back(str(f.function), str(f.file));
  auto [lit, ladded] = locations_.try_emplace(f, location_lines_.size() + 1);
  if (ladded) location_lines_.emplace_back(fit->second, f.line);
  return lit->second;
}

void PprofBuilder::add(const std::vector<PprofFrame>& stack,
                       const std::vector<std::int64_t>& values,
                       const std::vector<std::pair<std::string, std::string>>& labels,
                       const std::vector<NumLabel>& num_labels) {
  Sample s;
  for (const PprofFrame& f : stack) s.locations.push_back(location(f));
  s.values = values;
  for (const auto& [key, value] : labels) s.labels.emplace_back(str(key), str(value), 0, 0);
  for (const auto& [key, num, unit] : num_labels) {
    s.labels.emplace_back(str(key), 0, num, str(unit));
  }
  samples_.push_back(std::move(s));
}

void PprofBuilder::set_default_sample_type(const std::string& type) {
  default_type_ = str(type);
}

std::string PprofBuilder::encode() const {
  Out p;
  for (const auto& t : sample_types_) p.bytes(kProfileSampleType, value_type(t));
  for (const Sample& s : samples_) {
    Out o;
    o.packed(kSampleLocationId, s.locations);
    o.packed(kSampleValue, s.values);
    for (const auto& [key, text, num, unit] : s.labels) {
      Out l;
      l.number(kLabelKey, static_cast<std::uint64_t>(key));
      l.number(kLabelStr, static_cast<std::uint64_t>(text));
      l.number(kLabelNum, static_cast<std::uint64_t>(num));
      l.number(kLabelNumUnit, static_cast<std::uint64_t>(unit));
      o.bytes(kSampleLabel, l.str());
    }
    p.bytes(kProfileSample, o.str());
  }
  for (std::size_t i = 0; i < location_lines_.size(); ++i) {
    Out line;
    line.number(kLineFunctionId, location_lines_[i].first);
    line.number(kLineLine, static_cast<std::uint64_t>(location_lines_[i].second));
    Out o;
    o.number(kLocationId, i + 1);
    o.bytes(kLocationLine, line.str());
    p.bytes(kProfileLocation, o.str());
  }
  for (std::size_t i = 0; i < function_names_.size(); ++i) {
    auto [name, file] = function_names_[i];
    Out o;
    o.number(kFunctionId, i + 1);
    o.number(kFunctionName, static_cast<std::uint64_t>(name));
    o.number(kFunctionSystemName, static_cast<std::uint64_t>(name));
    o.number(kFunctionFilename, static_cast<std::uint64_t>(file));
    p.bytes(kProfileFunction, o.str());
  }
  for (const std::string& s : strings_) p.bytes(kProfileStringTable, s);
  p.bytes(kProfilePeriodType, value_type(period_type_));
  p.number(kProfilePeriod, static_cast<std::uint64_t>(period_));
  p.number(kProfileDefaultSampleType, static_cast<std::uint64_t>(default_type_));
  return p.str();
}

bool PprofBuilder::write_gzip(const std::string& path, std::string* error) const {
  const std::string data = encode();
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr) {
    *error = path + ": cannot open for writing";
    return false;
  }
  bool ok = data.empty() || gzwrite(f, data.data(), static_cast<unsigned>(data.size())) ==
                                static_cast<int>(data.size());
  ok = gzclose(f) == Z_OK && ok;
  if (!ok) *error = path + ": write failed";
  return ok;
}

}  // namespace runa::services
