// text_split's cache of short pieces: per thread, the last short String made
// for each of kSlots hash buckets, so that a piece seen recently is that
// String again rather than a new one (docs/engine.md, "The word count").
//
// Why: splitting text into words makes a String a word, nearly all of them
// equal to one made a moment before. Each new one costs an allocation, a
// copy and, as a Dictionary key, a hash; and it is a write to a fresh
// nursery line, which is where the word count's last-level cache misses
// were (Lua interns its short strings and allocates nothing a word). A
// cached piece comes with its hash computed, and a Dictionary holding it as
// a key finds it by identity before any compare.
//
// Invariants:
//   - Strings have no identity a program can see (EQ, keys and every native
//     compare them by content, docs/bytecode.md, "Comparisons"), so
//     handing out one String for equal pieces changes no result.
//   - A slot holds 0 or a flat String of at most kMaxBytes bytes whose hash
//     is cached (every slot is filled with a hashed String), and the slot
//     is index hash & (kSlots - 1). The slots are a root range of the heap
//     (add_roots): a collection keeps them alive and updates them, so a
//     cache holds at most kSlots small Strings alive.
//   - One thread's cache is read and written only by that thread, in its
//     natives (a collection updates it with the thread stopped): no lock.
//     It is made at the thread's first text_split and freed when it
//     detaches (release).
#pragma once

#include <array>
#include <cstdint>

#include "runatime/runtime.hpp"
#include "types/strings.hpp"

namespace runa::bridge {

using heap::Value;

class PieceCache {
 public:
  static constexpr std::size_t kSlots = 4096;  // a power of two
  // Longer pieces are rarely repeated words; they are made anew.
  static constexpr std::uint64_t kMaxBytes = 16;

  // The cache of thread t, made now if it has none; nullptr without a
  // thread (a native called with no rt::Thread: no cache, pieces made anew).
  static PieceCache* of(rt::Thread* t);
  // Frees t's cache, if it has one (the thread detaches).
  static void release(rt::Thread& t);

  PieceCache(const PieceCache&) = delete;
  PieceCache& operator=(const PieceCache&) = delete;
  PieceCache(PieceCache&&) = delete;
  PieceCache& operator=(PieceCache&&) = delete;
  ~PieceCache();

  // A flat String of the `bytes` bytes from byte `offset` of the flat
  // String in `source` (on Character boundaries, as Strings::slice takes
  // them): the cached one when equal, else a new one, cached when short.
  // Nothing when the heap is exhausted. MAY COLLECT.
  Value piece(heap::Mutator& m, const types::Strings& strings, const heap::Handle& source,
              std::uint64_t offset, std::uint64_t bytes);

 private:
  explicit PieceCache(heap::Heap& heap);

  heap::Heap& heap_;
  std::array<Value, kSlots> slots_{};
  std::uint64_t roots_ = 0;  // the heap's id of slots_ as a root range
};

}  // namespace runa::bridge
