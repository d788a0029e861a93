// The tier-0 loop: computed-goto dispatch over translated instructions
// (code.hpp) on the thread's value stack (stack.hpp).
//
// Registers: pc (the executing instruction), sp (one past the operand-stack
// top), fp and base (the current frame and its slot 0), consts and globals
// (its module's root slots). They are written back by SYNC before anything
// that may collect, throw or walk the frames: an allocation, a poll, any
// call into runatime/ops.hpp or another tier. The collector then sees every
// live value of every frame below st.sp and updates it in place; the loop
// re-reads operands from the stack after such a call, never from a C++
// local held across it.
//
// Exceptions: an operation that throws leaves the exception (and its trace)
// in the Thread and the loop goes to `unwind`, which looks for a handler
// record of the current frame (stack.hpp): a try body with clauses gets the
// exception pushed at its recorded height and control at its first
// CATCH_BEGIN; one with a finally block (or a handler) enters the finally
// block with the exception pending; otherwise the frame is popped and the
// search goes on in the caller, until a boundary frame returns false to
// C++. RETURN inside try statements runs their finally blocks first, the
// result pending in the handler record (docs/bytecode.md §2.5.2).
//
// Calls: a bytecode callee served by tier 0 gets a frame on the same stack
// and the loop continues in it (no C recursion); natives, other tiers and
// the iterator protocol of struct iterators are C++ calls.
#include <algorithm>

#include "arith.hpp"
#include "caches.hpp"
#include "frames.hpp"
#include "tier0.hpp"

// The loop is a computed-goto interpreter: labels, gotos and the macros that
// stand for the same few lines in every instruction are its form, and its
// operands are words holding pointers (code.hpp).
// NOLINTBEGIN(cppcoreguidelines-avoid-goto, cppcoreguidelines-macro-usage)
// NOLINTBEGIN(performance-no-int-to-ptr, readability-function-size)
// NOLINTBEGIN(bugprone-macro-parentheses, readability-non-const-parameter)

namespace runa::tier0 {

namespace {

using bytecode::Op;
using types::kFalse;
using types::kNothing;
using types::kTrue;

// Past the back-edge threshold, a loop looks for an on-stack-replacement
// entry once every 256 back-edges: one load, rarely; at every back-edge
// once the count has saturated (rt::kProfileCap, a multiple of 256).
constexpr std::uint32_t kOsrCheckMask = 255;
static_assert((rt::kProfileCap & kOsrCheckMask) == 0);

// Profile collection can be compiled out (-DRUNA_TIER0_NO_PROFILE) only to
// measure what it costs (docs/engine.md, "Profiles"); the tier policy
// needs the counters.
#ifdef RUNA_TIER0_NO_PROFILE
#define PROFILE(...)
#else
#define PROFILE(...) __VA_ARGS__
#endif

void bump_site([[maybe_unused]] const rt::FunctionInfo& f, [[maybe_unused]] std::uint16_t site) {
  PROFILE(if (site != kNoSite) rt::bump(f.profile.allocations[site]));
}

}  // namespace

bool Engine::execute(rt::Thread& t, Stack& st, Value* out) {
#define RUNA_TIER0_LABEL(name) &&L_##name,
  static const void* const kLabels[] = {RUNA_TIER0_OPS(RUNA_TIER0_LABEL)};
#undef RUNA_TIER0_LABEL
  heap::Mutator& m = *t.m;
  rt::Runtime& rt = runtime_;
  const ops::Shapes& sh = *shapes_;
  const types::Context& cx = *sh.numbers;
  const std::uint32_t this_tier = index_;
  PROFILE(const std::uint32_t call_threshold = call_threshold_;)

  Frame* fp = &st.frames[st.depth - 1];
  const Ins* pc = fp->pc;
  Value* sp = st.sp;
  Value* base = fp->base;
  Value* consts = fp->code->consts;
  Value* globals = fp->code->globals;
  const rt::FunctionInfo* callee_f = nullptr;
  std::uint32_t nargs = 0;
  Value ret = kNothing;
  std::uint32_t resume_at = 0;       // a suspending frame's bytecode offset to continue at
  Op arith_op = Op::kAdd;            // arith_slow's operation
  std::uint32_t arith_dest = kNone;  // and the local it stores to (kNone: it pushes)
  Value peek_a = kNothing;           // compare_next's operands (interp_fused.hpp)
  Value peek_b = kNothing;

#define SYNC() (st.sp = sp, fp->pc = pc)
#define DISPATCH() goto* kLabels[static_cast<int>(pc->op)]
#define NEXT()  \
  do {          \
    ++pc;       \
    DISPATCH(); \
  } while (0)
// The next instruction, whose handler is known: a direct jump (a peeking
// instruction's inline case hands its second over so).
#define NEXT_TO(label) \
  do {                 \
    ++pc;              \
    goto label;        \
  } while (0)
#define RELOAD()                   \
  do {                             \
    fp = &st.frames[st.depth - 1]; \
    base = fp->base;               \
    consts = fp->code->consts;     \
    globals = fp->code->globals;   \
  } while (0)
#define JUMP_TO(index)                   \
  do {                                   \
    pc = fp->code->ins.data() + (index); \
    DISPATCH();                          \
  } while (0)
#define TRY(call)             \
  do {                        \
    SYNC();                   \
    if (!(call)) goto unwind; \
  } while (0)
#define POLL()                                                      \
  do {                                                              \
    if (m.poll.load(std::memory_order_relaxed) != 0) [[unlikely]] { \
      SYNC();                                                       \
      heap::safepoint_slow(m);                                      \
    }                                                               \
  } while (0)

  DISPATCH();

L_Nop:
L_FinallyBegin:
  NEXT();

L_PushConst:
  *sp++ = consts[pc->a];
  NEXT();

L_PushNew:
  *sp++ = kNothing;
  TRY(ops::new_constant(t, *fp->code->function->module, pc->a, sp - 1));
  NEXT();

L_LoadLocal:
  *sp++ = base[pc->a];
  NEXT();

L_StoreLocal:
  base[pc->a] = *--sp;
  NEXT();

L_LoadCell:
  *sp++ = *ops::cell_slot(base[pc->a]);
  NEXT();

L_StoreCell : {
  const Value cell = base[pc->a];
  heap::write(m, heap::as_object(cell), ops::cell_slot(cell), *--sp);
  NEXT();
}

L_MakeCell : {
  Value* slot = base + pc->a;
  if (ops::has_type(*slot, sh.cell)) *slot = *ops::cell_slot(*slot);  // a fresh cell, same value
  TRY(ops::make_cell(t, slot, slot));
  NEXT();
}

L_LoadGlobal:
  *sp++ = globals[pc->a];
  NEXT();

L_StoreGlobal:
  globals[pc->a] = *--sp;
  NEXT();

L_LoadField:
  if (has_field(rt, *reinterpret_cast<FieldCache*>(pc->p), sp[-1], pc->a)) [[likely]] {
    sp[-1] = heap::as_object(sp[-1])->slots()[pc->a];
    NEXT();
  }
  TRY(ops::bad_field(t, sp[-1], pc->a, false));

L_StoreField : {
  auto* cache = reinterpret_cast<FieldCache*>(pc->p);
  if (!cached_struct(*cache, sp[-2])) [[unlikely]]
    TRY(storable(t, *cache, sp[-2], pc->a, *fp->code->function));
  heap::set_slot(m, heap::as_object(sp[-2]), pc->a, sp[-1]);
  sp -= 2;
  NEXT();
}

L_New : {
  const auto* shape = reinterpret_cast<const ops::StructShape*>(pc->p);
  *sp++ = kNothing;
  SYNC();
  heap::Object* o = heap::allocate(m, shape->layout, shape->bytes);
  if (o == nullptr) {
    ops::out_of_memory(t);
    goto unwind;
  }
  sp[-1] = heap::ref_value(o);
  bump_site(*fp->code->function, pc->b);
  NEXT();
}

L_Call : {
  nargs = pc->a;
  const Value fv = sp[-static_cast<std::ptrdiff_t>(nargs) - 1];
  if (ops::has_type(fv, sh.function)) {
    callee_f = ops::function_info(fv);
    if (nargs == callee_f->params && callee_f->upvalues == 0) goto call;
  }
  SYNC();
  callee_f = ops::callee(t, fv, nargs);
  if (callee_f == nullptr) goto unwind;
  goto call;
}

L_CallMethod : {
  nargs = pc->b;
  Value* recv = sp - nargs - 1;
  auto* cache = reinterpret_cast<MethodCache*>(pc->p);
  const std::uint64_t key = receiver_key(*recv);
  callee_f = cached_method(*cache, key);
  if (callee_f == nullptr) {
    SYNC();
    callee_f = ops::method(t, recv, *fp->code->function->module, pc->a, nargs, cache->feedback);
    if (callee_f == nullptr) goto unwind;
    remember_method(*fp->code, *cache, key, callee_f);
  }
  // Make room for the callee slot below the receiver: the frame layout's base[-1].
  std::copy_backward(recv, sp, sp + 1);
  *recv = *callee_f->object;
  ++sp;
  ++nargs;
  goto call;
}

call : {
  const rt::FunctionInfo& f = *callee_f;
  Value* args = sp - nargs;
  const Code* code =
      static_cast<const Code*>(f.prepared[this_tier].load(std::memory_order_acquire));
  // The common call: a function this tier serves, already translated, that
  // needs only its frame record (code.hpp's `plain`: not native, no VARARGS
  // List, no cells, not a generator). The rest of the path below, in the
  // same order, for everything else.
  if (code != nullptr && code->plain &&
      f.entry.load(std::memory_order_acquire)->tier == this_tier && fits(st, *code, args))
      [[likely]] {
    fp->pc = pc;
    fp = enter_frame(st, *code, args, nargs, false);
    base = args;
    sp = args + code->frame_slots;
    consts = code->consts;
    globals = code->globals;
    pc = code->ins.data();
    goto entered;
  }
  if (f.native != nullptr) {
    TRY(ops::call_native(t, f, args, nargs, args - 1));
    sp = args;
    NEXT();
  }
  if ((f.def->flags & (module::kFnGenerator | module::kFnAsync)) != 0) [[unlikely]] {
    TRY(ops::suspended_call(t, f, args - 1, args, nargs, args - 1));
    sp = args;
    NEXT();
  }
  if (const rt::Entry* e = f.entry.load(std::memory_order_acquire); e->tier != this_tier) {
    SYNC();
    const rt::TierInfo& info = rt.tier(e->tier);
    const bool ok = info.callbacks.invoke(info.data, t, f, args - 1, args, nargs, args - 1);
    sp = args;
    if (!ok) goto unwind;
    NEXT();
  }
  SYNC();
  if (code == nullptr && (code = code_for(f)) == nullptr) {
    ops::not_available(t, "tier 0 for " + std::string(f.name()));
    goto unwind;
  }
  if (!push_frame(t, st, f, *code, args, nargs, false)) goto unwind;
  RELOAD();
  sp = st.sp;
  pc = code->ins.data();
entered:
  PROFILE({
    const std::uint32_t calls = f.profile.calls.load(std::memory_order_relaxed);
    if (calls < rt::kProfileCap) {  // saturated: only read (rt::kProfileCap)
      f.profile.calls.store(calls + 1, std::memory_order_relaxed);
      if (calls + 1 == call_threshold) [[unlikely]] {
        SYNC();
        rt.hot(t, f, rt::kNoOsr);
      }
    }
  });
  POLL();
  DISPATCH();
}

L_Return:
  ret = sp[-1];
  if (!st.handlers.empty() && st.handlers.size() > fp->handlers) goto return_through_finally;
do_return : {
  base[-1] = ret;
  const bool boundary = fp->boundary;
  --st.depth;
  if (boundary) {
    st.sp = base - 1;
    *out = ret;
    return true;
  }
  sp = base;
  --fp;  // the caller's record, below this one
  base = fp->base;
  consts = fp->code->consts;
  globals = fp->code->globals;
  pc = fp->pc;
  NEXT();
}

return_through_finally:
  while (st.handlers.size() > fp->handlers) {
    Handler& h = st.handlers.back();
    if (h.state != Handler::kFinally && h.targets->finally_at != kNone) {
      h.state = Handler::kFinally;
      h.completion = Handler::kReturn;
      h.value = ret;
      sp = h.sp;
      JUMP_TO(h.targets->finally_at);
    }
    st.handlers.pop_back();  // a finally block's RETURN discards its pending completion
  }
  goto do_return;

L_Jump:
  JUMP_TO(pc->a);

L_Loop : {
  PROFILE({
    const rt::FunctionInfo& f = *fp->code->function;
    std::uint32_t n = f.profile.backedges.load(std::memory_order_relaxed);
    if (n < rt::kProfileCap) {  // saturated: only read, and OSR looked for each time
      f.profile.backedges.store(++n, std::memory_order_relaxed);
      if (n == backedge_threshold_) [[unlikely]] {
        SYNC();
        rt.hot(t, f, fp->code->offsets[pc->a]);
      }
    }
    if (n >= backedge_threshold_ && (n & kOsrCheckMask) == 0) [[unlikely]] {
      // On-stack replacement: a tier the policy installed for this loop
      // header takes the frame and runs the function to its end. Not
      // inside try statements (their handler records are tier 0's), nor in
      // a generator or coroutine (the frame suspends to tier 0's resume).
      const rt::Entry* osr = f.osr.load(std::memory_order_acquire);
      if (osr != nullptr && osr->osr_offset == fp->code->offsets[pc->a] &&
          (st.handlers.empty() || st.handlers.size() == fp->handlers) &&
          st.innermost->suspension == nullptr) {
        SYNC();
        const rt::TierInfo& tier = rt.tier(osr->tier);
        const auto slots = fp->code->frame_slots;
        const auto stack = static_cast<std::uint32_t>(sp - base - slots);
        if (!tier.callbacks.enter(tier.data, t, f, osr->code, osr->osr_offset, base, slots, stack,
                                  base - 1)) {
          goto unwind;
        }
        ret = base[-1];
        goto do_return;
      }
    }
  });
  POLL();
  JUMP_TO(pc->a);
}

L_JumpIfTrue:
L_JumpIfFalse : {
  const Value v = sp[-1];
  [[maybe_unused]] auto* counts = reinterpret_cast<rt::BranchCounts*>(pc->p);
  if (v == kTrue || v == kFalse) [[likely]] {
    --sp;
    const bool taken = (v == kTrue) == (pc->op == I::kJumpIfTrue);
    if (!taken) {
      PROFILE(rt::bump(*counts, false));
      NEXT();
    }
    PROFILE(rt::bump(*counts, true));
    if (pc->b != 0) POLL();  // a backward conditional branch closes a loop
    JUMP_TO(pc->a);
  }
  TRY(ops::not_boolean(t, pc->op == I::kJumpIfTrue ? Op::kJumpIfTrue : Op::kJumpIfFalse, v));
}

// ADD, SUB, MUL and their superinstructions (translate.cpp): operands from
// the stack, a local (`b`) or a constant (`b`; the local in `a` with one),
// the result pushed or stored to a local (`a`; `p` after a local and a
// constant), or from two locals (`a`, `b`: the Locals forms, which peek at
// the plain operation or its Store form after them and leave a miss to
// it). A miss puts the operands where the plain instructions would have had
// them and continues in arith_slow. The forms that peek at a CALL, RETURN
// or LOOP after them go on straight to its handler on their inline case
// (THEN: one direct jump for the dispatch), which runs as it would alone.
// clang-format off
#define ARITH_PLAIN(K, op, THEN)                           \
  {                                                        \
    if (arith<K>(sp[-2], sp[-1], sp - 2)) [[likely]] {     \
      --sp;                                                \
      THEN;                                                \
    }                                                      \
    ARITH_SLOW(op, kNone);                                 \
  }
/* the top and a constant's or a local's value */
#define ARITH_OPERAND(K, op, operand)                      \
  {                                                        \
    const Value v = (operand);                             \
    if (arith<K>(sp[-1], v, sp - 1)) [[likely]]            \
      NEXT();                                              \
    *sp++ = v;                                             \
    ARITH_SLOW(op, kNone);                                 \
  }
#define ARITH_LOCAL_CONST(K, op, THEN)                     \
  {                                                        \
    const Value l = base[pc->a];                           \
    const Value k = consts[pc->b];                         \
    if (arith<K>(l, k, sp)) [[likely]] {                   \
      ++sp;                                                \
      THEN;                                                \
    }                                                      \
    sp[0] = l;                                             \
    sp[1] = k;                                             \
    sp += 2;                                               \
    ARITH_SLOW(op, kNone);                                 \
  }
#define ARITH_LOCAL_CONST_STORE(K, op, THEN)               \
  {                                                        \
    const Value l = base[pc->a];                           \
    const Value k = consts[pc->b];                         \
    if (arith<K>(l, k, base + pc->p)) [[likely]] {         \
      THEN;                                                \
    }                                                      \
    sp[0] = l;                                             \
    sp[1] = k;                                             \
    sp += 2;                                               \
    ARITH_SLOW(op, static_cast<std::uint32_t>(pc->p));     \
  }
/* peeks: two locals (LoadLocal2), then the operation (`out`: the top) or */
/* its Store form (`out`: the Store's local) */
#define ARITH_LOCALS(K, out, pushed)                       \
  {                                                        \
    const Value l = base[pc->a];                           \
    const Value r = base[pc->b];                           \
    if (arith<K>(l, r, out)) [[likely]] {                  \
      sp += (pushed);                                      \
      pc += 2;                                             \
      DISPATCH();                                          \
    }                                                      \
    sp[0] = l;                                             \
    sp[1] = r;                                             \
    sp += 2;                                               \
    NEXT();                                                \
  }
#define RUNA_TIER0_ARITH(name, K, op)                                              \
  L_##name: ARITH_PLAIN(K, op, NEXT())                                             \
  L_##name##Return: ARITH_PLAIN(K, op, NEXT_TO(L_Return))                          \
  L_##name##Const: ARITH_OPERAND(K, op, consts[pc->b])                             \
  L_##name##Local: ARITH_OPERAND(K, op, base[pc->b])                               \
  L_##name##LocalConst: ARITH_LOCAL_CONST(K, op, NEXT())                           \
  L_##name##LocalConstCall: ARITH_LOCAL_CONST(K, op, NEXT_TO(L_Call))              \
  L_##name##Locals: ARITH_LOCALS(K, sp, 1)                                         \
  L_##name##LocalsStore: ARITH_LOCALS(K, base + pc[1].a, 0)                        \
  L_##name##Store: {                                                               \
    if (arith<K>(sp[-2], sp[-1], base + pc->a)) [[likely]] {                       \
      sp -= 2;                                                                     \
      NEXT();                                                                      \
    }                                                                              \
    ARITH_SLOW(op, pc->a);                                                         \
  }                                                                                \
  L_##name##LocalConstStore: ARITH_LOCAL_CONST_STORE(K, op, NEXT())                \
  L_##name##LocalConstStoreLoop: ARITH_LOCAL_CONST_STORE(K, op, NEXT_TO(L_Loop))
// clang-format on
#define ARITH_SLOW(op, dest) \
  do {                       \
    arith_op = Op::op;       \
    arith_dest = (dest);     \
    goto arith_slow;         \
  } while (0)
  RUNA_TIER0_ARITH(Add, Arith::kAdd, kAdd)
  RUNA_TIER0_ARITH(Sub, Arith::kSub, kSub)
  RUNA_TIER0_ARITH(Mul, Arith::kMul, kMul)
#undef ARITH_SLOW
#undef RUNA_TIER0_ARITH
#undef ARITH_PLAIN
#undef ARITH_LOCAL_CONST
#undef ARITH_LOCAL_CONST_STORE
#undef ARITH_LOCALS
#undef ARITH_OPERAND

arith_slow:
  TRY(ops::binary(t, arith_op, sp - 2, sp - 1, sp - 2));
  --sp;
  if (arith_dest != kNone) base[arith_dest] = *--sp;
  NEXT();

L_Div:
  if (divide<true>(sp[-2], sp[-1], sp - 2)) [[likely]] {
    --sp;
    NEXT();
  }
  TRY(ops::binary(t, Op::kDiv, sp - 2, sp - 1, sp - 2));
  --sp;
  NEXT();

L_Mod:
  if (divide<false>(sp[-2], sp[-1], sp - 2)) [[likely]] {
    --sp;
    NEXT();
  }
  TRY(ops::binary(t, Op::kMod, sp - 2, sp - 1, sp - 2));
  --sp;
  NEXT();

L_Neg:
L_Not : {
  const Value a = sp[-1];
  if (pc->op == I::kNeg && types::is_small_int(a) &&
      a != types::make_small_int(types::kSmallIntMin)) {
    sp[-1] = types::make_small_int(-types::small_int_value(a));
    NEXT();
  }
  if (pc->op == I::kNot && types::is_boolean(a)) {
    sp[-1] = a ^ 8;
    NEXT();
  }
  TRY(ops::unary(t, pc->op == I::kNeg ? Op::kNeg : Op::kNot, sp - 1, sp - 1));
  NEXT();
}

L_Eq:
L_Ne : {
  const Value a = sp[-2];
  const Value b = sp[-1];
  const bool eq = types::both_small_ints(a, b) ? a == b : ops::equal(t, a, b);
  sp[-2] = types::make_boolean(eq == (pc->op == I::kEq));
  --sp;
  NEXT();
}

#define RUNA_TIER0_ORDER(name, op, cmp)                                                            \
  L_##name : {                                                                                     \
    const Value a = sp[-2];                                                                        \
    const Value b = sp[-1];                                                                        \
    if (types::both_small_ints(a, b)) [[likely]] {                                                 \
      sp[-2] = types::make_boolean(static_cast<std::int64_t>(a) cmp static_cast<std::int64_t>(b)); \
      --sp;                                                                                        \
      NEXT();                                                                                      \
    }                                                                                              \
    TRY(ops::order(t, Op::op, sp - 2, sp - 1, sp - 2));                                            \
    --sp;                                                                                          \
    NEXT();                                                                                        \
  }
  RUNA_TIER0_ORDER(Lt, kLt, <)
  RUNA_TIER0_ORDER(Le, kLe, <=)
  RUNA_TIER0_ORDER(Gt, kGt, >)
  RUNA_TIER0_ORDER(Ge, kGe, >=)
#undef RUNA_TIER0_ORDER

L_And:
L_Or : {
  const Value a = sp[-2];
  const Value b = sp[-1];
  if (types::both_small_ints(a, b) || (types::is_boolean(a) && types::is_boolean(b))) {
    sp[-2] = pc->op == I::kAnd ? (a & b) : (a | b);
    --sp;
    NEXT();
  }
  TRY(ops::binary(t, pc->op == I::kAnd ? Op::kAnd : Op::kOr, sp - 2, sp - 1, sp - 2));
  --sp;
  NEXT();
}

L_Dup:
  sp[0] = sp[-1];
  ++sp;
  NEXT();

L_Pop:
  --sp;
  NEXT();

L_Swap:
  std::swap(sp[-1], sp[-2]);
  NEXT();

L_NewList:
L_NewMap : {
  const std::uint32_t n = pc->op == I::kNewList ? pc->a : 2 * pc->a;
  Value* first = sp - n;
  if (n == 0) *sp++ = kNothing;
  TRY(pc->op == I::kNewList ? ops::new_list(t, first, pc->a, first)
                            : ops::new_map(t, first, pc->a, first));
  sp = first + 1;
  bump_site(*fp->code->function, pc->b);
  NEXT();
}

L_GetItem:
  if (!ops::list_get(sh, sp[-2], sp[-1], sp - 2)) TRY(ops::get_item(t, sp - 2, sp - 1, sp - 2));
  --sp;
  NEXT();

L_SetItem:
  if (!ops::list_set(m, sh, sp[-3], sp[-2], sp[-1])) {
    TRY(ops::set_item(t, sp - 3, sp - 2, sp - 1));
  }
  sp -= 3;
  NEXT();

L_Throw:
  SYNC();
  ops::throw_value(t, sp - 1);
  goto unwind;

L_TryBegin:
  st.handlers.push_back(Handler{reinterpret_cast<const TryTargets*>(pc->p), sp});
  NEXT();

L_TryEnd:
L_CatchEnd : {
  Handler& h = st.handlers.back();
  if (h.targets->finally_at != kNone) {
    h.state = Handler::kFinally;
    h.completion = Handler::kNormal;
    h.value = kNothing;
    JUMP_TO(h.targets->finally_at);
  }
  const std::uint32_t end = h.targets->end_at;
  st.handlers.pop_back();
  JUMP_TO(end);
}

L_CatchBegin : {
  const auto* type = reinterpret_cast<const void*>(pc->p);
  if (type == nullptr || ops::catches(t, sp[-1], type)) NEXT();
  if (pc->a != kNone) JUMP_TO(pc->a);  // the next clause
  Handler& h = st.handlers.back();     // no clause matched
  if (h.targets->finally_at != kNone) {
    h.state = Handler::kFinally;
    h.completion = Handler::kThrow;
    sp = h.sp;
    JUMP_TO(h.targets->finally_at);
  }
  t.exception = h.value;
  t.trace = h.trace;
  st.handlers.pop_back();
  goto unwind;
}

L_FinallyEnd : {
  const Handler h = st.handlers.back();
  st.handlers.pop_back();
  if (h.completion == Handler::kNormal) NEXT();
  if (h.completion == Handler::kReturn) {
    ret = h.value;
    goto return_through_finally;
  }
  t.exception = h.value;
  t.trace = h.trace;
  goto unwind;
}

L_Unwind:
  for (auto i = st.handlers.size(); i > fp->handlers; --i) {
    const Handler& h = st.handlers[i - 1];
    if (h.state == Handler::kCatch) {
      t.exception = h.value;
      t.trace = h.trace;
      break;
    }
  }
  goto unwind;

L_LoadUpvalue : {
  Value v = *ops::upvalue_slot(base[-1], pc->a);
  if (ops::has_type(v, sh.cell)) v = *ops::cell_slot(v);
  *sp++ = v;
  NEXT();
}

L_StoreUpvalue : {
  const Value closure = base[-1];
  Value* slot = ops::upvalue_slot(closure, pc->a);
  const Value v = *--sp;
  if (ops::has_type(*slot, sh.cell)) {
    heap::write(m, heap::as_object(*slot), ops::cell_slot(*slot), v);
  } else {
    heap::write(m, heap::as_object(closure), slot, v);  // a LAMBDA's own copy
  }
  NEXT();
}

L_Closure:
L_Lambda : {
  const auto* caps = reinterpret_cast<const Captures*>(pc->p);
  const bool closure = pc->op == I::kClosure;
  // CLOSURE pushes its function; LAMBDA's is already on the stack.
  if (closure) *sp++ = *caps->function->object;
  Value* first = sp - 1;
  for (const Capture& c : caps->items) {
    Value v =
        c.kind == bytecode::kCaptureLocal ? base[c.index] : *ops::upvalue_slot(base[-1], c.index);
    const bool cell = ops::has_type(v, sh.cell);
    if (!closure && cell) v = *ops::cell_slot(v);  // LAMBDA copies values
    *sp++ = v;
    if (closure && !cell) TRY(ops::make_cell(t, sp - 1, sp - 1));  // a copied upvalue, shared anew
  }
  TRY(ops::make_closure(t, first, first + 1, static_cast<std::uint32_t>(caps->items.size()),
                        first));
  sp = first + 1;
  bump_site(*fp->code->function, pc->b);
  NEXT();
}

L_TypeCheck:
  *sp = types::make_boolean(ops::instance_of(rt, sp[-1], reinterpret_cast<const void*>(pc->p)));
  ++sp;
  NEXT();

L_InstanceOf:
  sp[-1] = types::make_boolean(ops::instance_of(rt, sp[-1], reinterpret_cast<const void*>(pc->p)));
  NEXT();

L_Cast:
  TRY(ops::cast(t, sp - 1, reinterpret_cast<const void*>(pc->p), sp - 1));
  NEXT();

L_TypeOf:
  TRY(ops::type_of(t, sp - 1, sp - 1));
  NEXT();

L_LoadModule:
  *sp++ = kNothing;
  TRY(ops::load_module(t, *fp->code->function->module, pc->a, sp - 1));
  NEXT();

L_Import : {
  const auto* names = reinterpret_cast<const std::vector<std::uint16_t>*>(pc->p);
  const std::uint32_t n = pc->a;
  Value* first = sp - 1;
  for (std::uint32_t i = 1; i < n; ++i) *sp++ = kNothing;
  TRY(ops::import(t, first, *fp->code->function->module, names->data(), n, first));
  sp = first + n;
  NEXT();
}

L_NotAvailable:
  SYNC();
  ops::not_available(t, *reinterpret_cast<const std::string*>(pc->p));
  goto unwind;

L_IterCreate : {
  SYNC();
  if (ops::is_struct(rt, sp[-1])) {
    const rt::FunctionInfo* f = ops::find_method(t, sp[-1], "iterator");
    if (f == nullptr) {
      ops::raise(t, "TypeError", "ITER_CREATE: a struct needs a method iterator() to be iterated");
      goto unwind;
    }
    TRY(rt.call(t, f->object, sp - 1, 1, sp - 1));
    NEXT();
  }
  TRY(ops::iter_create(t, sp - 1, sp - 1));
  NEXT();
}

L_IterNext : {
  if (ops::list_next(sh, sp[-1], sp)) [[likely]] {  // a List's items, the commonest
    ++sp;
    NEXT();
  }
  SYNC();
  switch (ops::iter_next(t, sp - 1, sp)) {
    case ops::Step::kValue:
      ++sp;
      NEXT();
    case ops::Step::kEnd:
      --sp;
      JUMP_TO(pc->a);
    case ops::Step::kThrow:
      goto unwind;
    case ops::Step::kNotBuiltIn:
      break;
  }
  // A struct iterator: has_next(), then next().
  const rt::FunctionInfo* has_next = ops::find_method(t, sp[-1], "has_next");
  const rt::FunctionInfo* next = ops::find_method(t, sp[-1], "next");
  if (has_next == nullptr || next == nullptr) {
    ops::raise(t, "TypeError",
               "ITER_NEXT: " + std::string("an iterator needs methods has_next() and next()"));
    goto unwind;
  }
  *sp++ = kNothing;
  TRY(rt.call(t, has_next->object, sp - 2, 1, sp - 1));
  if (sp[-1] == kFalse) {
    sp -= 2;
    JUMP_TO(pc->a);
  }
  if (sp[-1] != kTrue) {
    ops::not_boolean(t, Op::kIterNext, sp[-1]);
    goto unwind;
  }
  TRY(rt.call(t, next->object, sp - 2, 1, sp - 1));
  NEXT();
}

// The frame is a resumed generator's or coroutine's, the boundary frame of
// its Run (Engine::resume). YIELD continues after itself with the value
// sent in; an AWAIT that must wait continues at itself, its awaitable kept
// on the operand stack, and awaits it again.
L_Yield:
  base[-1] = *--sp;  // the value yielded (the suspension holds the callee)
  resume_at = fp->code->offsets[static_cast<std::size_t>(pc - fp->code->ins.data()) + 1];
  goto suspend_frame;

L_Await:
  SYNC();
  switch (ops::await(t, sp - 1, sp - 1)) {
    case ops::Awaited::kReady:
      NEXT();
    case ops::Awaited::kThrew:
      goto unwind;
    case ops::Awaited::kWaiting:
      break;
  }
  base[-1] = kNothing;
  resume_at = fp->code->offsets[static_cast<std::size_t>(pc - fp->code->ins.data())];
  goto suspend_frame;

// The try statements' records go above the operand stack, and the frame,
// saved, leaves the stack as a return would; base[-1] is what the resumer
// gets.
suspend_frame : {
  const std::uint32_t open = static_cast<std::uint32_t>(st.handlers.size()) - fp->handlers;
  if (sp + std::size_t{open} * ops::kHandlerValues >= st.limit) {
    SYNC();
    ops::stack_overflow(t, *fp->code->function);
    goto unwind;
  }
  for (std::uint32_t i = 0; i < open; ++i) {
    const Handler& h = st.handlers[fp->handlers + i];
    ops::put_handler(sp + std::size_t{i} * ops::kHandlerValues,
                     {h.targets->begin, h.state, h.completion,
                      static_cast<std::uint32_t>(h.sp - base), h.value, h.trace});
  }
  const auto slots = fp->code->frame_slots;
  const ops::FrameShape shape{slots, static_cast<std::uint32_t>(sp - base) - slots, open};
  sp += std::size_t{open} * ops::kHandlerValues;
  TRY(ops::suspend(t, st.innermost->suspension, resume_at, shape, base));
  st.handlers.resize(fp->handlers);
  --st.depth;
  st.sp = base - 1;
  *out = base[-1];
  st.innermost->suspended = true;
  return true;
}

L_Spread:
  TRY(ops::spread(t, sp - 2, sp - 1));
  --sp;
  NEXT();

L_Unpack : {
  const std::uint32_t n = pc->a;
  Value* first = sp - 1;
  for (std::uint32_t i = 1; i < n; ++i) *sp++ = kNothing;
  TRY(ops::unpack(t, first, n, first));
  sp = first + n;
  NEXT();
}

L_SwitchTable : {
  const Value v = *--sp;
  if (!types::is_int(cx, v)) {
    ++sp;
    SYNC();
    ops::raise(t, "TypeError", "SWITCH_TABLE needs an Integer");
    goto unwind;
  }
  const std::int64_t i = types::as_int(v);
  const auto& cases = reinterpret_cast<const SwitchTable*>(pc->p)->cases;
  auto it = std::lower_bound(cases.begin(), cases.end(), std::make_pair(i, std::uint32_t{0}));
  if (it != cases.end() && it->first == i) {
    POLL();
    JUMP_TO(it->second);
  }
  NEXT();
}

L_IntToDouble:
  if (int_to_double(sp[-1], sp - 1)) [[likely]]
    NEXT();
  TRY(ops::int_to_double(t, sp - 1, sp - 1));
  NEXT();

L_DoubleToInt:
  TRY(ops::double_to_int(t, sp - 1, sp - 1));
  NEXT();

L_TextConcat : {
  const std::uint32_t n = pc->a;
  Value* first = sp - n;
  if (n == 0) *sp++ = kNothing;
  TRY(ops::text_concat(t, first, n, first));
  sp = first + 1;
  NEXT();
}

#include "interp_fused.hpp"

unwind:
  for (;;) {
    while (st.handlers.size() > fp->handlers) {
      Handler& h = st.handlers.back();
      if (h.state == Handler::kBody && h.targets->catch_at != kNone) {
        h.state = Handler::kCatch;
        h.value = t.exception;
        h.trace = t.trace;
        sp = h.sp;
        *sp++ = t.exception;
        t.exception = kNothing;
        t.trace = kNothing;
        JUMP_TO(h.targets->catch_at);
      }
      if (h.state != Handler::kFinally && h.targets->finally_at != kNone) {
        h.state = Handler::kFinally;
        h.completion = Handler::kThrow;
        h.value = t.exception;
        h.trace = t.trace;
        t.exception = kNothing;
        t.trace = kNothing;
        sp = h.sp;
        JUMP_TO(h.targets->finally_at);
      }
      st.handlers.pop_back();
    }
    const bool boundary = fp->boundary;
    Value* const b = fp->base;
    --st.depth;
    if (boundary) {
      st.sp = b - 1;
      return false;
    }
    RELOAD();
  }
#undef SYNC
#undef DISPATCH
#undef NEXT
#undef RELOAD
#undef JUMP_TO
#undef TRY
#undef POLL
#undef NEXT_TO
}

}  // namespace runa::tier0

// NOLINTEND(bugprone-macro-parentheses, readability-non-const-parameter)
// NOLINTEND(performance-no-int-to-ptr, readability-function-size)
// NOLINTEND(cppcoreguidelines-avoid-goto, cppcoreguidelines-macro-usage)
