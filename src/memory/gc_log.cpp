// The gc log: one line per collection on stderr, in the spirit of
// -Xlog:gc: kind, cause, heap in use before -> after, pause, promoted bytes,
// and for a major collection the old and large bytes it found live and
// the bytes it evacuated (when any).
#include <cstdio>

#include "memory/stats.hpp"

namespace runa::heap {
namespace {

// Bytes as a short decimal with a binary unit: 512B, 12.3K, 4.0M, 1.2G.
std::string size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "K", "M", "G", "T"};
  auto v = static_cast<double>(bytes);
  unsigned u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f%s", v, kUnits[u]);
  }
  return buf;
}

}  // namespace

const char* cause_name(Cause c) {
  switch (c) {
    case Cause::kEdenFull:
      return "eden full";
    case Cause::kStress:
      return "stress";
    case Cause::kRequested:
      return "requested";
    case Cause::kOldGrown:
      return "old generation grown";
    case Cause::kNoRoom:
      return "no room to promote";
    case Cause::kLargeFailure:
      return "no room outside the nursery";
  }
  return "?";
}

std::string log_line(const CollectionRecord& c) {
  char pause[32];
  std::snprintf(pause, sizeof pause, "%.3fms", static_cast<double>(c.pause_ns) / 1e6);
  std::string line = std::string(c.major ? "[gc] major (" : "[gc] minor (") + cause_name(c.cause) +
                     ") " + size(c.before) + "->" + size(c.after) + " " + pause + " promoted " +
                     size(c.promoted);
  if (c.major) line += " marked " + size(c.marked);
  if (c.evacuated != 0) line += " evacuated " + size(c.evacuated);
  return line;
}

void write_log_line(const CollectionRecord& c) {
  std::string line = log_line(c) + "\n";
  std::fputs(line.c_str(), stderr);
}

}  // namespace runa::heap
