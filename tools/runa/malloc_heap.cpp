// map_malloc_heap() (see malloc_heap.hpp).
#include "malloc_heap.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; glibc 2.36's headers lack it
#endif

namespace runa::cli {

namespace {

// Below malloc's smallest mmap threshold (128 KiB), so that each piece
// comes from the brk heap; as large as that allows, because malloc writes
// a header after each piece, a page fault before the heap is populated.
constexpr std::size_t kPiece = std::size_t{124} << 10;
// What the runtime's creation and a small program's loading take, with a
// margin (hello world: the heap ends about 430 KB above where main finds it).
constexpr std::size_t kHeadroom = 4 * kPiece;

// The block that separates the freed pieces from the top of the heap; held
// here for the process's life, so that a leak checker sees it reachable.
void* separator = nullptr;

}  // namespace

void map_malloc_heap() {
  std::array<void*, kHeadroom / kPiece> pieces{};
  std::uint8_t* lowest = nullptr;
  for (void*& p : pieces) {
    p = std::malloc(kPiece);  // NOLINT(cppcoreguidelines-no-malloc)
    auto* b = static_cast<std::uint8_t*>(p);
    if (b != nullptr && (lowest == nullptr || std::less<>()(b, lowest))) lowest = b;
  }
  if (separator == nullptr) separator = std::malloc(1);  // NOLINT(cppcoreguidelines-no-malloc)
  for (void* p : pieces) std::free(p);                   // NOLINT(cppcoreguidelines-no-malloc)
  if (lowest == nullptr) return;
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  std::uint8_t* const from = lowest - reinterpret_cast<std::uintptr_t>(lowest) % page;
  auto* const to = static_cast<std::uint8_t*>(sbrk(0));
  // Not a brk heap (malloc fell back to mmap, or another allocator serves
  // malloc, as in sanitizer builds): nothing here is known to be the heap.
  const auto bytes = reinterpret_cast<std::uintptr_t>(to) - reinterpret_cast<std::uintptr_t>(from);
  if (!std::less<>()(from, to) || bytes > 2 * kHeadroom) return;
  madvise(from, bytes, MADV_POPULATE_WRITE);
}

}  // namespace runa::cli
