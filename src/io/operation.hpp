// Operation: one request as the event loop hands it to a back end, and
// Completion: its outcome as the back end hands it back.
//
// The loop owns every Operation (inside its request records, request_table.hpp,
// or as a member for its own wake-up wait) and keeps it at a fixed address
// from submit() until the back end reports its Completion; the back ends
// only point at it (io_uring carries the address as user_data, epoll chains
// it in a per-fd list). Invariants:
// - A submitted Operation yields exactly one Completion, whatever happens:
//   the event, an error, or -ECANCELED. Nothing else is reported for it.
// - Between submit() and that Completion the loop changes nothing but
//   `cancel_requested` (through Poller::cancel); the buffer belongs to the
//   kernel until the Completion, so it must not be freed before (this is
//   why cancellation is itself reported through the Completion).
// - The fields under "back end private" are only read or written by the
//   back end that has the Operation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "io/events.hpp"

namespace runa::io {

enum class OpKind : std::uint8_t {
  kPoll,    // one-shot readiness: result is an EventBits mask or -errno
  kRead,    // result: bytes read (0 at end of file) or -errno
  kWrite,   // result: bytes written or -errno
  kAccept,  // result: the accepted fd (SOCK_CLOEXEC) or -errno
};

// Where each back end is with an Operation.
enum class OpState : std::uint8_t {
  kIdle,       // not submitted, or its Completion has been produced
  kPending,    // in the kernel (io_uring) or in its fd's queue (epoll)
  kRetryPoll,  // io_uring: the kernel said EAGAIN, a readiness poll runs first
};

struct Operation {
  OpKind kind = OpKind::kPoll;
  int fd = -1;
  std::uint32_t interest = 0;  // kPoll: kReadable and/or kWritable
  std::byte* data = nullptr;   // kRead/kWrite: the caller's buffer
  std::size_t size = 0;
  std::int64_t offset = -1;  // -1: the file's current position (pipes, sockets)
  std::uint64_t key = 0;     // the loop's name for it (Token value); back ends do not read it

  // Back end private.
  OpState state = OpState::kIdle;
  bool cancel_requested = false;
  Operation* prev = nullptr;  // epoll: the fd's FIFO of waiting operations
  Operation* next = nullptr;
};

struct Completion {
  Operation* op;
  std::int64_t result;
};

// The readiness an operation waits for before it can make progress.
constexpr std::uint32_t op_interest(const Operation& op) {
  switch (op.kind) {
    case OpKind::kPoll:
      return op.interest;
    case OpKind::kWrite:
      return kWritable;
    case OpKind::kRead:
    case OpKind::kAccept:
      return kReadable;
  }
  return 0;
}

}  // namespace runa::io
