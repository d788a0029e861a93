// PauseMarker: which threads are doing a collection's stopped-world work.
//
// A collection must not allocate from the C++ heap (docs/memory.md, "A
// pause never allocates"): what it needs is reserved between pauses, where
// a failure is reported as out of memory. The marker lets a test prove it:
// a replacement operator new in tests/memory_pause/ counts the allocations
// made while in_pause() holds on the allocating thread. The thread that
// stops the world is marked from stop() to resume(), each collector worker
// for the part of a task it runs. A thread-local counter, touched a few
// times per pause: nothing on the allocation or barrier paths.
#pragma once

namespace runa::heap {

// Whether the calling thread is inside a pause's work.
[[nodiscard]] bool in_pause() noexcept;

// Marks the calling thread for its lifetime (scopes nest).
class PauseScope {
 public:
  PauseScope() noexcept;
  ~PauseScope();
  PauseScope(const PauseScope&) = delete;
  PauseScope& operator=(const PauseScope&) = delete;
  PauseScope(PauseScope&&) = delete;
  PauseScope& operator=(PauseScope&&) = delete;
};

}  // namespace runa::heap
