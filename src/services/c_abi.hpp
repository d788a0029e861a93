// The machinery every part's C ABI is built from (include/runatime/c/*.h):
// the calling thread's last error, guarded calls, the versioned ("sized")
// structs, and the list of the mutators the calling thread attached.
//
// Why in services rather than a new part src/bridge/: every part depends on
// services and services on no part, so each part binds its own C functions
// in its own folder (the heap's are src/memory/c_api.cpp) with one notion of
// errors and struct versions. A part `bridge` that memory's C ABI used would
// have to sit below memory, yet the execution bridge (ARCHITECTURE.md), which
// will own that name, sits above it and adds its C ABI the same way.
//
// Invariants:
//   - Every exported C function is noexcept and runs its body inside
//     guarded(): no C++ exception crosses the C boundary.
//   - fail() is the only writer of the thread's message; successful calls
//     leave it alone (runatime/c/base.h promises this).
//   - A growable struct starts with `size_t size`; read_struct() and
//     write_struct() never touch bytes beyond the caller's size, and refuse
//     a caller's non-zero bytes beyond what this library knows.
//   - An Attachment is in the calling thread's list from the attach that
//     made it until its detach, so a pointer found there is never freed
//     (another thread cannot remove it: the list is thread-local).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/c/base.h"

namespace runa::c_abi {

// Records "fn: message" as the calling thread's last error (truncated with
// "...") and returns `status`.
rt_status fail(rt_status status, const char* fn, std::string_view message) noexcept;

// INVALID_ARGUMENT: "`name` is NULL".
rt_status null_argument(const char* fn, const char* name) noexcept;

// "0x..." for messages.
std::string hex(std::uint64_t v);

// Runs `body`, turning any C++ exception into a status and a message.
template <class F>
rt_status guarded(const char* fn, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(RT_ERROR_OUT_OF_MEMORY, fn, "out of memory (a C++ allocation failed)");
  } catch (const std::exception& e) {
    return fail(RT_ERROR_INTERNAL, fn, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(RT_ERROR_INTERNAL, fn, "internal error: an unknown C++ exception");
  }
}

// ---- versioned structs ----------------------------------------------------------

// Reads a caller's struct of `in_size` bytes over `ours` (which holds the
// defaults): fields beyond the caller's size keep them; bytes beyond ours
// must be zero. `min_size` is the struct's size in its first version.
rt_status read_struct(const char* fn, const char* what, const void* in, std::size_t in_size,
                      std::size_t min_size, void* ours, std::size_t our_size);

// Writes `ours` into a caller's struct whose size field says how much room it has.
rt_status write_struct(const char* fn, const char* what, void* out, std::size_t min_size,
                       const void* ours, std::size_t our_size);

// A *_init function: the defaults in `ours` over the caller's `size` bytes
// (what we do not know zeroed), with `size` in the struct's size field.
rt_status init_struct(const char* fn, void* out, std::size_t size, std::size_t min_size,
                      const void* ours, std::size_t our_size);

// ---- the calling thread's attachments -------------------------------------------

// A mutator the calling thread attached, with the C object it belongs to
// (an rt_heap). Typed by the part that owns them; kept here so that every
// part's C functions taking a mutator check it against the same list.
struct Attachment {
  const void* owner;
  void* mutator;  // the part's record of the mutator (MutatorRecord for the heap)
};

// The calling thread's list; entries are added after a successful attach
// and removed before the record they name is freed.
std::vector<Attachment>& attachments() noexcept;

}  // namespace runa::c_abi
