// BlockSpace: block allocation and promotion bump allocation (see
// block_space.hpp).
#include "memory/block_space.hpp"

namespace runa::heap {

void BlockSpace::init(Region& region, std::uint8_t* base, std::size_t blocks) {
  region_ = &region;
  base_ = base;
  blocks_ = blocks;
  info_.assign(blocks, BlockInfo{});
}

std::optional<std::size_t> BlockSpace::take(std::size_t n, BlockKind kind) {
  std::lock_guard lock(mu_);
  return take_locked(n, kind);
}

std::optional<std::size_t> BlockSpace::take_locked(std::size_t n, BlockKind kind) {
  if (n == 0 || n > blocks_ - in_use_) return std::nullopt;
  std::size_t first = 0;
  if (n == 1 && !free_.empty()) {
    first = free_.back();
    free_.pop_back();
  } else {
    // Runs come only from the frontier: released blocks are not coalesced.
    if (n > blocks_ - frontier_) return std::nullopt;
    first = frontier_;
    frontier_ += n;
  }
  if (!region_->commit(block(first), n * kBlock)) {
    // Out of memory at the OS level: put the blocks back, report exhaustion.
    if (first + n == frontier_) {
      frontier_ = first;
    } else {
      free_.push_back(first);
    }
    return std::nullopt;
  }
  in_use_ += n;
  for (std::size_t i = 0; i < n; ++i) {
    BlockInfo& b = info_[first + i];
    b = BlockInfo{};
    b.kind = i == 0 ? kind : BlockKind::kLargeTail;
  }
  if (kind == BlockKind::kLargeHead) info_[first].run = static_cast<std::uint32_t>(n);
  return first;
}

void BlockSpace::release(std::size_t index) {
  std::lock_guard lock(mu_);
  BlockInfo& b = info_[index];
  std::size_t n = b.kind == BlockKind::kLargeHead ? b.run : 1;
  if (b.kind == BlockKind::kObjects) object_bytes_ -= b.top;
  if (current_ == index) current_.reset();
  region_->decommit(block(index), n * kBlock);
  for (std::size_t i = 0; i < n; ++i) {
    info_[index + i] = BlockInfo{};
    free_.push_back(index + i);
  }
  in_use_ -= n;
}

std::uint8_t* BlockSpace::promote(std::size_t bytes) {
  if (bytes > kBlock) return nullptr;
  std::lock_guard lock(mu_);
  if (!current_ || kBlock - info_[*current_].top < bytes) {
    current_ = take_locked(1, BlockKind::kObjects);
    if (!current_) return nullptr;
  }
  BlockInfo& b = info_[*current_];
  std::uint8_t* p = block(*current_) + b.top;
  for (std::size_t l = b.top / kLine; l <= (b.top + bytes - 1) / kLine; ++l) b.lines[l] = 1;
  b.top += static_cast<std::uint32_t>(bytes);
  object_bytes_ += bytes;
  return p;
}

bool BlockSpace::can_promote(std::size_t bytes) {
  std::lock_guard lock(mu_);
  std::size_t needed = 2 * bytes / kBlock + 1;
  return needed <= blocks_ - in_use_;
}

std::size_t BlockSpace::frontier() const {
  std::lock_guard lock(mu_);
  return frontier_;
}

std::size_t BlockSpace::blocks_in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

std::size_t BlockSpace::object_bytes() const {
  std::lock_guard lock(mu_);
  return object_bytes_;
}

}  // namespace runa::heap
