// Finding and counting one byte in text, eight bytes a step (SWAR): what
// text_split does with a one-byte separator, where the pieces between are
// words of a few bytes and a memchr call costs more to set up than the
// scan. Little-endian, as RunaTime's targets are (types/text_hash.hpp):
// the lowest set bit names the first byte.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace runa::bridge {

namespace byte_scan {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHigh = 0x8080808080808080ULL;

// Bit 7 of each byte of w equal to the byte that `pattern` repeats, and no
// other bit. Exact: the sum of a byte's low seven bits and 0x7F stays in
// the byte, and its bit 7 is clear only when those bits are all zero.
inline std::uint64_t equal_bytes(std::uint64_t w, std::uint64_t pattern) {
  const std::uint64_t x = w ^ pattern;  // zero bytes where equal
  return ~(((x & ~kHigh) + ~kHigh) | x) & kHigh;
}

inline std::uint64_t load(std::string_view text, std::size_t i) {
  std::uint64_t w = 0;
  std::memcpy(&w, text.data() + i, sizeof w);
  return w;
}

}  // namespace byte_scan

// The index of the first `c` in `text` at or after `from`, or npos.
inline std::size_t find_byte(std::string_view text, char c, std::size_t from) {
  using namespace byte_scan;
  const std::uint64_t pattern = kOnes * static_cast<std::uint8_t>(c);
  std::size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    if (const std::uint64_t hits = equal_bytes(load(text, i), pattern); hits != 0) {
      return i + static_cast<std::size_t>(std::countr_zero(hits)) / 8;
    }
  }
  for (; i < text.size(); ++i) {
    if (text[i] == c) return i;
  }
  return std::string_view::npos;
}

// How many times `c` occurs in `text`.
inline std::size_t count_byte(std::string_view text, char c) {
  using namespace byte_scan;
  const std::uint64_t pattern = kOnes * static_cast<std::uint8_t>(c);
  std::size_t n = 0;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    // The multiply adds the eight 0-or-1 bytes into the top byte.
    n += static_cast<std::size_t>(((equal_bytes(load(text, i), pattern) >> 7) * kOnes) >> 56);
  }
  for (; i < text.size(); ++i) n += text[i] == c ? 1 : 0;
  return n;
}

}  // namespace runa::bridge
