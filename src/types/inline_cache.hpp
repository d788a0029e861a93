// InlineCache: what a call site or field site of an execution tier has seen,
// shared by every thread that runs the code (docs/types.md, "Dispatch").
//
// States: empty → monomorphic (1 entry) → polymorphic (2..kEntries) →
// megamorphic (the site gives up caching and goes to the global
// MethodCache). Each entry maps a receiver type to what the site needs for
// it: a method for a call site, a field slot for a field site.
//
// Protocol. Entries are append-only and written once, each published on its
// own: an updater writes the entry's data, then its type with a release
// store; a reader loads a type with acquire and reads the data only when the
// type is the one it looks for, so it never pairs a type with data that is
// not yet written. Readers stop at the first empty entry. Updates (misses,
// rare) are serialized by a lock the caller passes (one per runtime is
// enough). The interleaving this rules out: a reader finds type T in entry
// 1 while an updater has stored T but not yet the data — impossible, since
// the data is stored before the type and the type's release store orders
// them. Megamorphic is the last state: no entry is ever rewritten, so a
// reader that raced with the transition still gets a correct answer, and
// the four types already seen keep hitting.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace runa::types {

struct TypeDesc;

class InlineCache {
 public:
  static constexpr std::uint32_t kEntries = 4;
  static constexpr std::uint32_t kMegamorphic = kEntries + 1;

  // The data recorded for `type`, or `miss` when the site has not seen it
  // (or is megamorphic). Lock-free; the fast path of every call.
  [[nodiscard]] std::uintptr_t find(const TypeDesc* type, std::uintptr_t miss = 0) const {
    // The monomorphic hit first, straight-line: the common case of a call site.
    if (entries_[0].type.load(std::memory_order_acquire) == type) [[likely]] {
      return entries_[0].data.load(std::memory_order_relaxed);
    }
    for (std::uint32_t i = 1; i < kEntries; ++i) {
      const TypeDesc* t = entries_[i].type.load(std::memory_order_acquire);
      if (t == type) return entries_[i].data.load(std::memory_order_relaxed);
      if (t == nullptr) break;
    }
    return miss;
  }

  // Records `data` for `type` after a miss. Returns false when the site is
  // (or now becomes) megamorphic: the caller uses the global cache instead.
  bool record(const TypeDesc* type, std::uintptr_t data, std::mutex& updates) {
    std::lock_guard lock(updates);
    const std::uint32_t n = count_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < n && i < kEntries; ++i) {
      if (entries_[i].type.load(std::memory_order_relaxed) == type) return true;  // a racing update
    }
    if (n >= kEntries) {
      count_.store(kMegamorphic, std::memory_order_release);
      return false;
    }
    entries_[n].data.store(data, std::memory_order_relaxed);
    entries_[n].type.store(type, std::memory_order_release);
    count_.store(n + 1, std::memory_order_relaxed);
    return true;
  }

  // 0 empty, 1 monomorphic, 2..kEntries polymorphic, kMegamorphic.
  [[nodiscard]] std::uint32_t state() const { return count_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::atomic<const TypeDesc*> type{nullptr};
    std::atomic<std::uintptr_t> data{0};
  };
  std::array<Entry, kEntries> entries_;
  std::atomic<std::uint32_t> count_{0};  // written under the update lock
};

}  // namespace runa::types
