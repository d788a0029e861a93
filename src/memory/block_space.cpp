// BlockSpace: block allocation, sweeping and promotion's line allocation
// (see block_space.hpp).
#include "memory/block_space.hpp"

#include <algorithm>

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
  bool from_frontier = false;
  if (n == 1 && !free_.empty()) {
    first = free_.back();
    free_.pop_back();
  } else if (n <= blocks_ - frontier_) {
    first = frontier_;
    frontier_ += n;
    from_frontier = true;
  } else {
    auto run = take_run_locked(n);
    if (!run) return std::nullopt;
    first = *run;
  }
  if (!region_->commit(block(first), n * kBlock)) {
    // Out of memory at the OS level: put the blocks back, report exhaustion.
    if (from_frontier && first + n == frontier_) {
      frontier_ = first;
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        if (first + i < frontier_) free_.push_back(first + i);
      }
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

// The frontier is too short: the first run of n free blocks (released ones,
// possibly continued past the frontier), taken out of the free list.
std::optional<std::size_t> BlockSpace::take_run_locked(std::size_t n) {
  std::size_t len = 0;
  for (std::size_t i = 0; i < blocks_; ++i) {
    len = info_[i].kind == BlockKind::kFree ? len + 1 : 0;
    if (len < n) continue;
    std::size_t first = i + 1 - n;
    std::size_t old_frontier = frontier_;
    frontier_ = std::max(frontier_, i + 1);
    std::erase_if(free_,
                  [&](std::size_t b) { return b >= first && b < first + n && b < old_frontier; });
    return first;
  }
  return std::nullopt;
}

void BlockSpace::release(std::size_t index) {
  std::lock_guard lock(mu_);
  release_locked(index);
}

void BlockSpace::release_locked(std::size_t index) {
  BlockInfo& b = info_[index];
  std::size_t n = b.kind == BlockKind::kLargeHead ? b.run : 1;
  if (b.kind == BlockKind::kObjects) object_bytes_ -= b.bytes;
  region_->decommit(block(index), n * kBlock);
  for (std::size_t i = 0; i < n; ++i) {
    info_[index + i] = BlockInfo{};
    free_.push_back(index + i);
  }
  in_use_ -= n;
}

// The cursor owns block i: no lock for its metadata.
std::uint8_t* BlockSpace::bump(BlockCursor& c, std::size_t i, std::uint32_t offset,
                               std::size_t bytes) {
  BlockInfo& b = info_[i];
  for (std::size_t l = offset / kLine; l <= (offset + bytes - 1) / kLine; ++l) b.lines[l] = 1;
  auto end = static_cast<std::uint32_t>(offset + bytes);
  b.top = std::max(b.top, end);
  b.bytes += static_cast<std::uint32_t>(bytes);
  c.bytes += bytes;
  return block(i) + offset;
}

// Moves c's hole to the next run of free lines: later in its block, then
// in a partial or recyclable block, then a fresh block. False when no
// block is left.
bool BlockSpace::next_hole(BlockCursor& c) {
  auto find = [&](std::size_t i, std::size_t from_line) {
    const LineMap& lines = info_[i].lines;
    std::size_t l = from_line;
    while (l < kLinesPerBlock && lines[l] != 0) ++l;
    if (l == kLinesPerBlock) return false;
    std::size_t end = l;
    while (end < kLinesPerBlock && lines[end] == 0) ++end;
    c.hole_block = i;
    c.hole_cursor = static_cast<std::uint32_t>(l * kLine);
    c.hole_limit = static_cast<std::uint32_t>(end * kLine);
    return true;
  };
  if (c.hole_block && find(*c.hole_block, c.hole_limit / kLine)) return true;
  std::lock_guard lock(mu_);
  for (;;) {
    std::size_t i = 0;
    if (!partial_.empty()) {
      i = partial_.back();
      partial_.pop_back();
    } else if (recyclable_next_ < recyclable_.size()) {
      i = recyclable_[recyclable_next_++];
    } else {
      break;
    }
    if (info_[i].kind == BlockKind::kObjects && find(i, 0)) return true;
  }
  c.hole_block = take_locked(1, BlockKind::kObjects);
  if (!c.hole_block) return false;
  c.hole_cursor = 0;
  c.hole_limit = kBlock;
  return true;
}

std::uint8_t* BlockSpace::promote(BlockCursor& c, std::size_t bytes) {
  if (bytes > kBlock) return nullptr;
  if (!c.hole_block && !next_hole(c)) return nullptr;
  for (;;) {
    if (c.hole_limit - c.hole_cursor >= bytes) {
      std::uint8_t* p = bump(c, *c.hole_block, c.hole_cursor, bytes);
      c.hole_cursor += static_cast<std::uint32_t>(bytes);
      return p;
    }
    if (bytes > kLine) break;  // a medium object: overflow allocation
    if (!next_hole(c)) return nullptr;
  }
  return overflow(c, bytes);
}

std::uint8_t* BlockSpace::overflow(BlockCursor& c, std::size_t bytes) {
  if (!c.overflow || kBlock - info_[*c.overflow].top < bytes) {
    std::lock_guard lock(mu_);
    give_back_locked(c.overflow);
    c.overflow = take_locked(1, BlockKind::kObjects);
    if (!c.overflow) return nullptr;
  }
  return bump(c, *c.overflow, info_[*c.overflow].top, bytes);
}

std::uint8_t* BlockSpace::evacuate(BlockCursor& c, std::size_t bytes) {
  if (bytes > kBlock) return nullptr;
  return overflow(c, bytes);
}

// A block a cursor stops owning: kept for promotion while it has a free line.
void BlockSpace::give_back_locked(std::optional<std::size_t>& block) {
  if (block && std::find(info_[*block].lines.begin(), info_[*block].lines.end(), 0) !=
                   info_[*block].lines.end()) {
    partial_.push_back(*block);
  }
  block.reset();
}

void BlockSpace::close(BlockCursor& c) {
  std::lock_guard lock(mu_);
  give_back_locked(c.hole_block);
  give_back_locked(c.overflow);
  object_bytes_ += c.bytes;
  c = BlockCursor{};
}

std::uint8_t* BlockSpace::allocate_pinned(std::size_t bytes) {
  std::lock_guard lock(pinned_mu_);
  std::uint8_t* p = promote(pinned_, bytes);
  std::lock_guard counts(mu_);
  object_bytes_ += pinned_.bytes;
  pinned_.bytes = 0;
  return p;
}

std::size_t BlockSpace::free_blocks() const {
  std::lock_guard lock(mu_);
  return blocks_ - in_use_;
}

bool BlockSpace::can_promote(std::size_t bytes, unsigned cursors) {
  std::lock_guard lock(mu_);
  std::size_t needed = 2 * bytes / kBlock + 2 * std::size_t{cursors};
  return needed <= blocks_ - in_use_;
}

void BlockSpace::begin_sweep() {
  {
    std::lock_guard pinned(pinned_mu_);
    close(pinned_);
  }
  std::lock_guard lock(mu_);
  partial_.clear();
  recyclable_.clear();
  recyclable_next_ = 0;
}

void BlockSpace::sweep_block(std::size_t i, const LineMap& lines, std::uint32_t bytes,
                             std::uint32_t top) {
  std::lock_guard lock(mu_);
  BlockInfo& b = info_[i];
  object_bytes_ -= b.bytes;
  b.bytes = 0;
  if (bytes == 0) {
    release_locked(i);
    return;
  }
  b.lines = lines;
  b.bytes = bytes;
  b.top = top;
  object_bytes_ += bytes;
  if (std::find(lines.begin(), lines.end(), 0) != lines.end()) recyclable_.push_back(i);
}

void BlockSpace::end_sweep() {
  std::lock_guard lock(mu_);
  std::sort(recyclable_.begin(), recyclable_.end());
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

std::size_t BlockSpace::recyclable_blocks() const {
  std::lock_guard lock(mu_);
  return recyclable_.size() - recyclable_next_ + partial_.size();
}

}  // namespace runa::heap
