// Entries from C++ into tier 0 (TierCallbacks::invoke and resume): each
// pushes a boundary frame on the thread's stack and runs the loop
// (interp.cpp) as a new Run (stack.hpp) until that frame returns, throws
// or, for a generator or coroutine, suspends.
#include <algorithm>

#include "frames.hpp"
#include "tier0.hpp"

namespace runa::tier0 {

namespace {

// Nested entries from C++ into tier 0 on one thread (natives, struct
// iterators and generators calling back) each cost C stack: past this
// many, or when the thread's C stack is nearly used (Stack::c_limit: a
// sanitizer's larger frames reach it first), it is a StackOverflow rather
// than a crash.
constexpr std::uint32_t kMaxNested = 2000;

// Whether one more entry into tier 0 would overflow the C stack. The
// frame address is the real stack's even where a sanitizer moves locals to
// a fake stack on the heap (ASan's detect_stack_use_after_return).
[[gnu::noinline]] bool c_stack_low(const Stack& st, std::uint32_t depth) {
  const auto* here = static_cast<const char*>(__builtin_frame_address(0));
  return depth >= kMaxNested || here < st.c_limit;
}

}  // namespace

// Value pointers are root slots, which the collector writes; a TRY_BEGIN's
// operand word is its targets' address (code.hpp).
// NOLINTBEGIN(readability-non-const-parameter, performance-no-int-to-ptr)

bool Engine::invoke(rt::Thread& t, const rt::FunctionInfo& f, Value* callee, Value* args,
                    std::uint32_t n, Value* out) {
  Stack& st = stack(t);
  if (c_stack_low(st, t.native_depth)) return ops::stack_overflow(t, f);
  if ((f.def->flags & (module::kFnGenerator | module::kFnAsync)) != 0) {
    return ops::suspended_call(t, f, callee, args, n, out);
  }
  const Code* code = code_for(f);
  if (code == nullptr) return ops::not_available(t, "tier 0 for " + std::string(f.name()));
  Value* base = st.sp + 1;
  if (base + n + 1 >= st.limit) return ops::stack_overflow(t, f);
  st.sp[0] = *callee;
  for (std::uint32_t i = 0; i < n; ++i) base[i] = args[i];
  const std::uint32_t outer_depth = st.depth;
  Value* const outer_sp = st.sp;
  if (!push_frame(t, st, f, *code, base, n, true)) {
    st.sp = outer_sp;
    return false;
  }
  count_call(f);
  return run(t, st, outer_depth, nullptr, out, nullptr);
}

bool Engine::run(rt::Thread& t, Stack& st, std::uint32_t outer_depth, Value* suspension, Value* out,
                 bool* suspended) {
  Run run{outer_depth, nullptr, st.innermost, suspension};
  if (st.innermost != nullptr) st.innermost->newer = &run;
  st.innermost = &run;
  rt::Activation act{t.activations, index_, &run};
  t.activations = &act;
  ++t.native_depth;
  const bool ok = execute(t, st, out);
  --t.native_depth;
  t.activations = act.previous;
  st.innermost = run.older;
  if (st.innermost != nullptr) st.innermost->newer = nullptr;
  if (suspended != nullptr) *suspended = run.suspended;
  return ok;
}

// A resumed frame is pushed as a boundary frame, as invoke() pushes one:
// a created suspension's arguments like a call's; a saved frame's slots,
// operand stack and try statements as they were, then (after a YIELD) the
// value sent in. Its YIELD or waiting AWAIT ends the Run (L_Yield).
ops::Resumed Engine::resume(rt::Thread& t, const rt::FunctionInfo& f, Value* suspension,
                            Value* sent, Value* out) {
  Stack& st = stack(t);
  if (c_stack_low(st, t.native_depth)) {
    ops::stack_overflow(t, f);
    return ops::Resumed::kThrew;
  }
  const Code* code = code_for(f);
  if (code == nullptr) {
    ops::not_available(t, "tier 0 for " + std::string(f.name()));
    return ops::Resumed::kThrew;
  }
  const ops::SavedFrame saved = ops::saved_frame(t, *suspension);
  const std::uint32_t outer_depth = st.depth;
  Value* const outer_sp = st.sp;
  Value* base = st.sp + 1;
  const std::uint32_t n = saved.created ? saved.shape.slots : saved.shape.slots + saved.shape.stack;
  if (base + n + code->max_stack + 2 >= st.limit || st.depth == Stack::kFrames) {
    ops::stack_overflow(t, f);
    return ops::Resumed::kThrew;
  }
  st.sp[0] = saved.callee;
  std::copy(saved.values, saved.values + n, base);
  if (saved.created) {
    if (!push_frame(t, st, f, *code, base, n, true)) {
      st.sp = outer_sp;
      return ops::Resumed::kThrew;
    }
    count_call(f);
  } else {
    const Ins* pc = code->ins.data() + index_at(*code, saved.offset);
    st.frames[st.depth++] =
        Frame{code, pc, base, static_cast<std::uint32_t>(st.handlers.size()), true};
    const Value* records = saved.values + n;
    for (std::uint32_t i = 0; i < saved.shape.handlers; ++i) {
      const ops::SavedHandler h = ops::get_handler(records + std::size_t{i} * ops::kHandlerValues);
      const Ins& begin = code->ins[index_at(*code, h.try_offset)];
      st.handlers.push_back(Handler{reinterpret_cast<const TryTargets*>(begin.p), base + h.height,
                                    static_cast<Handler::State>(h.state),
                                    static_cast<Handler::Completion>(h.completion), h.value,
                                    h.trace});
    }
    st.sp = base + n;
    if ((f.def->flags & module::kFnGenerator) != 0) *st.sp++ = *sent;  // YIELD's result
  }
  bool suspended = false;
  if (!run(t, st, outer_depth, suspension, out, &suspended)) return ops::Resumed::kThrew;
  return suspended ? ops::Resumed::kSuspended : ops::Resumed::kReturned;
}

// NOLINTEND(readability-non-const-parameter, performance-no-int-to-ptr)

}  // namespace runa::tier0
