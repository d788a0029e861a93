// BlockSpace: block allocation, sweeping and promotion's line allocation
// (see block_space.hpp).
#include "memory/block_space.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "memory/pause_marker.hpp"

namespace runa::heap {

namespace {

constexpr std::size_t kCommitStep = 64;  // blocks: commit at least 2 MiB at a time

}  // namespace

bool BlockSpace::init(Region& region, std::uint8_t* base, std::size_t blocks, std::string& error) {
  region_ = &region;
  base_ = base;
  blocks_ = blocks;
  std::size_t table = (blocks * sizeof(BlockInfo) + kPage - 1) / kPage * kPage;
  if (!side_.reserve(table, kPage, error)) {
    error = "block side table: " + error;
    return false;
  }
  info_ = reinterpret_cast<BlockInfo*>(side_.base());
  return true;
}

// Commits blocks (and their side-table entries) up to `blocks`, growing the
// committed prefix by a quarter at least, so the frontier commits rarely.
bool BlockSpace::commit_locked(std::size_t blocks) {
  if (blocks <= committed_) return true;
  std::size_t want = std::max({blocks, committed_ + committed_ / 4, committed_ + kCommitStep});
  want = std::min(want, blocks_);
  auto page_up = [](std::size_t b) { return (b + kPage - 1) / kPage * kPage; };
  std::size_t table_from = page_up(committed_ * sizeof(BlockInfo));
  std::size_t table_to = page_up(want * sizeof(BlockInfo));
  // Each list holds committed blocks only, each at most once: with room for
  // all of them, releasing or listing a block in a pause never allocates.
  // A pause does not grow them (it must not allocate: the heap grew them
  // before, reserve_lists), so there the commit stops at their capacity.
  if (in_pause()) {
    want = std::min(want, list_capacity_locked());
    if (want < blocks) return false;
  } else if (!reserve_lists_locked(want)) {
    return false;
  }
  if (table_to > table_from && !side_.commit(side_.base() + table_from, table_to - table_from)) {
    return false;
  }
  if (!region_->commit(block(committed_), (want - committed_) * kBlock)) return false;
  committed_ = want;
  return true;
}

bool BlockSpace::reserve_lists_locked(std::size_t blocks) {
  blocks = std::min(blocks, blocks_);
  if (list_capacity_locked() >= blocks) return true;
  // Doubling, so that a growing heap reallocates rarely.
  std::size_t n = std::min(std::max(blocks, 2 * list_capacity_locked()), blocks_);
  try {
    free_dirty_.reserve(n);
    free_clean_.reserve(n);
    partial_.reserve(n);
    recyclable_.reserve(n);
  } catch (const std::bad_alloc&) {
    return false;
  }
  return true;
}

std::size_t BlockSpace::list_capacity_locked() const {
  return std::min({free_dirty_.capacity(), free_clean_.capacity(), partial_.capacity(),
                   recyclable_.capacity()});
}

bool BlockSpace::reserve_lists(std::size_t blocks) {
  std::lock_guard lock(mu_);
  return reserve_lists_locked(blocks);
}

std::size_t BlockSpace::list_capacity() const {
  std::lock_guard lock(mu_);
  return list_capacity_locked();
}

std::optional<std::size_t> BlockSpace::take(std::size_t n, BlockKind kind) {
  std::lock_guard lock(mu_);
  return take_locked(n, kind);
}

std::optional<std::size_t> BlockSpace::take_locked(std::size_t n, BlockKind kind, bool* dirty) {
  if (n == 0 || n > blocks_ - in_use_) return std::nullopt;
  std::size_t first = 0;
  if (n == 1 && (!free_dirty_.empty() || !free_clean_.empty())) {
    auto& list = free_dirty_.empty() ? free_clean_ : free_dirty_;
    first = list.back();
    list.pop_back();
  } else if (n <= blocks_ - frontier_) {
    // Out of memory at the OS level reports exhaustion.
    if (!commit_locked(frontier_ + n)) return std::nullopt;
    first = frontier_;
    frontier_ += n;
  } else {
    auto run = take_run_locked(n);
    if (!run) return std::nullopt;
    first = *run;
  }
  in_use_ += n;
  for (std::size_t i = 0; i < n; ++i) {
    BlockInfo& b = info_[first + i];
    if (dirty != nullptr) {
      *dirty = b.free == FreeState::kDirty;
    } else if (b.free == FreeState::kDirty) {
      std::memset(block(first + i), 0, kBlock);
    }
    b = BlockInfo{};
    b.kind = i == 0 ? kind : BlockKind::kLargeTail;
  }
  if (kind == BlockKind::kLargeHead) info_[first].run = static_cast<std::uint32_t>(n);
  return first;
}

// The frontier is too short: the first run of n takeable free blocks
// (released ones, possibly continued past the frontier), taken off the
// free lists.
std::optional<std::size_t> BlockSpace::take_run_locked(std::size_t n) {
  if (!commit_locked(blocks_)) return std::nullopt;  // fewer than n blocks past the frontier
  std::size_t len = 0;
  for (std::size_t i = 0; i < blocks_; ++i) {
    const BlockInfo& b = info_[i];
    len = b.kind == BlockKind::kFree && b.free != FreeState::kReturning ? len + 1 : 0;
    if (len < n) continue;
    std::size_t first = i + 1 - n;
    frontier_ = std::max(frontier_, i + 1);
    auto in_run = [&](std::size_t x) { return x >= first && x < first + n; };
    std::erase_if(free_dirty_, in_run);
    std::erase_if(free_clean_, in_run);
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
  for (std::size_t i = 0; i < n; ++i) {
    info_[index + i] = BlockInfo{};
    info_[index + i].free = FreeState::kDirty;
    free_dirty_.push_back(index + i);
  }
  in_use_ -= n;
}

std::size_t BlockSpace::retain_budget_locked() const {
  return std::max({retain_floor_ / kBlock, in_use_ / 4, regrowth_ / kBlock});
}

void BlockSpace::set_regrowth(std::size_t bytes) {
  std::lock_guard lock(mu_);
  regrowth_ = bytes;
}

void BlockSpace::set_retain_floor(std::size_t bytes) {
  std::lock_guard lock(mu_);
  retain_floor_ = bytes;
}

void BlockSpace::return_excess() {
  struct Run {
    std::size_t first;
    std::size_t length;
  };
  std::vector<Run> runs;
  try {
    std::lock_guard lock(mu_);
    std::size_t budget = retain_budget_locked();
    if (free_dirty_.size() <= budget) return;
    std::size_t excess = free_dirty_.size() - budget;
    std::sort(free_dirty_.begin(), free_dirty_.end());
    for (std::size_t b : free_dirty_) {
      if (!runs.empty() && runs.back().first + runs.back().length == b) {
        ++runs.back().length;
      } else {
        runs.push_back({b, 1});
      }
    }
    std::stable_sort(runs.begin(), runs.end(),
                     [](const Run& a, const Run& b) { return a.length > b.length; });
    std::size_t chosen = 0;
    for (; chosen < runs.size() && chosen < kMaxReturnRuns && excess != 0; ++chosen) {
      Run& r = runs[chosen];
      if (r.length > excess) {  // keep the run's head, return its tail
        r.first += r.length - excess;
        r.length = excess;
      }
      excess -= r.length;
    }
    runs.resize(chosen);
    for (const Run& r : runs) {
      for (std::size_t i = r.first; i < r.first + r.length; ++i)
        info_[i].free = FreeState::kReturning;
    }
    std::erase_if(free_dirty_,
                  [&](std::size_t b) { return info_[b].free == FreeState::kReturning; });
  } catch (const std::bad_alloc&) {
    return;  // nothing marked yet: the blocks stay retained until the next call
  }
  for (const Run& r : runs) region_->discard(block(r.first), r.length * kBlock);
  std::lock_guard lock(mu_);
  for (const Run& r : runs) {
    for (std::size_t i = r.first; i < r.first + r.length; ++i) {
      info_[i].free = FreeState::kClean;
      free_clean_.push_back(i);  // within the capacity commit_locked reserved
    }
    returned_bytes_ += r.length * kBlock;
  }
  return_calls_ += runs.size();
}

BlockSpace::ReturnCounts BlockSpace::return_counts() const {
  std::lock_guard lock(mu_);
  return {returned_bytes_, return_calls_, free_dirty_.size() * kBlock};
}

std::size_t BlockSpace::committed_blocks() const {
  std::lock_guard lock(mu_);
  return committed_;
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
  zero_rest(c.hole_block, c.hole_cursor, c.hole_dirty);
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
  c.hole_block = take_locked(1, BlockKind::kObjects, &c.hole_dirty);
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
    if (c.overflow) zero_rest(c.overflow, info_[*c.overflow].top, c.overflow_dirty);
    std::lock_guard lock(mu_);
    give_back_locked(c.overflow);
    c.overflow = take_locked(1, BlockKind::kObjects, &c.overflow_dirty);
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

void BlockSpace::zero_rest(const std::optional<std::size_t>& block_index, std::uint32_t from,
                           bool& dirty) const {
  if (dirty && block_index) std::memset(block(*block_index) + from, 0, kBlock - from);
  dirty = false;
}

void BlockSpace::close(BlockCursor& c) {
  zero_rest(c.hole_block, c.hole_cursor, c.hole_dirty);
  if (c.overflow) zero_rest(c.overflow, info_[*c.overflow].top, c.overflow_dirty);
  std::lock_guard lock(mu_);
  give_back_locked(c.hole_block);
  give_back_locked(c.overflow);
  object_bytes_ += c.bytes;
  c = BlockCursor{};
}

std::uint8_t* BlockSpace::allocate_pinned(std::size_t bytes) {
  std::lock_guard lock(pinned_mu_);
  std::uint8_t* p = promote(pinned_, bytes);
  if (p != nullptr) std::memset(p, 0, bytes);
  std::lock_guard counts(mu_);
  object_bytes_ += pinned_.bytes;
  pinned_.bytes = 0;
  return p;
}

std::size_t BlockSpace::free_blocks() const {
  std::lock_guard lock(mu_);
  return blocks_ - in_use_;
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
  b.reached = 0;
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
