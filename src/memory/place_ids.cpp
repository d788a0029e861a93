// PlaceIds: numbering lines and forgetting their numbers (place_ids.hpp).
#include "memory/place_ids.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

namespace runa::heap {
namespace {

// Anonymous memory the kernel commits page by page as it is written.
void* reserve(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  // Huge pages where the kernel has them: first touches are page faults,
  // costly on a virtual machine, and 2 MiB of numbers cover 128 MiB of
  // heap (heap_walk.hpp's SideMap does the same).
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

}  // namespace

PlaceIds::~PlaceIds() {
  if (numbers_ != nullptr) munmap(numbers_, blocks_ * kLinesPerBlock * sizeof(std::uint32_t));
  if (named_blocks_ != nullptr) munmap(named_blocks_, blocks_);
}

bool PlaceIds::activate(std::size_t blocks) {
  if (active()) return true;
  void* flags = reserve(blocks);
  if (flags == nullptr) return false;
  void* numbers = reserve(blocks * kLinesPerBlock * sizeof(std::uint32_t));
  if (numbers == nullptr) {
    munmap(flags, blocks);
    return false;
  }
  blocks_ = blocks;
  named_blocks_ = static_cast<std::uint8_t*>(flags);
  numbers_ = static_cast<std::uint32_t*>(numbers);
  return true;
}

std::uint64_t PlaceIds::id(std::size_t block, std::size_t offset, Batch& numbers) {
  std::uint32_t& n = numbers_[block * kLinesPerBlock + offset / kLine];
  if (n == 0) {
    if (numbers.next == numbers.end) {
      // Relaxed: the numbers only have to be unique, and the world is
      // stopped. The counter holds 0 once it has given UINT32_MAX.
      std::uint32_t next = next_.load(std::memory_order_relaxed);
      std::uint64_t take = 0;
      do {
        if (next == 0) return 0;  // wrapped: every number was given
        take = std::min<std::uint64_t>(kBatch, (std::uint64_t{1} << 32) - next);
      } while (!next_.compare_exchange_weak(next, static_cast<std::uint32_t>(next + take),
                                            std::memory_order_relaxed));
      numbers = {next, next + take};
    }
    n = static_cast<std::uint32_t>(numbers.next++);
    named_blocks_[block] = 1;
  }
  return place_id(n, offset);
}

std::uint64_t PlaceIds::id_if_named(std::size_t block, std::size_t offset) const {
  if (!active() || named_blocks_[block] == 0) return 0;
  std::uint32_t n = numbers_[block * kLinesPerBlock + offset / kLine];
  return n == 0 ? 0 : place_id(n, offset);
}

void PlaceIds::forget(std::size_t block) {
  if (!active() || named_blocks_[block] == 0) return;
  std::memset(numbers_ + block * kLinesPerBlock, 0, kLinesPerBlock * sizeof(std::uint32_t));
  named_blocks_[block] = 0;
}

}  // namespace runa::heap
