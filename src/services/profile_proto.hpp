// PprofBuilder: pprof's profile.proto (github.com/google/pprof, proto/
// profile.proto), encoded by hand and written gzip-compressed, the form
// `go tool pprof` and other pprof readers open.
//
// What it keeps: one string table (index 0 is "", as the format demands),
// one Function per distinct (name, file), one Location per distinct frame
// (one Line each), and the samples as location ids (innermost first) with
// one value per sample type. Ids start at 1: 0 means "none" in the format.
// Profiles are symbolized (functions carry names), so no Mapping is needed:
// readers take a location without a mapping as already resolved.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace runa::services {

struct PprofFrame {
  std::string function;
  std::string file;
  std::int64_t line = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  friend auto operator<=>(const PprofFrame&, const PprofFrame&) = default;
};

class PprofBuilder {
 public:
  using Type = std::pair<std::string, std::string>;                     // (type, unit)
  using NumLabel = std::tuple<std::string, std::int64_t, std::string>;  // (key, value, unit)

  PprofBuilder(const std::vector<Type>& sample_types, const Type& period_type, std::int64_t period);

  // `stack` innermost first; one value per sample type.
  void add(const std::vector<PprofFrame>& stack, const std::vector<std::int64_t>& values,
           const std::vector<std::pair<std::string, std::string>>& labels = {},
           const std::vector<NumLabel>& num_labels = {});
  void set_default_sample_type(const std::string& type);

  // The uncompressed message.
  [[nodiscard]] std::string encode() const;
  // encode(), gzip-compressed, to `path`; false with `error` set on failure.
  bool write_gzip(const std::string& path, std::string* error) const;

 private:
  std::int64_t str(const std::string& s);
  std::uint64_t location(const PprofFrame& f);

  struct Sample {
    std::vector<std::uint64_t> locations;
    std::vector<std::int64_t> values;
    std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>> labels;
  };
  std::vector<std::string> strings_{""};
  std::map<std::string, std::int64_t> string_index_{{"", 0}};
  std::vector<std::pair<std::int64_t, std::int64_t>> sample_types_;
  std::pair<std::int64_t, std::int64_t> period_type_;
  std::int64_t period_;
  std::int64_t default_type_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> functions_;  // -> id
  std::vector<std::tuple<std::int64_t, std::int64_t>> function_names_;  // (name, file) by id - 1
  std::map<PprofFrame, std::uint64_t> locations_;                       // -> id
  std::vector<std::pair<std::uint64_t, std::int64_t>> location_lines_;  // (function, line)
  std::vector<Sample> samples_;
};

}  // namespace runa::services
