// Tier 0's side of the tier interface: registration, the callbacks the
// bridge calls (invoke, prepare, release, walk, transfer, thread_exit, resume,
// enter), translation on first use, and the per-thread stacks with their frame
// enumerator.
#include "tier0.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "c_stack.hpp"

namespace runa::tier0 {

namespace {

// The calling thread's C stack bottom plus an eighth of its size (at least
// 256 KiB): what one more entry into tier 0 may need below it.
const char* c_stack_limit() {
  const CStack s = c_stack();
  if (s.low == nullptr) return nullptr;  // unknown: the depth count alone guards
  constexpr std::size_t kMinMargin = std::size_t{256} << 10;
  return s.low + std::max(s.size / 8, kMinMargin);
}

Engine& engine_of(void* self) {
  return *static_cast<Engine*>(self);
}

bool invoke_cb(void* self, rt::Thread& t, const rt::FunctionInfo& f, Value* callee, Value* args,
               std::uint32_t n, Value* out) {
  return engine_of(self).invoke(t, f, callee, args, n, out);
}

ops::Resumed resume_cb(void* self, rt::Thread& t, const rt::FunctionInfo& f, Value* suspension,
                       Value* sent, Value* out) {
  return engine_of(self).resume(t, f, suspension, sent, out);
}

bool enter_cb(void* self, rt::Thread& t, const rt::FunctionInfo& f, void* /*code*/,
              std::uint32_t offset, Value* frame, std::uint32_t slots, std::uint32_t stack,
              Value* out) {
  return engine_of(self).enter(t, f, offset, frame, slots, stack, out);
}

void* prepare_cb(void* self, const rt::FunctionInfo& f, std::uint32_t /*osr*/) {
  return engine_of(self).code_for(f);
}

// Tier 0 keeps every Code until the engine dies: an interpreter's code is
// small, and a thread may be running it until then.
void release_cb(void* /*self*/, const rt::FunctionInfo& /*f*/, void* /*code*/) {}

void walk_cb(void* self, rt::Thread& t, void* activation, rt::FrameSink sink, void* ctx) {
  Stack& st = engine_of(self).stack(t);
  const auto* run = static_cast<const Run*>(activation);
  const std::uint32_t end = run->newer != nullptr ? run->newer->first : st.depth;
  for (std::uint32_t i = end; i > run->first; --i) {
    const Frame& f = st.frames[i - 1];
    const auto at = static_cast<std::size_t>(f.pc - f.code->ins.data());
    const rt::FrameInfo info{f.code->function, f.code->offsets[at]};
    if (!sink(ctx, info)) return;
  }
}

// The top frame's slots then its operand stack, for another tier.
std::int64_t transfer_cb(void* self, rt::Thread& t, void* /*activation*/, Value* out,
                         std::size_t capacity) {
  Stack& st = engine_of(self).stack(t);
  if (st.depth == 0) return -1;
  const Frame& f = st.frames[st.depth - 1];
  const auto n = static_cast<std::size_t>(st.sp - f.base);
  if (n > capacity) return -1;
  for (std::size_t i = 0; i < n; ++i) out[i] = f.base[i];
  return static_cast<std::int64_t>(n);
}

void thread_exit_cb(void* self, rt::Thread& t) {
  delete static_cast<Stack*>(t.tier_state[engine_of(self).index()]);
  t.tier_state[engine_of(self).index()] = nullptr;
}

}  // namespace

// ---- the stack -----------------------------------------------------------------------------

Stack::Stack(rt::Thread& t, StackMemory& from) : Stack(t, from, from.take()) {}

Stack::Stack(rt::Thread& t, StackMemory& from, StackMemory::Set arrays)
    : values(arrays.values),
      limit(values + kValues),
      sp(values),
      frames(arrays.frames),
      c_limit(c_stack_limit()),
      thread(t),
      memory(from),
      enumerator(t.runtime->heap().add_frame_enumerator(*t.m, &Stack::enumerate, this)) {}

Stack::~Stack() {
  thread.runtime->heap().remove_frame_enumerator(*thread.m, enumerator);
  memory.give({values, frames});
}

void Stack::enumerate(void* self, heap::RootVisitor& v) {
  auto* st = static_cast<Stack*>(self);
  v.visit_range(st->values, static_cast<std::size_t>(st->sp - st->values));
  for (Handler& h : st->handlers) {
    v.visit(&h.value);
    v.visit(&h.trace);
  }
}

// ---- the engine ----------------------------------------------------------------------------

Engine::Engine(rt::Runtime& runtime) : runtime_(runtime) {}

Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::install(rt::Runtime& runtime) {
  std::unique_ptr<Engine> e(new Engine(runtime));
  rt::TierInfo info;
  info.name = "tier 0";
  info.level = 0;
  info.data = e.get();
  info.callbacks.invoke = invoke_cb;
  info.callbacks.prepare = prepare_cb;
  info.callbacks.release = release_cb;
  info.callbacks.walk = walk_cb;
  info.callbacks.transfer = transfer_cb;
  info.callbacks.thread_exit = thread_exit_cb;
  info.callbacks.resume = resume_cb;
  info.callbacks.enter = enter_cb;
  e->index_ = runtime.register_tier(info);
  e->shapes_ = &ops::shapes(runtime);
  e->call_threshold_ = std::min(runtime.options().policy.call_threshold, rt::kProfileCap);
  e->backedge_threshold_ = std::min(runtime.options().policy.backedge_threshold, rt::kProfileCap);
  return e;
}

Code* Engine::code_for(const rt::FunctionInfo& f) {
  std::atomic<void*>& slot = f.prepared[index_];
  if (void* c = slot.load(std::memory_order_acquire); c != nullptr) return static_cast<Code*>(c);
  if (f.code.empty()) return nullptr;
  std::unique_ptr<Code> made = translate(f);
  if (made == nullptr) return nullptr;
  void* expected = nullptr;
  if (!slot.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel)) {
    return static_cast<Code*>(expected);  // another thread's translation won
  }
  std::lock_guard lock(mu_);
  codes_.push_back(std::move(made));
  return codes_.back().get();
}

const Code* Engine::plain_code_for(const rt::FunctionInfo& f) {
  std::lock_guard lock(mu_);
  std::unique_ptr<Code>& plain = plain_[&f];
  if (plain == nullptr) plain = translate(f, Fusing::kOff);
  return plain.get();
}

Stack& Engine::stack(rt::Thread& t) const {
  void*& state = t.tier_state[index_];
  if (state == nullptr) state = new Stack(t, memory_);
  return *static_cast<Stack*>(state);
}

}  // namespace runa::tier0
