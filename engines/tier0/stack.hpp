// A thread's tier-0 stack: one contiguous array of values for every frame's
// slots and operand stack, an array of frame records, and the handler
// records of open try statements. Bytecode calls bytecode on it without C
// recursion: a call pushes a frame record and moves on.
//
// Frame layout in the value array (the callee's arguments are where the
// caller pushed them, so a call copies nothing):
//
//   base[-1]               the callee value (Function or Closure: upvalues)
//   base[0 .. slots)       parameters, then locals (`nothing` at entry)
//   base[slots .. sp)      the operand stack
//
// Invariants:
//   - Values below `sp` (the saved top) are the thread's tier-0 roots; the
//     interpreter stores its register copy of sp here, and its pc into the
//     top frame, before anything that may collect, throw or walk frames
//     (SYNC in interp.cpp). Slots above sp are dead.
//   - Handler records of frame i are the records from frames[i].handlers
//     up to frames[i + 1].handlers (or the end); a record's `value` and
//     `trace` are roots too.
//   - The arrays are reserved per thread (mmap, committed as touched, from
//     the engine's StackMemory, which keeps a few for the next threads) and
//     never move while the thread runs, so pointers into them stay valid;
//     running past their end is a catchable StackOverflow, never a crash.
#pragma once

#include <cstdint>
#include <vector>

#include "code.hpp"
#include "stack_memory.hpp"

namespace runa::tier0 {

struct Frame {
  const Code* code = nullptr;
  const Ins* pc = nullptr;  // the executing instruction (a caller's: its call)
  Value* base = nullptr;
  std::uint32_t handlers = 0;  // handler records below this frame's
  bool boundary = false;       // returns to C++ (the first frame of a Run)
};

struct Handler {
  enum State : std::uint8_t { kBody, kCatch, kFinally };
  enum Completion : std::uint8_t { kNormal, kThrow, kReturn };
  const TryTargets* targets = nullptr;
  Value* sp = nullptr;  // the operand-stack height at TRY_BEGIN
  State state = kBody;
  Completion completion = kNormal;
  Value value = 0;  // kCatch: the exception; kFinally: the pending exception or result
  Value trace = 0;  // the exception's trace when it is not an Exception object
};

// One entry of C++ into tier 0 on this thread: its frames are
// frames[first .. newer->first) (or to the top for the innermost run).
struct Run {
  std::uint32_t first = 0;
  Run* newer = nullptr;
  Run* older = nullptr;
  // A resume of a generator or coroutine (Engine::resume): the root slot
  // holding it, where YIELD and a waiting AWAIT save the frame, and whether
  // the run ended by doing so.
  Value* suspension = nullptr;
  bool suspended = false;
};

// Public data: the loop reads and writes the stack's fields directly.
struct Stack {
  // Sizes: values and frames reserved for one thread.
  static constexpr std::size_t kValues = std::size_t{1} << 24;  // 128 MiB reserved
  static constexpr std::size_t kFrames = std::size_t{1} << 20;  // 1 Mi frames

  // The arrays come from `from` and go back to it.
  Stack(rt::Thread& t, StackMemory& from);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  Stack(Stack&&) = delete;
  Stack& operator=(Stack&&) = delete;

  Value* values = nullptr;
  Value* limit = nullptr;
  Value* sp = nullptr;
  Frame* frames = nullptr;
  std::uint32_t depth = 0;  // frames in use
  std::vector<Handler> handlers;
  Run* innermost = nullptr;
  // The lowest C stack address an entry into tier 0 may start from: the
  // thread's C stack bottom plus a margin for the frames one entry needs
  // (the loop, natives, a collection's own recursion).
  const char* c_limit = nullptr;

  static void enumerate(void* self, heap::RootVisitor& v);
  rt::Thread& thread;
  StackMemory& memory;
  std::uint64_t enumerator = 0;  // the heap's id of its frame enumerator

 private:
  Stack(rt::Thread& t, StackMemory& from, StackMemory::Set arrays);
};

}  // namespace runa::tier0
