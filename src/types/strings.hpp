// Strings: Runa's String values — immutable UTF-8 text with a cached hash,
// indexed by Character (docs/types.md, "String").
//
// Two heap representations, both the type String to a program:
//
//   flat   a byte array (layout "String"): the length word counts the
//          24-byte prefix plus the UTF-8 bytes; the prefix holds the number
//          of Characters, the hash (0: not computed yet) and a cursor (the
//          last Character index looked up and its byte offset).
//   rope   a plain object (layout "Rope"): references left, right and flat,
//          then the byte and Character counts. Made by concat() when the
//          result is long, so that building a string by repeated `+` costs
//          O(total) instead of O(n^2); flattened on demand.
//
// Invariants:
//   - The bytes of a flat string are well-formed UTF-8 (make() requires it,
//     make_checked() checks it) and never change.
//   - A rope's left and right never change; its `flat` slot goes from
//     nothing to an equal flat string once (or twice, when two threads
//     flatten it at once: both results are equal and either is right).
//     Readers check `flat` first and otherwise walk left and right, which
//     no one rewrites, so a rope is safe to read from any thread. The price:
//     a flattened rope keeps its pieces alive as long as it lives.
//   - The hash and the cursor are caches written with relaxed atomic stores;
//     a racing reader sees the old or the new value, both right.
//   - A Character is a Unicode scalar value; "ASCII" means the byte count
//     equals the Character count, and then indexing is O(1). Otherwise
//     char_at() scans from the cursor (or the start), so a loop over the
//     Characters in order is O(n) overall and a random index costs O(i).
//
// Calls marked MAY COLLECT take their string arguments in handles and read
// them again after allocating; the others never collect.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "types/flat_string.hpp"

namespace runa::types {

using heap::Value;

class Strings {
 public:
  // Results shorter than this many bytes are copied flat by concat().
  static constexpr std::uint64_t kMinRope = 64;

  // Registers the String and Rope layouts with `heap`. Never collects.
  static Result<Strings> create(heap::Heap& heap);

  [[nodiscard]] bool is_string(Value v) const {
    if (!heap::is_ref(v)) return false;
    const std::uint32_t t = heap::hdr::type_of(heap::as_object(v)->load_header());
    return t == flat_type_ || t == rope_type_;
  }
  [[nodiscard]] bool is_flat(Value v) const {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == flat_type_;
  }
  [[nodiscard]] std::uint32_t flat_type() const { return flat_type_; }
  [[nodiscard]] std::uint32_t rope_type() const { return rope_type_; }

  // A flat string of `utf8`, which must be well-formed UTF-8; nothing (0)
  // when the heap is exhausted. MAY COLLECT.
  Value make(heap::Mutator& m, std::string_view utf8) const;
  // As make(), for text from outside: nullopt when `bytes` is not
  // well-formed UTF-8 (the caller raises ValueError). MAY COLLECT.
  std::optional<Value> make_checked(heap::Mutator& m, std::string_view bytes) const;
  // A flat string of the `bytes` bytes from byte `offset` of the flat
  // string in `source`, which start and end on Character boundaries:
  // copied once, from where the source is after the allocation (a native
  // splitting a String needs no copy of it). Nothing when exhausted.
  // MAY COLLECT.
  Value slice(heap::Mutator& m, const heap::Handle& source, std::uint64_t offset,
              std::uint64_t bytes) const;
  // A flat string of `bytes` bytes and `chars` Characters, written by
  // fill(out) into the new string once it is allocated: fill must write
  // exactly that much well-formed UTF-8 and must not allocate (it may read
  // other strings through their handles, which are current by then).
  // Nothing when exhausted, and then fill is not called. MAY COLLECT.
  template <typename Fill>
  Value make_with(heap::Mutator& m, std::uint64_t bytes, std::uint64_t chars, Fill fill) const {
    const Value s = allocate_flat(m, bytes, chars);
    if (s != 0) fill(flat::text(heap::as_object(s)));
    return s;
  }

  // a followed by b: a flat string when shorter than kMinRope bytes,
  // otherwise a rope; nothing when exhausted. MAY COLLECT.
  Value concat(heap::Mutator& m, const heap::Handle& a, const heap::Handle& b) const;
  // The strings in the handle slots `parts`, joined, as one flat string made
  // with one allocation (TEXT_CONCAT); nothing when exhausted. MAY COLLECT.
  Value join(heap::Mutator& m, std::span<Value* const> parts) const;
  // The flat form of the string in `s`: itself when flat, else the rope's
  // flat string, made now if it was not yet. Nothing when exhausted.
  // MAY COLLECT (only when a rope is flattened now).
  Value flatten(heap::Mutator& m, const heap::Handle& s) const;

  // Any string.
  // Appends the UTF-8 bytes of s (flat or not) to `out`. Never collects.
  void append_to(Value s, std::string& out) const;
  [[nodiscard]] std::uint64_t length(Value s) const;       // Characters
  [[nodiscard]] std::uint64_t byte_length(Value s) const;  // UTF-8 bytes

  // Flat strings only.
  [[nodiscard]] static std::string_view view(Value flat);
  // Whether every Character is one byte (the Character count is the byte
  // count): true exactly for ASCII text, read from the prefix.
  [[nodiscard]] static bool is_ascii(Value flat) {
    heap::Object* o = heap::as_object(flat);
    return flat::prefix(o)[flat::kChars] == flat::bytes(o);
  }
  // The Characters in `n` bytes of well-formed UTF-8 (eight bytes a step).
  [[nodiscard]] static std::uint64_t count_chars(const std::uint8_t* p, std::uint64_t n);
  // The hash (never 0): cached, or computed now and cached.
  [[nodiscard]] static std::uint64_t hash(Value flat) {
    const std::uint64_t h = flat::cached_hash(flat);
    return h != 0 ? h : hash_text(flat);
  }
  // The hash a flat string of the `bytes` bytes from byte `offset` of the
  // flat string `flat` has (Strings::hash of its slice), with no slice
  // made: to find an equal string by hash.
  [[nodiscard]] static std::uint64_t hash_of(Value flat, std::uint64_t offset, std::uint64_t bytes);
  [[nodiscard]] static bool equal(Value a, Value b) { return flat::equal(a, b); }
  // <0, 0, >0: code-point (= UTF-8 byte) order.
  [[nodiscard]] static int compare(Value a, Value b);
  // The Character at index i, or nullopt when i >= length.
  [[nodiscard]] static std::optional<std::uint32_t> char_at(Value flat, std::uint64_t i);
  // The Character that starts at byte `offset`, advancing `offset` past
  // it; nullopt at the end. `offset` is 0 or a value this call left.
  [[nodiscard]] static std::optional<std::uint32_t> next_char(Value flat, std::uint64_t& offset);

 private:
  Strings(std::uint32_t flat, std::uint32_t rope) : flat_type_(flat), rope_type_(rope) {}
  // Copies the bytes of any string to `out` (which has room). Never collects.
  void copy_bytes(Value s, std::uint8_t* out) const;
  Value allocate_flat(heap::Mutator& m, std::uint64_t bytes, std::uint64_t chars) const;
  // Computes the hash of a flat string's text and caches it.
  static std::uint64_t hash_text(Value flat);

  std::uint32_t flat_type_;
  std::uint32_t rope_type_;
};

}  // namespace runa::types
