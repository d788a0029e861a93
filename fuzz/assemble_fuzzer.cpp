// libFuzzer target: arbitrary bytes as `.runas` text (see fuzz_checks.hpp).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto failure = runa::fuzz::check_assemble(text)) {
    std::fprintf(stderr, "assemble_fuzzer: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
