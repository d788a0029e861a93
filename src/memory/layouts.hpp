// Layouts: the registry of type layouts, indexed by the header's type index,
// and the geometry every collector phase needs (an object's size, the range
// of its reference slots).
//
// Layouts are immutable once registered. Readers never lock: a layout is
// written into its chunk before the count is published with a release
// store, and a reader that sees the count (acquire) sees the layout.
// Index 0 is never registered, so zeroed or garbage memory read as a header
// is caught by verification.
//
// Geometry. Every kind keeps its reference slots in one contiguous range,
// so that each collector phase scans an object as one loop over
// ref_slots(): plain objects have them first; arrays and tailed objects
// have a length word after the header, then (tailed) the fixed reference
// fields, then (ref tail) the tail's elements. A kRefTail layout therefore
// has no raw word in its fixed part. Weak fields are the exception inside
// the range: WeakRefs::scan takes them out (weak_refs.hpp).
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

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
    return &chunks_[type >> kChunkBits].get()[type & (kChunk - 1)];
  }
  // `type` must be registered (the collector's fast path).
  [[nodiscard]] const Layout& at(std::uint32_t type) const {
    return chunks_[type >> kChunkBits].get()[type & (kChunk - 1)];
  }

 private:
  // A chunk is raw storage: add() constructs each slot as it registers it,
  // so a chunk's pages are touched only as far as types are registered
  // (constructing all kChunk default layouts at once faulted in ~18 pages
  // at heap creation for the few dozen types a small program has).
  // Layout is trivially destructible: freeing the storage is enough.
  struct FreeChunk {
    void operator()(Layout* p) const { ::operator delete(p); }
  };
  static_assert(std::is_trivially_destructible_v<Layout>);
  std::mutex mu_;  // serializes add()
  std::array<std::unique_ptr<Layout, FreeChunk>, kMaxTypes / kChunk> chunks_;
  std::deque<std::string> names_;                       // stable copies of Layout::name
  std::deque<std::vector<std::uint32_t>> weak_fields_;  // stable copies of Layout::weak_fields
  std::deque<std::vector<std::string>> field_names_;    // stable copies of Layout::field_names
  std::deque<std::vector<const char*>> field_name_pointers_;
  std::atomic<std::uint32_t> count_{1};
};

[[nodiscard]] std::size_t object_size(const Layout& l, Object* o);
[[nodiscard]] RefRange ref_slots(const Layout& l, Object* o);
// The same, with plain objects (most of a heap) inline: the collectors'
// per-object paths call these.
inline RefRange slots_of(const Layout& l, Object* o) {
  if (l.kind == LayoutKind::kPlain) return {o->slots(), o->slots() + l.refs};
  return ref_slots(l, o);
}
inline std::size_t size_of(const Layout& l, Object* o) {
  return l.kind == LayoutKind::kPlain ? l.size : object_size(l, o);
}
// Whether objects of l can have a reference slot at all (an object born
// old without one need not be remembered).
// Inline: the minor collector asks for every object it copies.
[[nodiscard]] inline bool may_hold_refs(const Layout& l) {
  switch (l.kind) {
    case LayoutKind::kRefArray:
    case LayoutKind::kRefTail:
      return true;
    case LayoutKind::kByteArray:
      return false;
    case LayoutKind::kPlain:
    case LayoutKind::kWeakRef:
    case LayoutKind::kEphemeron:
    case LayoutKind::kByteTail:
      break;
  }
  return l.refs > 0;
}
// Whether an object's length word sizes it (arrays and tailed kinds).
[[nodiscard]] bool has_length(LayoutKind k);

}  // namespace runa::heap
