// vm_flags_at(p): the VmFlags line of the mapping that holds `p`, read from
// /proc/self/smaps ("" when no mapping holds it). Tests read it to see what
// the heap asked the kernel for (" hg": transparent huge pages).
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace runa::heap {

inline std::string vm_flags_at(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  auto at = reinterpret_cast<std::uintptr_t>(p);
  while (std::getline(smaps, line)) {
    std::uintptr_t from = 0;
    std::uintptr_t to = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> from >> dash >> to && dash == '-') inside = from <= at && at < to;
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

}  // namespace runa::heap
