// The Dictionary's table (dictionary.hpp has the design and invariants):
// the words of the dictionary object, the control array's groups and the
// questions a probe asks a group. Its own header so that get()'s fast path
// can be inline where a tier looks a key up; nothing here collects.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "runatime/heap.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace runa::types::table {

using heap::Value;

// The dictionary object's words.
inline constexpr std::size_t kSlots = 0;
inline constexpr std::size_t kControl = 1;
inline constexpr std::size_t kOrder = 2;
inline constexpr std::size_t kCount = 3;
inline constexpr std::size_t kUsed = 4;
inline constexpr std::size_t kVersion = 5;
inline constexpr std::size_t kMask = 6;   // (groups - 1) * kGroup
inline constexpr std::size_t kFirst = 7;  // the first group's offset from the control array
inline constexpr std::uint32_t kDictBytes = 8 + 8 * 8;

// The control array (dictionary.hpp): groups of kGroup control bytes from
// the dictionary's kFirst. A control byte is kEmpty, kDeleted, or the low
// 7 bits of a key's hash.
inline constexpr std::uint8_t kEmpty = 0x80;
inline constexpr std::uint8_t kDeleted = 0xFE;
inline constexpr std::uint64_t kGroup = 16;  // slots per group

// What a dictionary without a table (control 0) probes: its kFirst is this
// group's address, so that control + kFirst names one group of empty
// slots, and get() needs no test for the table (a lookup there misses).
alignas(kGroup) inline constexpr std::uint8_t kNoTable[kGroup] = {
    kEmpty, kEmpty, kEmpty, kEmpty, kEmpty, kEmpty, kEmpty, kEmpty,
    kEmpty, kEmpty, kEmpty, kEmpty, kEmpty, kEmpty, kEmpty, kEmpty};
// Slot numbers are 32 bits: at most 2^28 groups of 16 slots.
inline constexpr std::uint64_t kMaxGroups = std::uint64_t{1} << 28;
static_assert(kMaxGroups * kGroup - 1 <= UINT32_MAX);
static_assert(std::endian::native == std::endian::little, "control words are read little-endian");

// 7/8 of the slots may be used.
constexpr std::uint64_t capacity_of(std::uint64_t groups) {
  return groups * kGroup * 7 / 8;
}

inline std::uint8_t control_of(std::uint64_t hash) {
  return static_cast<std::uint8_t>(hash & 0x7F);
}
// A group's 16 control bytes and the questions a probe asks them, each
// answered with a bit per slot (bit k: slot k).
#if defined(__SSE2__)
// x86-64 (where SSE2 is always there): one 16-byte compare per question.
using Pattern = __m128i;
// The byte in all four bytes of a word (one multiply), then in all four
// words: one instruction fewer than _mm_set1_epi8's unpacking.
inline Pattern pattern_of(std::uint8_t control) {
  return _mm_shuffle_epi32(_mm_cvtsi32_si128(static_cast<int>(control * 0x01010101U)), 0);
}
struct Group {
  __m128i bytes;
  explicit Group(const std::uint8_t* g)
      : bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g))) {}
  // The slots whose control byte is the pattern's.
  [[nodiscard]] std::uint32_t match(Pattern p) const {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, p)));
  }
  [[nodiscard]] std::uint32_t empty() const {
    return match(_mm_set1_epi8(static_cast<char>(kEmpty)));  // a constant, loaded
  }
};
#else
// Elsewhere: the same questions on two 64-bit words (SWAR).
inline constexpr std::uint64_t kLsbs = 0x0101010101010101ULL;
inline constexpr std::uint64_t kMsbs = 0x8080808080808080ULL;
using Pattern = std::uint64_t;
inline Pattern pattern_of(std::uint8_t control) {
  return kLsbs * control;
}
struct Group {
  std::uint64_t low;
  std::uint64_t high;
  explicit Group(const std::uint8_t* g) {
    std::memcpy(&low, g, 8);
    std::memcpy(&high, g + 8, 8);
  }
  // The classic zero-byte test on word ^ pattern. A borrow can mark a byte
  // above a true match too; callers compare the entry, so that costs a
  // read, never a wrong answer. Empty and deleted bytes have bit 7 set
  // and never match.
  [[nodiscard]] std::uint32_t match(Pattern p) const {
    return slots((((low ^ p) - kLsbs) & ~(low ^ p) & kMsbs),
                 (((high ^ p) - kLsbs) & ~(high ^ p) & kMsbs));
  }
  // Exact: bit 7 is set in kEmpty (1000 0000), where bit 1 is clear,
  // unlike kDeleted (1111 1110); full bytes have bit 7 clear.
  [[nodiscard]] std::uint32_t empty() const {
    return slots(low & (~low << 6) & kMsbs, high & (~high << 6) & kMsbs);
  }
  // Bit 7 of each byte of the two words, gathered into a bit per slot.
  static std::uint32_t slots(std::uint64_t low_bits, std::uint64_t high_bits) {
    inline constexpr std::uint64_t kGather = 0x0102040810204080ULL;
    return static_cast<std::uint32_t>(((low_bits >> 7) * kGather) >> 56 |
                                      ((high_bits >> 7) * kGather) >> 56 << 8);
  }
};
#endif
// The first slot a question's answer names, `bits` not 0 (so with no test
// for 0, which std::countr_zero would make).
inline std::uint64_t slot_at(std::uint32_t bits) {
  return static_cast<std::uint64_t>(__builtin_ctzll(bits));
}

inline std::uint64_t& word(Value dict, std::size_t i) {
  return heap::as_object(dict)->slots()[i];
}

// The control array seen as its groups. A group is named by its first
// slot's number, a multiple of kGroup: its control bytes start that far
// from the first group's, and its slots are that slot and the next 15.
// So a probe's position needs no multiplication, and the dictionary's own
// words (kMask, kFirst) give the table's shape with no read of the control
// array's header: get()'s fast path reads the dictionary, then the group.
struct Groups {
  std::uint8_t* base;  // the first group's control bytes
  std::uint64_t mask;  // (groups - 1) * kGroup
  Groups(std::uint8_t* first_group, std::uint64_t group_mask)
      : base(first_group), mask(group_mask) {}
  // A dictionary's groups: its table's, or kNoTable (mask 0) without one.
  // An address sum in integers: without a table it starts from 0.
  explicit Groups(Value dict)
      : base(reinterpret_cast<std::uint8_t*>(word(dict, kControl) + word(dict, kFirst))),
        mask(word(dict, kMask)) {}
  // The probe sequence of `hash`: groups in triangular order from the
  // hash's bits above the 7 of its control byte (every hash is a product's
  // folded halves, mixed in its low bits too), which visits every group.
  // Shifted by 3, bit 7 of the hash lands on bit 4, a group's lowest.
  [[nodiscard]] std::uint64_t first(std::uint64_t hash) const { return (hash >> 3) & mask; }
  [[nodiscard]] std::uint64_t after(std::uint64_t group, std::uint64_t step) const {
    return (group + step * kGroup) & mask;
  }
  [[nodiscard]] const std::uint8_t* group(std::uint64_t group) const { return base + group; }
  [[nodiscard]] std::uint8_t& control(std::uint64_t slot) const { return base[slot]; }
  // The first empty slot of `hash`'s probe sequence.
  [[nodiscard]] std::uint64_t free_slot(std::uint64_t hash) const {
    std::uint64_t g = first(hash);
    for (std::uint64_t step = 1;; ++step) {
      const std::uint32_t empty = Group(group(g)).empty();
      if (empty != 0) return g + slot_at(empty);
      g = after(g, step);
    }
  }
};

inline Value* slots_of(Value dict) {
  return heap::array_slots(heap::as_object(word(dict, kSlots)));
}

}  // namespace runa::types::table
