#include "concurrency/pool/job_cache.hpp"

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace runa::concurrency {
namespace {

// Caches of threads that have exited, waiting for a thread to adopt them.
std::mutex abandoned_mu;
std::vector<JobCache*>& abandoned() {
  static auto* list = new std::vector<JobCache*>();  // never freed: caches never are
  return *list;
}

}  // namespace

struct JobCache::Holder {
  JobCache* cache = nullptr;
  Holder() = default;
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
  Holder(Holder&&) = delete;
  Holder& operator=(Holder&&) = delete;
  ~Holder() {
    if (cache == nullptr) return;
    tls_ = nullptr;  // later releases on this thread go the remote way
    std::lock_guard lock(abandoned_mu);
    abandoned().push_back(cache);
  }
};

thread_local JobCache::Holder JobCache::holder_;

static_assert(64 % alignof(std::max_align_t) == 0);

JobCache& JobCache::mine() {
  if (holder_.cache == nullptr) {
    {
      std::lock_guard lock(abandoned_mu);
      if (!abandoned().empty()) {
        holder_.cache = abandoned().back();
        abandoned().pop_back();
      }
    }
    if (holder_.cache == nullptr) holder_.cache = new JobCache();
    tls_ = holder_.cache;
  }
  return *holder_.cache;
}

void* JobCache::allocate_slow(std::size_t c) {
  return mine().take(c);
}

void* JobCache::take(std::size_t c) {
  if (free_[c] == nullptr) free_[c] = remote_[c].exchange(nullptr, std::memory_order_acquire);
  if (free_[c] == nullptr) refill(c);
  Block* b = free_[c];
  free_[c] = b->next;
  unpoison(b, c);
  return b;
}

void JobCache::SlabFree::operator()(std::byte* p) const {
  std::free(p);  // NOLINT(*-no-malloc): aligned_alloc's, see refill
}

void JobCache::refill(std::size_t c) {
  std::size_t stride = std::size_t{64} << c;
  bool huge = carved_[c] >= kHugeSlabBytes;
  std::size_t bytes = huge ? kHugeSlabBytes : kChunkBytes;
  // aligned_alloc: operator new cannot say which alignment a slab had when
  // the deleter frees it, and owner_of() needs chunks aligned to their size.
  // NOLINTNEXTLINE(*-no-malloc)
  std::unique_ptr<std::byte, SlabFree> slab(
      static_cast<std::byte*>(std::aligned_alloc(bytes, bytes)));
  if (slab == nullptr) throw std::bad_alloc();
  if (huge) madvise(slab.get(), bytes, MADV_HUGEPAGE);  // advice: failure only costs faults
  for (std::size_t chunk = 0; chunk < bytes; chunk += kChunkBytes) {
    // The first block's place holds the owner (owner_of).
    new (slab.get() + chunk) JobCache*(this);
    for (std::size_t at = chunk + stride; at + stride <= chunk + kChunkBytes; at += stride) {
      free_[c] = new (slab.get() + at) Block{free_[c]};
      poison(free_[c], c);
    }
  }
  carved_[c] += bytes;
  slabs_.push_back(std::move(slab));
}

void JobCache::release_slow(Block* b, std::size_t c, JobCache* owner) {
  // Another thread's block (the owner's own blocks took the inline path).
  // Release: our last touch of the block comes before the owner reuses it
  // (the poisoning too: once pushed, the owner may hand it out again).
  poison(b, c);
  Block* head = owner->remote_[c].load(std::memory_order_relaxed);
  do {
    b->next = head;
  } while (!owner->remote_[c].compare_exchange_weak(head, b, std::memory_order_release,
                                                    std::memory_order_relaxed));
}

}  // namespace runa::concurrency
