// RequestTable: the event loop's records of pending requests — a slab with
// a free list, so a request costs no allocation once the loop has warmed up
// (the table grows by chunks of 256 records and never shrinks).
//
// Owns the records. Invariants:
// - A record never moves (chunks are allocated once and kept), because the
//   back ends hold pointers to its Operation while the kernel works on it.
// - A record's key (its Operation's key, the caller's Token) is
//   generation << 32 | index. The generation changes when the record is
//   released and is never 0, so a key is never 0 and a stale key (of a
//   request that has ended) finds nothing: find() returns nullptr.
// - live() counts the records acquired and not yet released.
//
// Owner thread only, like the loop.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "io/events.hpp"
#include "io/operation.hpp"

namespace runa::io {

enum class RequestKind : std::uint8_t { kFree, kReadiness, kCompletion, kSignals };

struct Request {
  Operation op;  // what the back end sees; op.key is this record's key
  RequestKind kind = RequestKind::kFree;
  bool in_flight = false;   // op submitted, its Completion not dispatched yet
  bool cancelling = false;  // cancel() was called for it
  std::uint32_t index = 0;
  std::uint32_t generation = 1;
  std::uint32_t next_free = 0;
  void* ctx = nullptr;
  Callback on_ready = nullptr;           // kReadiness
  CompletionCallback on_done = nullptr;  // kCompletion
  SignalCallback on_signal = nullptr;    // kSignals
};

class RequestTable {
 public:
  // A free record with its key set in op.key, every other field reset.
  Request& acquire();
  void release(Request& r);
  // The live record with this key, or nullptr.
  [[nodiscard]] Request* find(std::uint64_t key);
  [[nodiscard]] std::size_t live() const { return live_; }

  // f(Request&) for every live record (f must not acquire records).
  template <class F>
  void for_each_live(F&& f) {
    const std::uint32_t n = capacity_;
    for (std::uint32_t i = 0; i < n; ++i) {
      Request& r = at(i);
      if (r.kind != RequestKind::kFree) f(r);
    }
  }

 private:
  static constexpr std::uint32_t kChunkBits = 8;
  static constexpr std::uint32_t kChunk = 1U << kChunkBits;
  static constexpr std::uint32_t kNone = UINT32_MAX;

  Request& at(std::uint32_t i) { return (*chunks_[i >> kChunkBits])[i & (kChunk - 1)]; }

  std::vector<std::unique_ptr<std::array<Request, kChunk>>> chunks_;
  std::uint32_t capacity_ = 0;
  std::uint32_t free_head_ = kNone;
  std::size_t live_ = 0;
};

}  // namespace runa::io
