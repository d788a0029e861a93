// map_own_code() (see own_code.hpp).
#include "own_code.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; glibc 2.36's headers lack it
#endif

// The linker's symbols for the executable's first byte and the end of its
// code (ld(1): "__executable_start", "etext").
extern "C" const char __executable_start[];  // NOLINT(bugprone-reserved-identifier)
extern "C" const char etext[];

namespace runa::cli {

void map_own_code() {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  // The executable starts on a page (ELF segments are page-aligned); only
  // etext needs no rounding: madvise takes a length.
  const auto from = reinterpret_cast<std::uintptr_t>(__executable_start);
  const auto to = reinterpret_cast<std::uintptr_t>(etext);
  if (from % page != 0) return;
  // A hint: refused (an older kernel), the pages fault in one by one.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): madvise's void*; nothing is written
  madvise(const_cast<char*>(__executable_start), to - from, MADV_POPULATE_READ);
}

}  // namespace runa::cli
