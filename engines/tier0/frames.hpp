// Pushing a frame on a thread's tier-0 stack (stack.hpp): what a call in
// the loop (interp.cpp) and an entry from C++ (entry.cpp) share.
#pragma once

#include "stack.hpp"

namespace runa::tier0 {

// Whether a frame of `code` at `base` fits in the stack's reservation.
[[gnu::always_inline]] inline bool fits(const Stack& st, const Code& code, const Value* base) {
  return base + code.frame_need < st.limit && st.depth != Stack::kFrames;
}

// The frame record of `code` whose n arguments are at base[0 .. n), its
// other slots cleared; the caller checked that it fits. Returns the record.
[[gnu::always_inline]] inline Frame* enter_frame(Stack& st, const Code& code, Value* base,
                                                 std::uint32_t n, bool boundary) {
  // Two at a time: GCC makes a loop of single stores a call of memset,
  // which costs more than the one to three stores most frames need. An odd
  // count also clears the first operand-stack slot: dead, and below the
  // limit `fits` checked.
  for (std::uint32_t i = n; i < code.frame_slots; i += 2) {
    base[i] = types::kNothing;
    base[i + 1] = types::kNothing;
  }
  Frame* fp = &st.frames[st.depth++];
  *fp =
      Frame{&code, code.ins.data(), base, static_cast<std::uint32_t>(st.handlers.size()), boundary};
  return fp;
}

// Pushes a frame for f whose n arguments are at base[0 .. n) and callee at
// base[-1]; false after raising (stack overflow, or no memory for a cell or
// the VARARGS List), with no frame pushed.
[[gnu::always_inline]] inline bool push_frame(rt::Thread& t, Stack& st, const rt::FunctionInfo& f,
                                              const Code& code, Value* base, std::uint32_t n,
                                              bool boundary) {
  st.sp = base + n;
  if (!fits(st, code, base)) return ops::stack_overflow(t, f);
  if (f.varargs) {
    if (!ops::gather(t, f, base, n)) return false;
    n = f.params;
  }
  enter_frame(st, code, base, n, boundary);
  st.sp = base + code.frame_slots;
  for (std::uint16_t s : code.entry_cells) {
    if (!ops::make_cell(t, base + s, base + s)) {
      --st.depth;
      return false;
    }
  }
  return true;
}

// Counts a call in f's profile record, unless profiles are compiled out
// (-DRUNA_TIER0_NO_PROFILE, to measure their cost: docs/engine.md).
inline void count_call([[maybe_unused]] const rt::FunctionInfo& f) {
#ifndef RUNA_TIER0_NO_PROFILE
  rt::bump(f.profile.calls);
#endif
}

}  // namespace runa::tier0
