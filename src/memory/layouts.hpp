// Layouts: the registry of type layouts, indexed by the header's type index,
// and the geometry every collector phase needs (an object's size, the range
// of its reference slots).
//
// Layouts are immutable once registered. Readers never lock: a layout is
// written into its chunk before the count is published with a release
// store, and a reader that sees the count (acquire) sees the layout.
// Index 0 is never registered, so zeroed or garbage memory read as a header
// is caught by verification.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "runatime/heap.hpp"

namespace runa::heap {

// The reference slots of an object: one contiguous range (refs come first).
struct RefRange {
  Value* begin;
  Value* end;
};

class Layouts {
 public:
  static constexpr unsigned kChunkBits = 10;
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkBits;
  static constexpr std::size_t kMaxTypes = kChunk * 1024;

  Result<std::uint32_t> add(const Layout& layout);

  // nullptr for an index never registered.
  [[nodiscard]] const Layout* find(std::uint32_t type) const {
    if (type == 0 || type >= count_.load(std::memory_order_acquire)) return nullptr;
    return &chunks_[type >> kChunkBits][type & (kChunk - 1)];
  }
  // `type` must be registered (the collector's fast path).
  [[nodiscard]] const Layout& at(std::uint32_t type) const {
    return chunks_[type >> kChunkBits][type & (kChunk - 1)];
  }

 private:
  std::mutex mu_;  // serializes add()
  std::array<std::unique_ptr<Layout[]>, kMaxTypes / kChunk> chunks_;
  std::deque<std::string> names_;  // stable copies of Layout::name
  std::atomic<std::uint32_t> count_{1};
};

[[nodiscard]] std::size_t object_size(const Layout& l, Object* o);
[[nodiscard]] RefRange ref_slots(const Layout& l, Object* o);

}  // namespace runa::heap
