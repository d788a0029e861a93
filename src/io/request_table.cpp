// RequestTable: see request_table.hpp.
#include "io/request_table.hpp"

namespace runa::io {

Request& RequestTable::acquire() {
  if (free_head_ == kNone) {
    // Grow by one chunk, threaded onto the free list in index order.
    chunks_.push_back(std::make_unique<std::array<Request, kChunk>>());
    const std::uint32_t base = capacity_;
    capacity_ += kChunk;
    for (std::uint32_t i = 0; i < kChunk; ++i) {
      Request& r = at(base + i);
      r.index = base + i;
      r.next_free = i + 1 < kChunk ? base + i + 1 : kNone;
    }
    free_head_ = base;
  }
  Request& r = at(free_head_);
  free_head_ = r.next_free;
  const std::uint32_t index = r.index;
  const std::uint32_t generation = r.generation;
  r = Request{};
  r.index = index;
  r.generation = generation;
  r.op.key = (std::uint64_t{generation} << 32) | index;
  ++live_;
  return r;
}

void RequestTable::release(Request& r) {
  r.kind = RequestKind::kFree;
  r.ctx = nullptr;
  r.on_ready = nullptr;
  r.on_done = nullptr;
  r.on_signal = nullptr;
  if (++r.generation == 0) r.generation = 1;
  r.next_free = free_head_;
  free_head_ = r.index;
  --live_;
}

Request* RequestTable::find(std::uint64_t key) {
  const auto index = static_cast<std::uint32_t>(key);
  const auto generation = static_cast<std::uint32_t>(key >> 32);
  if (index >= capacity_) return nullptr;
  Request& r = at(index);
  if (r.kind == RequestKind::kFree || r.generation != generation) return nullptr;
  return &r;
}

}  // namespace runa::io
