// Layouts: registration checks and object geometry (see layouts.hpp).
//
// Registration rejects what the collector could not scan correctly: sizes
// that are not 8-byte multiples or too small for their reference slots,
// weak references without a referent slot, ephemerons without key and value
// slots, a ref tail after raw words (the reference slots would not be one
// range), weak fields that are not reference fields in increasing order. A finalizable type needs
// its finalizer, and only a finalizable type may have one (a finalizer on a type whose objects are
// never registered would promise a call that never comes).
#include "memory/layouts.hpp"

#include <new>
#include <optional>

namespace runa::heap {
namespace {

Error bad(const Layout& l, const std::string& message) {
  Error e;
  e.section = "layout";
  e.message = "'" + std::string(l.name != nullptr ? l.name : "") + "': " + message;
  return e;
}

std::optional<Error> check_size(const Layout& l) {
  // The fixed part: the header, for tailed kinds the length word, the fields.
  std::uint64_t least = (has_length(l.kind) ? 16 : 8) + 8 * std::uint64_t{l.refs};
  if (l.size % 8 != 0) return bad(l, "size " + std::to_string(l.size) + " is not a multiple of 8");
  if (l.size < least) {
    return bad(l, "size " + std::to_string(l.size) + " cannot hold the header" +
                      (has_length(l.kind) ? ", the length word" : "") + " and " +
                      std::to_string(l.refs) + " reference slots");
  }
  if (l.size > (std::uint32_t{1} << 30)) {
    return bad(l, "size " + std::to_string(l.size) + " is over 1 GiB");
  }
  if (l.kind == LayoutKind::kRefTail && l.size != least) {
    return bad(l, "a ref tail follows the reference fields: size must be " + std::to_string(least) +
                      " (no raw words), not " + std::to_string(l.size));
  }
  return std::nullopt;
}

std::optional<Error> check_weak_fields(const Layout& l) {
  if (l.weak_count == 0) return std::nullopt;
  if (l.kind != LayoutKind::kPlain && l.kind != LayoutKind::kRefTail &&
      l.kind != LayoutKind::kByteTail) {
    return bad(l, "weak fields are for plain and tailed layouts only");
  }
  if (l.weak_fields == nullptr) {
    return bad(l, std::to_string(l.weak_count) + " weak fields but no list of them");
  }
  for (std::uint32_t i = 0; i < l.weak_count; ++i) {
    std::uint32_t f = l.weak_fields[i];
    if (f >= l.refs) {
      return bad(l, "weak field " + std::to_string(f) + " is not one of its " +
                        std::to_string(l.refs) + " reference fields");
    }
    if (i > 0 && f <= l.weak_fields[i - 1]) {
      return bad(l, "weak fields must be listed in increasing order without repeats (" +
                        std::to_string(l.weak_fields[i - 1]) + " before " + std::to_string(f) +
                        ")");
    }
  }
  return std::nullopt;
}

}  // namespace

bool has_length(LayoutKind k) {
  return k == LayoutKind::kRefArray || k == LayoutKind::kByteArray || k == LayoutKind::kRefTail ||
         k == LayoutKind::kByteTail;
}

Result<std::uint32_t> Layouts::add(const Layout& layout) {
  auto kind = static_cast<unsigned>(layout.kind);
  if (kind > static_cast<unsigned>(LayoutKind::kByteTail)) {
    return bad(layout, "unknown layout kind " + std::to_string(kind));
  }
  if (layout.finalizable && layout.finalizer == nullptr) {
    return bad(layout, "a finalizable type needs a finalizer");
  }
  if (!layout.finalizable && layout.finalizer != nullptr) {
    return bad(layout, "has a finalizer but is not finalizable (set `finalizable`)");
  }
  bool array = layout.kind == LayoutKind::kRefArray || layout.kind == LayoutKind::kByteArray;
  if (!array) {
    if (auto e = check_size(layout)) return *e;
  }
  if (layout.kind == LayoutKind::kWeakRef && layout.refs < 1) {
    return bad(layout, "a weak reference needs at least 1 reference slot (its referent)");
  }
  if (layout.kind == LayoutKind::kEphemeron && layout.refs < 2) {
    return bad(layout, "an ephemeron needs at least 2 reference slots (key and value)");
  }
  if (auto e = check_weak_fields(layout)) return *e;

  std::lock_guard lock(mu_);
  std::uint32_t type = count_.load(std::memory_order_relaxed);
  if (type >= kMaxTypes) {
    return bad(layout, "too many types (at most " + std::to_string(kMaxTypes - 1) + ")");
  }
  auto& chunk = chunks_[type >> kChunkBits];
  if (!chunk) chunk.reset(static_cast<Layout*>(::operator new(kChunk * sizeof(Layout))));
  Layout& slot = *new (chunk.get() + (type & (kChunk - 1))) Layout(layout);
  slot.name = names_.emplace_back(layout.name != nullptr ? layout.name : "").c_str();
  if (layout.field_names != nullptr) {
    std::vector<std::string>& names = field_names_.emplace_back();
    std::vector<const char*>& pointers = field_name_pointers_.emplace_back();
    for (std::uint32_t i = 0; i < layout.refs; ++i) names.emplace_back(layout.field_names[i]);
    for (const std::string& n : names) pointers.push_back(n.c_str());
    slot.field_names = pointers.data();
  }
  if (layout.weak_count != 0) {
    slot.weak_fields =
        weak_fields_.emplace_back(layout.weak_fields, layout.weak_fields + layout.weak_count)
            .data();
  }
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
    case LayoutKind::kRefTail:
      return ref_tail_bytes(l.size, array_length(o));
    case LayoutKind::kByteTail:
      return byte_tail_bytes(l.size, array_length(o));
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
    case LayoutKind::kRefTail: {
      Value* b = tail_fields(o);
      return {b, b + l.refs + array_length(o)};
    }
    case LayoutKind::kByteTail: {
      Value* b = tail_fields(o);
      return {b, b + l.refs};
    }
    case LayoutKind::kPlain:
    case LayoutKind::kWeakRef:
    case LayoutKind::kEphemeron:
      break;
  }
  return {o->slots(), o->slots() + l.refs};
}

}  // namespace runa::heap
