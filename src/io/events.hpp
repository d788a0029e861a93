// The vocabulary shared by the event loop (event_loop.hpp), its callers and
// its back ends (poller.hpp): which back end runs, what a readiness wait
// reports, the token that names a pending request, and the callback types.
//
// Owns no state. Invariants:
// - A readiness report is a mask of kReadable, kWritable, kError and
//   kHangup, restricted to what was asked for plus kError and kHangup (the
//   kernel always reports those two), so a reader never sees kWritable.
// - A readiness wait that ended without readiness (cancelled, bad fd, an
//   awaited wait's deadline) has
//   mask 0 and a positive errno in `error`; a ready one has error 0.
// - Callbacks are noexcept function pointers with a context pointer: a
//   throwing callback would end the dispatch half way and leave the rest of
//   the batch without its one call, and a function pointer plus a context
//   costs no allocation (the executor passes its awaiter as the context).
#pragma once

#include <cerrno>
#include <cstdint>
#include <string_view>

namespace runa::io {

// kAuto: io_uring when the kernel allows it (the probe in uring_poller.hpp),
// epoll otherwise.
enum class Backend : std::uint8_t { kAuto, kEpoll, kUring };

constexpr std::string_view backend_name(Backend b) {
  switch (b) {
    case Backend::kAuto:
      return "auto";
    case Backend::kEpoll:
      return "epoll";
    case Backend::kUring:
      return "io_uring";
  }
  return "?";
}

// Readiness bits (not the kernel's POLL*/EPOLL* values: each back end
// translates, so the loop and its callers never depend on which one runs).
enum EventBits : std::uint32_t {
  kReadable = 1U << 0,
  kWritable = 1U << 1,
  kError = 1U << 2,   // the fd has a pending error (e.g. a pipe whose reader is gone)
  kHangup = 1U << 3,  // the peer closed (a pipe whose writer is gone, a socket shut down)
};

// What a readiness wait's callback receives.
struct Events {
  std::uint32_t mask = 0;  // EventBits
  int error = 0;           // 0, or why the wait ended without readiness (ECANCELED, EBADF, ...)

  [[nodiscard]] bool ok() const { return error == 0; }
  [[nodiscard]] bool cancelled() const { return error == ECANCELED; }
  // An awaited wait whose deadline passed first (fd_await.hpp).
  [[nodiscard]] bool timed_out() const { return error == ETIMEDOUT; }
  [[nodiscard]] bool readable() const { return (mask & kReadable) != 0; }
  [[nodiscard]] bool writable() const { return (mask & kWritable) != 0; }
  [[nodiscard]] bool failed() const { return (mask & kError) != 0; }
  [[nodiscard]] bool hangup() const { return (mask & kHangup) != 0; }
};

// Names one pending request of one loop. The value packs the request's slot
// (low 32 bits) and the slot's generation (high 32 bits, never 0), so a
// token outlives its request harmlessly: cancel() of a finished request
// finds another generation and returns false. 0 is never a valid token.
struct Token {
  std::uint64_t value = 0;

  [[nodiscard]] bool valid() const { return value != 0; }
  friend bool operator==(Token, Token) = default;
};

// Readiness: called once, with the events or with an error (Events::error).
using Callback = void (*)(void* ctx, Events events) noexcept;
// Completion operations (read, write, accept): called once with the byte
// count (accept: the new fd), or a negative errno (-ECANCELED if cancelled).
using CompletionCallback = void (*)(void* ctx, std::int64_t result) noexcept;
// Signal watches: called with each signal's number (> 0), then once more
// with a negative errno when the watch ends (-ECANCELED after cancel()).
using SignalCallback = void (*)(void* ctx, int signo) noexcept;

}  // namespace runa::io
