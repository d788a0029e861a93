// libFuzzer target: arbitrary bytes as a `.runab` module (see fuzz_checks.hpp).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto failure = runa::fuzz::check_read_verify({data, size})) {
    std::fprintf(stderr, "read_verify_fuzzer: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
