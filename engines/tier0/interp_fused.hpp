// The superinstructions' handlers, included once, inside Engine::execute
// (interp.cpp), whose labels, registers and macros they use: a
// computed-goto loop is one function, so its parts share it by inclusion.
// (The arithmetic ones are interp.cpp's RUNA_TIER0_ARITH.)
//
// Two kinds (translate.cpp makes both):
//   - Fused: one instruction stands for a sequence; control never enters
//     the sequence in its middle.
//   - Peeking: an instruction that looks at the one after it
//     (LoadLocal2Compare, LoadLocalConstCompare, LoadLocal2GetItem,
//     LoadLocal2Call, PushConstDiv, DivReturn, MulAddStore,
//     LoadLocalReturn; the arithmetic ones are interp.cpp's
//     RUNA_TIER0_ARITH). On its inline
//     case it does both and steps over the second (pc += 2); otherwise it
//     does its own part alone and the second runs as usual, so the second
//     may still be a branch target and every result, error and trace is the
//     plain instructions'.
//
// clang-format reads labels outside a function as bit-fields: it is off
// here, and the layout is interp.cpp's. As there, operand words hold
// pointers (code.hpp) and handlers share tails by goto.
// clang-format off
// NOLINTBEGIN(performance-no-int-to-ptr, cppcoreguidelines-avoid-goto)

L_LoadLocal2:
  sp[0] = base[pc->a];
  sp[1] = base[pc->b];
  sp += 2;
  NEXT();

L_LoadLocalConst:
  sp[0] = base[pc->a];
  sp[1] = consts[pc->b];
  sp += 2;
  NEXT();

L_LoadLocalField : {
  const Value o = base[pc->a];
  *sp++ = o;
  if (has_field(rt, *reinterpret_cast<FieldCache*>(pc->p), o, pc->b)) [[likely]] {
    sp[-1] = heap::as_object(o)->slots()[pc->b];
    NEXT();
  }
  TRY(ops::bad_field(t, o, pc->b, false));
}

// LT/LE/GT/GE then JUMP_IF_FALSE: `b` holds the comparison (0..3) and, in
// bit 8, whether the branch goes backward (a loop: poll there).
L_CompareJumpIfFalse : {
  bool holds = false;
  if (types::both_small_ints(sp[-2], sp[-1])) [[likely]] {
    holds = order_small(sp[-2], sp[-1], pc->b & 0xFF);
  } else {
    static constexpr Op kOrder[] = {Op::kLt, Op::kLe, Op::kGt, Op::kGe};
    TRY(ops::order(t, kOrder[pc->b & 0xFF], sp - 2, sp - 1, sp - 2));
    holds = sp[-2] == kTrue;
  }
  sp -= 2;
  [[maybe_unused]] auto* counts = reinterpret_cast<rt::BranchCounts*>(pc->p);
  if (holds) {
    PROFILE(rt::bump(*counts, false));
    NEXT();
  }
  PROFILE(rt::bump(*counts, true));
  if ((pc->b & 0x100) != 0) POLL();
  JUMP_TO(pc->a);
}

// Two locals (LoadLocal2), or a local and a constant (LoadLocalConst),
// compared and branched on by the CompareJumpIfFalse after it: a loop's
// `i < n`, a recursion's `n < 2`.
L_LoadLocal2Compare:
  peek_a = base[pc->a];
  peek_b = base[pc->b];
  goto compare_next;

L_LoadLocalConstCompare:
  peek_a = base[pc->a];
  peek_b = consts[pc->b];
  goto compare_next;

compare_next : {
  const Value a = peek_a;
  const Value b = peek_b;
  if (types::both_small_ints(a, b)) [[likely]] {
    const Ins& branch = pc[1];
    [[maybe_unused]] auto* counts = reinterpret_cast<rt::BranchCounts*>(branch.p);
    if (order_small(a, b, branch.b & 0xFF)) {
      PROFILE(rt::bump(*counts, false));
      pc += 2;
      DISPATCH();
    }
    PROFILE(rt::bump(*counts, true));
    if ((branch.b & 0x100) != 0) POLL();
    JUMP_TO(branch.a);
  }
  sp[0] = a;
  sp[1] = b;
  sp += 2;
  NEXT();
}

// Two locals (LoadLocal2) indexed by the GET_ITEM after it: `v[j]`.
L_LoadLocal2GetItem:
  sp[0] = base[pc->a];
  sp[1] = base[pc->b];
  if (ops::list_get(sh, sp[0], sp[1], sp)) [[likely]] {
    ++sp;
    pc += 2;
    DISPATCH();
  }
  sp += 2;
  NEXT();

// Two locals (LoadLocal2) passed to the CALL after them: `eval_a(i, j)`.
// Pushing them cannot miss; the CALL runs as it would alone.
L_LoadLocal2Call:
  sp[0] = base[pc->a];
  sp[1] = base[pc->b];
  sp += 2;
  NEXT_TO(L_Call);

// A constant (PUSH_CONST) divided into by the DIV after it: `x / 2`.
L_PushConstDiv : {
  const Value k = consts[pc->a];
  if (divide<true>(sp[-1], k, sp - 1)) [[likely]] {
    pc += 2;
    DISPATCH();
  }
  *sp++ = k;
  NEXT();
}

// A DIV returned by the RETURN after it: eval_a's `1.0 / x`. A miss is
// DIV's own (slow) path, then the RETURN as usual.
L_DivReturn:
  if (divide<true>(sp[-2], sp[-1], sp - 2)) [[likely]] {
    --sp;
    NEXT_TO(L_Return);
  }
  goto L_Div;

// A MUL whose product the AddStore after it adds to the value below and
// stores: `sum = sum + a * b`. The sum is inline only after an inline
// product; a missed product is MUL's own path, a missed sum the AddStore's.
L_MulAddStore : {
  Value product = kNothing;
  if (arith<Arith::kMul>(sp[-2], sp[-1], &product)) [[likely]] {
    if (arith<Arith::kAdd>(sp[-3], product, base + pc[1].a)) [[likely]] {
      sp -= 3;
      pc += 2;
      DISPATCH();
    }
    sp[-2] = product;
    --sp;
    NEXT();
  }
  goto L_Mul;
}

// A local (LOAD_LOCAL) returned by the RETURN after it: fib's `return n`.
// Inside try statements the RETURN itself runs their finally blocks.
L_LoadLocalReturn:
  ret = base[pc->a];
  if (!st.handlers.empty() && st.handlers.size() > fp->handlers) {
    *sp++ = ret;
    NEXT();
  }
  goto do_return;

// NOLINTEND(performance-no-int-to-ptr, cppcoreguidelines-avoid-goto)
// clang-format on
