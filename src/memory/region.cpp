// Region: reserve, commit and discard address space (see region.hpp).
//
// Alignment is obtained by over-reserving `align` extra bytes and unmapping
// the unaligned head and tail, so only the aligned range stays mapped.
#include "memory/region.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace runa::heap {

Region::~Region() {
  if (base_ != nullptr) munmap(base_, size_);
}

bool Region::reserve(std::size_t size, std::size_t align, std::string& error) {
  if (size == 0 || size % kPage != 0 || align < kPage || (align & (align - 1)) != 0) {
    error = "cannot reserve " + std::to_string(size) + " bytes aligned to " +
            std::to_string(align) + ": not page multiples";
    return false;
  }
  std::size_t span = size + align;
  void* p = mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    error = "cannot reserve " + std::to_string(span) +
            " bytes of address space: " + std::strerror(errno);
    return false;
  }
  auto* start = static_cast<std::uint8_t*>(p);
  std::size_t head = (align - reinterpret_cast<std::uintptr_t>(start) % align) % align;
  std::size_t tail = span - head - size;
  if (head != 0) munmap(start, head);
  if (tail != 0) munmap(start + head + size, tail);
  base_ = start + head;
  size_ = size;
  return true;
}

bool Region::commit(std::uint8_t* p, std::size_t n) const {
  if (n == 0 || !contains(p) || !contains(p + n - 1)) return false;
  return mprotect(p, n, PROT_READ | PROT_WRITE) == 0;
}

void Region::discard(std::uint8_t* p, std::size_t n) const {
  if (n == 0 || !contains(p) || !contains(p + n - 1)) return;
  // Private anonymous memory: the kernel drops the pages, the next read is zero.
  madvise(p, n, MADV_DONTNEED);
}

void Region::prefer_huge_pages(std::uint8_t* p, std::size_t n) const {
  if (n == 0 || !contains(p) || !contains(p + n - 1)) return;
  madvise(p, n, MADV_HUGEPAGE);
}

}  // namespace runa::heap
