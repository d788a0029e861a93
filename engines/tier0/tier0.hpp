// Tier 0: RunaTime's reference interpreter, an execution tier built only on
// the public bridge (runatime/runtime.hpp, runatime/ops.hpp), as any other
// engine would be (docs/engine.md explains the design and its measurements).
//
// Register it with a runtime before loading modules; keep the Engine alive
// until the runtime is destroyed:
//
//   auto engine = runa::tier0::Engine::install(*runtime);
//
// Design, in one paragraph: a function is translated at its first call
// into fixed-size instructions with decoded operands and resolved names
// (code.hpp); a loop dispatches on them with computed goto (interp.cpp);
// frames live on one value stack per thread (stack.hpp), so bytecode calls
// bytecode without C recursion and a deep recursion is bounded by the
// stack's reservation, not the C stack. Integer and Float arithmetic,
// comparisons, locals, fields and calls of bytecode functions are inline;
// everything else goes through runatime/ops.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "code.hpp"
#include "stack.hpp"
#include "stack_memory.hpp"

namespace runa::tier0 {

class Engine {
 public:
  static std::unique_ptr<Engine> install(rt::Runtime& runtime);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  Engine(Engine&&) = delete;
  Engine& operator=(Engine&&) = delete;
  ~Engine();

  // The tier-0 code of f, translated at the first request (thread-safe:
  // the first translation published wins). nullptr if f has no code.
  Code* code_for(const rt::FunctionInfo& f);
  Stack& stack(rt::Thread& t) const;

  // Runs f (TierCallbacks::invoke).
  bool invoke(rt::Thread& t, const rt::FunctionInfo& f, Value* callee, Value* args, std::uint32_t n,
              Value* out);
  // Continues a generator or coroutine of f (TierCallbacks::resume).
  ops::Resumed resume(rt::Thread& t, const rt::FunctionInfo& f, Value* suspension, Value* sent,
                      Value* out);
  // Continues a running frame of f that another tier hands over before the
  // instruction at bytecode `offset` (TierCallbacks::enter; a deoptimising
  // tier reaches it through Runtime::deoptimize_frame): frame[-1] is the
  // callee, frame[0 .. slots) the slots, then `operands` operand-stack
  // values. Runs f to its end.
  bool enter(rt::Thread& t, const rt::FunctionInfo& f, std::uint32_t offset, Value* frame,
             std::uint32_t slots, std::uint32_t operands, Value* out);

  [[nodiscard]] rt::Runtime& runtime() const { return runtime_; }
  [[nodiscard]] std::uint32_t index() const { return index_; }

 private:
  explicit Engine(rt::Runtime& runtime);
  // The loop: runs the thread's top frame (a boundary frame) to its return.
  bool execute(rt::Thread& t, Stack& st, Value* out);
  // Runs the boundary frame just pushed at `outer_depth` as a new Run.
  bool run(rt::Thread& t, Stack& st, std::uint32_t outer_depth, Value* suspension, Value* out,
           bool* suspended);
  // f's translation without superinstructions (Fusing::kOff), made at the
  // first request: where a frame handed over between two fused
  // instructions continues. Deoptimisations are rare; a lock is enough.
  const Code* plain_code_for(const rt::FunctionInfo& f);
  friend struct Loop;

  rt::Runtime& runtime_;
  std::uint32_t index_ = 0;
  const ops::Shapes* shapes_ = nullptr;
  std::uint32_t call_threshold_ = 0;
  std::uint32_t backedge_threshold_ = 0;
  std::mutex mu_;
  std::vector<std::unique_ptr<Code>> codes_;
  std::unordered_map<const rt::FunctionInfo*, std::unique_ptr<Code>> plain_;  // under mu_
  // The threads' stacks (stack() makes them on a const engine).
  mutable StackMemory memory_;
};

}  // namespace runa::tier0
