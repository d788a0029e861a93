// Nursery: TLAB carving and the survivor flip (see nursery.hpp).
//
// carve() and zero() are the only parts mutators run concurrently. The
// CAS can be relaxed: the bytes it hands out are then written only by the
// carving thread, and the collector, which resets eden's top, runs only after every
// mutator has stopped, which orders everything through the safepoint lock.
// The same order lets zero() read clean_ (moved only by the collector) as
// a plain field.
#include "memory/nursery.hpp"

#include <algorithm>
#include <cstring>

namespace runa::heap {

bool Nursery::init(const Region& region, std::uint8_t* base, YoungSize reserved,
                   YoungSize initial) {
  region_ = &region;
  base_ = base;
  eden_ = reserved.eden;
  half_ = reserved.half;
  size_ = reserved.total();
  eden_top_.store(base, std::memory_order_relaxed);
  clean_ = base;  // freshly committed: no byte of eden written yet
  survivors_ = 0;
  survivors_top_ = survivors_begin();
  if (!resize(initial)) return false;
  to_top_.store(to_begin(), std::memory_order_relaxed);
  return true;
}

bool Nursery::resize(YoungSize next) {
  if (next.eden > eden_committed_ &&
      !region_->commit(base_ + eden_committed_, next.eden - eden_committed_)) {
    return false;
  }
  if (next.half > half_committed_) {
    std::size_t grow = next.half - half_committed_;
    if (!region_->commit(base_ + half_start(0) + half_committed_, grow) ||
        !region_->commit(base_ + half_start(1) + half_committed_, grow)) {
      return false;  // a half committed further is harmless: it is only reused
    }
    half_committed_ = next.half;
  }
  if (next.eden < eden_committed_) {
    short_peak_ = std::max(short_peak_, next.eden);
    if (++short_epochs_ >= kUncommitDelay) {
      region_->discard(base_ + short_peak_, eden_committed_ - short_peak_);
      clean_ = std::min(clean_, base_ + short_peak_);
      eden_committed_ = short_peak_;
      short_epochs_ = 0;
      short_peak_ = 0;
    }
  } else {
    eden_committed_ = next.eden;
    short_epochs_ = 0;
    short_peak_ = 0;
  }
  eden_now_ = next.eden;
  half_now_ = next.half;
  return true;
}

std::uint8_t* Nursery::carve(std::size_t min, std::size_t want, std::size_t& got,
                             std::uint64_t* retries) {
  std::uint8_t* end = base_ + eden_now_;
  std::uint8_t* top = eden_top_.load(std::memory_order_relaxed);
  for (;;) {
    auto left = static_cast<std::size_t>(end - top);
    if (left < min) return nullptr;
    std::size_t n = left < want ? left : want;
    if (eden_top_.compare_exchange_weak(top, top + n, std::memory_order_relaxed)) {
      got = n;
      return top;
    }
    if (retries != nullptr) ++*retries;
  }
}

void Nursery::zero(std::uint8_t* p, std::size_t n) {
  if (p < clean_) std::memset(p, 0, std::min(n, static_cast<std::size_t>(clean_ - p)));
}

std::size_t Nursery::eden_used() const {
  return static_cast<std::size_t>(eden_top_.load(std::memory_order_relaxed) - base_);
}

// Relaxed: each chunk is then written only by the worker that took it, and
// the collection's end (joining the workers) orders it with what follows.
std::uint8_t* Nursery::to_chunk(std::size_t min, std::size_t want, std::size_t& got) {
  if (kept_) return nullptr;
  std::uint8_t* end = to_begin() + half_now_;
  std::uint8_t* top = to_top_.load(std::memory_order_relaxed);
  for (;;) {
    auto left = static_cast<std::size_t>(end - top);
    if (left < min) return nullptr;
    std::size_t n = left < want ? left : want;
    if (to_top_.compare_exchange_weak(top, top + n, std::memory_order_relaxed)) {
      got = n;
      return top;
    }
  }
}

bool Nursery::holds(const void* p) const {
  bool in = false;
  for_each_part([&](const std::uint8_t* begin, const std::uint8_t* end) {
    in = in || (p >= begin && p < end);
  });
  return in;
}

void Nursery::flip(bool poison) {
  if (poison)
    for_each_part([](std::uint8_t* begin, std::uint8_t* end) {
      poison_words(begin, static_cast<std::size_t>(end - begin));
    });
  clean_ = std::max(clean_, eden_top_.load(std::memory_order_relaxed));
  eden_top_.store(base_, std::memory_order_relaxed);
  eden_kept_ = 0;
  if (kept_) {
    kept_ = false;
    survivors_top_ = survivors_begin();
  } else {
    survivors_ = 1 - survivors_;
    survivors_top_ = to_top();
  }
  to_top_.store(to_begin(), std::memory_order_relaxed);
}

void Nursery::keep() {
  // Eden up to its top was carved and written: no longer clean.
  clean_ = std::max(clean_, eden_top_.load(std::memory_order_relaxed));
  kept_ = true;
  eden_kept_ = eden_used();
}

void poison_words(std::uint8_t* p, std::size_t n) {
  constexpr std::uint64_t kPoison = 0xdeadbeefdeadbeefULL;
  for (std::size_t i = 0; i + 8 <= n; i += 8) std::memcpy(p + i, &kPoison, 8);
}

}  // namespace runa::heap
