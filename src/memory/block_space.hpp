// BlockSpace: the old generation's address range cut into Immix blocks of
// 32 KiB, each of 128 lines of 256 bytes, and the block allocator the old
// generation and the large-object space share.
//
// Blocks are handed out from a free list of released blocks first, then
// from the frontier (the first block never used); both are committed when
// taken and decommitted when released, so a taken block reads as zero. The
// count of blocks in use never exceeds max_heap / 32 KiB.
//
// Promotion bump-allocates objects into the current object block; an object
// that does not fit the rest of it starts a fresh block (objects reaching
// here are at most one block: Options::tlab is capped at a block and larger
// allocations go to the large-object space). Each block records its used
// prefix (`top`, so its objects can be walked) and which lines hold object
// bytes. Line reuse comes with the major collector, which will recompute the
// line map by marking and sweep free lines and blocks; until then the old
// generation only grows.
//
// Locking: take() and release() lock `mu_` (mutators take large-object
// runs concurrently); promote() runs only in a stopped world.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "memory/region.hpp"
#include "runatime/heap.hpp"

namespace runa::heap {

inline constexpr std::size_t kBlock = std::size_t{32} << 10;
inline constexpr std::size_t kLine = 256;
inline constexpr std::size_t kLinesPerBlock = kBlock / kLine;

enum class BlockKind : std::uint8_t { kFree, kObjects, kLargeHead, kLargeTail };

struct BlockInfo {
  BlockKind kind = BlockKind::kFree;
  std::uint32_t top = 0;                             // kObjects: bytes used from the block's start
  std::uint32_t run = 0;                             // kLargeHead: blocks in the run
  std::array<std::uint8_t, kLinesPerBlock> lines{};  // kObjects: 1 = holds object bytes
};

class BlockSpace {
 public:
  // [base, base + blocks * kBlock) is reserved in `region`, block-aligned.
  void init(Region& region, std::uint8_t* base, std::size_t blocks);

  // n contiguous committed zero blocks marked `kind` (a run: kLargeHead then
  // kLargeTail); the index of the first, or nullopt when max_heap is used up.
  std::optional<std::size_t> take(std::size_t n, BlockKind kind);
  // Returns the block or run starting at `index` to the free list.
  void release(std::size_t index);

  // Collector: room for `bytes` of promoted objects, or nullptr.
  std::uint8_t* promote(std::size_t bytes);
  // Whether promoting up to `bytes` can never fail: every block closed by
  // promote() is more than half full, so that needs 2 * bytes / kBlock new
  // blocks, plus one partly filled.
  [[nodiscard]] bool can_promote(std::size_t bytes);

  [[nodiscard]] bool contains(const void* p) const {
    return reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base_) <
           blocks_ * kBlock;
  }
  [[nodiscard]] std::size_t index_of(const void* p) const {
    return (reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base_)) / kBlock;
  }
  [[nodiscard]] std::uint8_t* block(std::size_t i) const { return base_ + i * kBlock; }
  // Metadata; stable while the world is stopped or the caller owns the block.
  [[nodiscard]] const BlockInfo& info(std::size_t i) const { return info_[i]; }
  [[nodiscard]] std::size_t frontier() const;
  [[nodiscard]] std::size_t capacity() const { return blocks_; }
  [[nodiscard]] std::size_t blocks_in_use() const;
  [[nodiscard]] std::size_t object_bytes() const;  // sum of `top` over object blocks

 private:
  std::optional<std::size_t> take_locked(std::size_t n, BlockKind kind);

  Region* region_ = nullptr;
  std::uint8_t* base_ = nullptr;
  std::size_t blocks_ = 0;
  mutable std::mutex mu_;
  std::vector<BlockInfo> info_;
  std::vector<std::size_t> free_;  // released single blocks
  std::size_t frontier_ = 0;
  std::size_t in_use_ = 0;
  std::size_t object_bytes_ = 0;
  std::optional<std::size_t> current_;  // promotion block
};

}  // namespace runa::heap
