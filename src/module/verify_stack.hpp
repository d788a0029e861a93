// The stack-height interpretation of the bytecode verifier (docs/bytecode.md
// §2.5, §2.5.2, §3 item 9): one operand-stack height for every reachable
// instruction, never negative, equal on every path into an instruction,
// never falling off the end of the code; the highest is max_stack.
//
// Alongside each height it tracks which stack slots hold a statically known
// function (pushed by PUSH_CONST of a Function reference, moved by DUP or
// SWAP), which is how LAMBDA's function operand is identified (§2.5.3), and
// how a CALL of a bare function is found (a function that reads upvalues
// must be called through a closure).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "module/verify_code.hpp"
#include "module/verify_try.hpp"

namespace runa::module {

// A reachable LAMBDA and the function it makes a lambda of.
struct LambdaSite {
  std::uint32_t at = 0;        // instruction index
  std::uint32_t function = 0;  // function id
};

struct StackFacts {
  std::uint32_t max_stack = 0;
  std::vector<LambdaSite> lambdas;  // in code order
  // Reachable CALLs whose callee is a statically known function (a bare
  // Function constant, not a closure), in code order.
  std::vector<LambdaSite> direct_calls;
};

// Keeps its buffers from one function to the next, so that checking many
// small functions allocates nothing once they have grown.
class StackChecker {
 public:
  // `code` has passed the operand checks (constants, function ids, branch
  // targets resolve) and `tries` is its parsed try layout.
  std::optional<Fault> run(const Module& m, const ModuleIndex& index, const Decoded& code,
                           const TryLayout& tries, StackFacts& out);

 private:
  // The known functions in an abstract stack form a persistent list, top
  // first, of only the slots that hold one; states share their tails, so a
  // state costs one index per instruction. Jump pointers (Myers' applicative
  // random-access stacks) make popping any number of slots O(log n).
  struct Node {
    std::uint32_t slot = 0;      // stack slot, from 0 at the bottom
    std::uint32_t function = 0;  // function id
    std::uint32_t parent = 0;    // the next known slot below; 0 is the empty list
    std::uint32_t jump = 0;
    std::uint32_t depth = 0;  // entries from here to the bottom
  };
  struct Known {
    std::uint32_t slot = 0;
    std::uint32_t function = 0;
  };

  std::optional<Fault> step(std::uint32_t i);
  std::optional<Fault> enter(std::uint32_t from, std::uint32_t to, std::uint64_t height,
                             std::uint32_t state);
  std::uint32_t after(const bytecode::Instruction& ins, std::uint32_t height, std::uint32_t pops,
                      std::uint32_t state);
  std::uint32_t push(std::uint32_t state, std::uint32_t slot, std::uint32_t function);
  [[nodiscard]] std::uint32_t below(std::uint32_t state, std::uint32_t height) const;
  std::uint32_t meet(std::uint32_t a, std::uint32_t b);

  const Module* m_ = nullptr;
  const ModuleIndex* index_ = nullptr;
  const Decoded* code_ = nullptr;
  const TryLayout* tries_ = nullptr;
  StackFacts* out_ = nullptr;

  std::vector<std::uint32_t> height_;  // per instruction; kNone until reached
  std::vector<std::uint32_t> state_;   // per instruction: known functions (a Node index)
  std::vector<std::uint8_t> queued_;
  std::vector<std::uint32_t> work_;
  std::vector<Node> nodes_;
  std::vector<Known> kept_;
};

}  // namespace runa::module
