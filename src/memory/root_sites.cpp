// RootSites: creation sites of roots, recorded and reported (root_sites.hpp).
#include "memory/root_sites.hpp"

#include <execinfo.h>

#include <cstdlib>
#include <memory>

namespace runa::heap {
namespace {

// add() and the Heap entry point that called it.
constexpr int kOwnFrames = 2;

}  // namespace

void RootSites::add(std::uintptr_t key) {
  void* frames[kFrames + kOwnFrames];
  int n = backtrace(frames, kFrames + kOwnFrames);
  Site s;
  for (int i = kOwnFrames; i < n; ++i) s.frames[static_cast<std::size_t>(s.depth++)] = frames[i];
  std::lock_guard lock(mu_);
  sites_[key] = s;
}

void RootSites::remove(std::uintptr_t key) {
  std::lock_guard lock(mu_);
  sites_.erase(key);
}

std::vector<std::string> RootSites::describe() const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (const auto& [key, site] : sites_) {
    std::string line = std::string(what_) + " created at ";
    std::unique_ptr<char*, decltype(&std::free)> names(
        backtrace_symbols(site.frames.data(), site.depth), &std::free);
    for (int i = 0; i < site.depth; ++i) {
      if (i != 0) line += " <- ";
      line += names ? names.get()[i] : "?";
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace runa::heap
