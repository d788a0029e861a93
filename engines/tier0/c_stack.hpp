// The calling thread's C stack, for tier 0's guard against overflowing it
// (Stack::c_limit, entry.cpp's c_stack_low).
//
// Why not pthread_getattr_np alone: on the process's main thread glibc
// finds the stack by reading and parsing /proc/self/maps, which was 137k
// instructions (13%) and 8 syscalls of `runa run` hello world
// (docs/engine.md, "Start-up"). The main thread's stack is found here
// from what the kernel already told the process: its top is the page end
// just above the executable's name (getauxval(AT_EXECFN)), the first
// string exec copies to the top of the new stack, and its size is
// RLIMIT_STACK (the kernel keeps at least that much below the stack free
// of other mappings). The bottom is glibc's to the byte; glibc's top is
// lower, below the arguments and environment, so the size here is larger
// by their pages. Other threads, and any case this cannot vouch for (an
// unlimited stack, a frame outside the range found), ask glibc.
#pragma once

#include <cstddef>

namespace runa::tier0 {

struct CStack {
  const char* low = nullptr;  // nullptr: unknown
  std::size_t size = 0;
};

// The calling thread's stack, from glibc (pthread_getattr_np).
CStack c_stack_from_pthread();
// The calling thread's stack: the main thread's from the auxiliary vector
// and RLIMIT_STACK when it can vouch for them, else c_stack_from_pthread().
CStack c_stack();

}  // namespace runa::tier0
