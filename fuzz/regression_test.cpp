// Replays every file under fuzz/regressions/<target>/ and fuzz/corpus/<target>/
// through the fuzz targets' checks (fuzz_checks.hpp), so that an input that
// once broke an invariant is checked in every build, sanitizers included,
// without libFuzzer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_checks.hpp"

namespace runa::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> files_in(const std::string& folder) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(RUNA_SOURCE_DIR) / "fuzz" / folder;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::optional<std::string> run(const std::string& target, const std::string& input) {
  if (target == "read_verify_fuzzer") {
    return check_read_verify({reinterpret_cast<const std::uint8_t*>(input.data()), input.size()});
  }
  return check_assemble(input);
}

// Every file of fuzz/<folder>/<target>/ passes the target's checks.
void replay(const std::string& folder, const std::string& target) {
  const std::vector<fs::path> files = files_in(folder + "/" + target);
  ASSERT_FALSE(files.empty()) << "fuzz/" << folder << "/" << target << "/ holds no file";
  for (const fs::path& file : files) {
    const std::optional<std::string> failure = run(target, contents(file));
    EXPECT_FALSE(failure.has_value()) << file.string() << ": " << failure.value_or("");
  }
}

TEST(FuzzRegressionTest, ReadVerifyRegressions) {
  replay("regressions", "read_verify_fuzzer");
}

TEST(FuzzRegressionTest, AssembleRegressions) {
  replay("regressions", "assemble_fuzzer");
}

TEST(FuzzRegressionTest, ReadVerifyCorpus) {
  replay("corpus", "read_verify_fuzzer");
}

TEST(FuzzRegressionTest, AssembleCorpus) {
  replay("corpus", "assemble_fuzzer");
}

// The examples are seeds of both targets (`make fuzz`): .runas as text, .runab as bytes.
TEST(FuzzRegressionTest, Examples) {
  const fs::path dir = fs::path(RUNA_SOURCE_DIR) / "examples";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no examples/ folder";
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string input = contents(e.path());
    for (const char* target : {"read_verify_fuzzer", "assemble_fuzzer"}) {
      const std::optional<std::string> failure = run(target, input);
      EXPECT_FALSE(failure.has_value())
          << target << ": " << e.path().string() << ": " << failure.value_or("");
    }
  }
}

}  // namespace
}  // namespace runa::fuzz
