// text_hash: the hash of byte strings (String contents, and any key made of
// bytes), and the mixing step the other hashes share.
//
// Requirements, from the Dictionary that uses it: fast on short keys (a
// word is a handful of bytes), every input byte affects every output bit
// (open addressing takes the low bits), and the same result on every
// machine RunaTime runs on (little-endian, 64-bit). It reads 16 bytes per
// step through two 64-bit loads and folds each step with a 64x64->128-bit
// multiply (the folded-multiply construction of wyhash and rapidhash; this
// is RunaTime's own, simpler form). Not a cryptographic hash: a program
// that takes Dictionary keys from an adversary needs the seed below to be
// secret (it is fixed today; see docs/types.md, "Hashing").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace runa::types {

// The 128-bit product of a and b, folded to 64 bits.
inline std::uint64_t fold_mul(std::uint64_t a, std::uint64_t b) {
  __extension__ using U128 = unsigned __int128;  // GCC and Clang on 64-bit targets
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline constexpr std::uint64_t kHashSeed = 0x243f6a8885a308d3ULL;  // digits of pi
inline constexpr std::uint64_t kHashK1 = 0x9e3779b97f4a7c15ULL;
inline constexpr std::uint64_t kHashK2 = 0xd6e8feb86659fd93ULL;

inline std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, 8);
  return v;
}

// Up to 8 bytes, zero-extended (n <= 8).
inline std::uint64_t load_tail(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

// The last step of a hash of n bytes: h so far, a and b the last 1 to 16
// bytes (0 to 16 when n < 16), zero-extended.
inline std::uint64_t hash_last(std::uint64_t h, std::uint64_t a, std::uint64_t b, std::size_t n) {
  h = fold_mul(a ^ kHashK1, b ^ h ^ kHashK2);
  return fold_mul(h ^ kHashK2, n ^ kHashK1);
}

// The hash of n bytes from p. kPadded: the bytes are followed by zeros up
// to the next multiple of 8, readable (a flat String's text: flat_string.hpp),
// so the last step loads whole words where load_tail would copy byte by
// byte through a call of memcpy; the zeros it reads are what load_tail
// zero-extends with, so both forms give the same hash.
template <bool kPadded>
inline std::uint64_t hash_bytes_of(const std::uint8_t* p, std::size_t n) {
  std::uint64_t h = kHashSeed ^ (n * kHashK1);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    h = fold_mul(load64(p + i) ^ kHashK1, load64(p + i + 8) ^ h);
  }
  const std::size_t rest = n - i;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if constexpr (kPadded) {
    // Nothing is read past the padding: no word at all when rest is 0 (the
    // text may end at the object's end), the second word only past 8.
    if (rest > 0) a = load64(p + i);
    if (rest > 8) b = load64(p + i + 8);
  } else if (rest > 8) {
    a = load64(p + i);
    b = load_tail(p + i + 8, rest - 8);
  } else {
    a = load_tail(p + i, rest);
  }
  return hash_last(h, a, b, n);
}

inline std::uint64_t hash_bytes(const std::uint8_t* p, std::size_t n) {
  return hash_bytes_of<false>(p, n);
}

// hash_bytes(p, n) of n < 16 bytes (16 take hash_bytes' block step) when
// the 16 bytes from p are readable whatever n is (a piece inside a longer
// text): two whole-word loads, the bytes past n masked off, where
// hash_bytes copies the tail byte by byte.
inline std::uint64_t hash_short_overread(const std::uint8_t* p, std::size_t n) {
  const auto low = [](std::size_t k) {  // the low k bytes of a word, k <= 8
    return k >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * k)) - 1;
  };
  const std::uint64_t a = load64(p) & low(n);
  const std::uint64_t b = n > 8 ? load64(p + 8) & low(n - 8) : 0;
  return hash_last(kHashSeed ^ (n * kHashK1), a, b, n);
}

// An integer's hash (Integers, and Floats equal to one: docs/types.md) is
// the hash of its word as a small Integer, i << 3 | 1 (values.hpp; keys.hpp
// checks the two agree), so that a small Integer key is hashed as it is,
// with no shift. Beyond the small range the shift drops the top bits: such
// Integers may collide, and equality tells them apart.
inline std::uint64_t hash_small_int(std::uint64_t word) {
  return fold_mul(word ^ kHashSeed, kHashK1);
}
inline std::uint64_t hash_int(std::int64_t i) {
  return hash_small_int(static_cast<std::uint64_t>(i) << 3 | 1);
}

}  // namespace runa::types
