// PauseReserve: reserving, committing and taking (see pause_reserve.hpp).
#include "memory/pause_reserve.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace runa::heap {
namespace {

constexpr std::size_t kMinCommit = std::size_t{1} << 20;

constexpr std::size_t page_up(std::size_t n) {
  return (n + kPage - 1) / kPage * kPage;
}

}  // namespace

bool PauseReserve::init(std::size_t max_bytes, std::string& error) {
  return region_.reserve(page_up(std::max(max_bytes, kMinCommit)), kPage, error);
}

bool PauseReserve::ensure(std::size_t bytes) {
  std::lock_guard lock(mu_);
  std::size_t now = committed_.load(std::memory_order_relaxed);
  if (bytes <= now) return true;
  // Grown by a quarter at least, so that a heap that grows commits rarely.
  std::size_t want = page_up(std::max({bytes, now + now / 4, kMinCommit}));
  want = std::min(want, region_.size());
  if (bytes > want || want > limit_) return false;
  if (!region_.commit(region_.base() + now, want - now)) return false;
  committed_.store(want, std::memory_order_release);
  return true;
}

void PauseReserve::set_limit(std::size_t bytes) {
  std::lock_guard lock(mu_);
  limit_ = bytes;
}

void* PauseReserve::take(std::size_t bytes) {
  std::size_t at = used_.fetch_add(bytes, std::memory_order_relaxed);
  std::size_t committed = committed_.load(std::memory_order_relaxed);
  if (at + bytes > committed) {
    std::fprintf(stderr,
                 "runatime: a collection needs more than the %zu bytes reserved for its lists "
                 "(the bound computed before the pause is wrong)\n",
                 committed);
    std::abort();
  }
  return region_.base() + at;
}

}  // namespace runa::heap
