// Operations: raising and throwing (docs/bytecode.md §2.5.2). A trace is
// recorded once, where the exception is first thrown: the thread's frames
// across tiers (Runtime::walk), innermost first, as (function, file, line)
// Tuples. An Exception object keeps it in its `trace` field; any other
// thrown value has it beside it in Thread::trace. UNWIND keeps the trace.
#include <vector>

#include "bridge/runtime_impl.hpp"

namespace runa::rt::ops {

// Operands are root slots (Value*) throughout, also where an operation only
// reads one: the collector writes every one of them (runatime/ops.hpp).
// NOLINTBEGIN(readability-non-const-parameter)

namespace {

// A runaway recursion's trace would be as deep as the stack: keep the
// innermost frames (the outermost are main's, and say little).
constexpr std::size_t kTraceFrames = 64;

std::vector<FrameInfo> frames_of(Thread& t) {
  std::vector<FrameInfo> frames;
  t.runtime->walk(
      t,
      [](void* ctx, const FrameInfo& f) {
        auto* out = static_cast<std::vector<FrameInfo>*>(ctx);
        out->push_back(f);
        return out->size() < kTraceFrames;
      },
      &frames);
  return frames;
}

// A new trace List of the thread's frames; nothing when the heap is full.
Value make_trace(Thread& t) {
  RuntimeImpl& r = impl_of(t);
  const types::TypeSystem& ts = r.types();
  const std::vector<FrameInfo> frames = frames_of(t);
  heap::HandleScope scope(*t.m);
  heap::Handle trace(*t.m, ts.lists().make(*t.m, frames.size()));
  if (trace.value() == types::kNothing) return types::kNothing;
  for (const FrameInfo& f : frames) {
    const ModuleInfo* m = f.function->module;
    std::string_view file;
    std::uint32_t line = 0;
    if (m != nullptr) std::tie(file, line) = m->where(*f.function, f.offset);
    if (!ts.exceptions().add_frame(*t.m, trace, f.function->name(), file, line)) {
      return types::kNothing;
    }
  }
  return trace.value();
}

}  // namespace

bool out_of_memory(Thread& t) {
  t.exception = *impl_of(t).oom_slot();
  t.trace = types::kNothing;
  return false;
}

bool throw_value(Thread& t, Value* v) {
  const types::Exceptions& ex = impl_of(t).types().exceptions();
  t.exception = *v;
  t.trace = types::kNothing;
  const bool object = ex.is_exception(t.exception);
  if (object && types::Exceptions::trace(t.exception) != types::kNothing) return false;
  const Value trace = make_trace(t);  // may collect: t.exception is a root
  if (trace == types::kNothing) return out_of_memory(t);
  if (object) {
    types::Exceptions::set_trace(*t.m, t.exception, trace);
  } else {
    t.trace = trace;
  }
  return false;
}

bool rethrow(Thread& t, Value* v, Value* trace) {
  t.exception = *v;
  t.trace = *trace;
  return false;
}

bool raise(Thread& t, std::string_view type, std::string_view message) {
  const types::Exceptions& ex = impl_of(t).types().exceptions();
  heap::HandleScope scope(*t.m);
  heap::Handle e(*t.m, ex.make(*t.m, ex.type(type), message));
  if (e.value() == types::kNothing) return out_of_memory(t);
  return throw_value(t, e.slot());
}

bool catches(Thread& t, Value e, const void* type) {
  return instance_of(*t.runtime, e, type);
}

bool not_available(Thread& t, std::string_view what) {
  return raise(t, "NotAvailable", std::string(what) + " is not available yet in RunaTime");
}

bool stack_overflow(Thread& t, const FunctionInfo& f) {
  return raise(t, "StackOverflow",
               "the stack is exhausted calling " + std::string(f.name()) + " (recursion too deep)");
}

// NOLINTEND(readability-non-const-parameter)

}  // namespace runa::rt::ops
