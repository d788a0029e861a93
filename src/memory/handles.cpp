// Handles: chunked handle stacks, the persistent arena and root sets (see
// handles.hpp).
//
// The persistent arena and the root sets are locked even while the world is
// stopped: a thread in native may free a persistent slot or remove a root
// set (neither holds a raw reference), and it does not wait for the
// collection to do so.
#include "memory/handles.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace runa::heap {

Value* handle_chunk_slow(Mutator& m) {
  MutatorRecord& r = record(m);
  std::size_t next = 0;
  if (m.handle_limit != nullptr) {
    while (r.chunks[next].get() + kHandleChunk != m.handle_limit) ++next;
    ++next;
  }
  if (next == r.chunks.size()) r.chunks.push_back(std::make_unique<Value[]>(kHandleChunk));
  Value* c = r.chunks[next].get();
  c[0] = 0;  // a reused chunk keeps what its last scope left (see new_handle)
  m.handle_top = c + 1;
  m.handle_limit = c + kHandleChunk;
  return c;
}

void visit_mutator_roots(MutatorRecord& r, RootVisitor& v) {
  if (r.handle_limit != nullptr) {
    for (auto& chunk : r.chunks) {
      Value* b = chunk.get();
      if (b + kHandleChunk == r.handle_limit) {
        v.visit_range(b, static_cast<std::size_t>(r.handle_top - b));
        break;
      }
      v.visit_range(b, kHandleChunk);
    }
  }
  for (const FrameRoot& f : r.frames) f.fn(f.ctx, v);
}

Value* PersistentArena::take(Value v) {
  std::lock_guard lock(mu_);
  if (free_ == 0) {
    // A new chunk: thread its slots onto the free list, lowest first.
    std::size_t first = chunks_.size() * kChunk;
    auto chunk = std::make_unique<Value[]>(kChunk);
    for (std::size_t i = 0; i < kChunk; ++i) {
      std::uint64_t next = i + 1 < kChunk ? first + i + 2 : 0;
      chunk[i] = (next << 3) | 1;
    }
    chunks_.push_back(std::move(chunk));
    free_ = first + 1;
  }
  std::uint64_t index = free_ - 1;
  Value* slot = &chunks_[index / kChunk][index % kChunk];
  free_ = *slot >> 3;
  *slot = v;
  ++in_use_;
  return slot;
}

void PersistentArena::give(Value* slot) {
  std::lock_guard lock(mu_);
  for (std::size_t c = 0; c < chunks_.size(); ++c) {
    Value* b = chunks_[c].get();
    if (slot >= b && slot < b + kChunk) {
      *slot = (free_ << 3) | 1;
      free_ = c * kChunk + static_cast<std::size_t>(slot - b) + 1;
      --in_use_;
      return;
    }
  }
  std::fputs("runatime: free_persistent of a slot that is not persistent\n", stderr);
  std::abort();
}

void PersistentArena::visit(RootVisitor& v) {
  std::lock_guard lock(mu_);
  for (auto& chunk : chunks_) v.visit_range(chunk.get(), kChunk);
}

std::size_t PersistentArena::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

std::uint64_t RootSets::add(Value* slots, std::size_t count) {
  std::lock_guard lock(mu_);
  ranges_.push_back({next_id_, slots, count});
  return next_id_++;
}

void RootSets::remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  ranges_.erase(
      std::remove_if(ranges_.begin(), ranges_.end(), [&](const Range& r) { return r.id == id; }),
      ranges_.end());
}

std::size_t RootSets::count() {
  std::lock_guard lock(mu_);
  return ranges_.size();
}

void RootSets::visit(RootVisitor& v) {
  std::lock_guard lock(mu_);
  for (const Range& r : ranges_) v.visit_range(r.slots, r.count);
}

}  // namespace runa::heap
