// RootSites: where persistent handles and root sets were created, recorded
// in the heap's debug mode (Options::verify), so that those never released
// can be named: in the leak report, and on stderr when the heap is
// destroyed with them still held.
//
// A site is the creating thread's return addresses (backtrace(3)), the
// runtime's own frames skipped, symbolized only when reported
// (backtrace_symbols: "binary(function+offset)", or "binary(+offset)" for
// a binary without dynamic symbols, which addr2line resolves).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace runa::heap {

class RootSites {
 public:
  explicit RootSites(const char* what) : what_(what) {}

  // Called by the heap's own entry point for creating such a root.
  void add(std::uintptr_t key);
  void remove(std::uintptr_t key);
  // One line for each root still held: what it is and where it was made.
  [[nodiscard]] std::vector<std::string> describe() const;

 private:
  static constexpr int kFrames = 6;
  struct Site {
    std::array<void*, kFrames> frames{};
    int depth = 0;
  };
  const char* what_;
  mutable std::mutex mu_;
  std::unordered_map<std::uintptr_t, Site> sites_;
};

}  // namespace runa::heap
