#include "types/strings.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "module/utf8.hpp"
#include "types/text_hash.hpp"

namespace runa::types {

namespace {

using flat::kChars;
using flat::kCursor;
using flat::kHash;
using flat::kPrefix;
using flat::load_relaxed;
using flat::prefix;
using flat::store_relaxed;
using flat::text;
using heap::Object;

// The rope's slots: three references, then two raw words.
constexpr std::size_t kLeft = 0;
constexpr std::size_t kRight = 1;
constexpr std::size_t kFlat = 2;
constexpr std::size_t kRopeBytes = 3;
constexpr std::size_t kRopeChars = 4;

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// Whether the n bytes at p are all ASCII, eight at a time.
bool all_ascii(const std::uint8_t* p, std::uint64_t n) {
  std::uint64_t high = 0;
  std::uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, sizeof w);
    high |= w;
  }
  for (; i < n; ++i) high |= p[i];
  return (high & kHighBits) == 0;
}

// n bytes from `from` to `out` (which do not overlap). Up to 16 bytes (a
// word split from a line, most of slice()'s pieces) with two fixed-size
// copies each, which may overlap in the middle, no call: memcpy's call
// and its size dispatch were about 15 instructions a piece.
void copy_text(std::uint8_t* out, const std::uint8_t* from, std::uint64_t n) {
  if (n > 16) {
    std::memcpy(out, from, n);
  } else if (n >= 8) {
    std::memcpy(out, from, 8);
    std::memcpy(out + n - 8, from + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(out, from, 4);
    std::memcpy(out + n - 4, from + n - 4, 4);
  } else if (n > 0) {
    out[0] = from[0];
    out[n / 2] = from[n / 2];
    out[n - 1] = from[n - 1];
  }
}

}  // namespace

std::uint64_t Strings::count_chars(const std::uint8_t* p, std::uint64_t n) {
  // A Character is every byte but a continuation byte (10xxxxxx): bit 7
  // set and bit 6 clear, which `w & ~(w << 1)` puts in each byte's bit 7.
  // The multiply adds the eight 0-or-1 bytes into the top byte.
  std::uint64_t continuation = 0;
  std::uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, sizeof w);
    const std::uint64_t c = w & ~(w << 1) & kHighBits;
    continuation += ((c >> 7) * 0x0101010101010101ULL) >> 56;
  }
  for (; i < n; ++i) continuation += (p[i] & 0xC0) == 0x80 ? 1 : 0;
  return n - continuation;
}

Result<Strings> Strings::create(heap::Heap& heap) {
  heap::Layout flat;
  flat.kind = heap::LayoutKind::kByteArray;
  flat.name = "String";
  auto f = heap.register_layout(flat);
  if (!f) return f.error();
  heap::Layout rope;
  rope.kind = heap::LayoutKind::kPlain;
  rope.refs = 3;
  rope.size = 8 + 8 * 5;
  rope.name = "Rope";
  auto r = heap.register_layout(rope);
  if (!r) return r.error();
  return Strings(*f, *r);
}

Value Strings::allocate_flat(heap::Mutator& m, std::uint64_t bytes, std::uint64_t chars) const {
  Object* o =
      heap::allocate_array(m, flat_type_, heap::byte_array_bytes(kPrefix + bytes), kPrefix + bytes);
  if (o == nullptr) return 0;
  prefix(o)[kChars] = chars;
  return heap::ref_value(o);
}

Value Strings::make(heap::Mutator& m, std::string_view utf8) const {
  const auto* p = reinterpret_cast<const std::uint8_t*>(utf8.data());
  Value s = allocate_flat(m, utf8.size(), count_chars(p, utf8.size()));
  if (s != 0 && !utf8.empty()) std::memcpy(text(heap::as_object(s)), p, utf8.size());
  return s;
}

std::optional<Value> Strings::make_checked(heap::Mutator& m, std::string_view bytes) const {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  // ASCII (most input lines) is valid and has a Character per byte: one
  // pass where validating and counting would take two.
  if (all_ascii(p, bytes.size())) {
    return make_with(m, bytes.size(), bytes.size(),
                     [&](std::uint8_t* out) { std::memcpy(out, p, bytes.size()); });
  }
  if (!module::valid_utf8(bytes)) return std::nullopt;
  return make(m, bytes);
}

Value Strings::slice(heap::Mutator& m, const heap::Handle& source, std::uint64_t offset,
                     std::uint64_t bytes) const {
  // Counted before the allocation, read again after it (it may move the
  // source; the offsets stay right).
  const std::uint64_t chars =
      is_ascii(source.value()) ? bytes : count_chars(text(source.get()) + offset, bytes);
  return make_with(m, bytes, chars,
                   [&](std::uint8_t* out) { copy_text(out, text(source.get()) + offset, bytes); });
}

std::uint64_t Strings::length(Value s) const {
  Object* o = heap::as_object(s);
  return is_flat(s) ? prefix(o)[kChars] : o->slots()[kRopeChars];
}

std::uint64_t Strings::byte_length(Value s) const {
  Object* o = heap::as_object(s);
  return is_flat(s) ? flat::bytes(o) : o->slots()[kRopeBytes];
}

void Strings::copy_bytes(Value s, std::uint8_t* out) const {
  // Left to right with an explicit stack: ropes built by repeated `+` are
  // as deep as they are long, too deep for recursion.
  std::vector<Value> pending{s};
  while (!pending.empty()) {
    Value v = pending.back();
    pending.pop_back();
    for (;;) {
      Object* o = heap::as_object(v);
      if (is_flat(v)) {
        std::memcpy(out, text(o), flat::bytes(o));
        out += flat::bytes(o);
        break;
      }
      const Value flat = std::atomic_ref<Value>(o->slots()[kFlat]).load(std::memory_order_acquire);
      if (flat != 0) {
        v = flat;
        continue;
      }
      pending.push_back(o->slots()[kRight]);
      v = o->slots()[kLeft];
    }
  }
}

void Strings::append_to(Value s, std::string& out) const {
  const std::size_t at = out.size();
  out.resize(at + byte_length(s));
  copy_bytes(s, reinterpret_cast<std::uint8_t*>(out.data() + at));
}

Value Strings::concat(heap::Mutator& m, const heap::Handle& a, const heap::Handle& b) const {
  const std::uint64_t bytes = byte_length(a.value()) + byte_length(b.value());
  const std::uint64_t chars = length(a.value()) + length(b.value());
  if (bytes < kMinRope) {
    Value s = allocate_flat(m, bytes, chars);
    if (s == 0) return 0;
    std::uint8_t* out = text(heap::as_object(s));
    copy_bytes(a.value(), out);
    copy_bytes(b.value(), out + byte_length(a.value()));
    return s;
  }
  Object* r = heap::allocate(m, rope_type_, 8 + 8 * 5);
  if (r == nullptr) return 0;
  // Initialising stores into an object this thread just allocated.
  r->slots()[kLeft] = a.value();
  r->slots()[kRight] = b.value();
  r->slots()[kRopeBytes] = bytes;
  r->slots()[kRopeChars] = chars;
  return heap::ref_value(r);
}

Value Strings::join(heap::Mutator& m, std::span<Value* const> parts) const {
  std::uint64_t bytes = 0;
  std::uint64_t chars = 0;
  for (const Value* p : parts) {
    bytes += byte_length(*p);
    chars += length(*p);
  }
  Value s = allocate_flat(m, bytes, chars);
  if (s == 0) return 0;
  std::uint8_t* out = text(heap::as_object(s));
  for (const Value* p : parts) {
    copy_bytes(*p, out);
    out += byte_length(*p);
  }
  return s;
}

Value Strings::flatten(heap::Mutator& m, const heap::Handle& s) const {
  if (is_flat(s.value())) return s.value();
  Object* rope = heap::as_object(s.value());
  const Value done = std::atomic_ref<Value>(rope->slots()[kFlat]).load(std::memory_order_acquire);
  if (done != 0) return done;
  Value flat = allocate_flat(m, byte_length(s.value()), length(s.value()));
  if (flat == 0) return 0;
  copy_bytes(s.value(), text(heap::as_object(flat)));
  rope = heap::as_object(s.value());  // the allocation may have moved it
  // Release: a thread that reads the slot (acquire) sees the copied bytes
  // and the new string's header. This is heap::write() with a release store
  // in place of its relaxed one (a second, relaxed store of the same word
  // would not carry the release to a reader that reads it).
  Value* slot = rope->slots() + kFlat;
  std::atomic_ref<Value>(*slot).store(flat, std::memory_order_release);
  if ((rope->load_header() & heap::hdr::kUnlogged) != 0) heap::log_store(m, rope, slot);
  return flat;
}

std::string_view Strings::view(Value flat) {
  Object* o = heap::as_object(flat);
  return {reinterpret_cast<const char*>(text(o)), flat::bytes(o)};
}

namespace {
// A string's hash is never 0: 0 in the prefix means "not computed yet".
std::uint64_t nonzero(std::uint64_t h) {
  return h != 0 ? h : 1;
}
}  // namespace

std::uint64_t Strings::hash_text(Value flat) {
  Object* o = heap::as_object(flat);
  // The text is zero-padded to a word (flat_string.hpp): whole-word loads.
  const std::uint64_t h = nonzero(hash_bytes_of<true>(text(o), flat::bytes(o)));
  flat::cache_hash(flat, h);
  return h;
}

std::uint64_t Strings::hash_of(Value flat, std::uint64_t offset, std::uint64_t bytes) {
  Object* o = heap::as_object(flat);
  const std::uint8_t* p = text(o) + offset;
  // The text is zero-padded to a word: up to that end, 16 bytes from a
  // short piece may be loaded whole.
  const std::uint64_t readable = ((flat::bytes(o) + 7) & ~std::uint64_t{7}) - offset;
  return nonzero(bytes < 16 && readable >= 16 ? hash_short_overread(p, bytes)
                                              : hash_bytes(p, bytes));
}

int Strings::compare(Value a, Value b) {
  const std::string_view x = view(a);
  const std::string_view y = view(b);
  const int c = std::memcmp(x.data(), y.data(), std::min(x.size(), y.size()));
  if (c != 0) return c;
  return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
}

std::optional<std::uint32_t> Strings::char_at(Value flat, std::uint64_t i) {
  Object* o = heap::as_object(flat);
  const std::uint64_t chars = prefix(o)[kChars];
  const std::uint64_t bytes = flat::bytes(o);
  if (i >= chars) return std::nullopt;
  const std::uint8_t* p = text(o);
  if (chars == bytes) return p[i];  // ASCII
  // Scan from the cursor when it is at or before i, else from the start.
  std::uint64_t at = 0;
  std::uint64_t off = 0;
  const std::uint64_t cursor = load_relaxed(prefix(o)[kCursor]);
  if ((cursor >> 32) <= i) {
    at = cursor >> 32;
    off = cursor & 0xFFFFFFFFU;
  }
  while (at < i) {
    ++off;
    while ((p[off] & 0xC0) == 0x80) ++off;
    ++at;
  }
  // The cursor holds 32-bit positions; longer strings scan from the start.
  if (off <= 0xFFFFFFFFU && i <= 0xFFFFFFFFU) store_relaxed(prefix(o)[kCursor], (i << 32) | off);
  std::uint32_t c = 0;
  module::decode_utf8(p + off, c);
  return c;
}

std::optional<std::uint32_t> Strings::next_char(Value flat, std::uint64_t& offset) {
  Object* o = heap::as_object(flat);
  if (offset >= flat::bytes(o)) return std::nullopt;
  std::uint32_t c = 0;
  offset += module::decode_utf8(text(o) + offset, c);
  return c;
}

}  // namespace runa::types
