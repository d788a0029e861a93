#include "concurrency/pool/job_cache.hpp"

#include <cstddef>
#include <new>

namespace runa::concurrency {
namespace {
thread_local JobCache* bound = nullptr;
}  // namespace

static_assert(JobCache::kHeader >= alignof(std::max_align_t));

JobCache::~JobCache() = default;

void JobCache::bind(JobCache* cache) {
  bound = cache;
}

JobCache* JobCache::mine() {
  return bound;
}

void* JobCache::allocate(std::size_t bytes) {
  JobCache* cache = bound;
  if (cache == nullptr || bytes > kBlockBytes) {
    auto* b = static_cast<Block*>(::operator new(kHeader + bytes));
    b->owner = nullptr;
    return reinterpret_cast<std::byte*>(b) + kHeader;
  }
  return reinterpret_cast<std::byte*>(cache->take()) + kHeader;
}

void* JobCache::take() {
  if (free_ == nullptr) free_ = remote_.exchange(nullptr, std::memory_order_acquire);
  if (free_ == nullptr) refill();
  Block* b = free_;
  free_ = b->next;
  return b;
}

void JobCache::refill() {
  auto slab = std::make_unique_for_overwrite<std::byte[]>(kStride * kSlabBlocks);
  for (std::size_t i = 0; i < kSlabBlocks; ++i) {
    auto* b = new (slab.get() + i * kStride) Block{};
    b->owner = this;
    b->next = free_;
    free_ = b;
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
  if (owner == bound) {
    b->next = owner->free_;
    owner->free_ = b;
    return;
  }
  // Release: our last touch of the block comes before the owner reuses it.
  Block* head = owner->remote_.load(std::memory_order_relaxed);
  do {
    b->next = head;
  } while (!owner->remote_.compare_exchange_weak(head, b, std::memory_order_release,
                                                 std::memory_order_relaxed));
}

}  // namespace runa::concurrency
