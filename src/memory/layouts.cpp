// Layouts: registration checks and object geometry (see layouts.hpp).
//
// Registration rejects what the collector could not scan correctly: sizes
// that are not 8-byte multiples or too small for their reference slots,
// weak references without a referent slot, ephemerons without key and value
// slots. A finalizable type needs its finalizer, and only a finalizable type
// may have one (a finalizer on a type whose objects are never registered
// would promise a call that never comes).
#include "memory/layouts.hpp"

namespace runa::heap {
namespace {

Error bad(const Layout& l, const std::string& message) {
  Error e;
  e.section = "layout";
  e.message = "'" + std::string(l.name != nullptr ? l.name : "") + "': " + message;
  return e;
}

bool fixed_size(LayoutKind k) {
  return k == LayoutKind::kPlain || k == LayoutKind::kWeakRef || k == LayoutKind::kEphemeron;
}

}  // namespace

Result<std::uint32_t> Layouts::add(const Layout& layout) {
  auto kind = static_cast<unsigned>(layout.kind);
  if (kind > static_cast<unsigned>(LayoutKind::kEphemeron)) {
    return bad(layout, "unknown layout kind " + std::to_string(kind));
  }
  if (layout.finalizable && layout.finalizer == nullptr) {
    return bad(layout, "a finalizable type needs a finalizer");
  }
  if (!layout.finalizable && layout.finalizer != nullptr) {
    return bad(layout, "has a finalizer but is not finalizable (set `finalizable`)");
  }
  if (fixed_size(layout.kind)) {
    if (layout.size % 8 != 0) {
      return bad(layout, "size " + std::to_string(layout.size) + " is not a multiple of 8");
    }
    if (std::uint64_t{layout.size} < 8 + 8 * std::uint64_t{layout.refs}) {
      return bad(layout, "size " + std::to_string(layout.size) + " cannot hold the header and " +
                             std::to_string(layout.refs) + " reference slots");
    }
    if (layout.size > (std::uint32_t{1} << 30)) {
      return bad(layout, "size " + std::to_string(layout.size) + " is over 1 GiB");
    }
    if (layout.kind == LayoutKind::kWeakRef && layout.refs < 1) {
      return bad(layout, "a weak reference needs at least 1 reference slot (its referent)");
    }
    if (layout.kind == LayoutKind::kEphemeron && layout.refs < 2) {
      return bad(layout, "an ephemeron needs at least 2 reference slots (key and value)");
    }
  }

  std::lock_guard lock(mu_);
  std::uint32_t type = count_.load(std::memory_order_relaxed);
  if (type >= kMaxTypes) {
    return bad(layout, "too many types (at most " + std::to_string(kMaxTypes - 1) + ")");
  }
  auto& chunk = chunks_[type >> kChunkBits];
  if (!chunk) chunk = std::make_unique<Layout[]>(kChunk);
  Layout& slot = chunk[type & (kChunk - 1)];
  slot = layout;
  slot.name = names_.emplace_back(layout.name != nullptr ? layout.name : "").c_str();
  // Release: find() in another thread that sees the new count sees the slot.
  count_.store(type + 1, std::memory_order_release);
  return type;
}

std::size_t object_size(const Layout& l, Object* o) {
  switch (l.kind) {
    case LayoutKind::kRefArray:
      return ref_array_bytes(array_length(o));
    case LayoutKind::kByteArray:
      return byte_array_bytes(array_length(o));
    case LayoutKind::kPlain:
    case LayoutKind::kWeakRef:
    case LayoutKind::kEphemeron:
      break;
  }
  return l.size;
}

RefRange ref_slots(const Layout& l, Object* o) {
  switch (l.kind) {
    case LayoutKind::kRefArray: {
      Value* b = array_slots(o);
      return {b, b + array_length(o)};
    }
    case LayoutKind::kByteArray:
      return {o->slots(), o->slots()};
    case LayoutKind::kPlain:
    case LayoutKind::kWeakRef:
    case LayoutKind::kEphemeron:
      break;
  }
  return {o->slots(), o->slots() + l.refs};
}

}  // namespace runa::heap
