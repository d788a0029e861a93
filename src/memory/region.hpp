// Region: the heap's one reservation of address space.
//
// The whole heap (max_heap: the nursery and the old generation) is reserved with a
// single mmap(PROT_NONE) at start-up, so spaces are address ranges fixed for
// the heap's life and "is this young?" is one subtraction and one compare.
// Memory becomes usable only when committed (mprotect read/write); the
// caller commits in growing runs, so each space stays one mapping. discard()
// gives pages back to the OS (madvise(MADV_DONTNEED)) but leaves them
// mapped read/write: the next touch faults in a zero page. Nothing is ever
// turned back to PROT_NONE, because a protection change in the middle of a
// mapping splits it, and a heap with alternating free blocks would run the
// process into the kernel's limit on mappings (vm.max_map_count).
//
// prefer_huge_pages() asks for transparent huge pages on a range (the
// nursery): each 2 MiB extent is then one fault and one TLB entry instead of
// 512. On a virtual machine a 4 KiB fault costs 10-15 us (measured here:
// touching 16 MiB takes 40-56 ms in small pages, about 1 ms in huge ones),
// so a program's first pass over a fresh eden was most of a short run's time.
// Only extents wholly inside one committed mapping get a huge page; the rest
// stay small. With THP disabled system-wide the request is a no-op.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace runa::heap {

inline constexpr std::size_t kPage = 4096;
inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

class Region {
 public:
  Region() = default;
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  Region(Region&&) = delete;
  Region& operator=(Region&&) = delete;

  // Reserves `size` bytes (a page multiple) starting at a multiple of
  // `align` (a power of two, at least a page). On failure, says why in `error`.
  bool reserve(std::size_t size, std::size_t align, std::string& error);
  // [p, p + n) must be page-aligned and inside the reservation (both
  // refuse it otherwise).
  bool commit(std::uint8_t* p, std::size_t n) const;
  // Committed pages back to the OS; they stay committed and read as zero.
  void discard(std::uint8_t* p, std::size_t n) const;
  // Transparent huge pages for [p, p + n) (see the header comment); a hint:
  // refused or disabled, the range keeps small pages.
  void prefer_huge_pages(std::uint8_t* p, std::size_t n) const;

  [[nodiscard]] std::uint8_t* base() const { return base_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool contains(const void* p) const {
    return reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base_) < size_;
  }

 private:
  std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace runa::heap
