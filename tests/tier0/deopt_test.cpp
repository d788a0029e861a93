// Deoptimising a running frame into tier 0 (docs/bridge.md, "Deoptimising
// a running frame"): a C++ test tier serves a function, runs part of its
// loop natively, then hands the frame back mid-function through
// Runtime::deoptimize_frame, and tier 0 finishes it. Where the frame is
// handed matters to tier 0: at an instruction its translation begins (the
// loop header), inside a fused sequence (the plain translation then runs
// it), where a captured variable's cell already stands, and at each place
// it refuses (inside a try statement, a generator, a frame of the wrong
// size, an offset that begins no instruction). Under the tier0-stress
// label every allocation collects, so the handed values must be roots.
#include <algorithm>
#include <functional>
#include <vector>

#include "runatime/bytecode.hpp"
#include "tier0_fixture.hpp"

namespace runa::tier0 {
namespace {

// sum_to(n) = 0 + 1 + ... + (n - 1), with a List allocated in each round
// so that collections happen while tier 0 finishes a handed frame.
// boxed(n): the same sum kept in a captured variable (a cell from the
// start: the closure is made before the loop). guarded(n): the loop
// inside a try statement. counting(n): a generator.
constexpr std::string_view kModule = R"(
.type 1 primitive Integer
.type 2 primitive Any
.type 3 function "(Integer)->Integer" params Integer returns Integer
.type 4 function "()->Integer" params returns Integer
.function 1 sum_to type "(Integer)->Integer"
  .param n type Integer
  .local sum type Integer slot 1 scope 0 end
  .local i type Integer slot 2 scope 0 end
  PUSH_CONST 0
  STORE_LOCAL sum
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  LOAD_LOCAL n
  LT
  JUMP_IF_FALSE done
  NEW_LIST 0
  POP
  LOAD_LOCAL sum
  LOAD_LOCAL i
  ADD
  STORE_LOCAL sum
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  LOAD_LOCAL sum
  RETURN
end:
.end
.function 2 read_sum type "()->Integer" flags ANONYMOUS
  LOAD_UPVALUE 0
  RETURN
.end
.function 3 boxed type "(Integer)->Integer"
  .param n type Integer
  .local sum type Integer slot 1 scope 0 end
  .local i type Integer slot 2 scope 0 end
  .local reader type Any slot 3 scope 0 end
  CLOSURE read_sum local sum
  STORE_LOCAL reader
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  LOAD_LOCAL n
  LT
  JUMP_IF_FALSE done
  LOAD_LOCAL sum
  LOAD_LOCAL i
  ADD
  STORE_LOCAL sum
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
done:
  LOAD_LOCAL reader
  CALL 0
  RETURN
end:
.end
.function 4 guarded type "(Integer)->Integer"
  .param n type Integer
  .local i type Integer slot 1 scope 0 end
  TRY_BEGIN caught none
  PUSH_CONST 0
  STORE_LOCAL i
loop:
  LOAD_LOCAL i
  LOAD_LOCAL n
  LT
  JUMP_IF_FALSE out
  LOAD_LOCAL i
  PUSH_CONST 1
  ADD
  STORE_LOCAL i
  JUMP loop
out:
  TRY_END
caught:
  CATCH_BEGIN *
  POP
  CATCH_END
done:
  LOAD_LOCAL i
  RETURN
end:
.end
.function 5 counting type "(Integer)->Integer" flags GENERATOR
  .param n type Integer
  LOAD_LOCAL n
  YIELD
  POP
  PUSH_CONST 0
  RETURN
.end
)";

// Where a handed frame resumes and what it holds there.
struct Handoff {
  std::uint32_t offset = 0;
  std::vector<Value> slots;     // the frame's slots
  std::vector<Value> operands;  // its operand stack
};

// A tier that serves one function: its invoke asks `plan` for the frame to
// hand back (built from the arguments) and hands it to tier 0.
struct Speculator {
  rt::Runtime* runtime = nullptr;
  std::function<Handoff(const Value* args)> plan;
  int invoked = 0;
  int marker = 0;

  // The signature of TierCallbacks::invoke.
  // NOLINTNEXTLINE(readability-non-const-parameter)
  static bool invoke(void* self, rt::Thread& t, const rt::FunctionInfo& f, Value* callee,
                     Value* args, std::uint32_t /*n*/, Value* out) {
    auto* s = static_cast<Speculator*>(self);
    ++s->invoked;
    const Handoff h = s->plan(args);
    std::vector<Value> frame{*callee};
    frame.insert(frame.end(), h.slots.begin(), h.slots.end());
    frame.insert(frame.end(), h.operands.begin(), h.operands.end());
    // The values are copied into a root range, as the C ABI does, before
    // anything may collect.
    const std::uint64_t roots = s->runtime->heap().add_roots(frame.data(), frame.size());
    const bool ok =
        s->runtime->deoptimize_frame(t, f, "a test guard", h.offset, frame.data() + 1,
                                     static_cast<std::uint32_t>(h.slots.size()),
                                     static_cast<std::uint32_t>(h.operands.size()), out);
    s->runtime->heap().remove_roots(roots);
    return ok;
  }
};

Value small(std::int64_t v) {
  return types::make_small_int(v);
}

class DeoptTest : public Tier0Test {
 protected:
  void SetUp() override {
    Tier0Test::SetUp();
    spec_.runtime = runtime_.get();
    rt::TierInfo info;
    info.name = "speculator";
    info.level = 1;
    info.data = &spec_;
    info.callbacks.invoke = Speculator::invoke;
    spec_index_ = runtime_->register_tier(info);
    auto m = runtime_->load(*t_, file("deopt", kModule));
    ASSERT_TRUE(m.ok()) << m.error().describe();
    module_ = *m;
  }

  // The offset of the k-th instruction (from 0) with opcode `op` in f.
  static std::uint32_t offset_of(const rt::FunctionInfo& f, bytecode::Op op, int k = 0) {
    for (std::uint32_t pc = 0; pc < f.code.size();) {
      auto ins = bytecode::decode(f.code, pc);
      if (!ins) break;
      if (ins->op == op && k-- == 0) return pc;
      pc += ins->length;
    }
    ADD_FAILURE() << "no such instruction";
    return 0;
  }

  // Calls `name` (served by the speculator) with n: the result or the
  // exception as text.
  std::string call(const char* name, std::int64_t n) {
    const rt::FunctionInfo* f = module_->function(name);
    runtime_->install(*f, spec_index_, &spec_.marker);
    heap::HandleScope scope(*t_->m);
    heap::Handle arg(*t_->m, small(n));
    heap::Handle out(*t_->m, types::kNothing);
    if (!runtime_->call(*t_, f->object, arg.slot(), 1, out.slot())) return "! " + thrown();
    std::string text = "= ";
    types().text().append_literal(out.value(), text);
    return text;
  }

  // The tests read these, as Tier0Test's own.
  // NOLINTBEGIN(cppcoreguidelines-non-private-member-variables-in-classes)
  Speculator spec_;
  std::uint32_t spec_index_ = 0;
  const rt::ModuleInfo* module_ = nullptr;
  // NOLINTEND(cppcoreguidelines-non-private-member-variables-in-classes)
};

TEST_F(DeoptTest, AFrameHandedBackAtTheLoopHeaderFinishesInTier0) {
  const rt::FunctionInfo& f = *module_->function("sum_to");
  const std::uint32_t header = offset_of(f, bytecode::Op::kLoadLocal);
  // The speculator ran rounds 0..9 itself: sum 45, i 10.
  spec_.plan = [&](const Value* args) {
    return Handoff{header, {args[0], small(45), small(10)}, {}};
  };
  EXPECT_EQ(call("sum_to", 1000), "= 499500");
  EXPECT_EQ(spec_.invoked, 1);
  EXPECT_EQ(f.deopts.load(), 1U);
  EXPECT_EQ(f.current().tier, engine_->index()) << "sent back to tier 0";
  // The next call runs in tier 0 from its start.
  heap::HandleScope scope(*t_->m);
  heap::Handle arg(*t_->m, small(100));
  heap::Handle out(*t_->m, types::kNothing);
  ASSERT_TRUE(runtime_->call(*t_, f.object, arg.slot(), 1, out.slot()));
  EXPECT_EQ(types::small_int_value(out.value()), 4950);
  EXPECT_EQ(spec_.invoked, 1);
  const auto decisions = runtime_->impl().policy().decisions();
  ASSERT_FALSE(decisions.empty());
  EXPECT_NE(decisions.back().find("sum_to: deoptimised to tier 0: a test guard"), std::string::npos)
      << decisions.back();
}

TEST_F(DeoptTest, AFrameHandedBackInsideAFusedSequenceRunsInThePlainTranslation) {
  const rt::FunctionInfo& f = *module_->function("sum_to");
  // `LOAD_LOCAL n` right after the header's `LOAD_LOCAL i`: tier 0 fuses
  // the two, so its usual translation has no instruction there.
  const std::uint32_t second = offset_of(f, bytecode::Op::kLoadLocal, 1);
  const Code* fused = engine_->code_for(f);
  ASSERT_NE(fused, nullptr);
  ASSERT_EQ(std::count(fused->offsets.begin(), fused->offsets.end(), second), 0)
      << "the test wants an offset inside a superinstruction";
  // i (20) already pushed; sum of 0..19 is 190.
  spec_.plan = [&](const Value* args) {
    return Handoff{second, {args[0], small(190), small(20)}, {small(20)}};
  };
  EXPECT_EQ(call("sum_to", 2000), "= 1999000");
  // The `ADD` of `sum + i`: both operands on the stack (sum 0, i 0).
  const std::uint32_t add = offset_of(f, bytecode::Op::kAdd);
  spec_.plan = [&](const Value* args) {
    return Handoff{add, {args[0], small(0), small(0)}, {small(0), small(0)}};
  };
  EXPECT_EQ(call("sum_to", 300), "= 44850");
  EXPECT_EQ(f.deopts.load(), 2U);
}

TEST_F(DeoptTest, ACapturedVariableKeepsItsCell) {
  const rt::FunctionInfo& f = *module_->function("boxed");
  // After the closure is made, slot 1 (sum) holds the cell the closure
  // reads: tier 0 must keep using that very cell.
  heap::HandleScope scope(*t_->m);
  heap::Handle cell(*t_->m, types::kNothing);
  heap::Handle reader(*t_->m, types::kNothing);
  const std::uint32_t header = offset_of(f, bytecode::Op::kLoadLocal);
  spec_.plan = [&](const Value* args) {
    // What the speculator would have made: the cell (sum 10 after 0..4)
    // and the closure over it, made through the bridge's operations.
    heap::Handle sum(*t_->m, small(10));
    EXPECT_TRUE(ops::make_cell(*t_, sum.slot(), cell.slot()));
    heap::Handle fn(*t_->m, *module_->function("read_sum")->object);
    EXPECT_TRUE(ops::make_closure(*t_, fn.slot(), cell.slot(), 1, reader.slot()));
    return Handoff{header, {args[0], cell.value(), small(5), reader.value()}, {}};
  };
  EXPECT_EQ(call("boxed", 100), "= 4950");
}

TEST_F(DeoptTest, TheRefusalsAreCatchableAndSayWhy) {
  const rt::FunctionInfo& guarded = *module_->function("guarded");
  const std::uint32_t inside = offset_of(guarded, bytecode::Op::kLoadLocal);
  spec_.plan = [&](const Value* args) { return Handoff{inside, {args[0], small(3)}, {}}; };
  EXPECT_EQ(call("guarded", 10),
            "! NotAvailable: tier 0 takes no running frame inside a try statement (guarded at "
            "offset " +
                std::to_string(inside) + ")");

  const rt::FunctionInfo& sum_to = *module_->function("sum_to");
  const std::uint32_t header = offset_of(sum_to, bytecode::Op::kLoadLocal);
  spec_.plan = [&](const Value* args) { return Handoff{header, {args[0], small(0)}, {}}; };
  EXPECT_EQ(call("sum_to", 10),
            "! ValueError: a frame of sum_to handed to tier 0 has 2 slots and 0 operands; sum_to "
            "has 3 slots and at most 2 operands");
  spec_.plan = [&](const Value* args) {
    return Handoff{header + 1, {args[0], small(0), small(0)}, {}};
  };
  EXPECT_EQ(call("sum_to", 10), "! ValueError: offset " + std::to_string(header + 1) +
                                    " begins no instruction of sum_to");

  // A call of a generator goes to no tier (it makes a suspension), so a
  // tier could only hand over a frame it resumed: hand one directly.
  const rt::FunctionInfo& counting = *module_->function("counting");
  std::vector<Value> frame{*counting.object, small(1), types::kNothing};  // callee, n; out
  const std::uint64_t roots = runtime_->heap().add_roots(frame.data(), frame.size());
  EXPECT_FALSE(runtime_->deoptimize_frame(*t_, counting, "a test", 0, &frame[1], 1, 0, &frame[2]));
  runtime_->heap().remove_roots(roots);
  EXPECT_EQ(thrown(),
            "NotAvailable: tier 0 takes no running frame of a generator or async function "
            "(counting)");
  // Each refusal still counted the deoptimisation and sent f back.
  EXPECT_EQ(sum_to.deopts.load(), 2U);
  EXPECT_EQ(sum_to.current().tier, engine_->index());
}

}  // namespace
}  // namespace runa::tier0
