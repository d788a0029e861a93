// Identity hashes: the header's 20-bit hash field (heap.hpp, hdr::kHashMask).
//
// Invariants:
//   - The field is 0 until the first request, then holds a non-zero value
//     that never changes: the collectors copy the whole header word (hash
//     included) when they move an object, so the hash is the object's, not
//     its address's.
//   - The value is drawn from the requesting thread's generator, never from
//     the address: the object leaves its address when it moves, and later
//     objects there would draw the same value.
//   - Installing it is a compare-and-swap on the whole header word, because
//     other threads may change other bits of that word meanwhile (the write
//     barrier clears kUnlogged with fetch_and, barrier.cpp). Two threads
//     asking at once draw different values; the one whose CAS lands wins and
//     the other adopts its value. Relaxed ordering suffices: all that is
//     published is the field itself, in one atomic word whose modification
//     order every thread agrees on; the collector reads headers only after
//     the stop-the-world handshake.
//
// Each thread's generator is a splitmix64 sequence (a Weyl sequence passed
// through a mixing function) started at a mix of a global counter, so
// threads draw from far-apart points and a single-threaded program sees the
// same hashes on every run.
#include <atomic>
#include <cstdint>

#include "runatime/heap.hpp"

namespace runa::heap {
namespace {

constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ULL;  // 2^64 / golden ratio, odd

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::atomic<std::uint64_t> g_next_thread{0};

class HashGenerator {
 public:
  // A non-zero value of the hash field's width.
  std::uint32_t next() {
    for (;;) {
      state_ += kGamma;
      // The high bits of the mix are its best mixed.
      auto h = static_cast<std::uint32_t>(mix(state_) >> (64 - kBits));
      if (h != 0) return h;
    }
  }

 private:
  static constexpr unsigned kBits = 20;
  static_assert((hdr::kHashMask >> hdr::kHashShift) == (std::uint64_t{1} << kBits) - 1);

  std::uint64_t state_ = mix(g_next_thread.fetch_add(1, std::memory_order_relaxed) * kGamma);
};

thread_local HashGenerator t_generator;

std::uint32_t hash_field(std::uint64_t word) {
  return static_cast<std::uint32_t>((word & hdr::kHashMask) >> hdr::kHashShift);
}

}  // namespace

std::uint32_t identity_hash(Object* o) {
  std::atomic_ref<std::uint64_t> header(o->header);
  std::uint64_t word = header.load(std::memory_order_relaxed);
  if (std::uint32_t h = hash_field(word); h != 0) return h;
  const std::uint32_t fresh = t_generator.next();
  const std::uint64_t field = std::uint64_t{fresh} << hdr::kHashShift;
  // On failure `word` is reloaded: retry unless another thread installed a hash.
  while (!header.compare_exchange_weak(word, word | field, std::memory_order_relaxed)) {
    if (std::uint32_t h = hash_field(word); h != 0) return h;
  }
  return fresh;
}

}  // namespace runa::heap
