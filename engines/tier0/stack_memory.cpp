// StackMemory (see stack_memory.hpp).
#include "stack_memory.hpp"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>

#include "stack.hpp"

namespace runa::tier0 {

namespace {

constexpr std::size_t kValueBytes = Stack::kValues * sizeof(Value);
constexpr std::size_t kFrameBytes = Stack::kFrames * sizeof(Frame);
static_assert(StackMemory::kWarm < kValueBytes && StackMemory::kWarm < kFrameBytes);

void* reserve(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "runa: tier 0 cannot reserve a thread stack of %zu bytes\n", bytes);
    std::abort();
  }
  return p;
}

// Everything past the first kWarm bytes back to the kernel. Pages never
// touched cost nothing to drop: no page-table entry, no TLB flush.
void trim(void* p, std::size_t bytes) {
  madvise(static_cast<char*>(p) + StackMemory::kWarm, bytes - StackMemory::kWarm, MADV_DONTNEED);
}

void unmap(StackMemory::Set s) {
  munmap(s.values, kValueBytes);
  munmap(s.frames, kFrameBytes);
}

}  // namespace

StackMemory::StackMemory() {
  spare_.reserve(kSpare);
}

StackMemory::~StackMemory() {
  for (const Set& s : spare_) unmap(s);
}

StackMemory::Set StackMemory::take() {
  {
    std::lock_guard lock(mu_);
    if (!spare_.empty()) {
      const Set s = spare_.back();
      spare_.pop_back();
      return s;
    }
  }
  return {static_cast<Value*>(reserve(kValueBytes)), static_cast<Frame*>(reserve(kFrameBytes))};
}

void StackMemory::give(Set s) {
  // Trimmed before another thread can take it: a trim racing that thread's
  // first writes would drop them.
  trim(s.values, kValueBytes);
  trim(s.frames, kFrameBytes);
  {
    std::lock_guard lock(mu_);
    if (spare_.size() < kSpare) {
      spare_.push_back(s);  // within the capacity reserved: never allocates
      return;
    }
  }
  unmap(s);
}

std::size_t StackMemory::spares() {
  std::lock_guard lock(mu_);
  return spare_.size();
}

}  // namespace runa::tier0
