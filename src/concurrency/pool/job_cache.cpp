#include "concurrency/pool/job_cache.hpp"

#include <cstddef>
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

// The thread's cache; abandoned when the thread exits.
struct Holder {
  JobCache* cache = nullptr;
  Holder() = default;
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
  Holder(Holder&&) = delete;
  Holder& operator=(Holder&&) = delete;
  ~Holder() {
    if (cache == nullptr) return;
    std::lock_guard lock(abandoned_mu);
    abandoned().push_back(cache);
  }
};
thread_local Holder holder;

}  // namespace

static_assert(JobCache::kHeader >= alignof(std::max_align_t));

JobCache& JobCache::mine() {
  if (holder.cache == nullptr) {
    {
      std::lock_guard lock(abandoned_mu);
      if (!abandoned().empty()) {
        holder.cache = abandoned().back();
        abandoned().pop_back();
      }
    }
    if (holder.cache == nullptr) holder.cache = new JobCache();
  }
  return *holder.cache;
}

void* JobCache::allocate(std::size_t bytes) {
  if (bytes > kBlockBytes) {
    auto* b = static_cast<Block*>(::operator new(kHeader + bytes));
    b->owner = nullptr;
    return reinterpret_cast<std::byte*>(b) + kHeader;
  }
  std::size_t c = bytes + kHeader <= 64 ? 0 : bytes + kHeader <= 128 ? 1 : 2;
  return reinterpret_cast<std::byte*>(mine().take(c)) + kHeader;
}

void* JobCache::take(std::size_t c) {
  if (free_[c] == nullptr) free_[c] = remote_[c].exchange(nullptr, std::memory_order_acquire);
  if (free_[c] == nullptr) refill(c);
  Block* b = free_[c];
  free_[c] = b->next;
  return b;
}

void JobCache::refill(std::size_t c) {
  std::size_t stride = std::size_t{64} << c;
  auto slab = std::make_unique_for_overwrite<std::byte[]>(kSlabBytes);
  for (std::size_t at = 0; at + stride <= kSlabBytes; at += stride) {
    auto* b = new (slab.get() + at) Block{this, c, free_[c]};
    free_[c] = b;
  }
  slabs_.push_back(std::move(slab));
}

void JobCache::release(void* p) {
  auto* b = reinterpret_cast<Block*>(static_cast<std::byte*>(p) - kHeader);
  JobCache* owner = b->owner;
  if (owner == nullptr) {
    ::operator delete(b);
    return;
  }
  std::size_t c = b->size_class;
  if (owner == holder.cache) {
    b->next = owner->free_[c];
    owner->free_[c] = b;
    return;
  }
  // Release: our last touch of the block comes before the owner reuses it.
  Block* head = owner->remote_[c].load(std::memory_order_relaxed);
  do {
    b->next = head;
  } while (!owner->remote_[c].compare_exchange_weak(head, b, std::memory_order_release,
                                                    std::memory_order_relaxed));
}

}  // namespace runa::concurrency
