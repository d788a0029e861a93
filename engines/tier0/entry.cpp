// Entries from C++ into tier 0 (TierCallbacks::invoke, resume and enter): each
// pushes a boundary frame on the thread's stack and runs the loop
// (interp.cpp) as a new Run (stack.hpp) until that frame returns, throws
// or, for a generator or coroutine, suspends.
#include <algorithm>
#include <string>

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

// A frame handed over mid-function: a deoptimising tier's guard failed
// (docs/bridge.md, "Deoptimising a running frame"). Its values go onto the
// tier-0 stack first, where the collector sees them, before anything else
// runs. It continues in the translation where `offset` begins an
// instruction: the usual one, or, when `offset` falls inside a fused
// sequence, the plain one, where every bytecode instruction is one. At a
// captured variable's scope start the MAKE_CELL runs, as when a jump
// arrives there. Refused, with the handing tier's frame unchanged: a
// generator's or coroutine's frame (its state belongs to its suspension),
// a frame inside a try statement (its handler records would have to be
// tier 0's; on-stack replacement out of tier 0 refuses those too), and a
// frame that does not fit f (the other tier's error).
bool Engine::enter(rt::Thread& t, const rt::FunctionInfo& f, std::uint32_t offset, Value* frame,
                   std::uint32_t slots, std::uint32_t operands, Value* out) {
  Stack& st = stack(t);
  if (c_stack_low(st, t.native_depth)) return ops::stack_overflow(t, f);
  const std::string name(f.name());
  if ((f.def->flags & (module::kFnGenerator | module::kFnAsync)) != 0) {
    return ops::raise(
        t, "NotAvailable",
        "tier 0 takes no running frame of a generator or async function (" + name + ")");
  }
  const std::uint32_t outer_depth = st.depth;
  Value* const outer_sp = st.sp;
  Value* base = st.sp + 1;
  const std::size_t n = std::size_t{slots} + operands;
  if (base + n + 2 >= st.limit || st.depth == Stack::kFrames) return ops::stack_overflow(t, f);
  std::copy(frame - 1, frame + n, st.sp);
  st.sp = base + n;
  auto refuse = [&](std::string_view type, const std::string& why) {
    st.sp = outer_sp;
    return ops::raise(t, type, why);
  };
  const Code* code = code_for(f);
  if (code == nullptr) return refuse("NotAvailable", "tier 0 for " + name);
  if (slots != code->frame_slots || operands > code->max_stack) {
    return refuse("ValueError", "a frame of " + name + " handed to tier 0 has " +
                                    std::to_string(slots) + " slots and " +
                                    std::to_string(operands) + " operands; " + name + " has " +
                                    std::to_string(code->frame_slots) + " slots and at most " +
                                    std::to_string(code->max_stack) + " operands");
  }
  std::uint32_t at = index_at(*code, offset);
  if (at == code->ins.size() || code->offsets[at] != offset) {
    code = plain_code_for(f);
    at = index_at(*code, offset);
    if (at == code->ins.size() || code->offsets[at] != offset) {
      return refuse("ValueError",
                    "offset " + std::to_string(offset) + " begins no instruction of " + name);
    }
  }
  for (const auto& statement : code->tries) {
    if (at > index_at(*code, statement->begin) && at < statement->end_at) {
      return refuse("NotAvailable", "tier 0 takes no running frame inside a try statement (" +
                                        name + " at offset " + std::to_string(offset) + ")");
    }
  }
  if (base + slots + code->max_stack + 2 >= st.limit) {
    st.sp = outer_sp;
    return ops::stack_overflow(t, f);
  }
  st.frames[st.depth++] = Frame{code, code->ins.data() + at, base,
                                static_cast<std::uint32_t>(st.handlers.size()), true};
  return run(t, st, outer_depth, nullptr, out, nullptr);
}

// NOLINTEND(readability-non-const-parameter, performance-no-int-to-ptr)

}  // namespace runa::tier0
