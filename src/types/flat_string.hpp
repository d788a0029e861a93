// A flat String's layout (strings.hpp has the design) and the readers that
// must be inline where a tier or a Dictionary compares and hashes keys: the
// cached hash and equality. Nothing here allocates or collects.
//
// Layout: a byte array whose length word counts a 24-byte prefix plus the
// UTF-8 bytes; the prefix holds the Character count, the hash (0 until
// computed) and a cursor. The object ends on an 8-byte boundary, and the
// bytes between the text's end and that boundary are zero: a flat string
// is allocated zeroed, only its text is written, and a copying collection
// copies whole words. So two texts of the same length compare word by word
// with no tail loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include "runatime/heap.hpp"

namespace runa::types::flat {

using heap::Object;
using heap::Value;

inline constexpr std::uint64_t kPrefix = 24;  // bytes before the text
inline constexpr std::size_t kChars = 0;      // u64: Characters
inline constexpr std::size_t kHash = 1;       // u64: hash, 0 until computed
inline constexpr std::size_t kCursor = 2;     // u64: (Character index << 32) | byte offset

inline std::uint64_t* prefix(Object* o) {
  return reinterpret_cast<std::uint64_t*>(heap::array_bytes(o));
}
inline std::uint8_t* text(Object* o) {
  return heap::array_bytes(o) + kPrefix;
}
inline std::uint64_t bytes(Object* o) {
  return heap::array_length(o) - kPrefix;
}

// The caches (hash, cursor) are written with relaxed atomic stores: a
// racing reader sees the old or the new value, both right.
inline std::uint64_t load_relaxed(std::uint64_t& word) {
  return std::atomic_ref<std::uint64_t>(word).load(std::memory_order_relaxed);
}
inline void store_relaxed(std::uint64_t& word, std::uint64_t v) {
  std::atomic_ref<std::uint64_t>(word).store(v, std::memory_order_relaxed);
}

// The hash if computed, else 0.
inline std::uint64_t cached_hash(Value flat) {
  return load_relaxed(prefix(heap::as_object(flat))[kHash]);
}
// Records h, which must be the string's hash (Strings::hash_of of its
// source gave it), so that nobody computes it again.
inline void cache_hash(Value flat, std::uint64_t h) {
  store_relaxed(prefix(heap::as_object(flat))[kHash], h);
}

// The same bytes, word by word (see the layout above), for texts of the
// same length n.
inline bool same_words(Object* x, Object* y, std::uint64_t n) {
  const std::uint8_t* p = text(x);
  const std::uint8_t* q = text(y);
  for (std::uint64_t i = 0; i < n; i += 8) {
    std::uint64_t u = 0;
    std::uint64_t v = 0;
    std::memcpy(&u, p + i, 8);
    std::memcpy(&v, q + i, 8);
    if (u != v) return false;
  }
  return true;
}

// Equal texts: the same length, hashes that do not differ where both are
// known, then the words.
inline bool equal(Value a, Value b) {
  if (a == b) return true;
  Object* x = heap::as_object(a);
  Object* y = heap::as_object(b);
  const std::uint64_t n = bytes(x);
  if (n != bytes(y)) return false;
  const std::uint64_t hx = load_relaxed(prefix(x)[kHash]);
  const std::uint64_t hy = load_relaxed(prefix(y)[kHash]);
  if (hx != 0 && hy != 0 && hx != hy) return false;
  return same_words(x, y, n);
}

// equal(), for a `b` whose hash is known to be `hb` (a Dictionary's
// probe: a stored key against the key looked up, hashed already): the
// hashes first, since equal hashes almost always mean equal texts, and
// fewer values to keep than equal()'s. A text's hash never changes once
// computed (its bytes never do), so a cached hash is always its own.
inline bool equal_hashed(Value a, Value b, std::uint64_t hb) {
  Object* x = heap::as_object(a);
  const std::uint64_t ha = load_relaxed(prefix(x)[kHash]);
  if (ha != hb && ha != 0) return false;
  Object* y = heap::as_object(b);
  const std::uint64_t n = bytes(x);
  return n == bytes(y) && same_words(x, y, n);
}

}  // namespace runa::types::flat
