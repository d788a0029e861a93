// Natives: the runtime's services as functions a program calls (docs/
// natives.md; ARCHITECTURE.md rule 5). A module reaches one through an
// External reference of library 0 (`PUSH_CONST extern "print"`, then CALL);
// the bridge binds the name to a Native here when it links the module.
//
// The calling convention (C++, inside the runtime; the C ABI wraps it):
//   - A native receives its arguments in handle slots, exactly `arity` of
//     them (call() checks the count first: the wrong count is a TypeError,
//     as for any CALL, docs/bytecode.md §2.5.6), so it may allocate.
//   - It returns kReturn with `result` set (nothing when it has no result),
//     kThrow with `thrown` set to the exception, or kOutOfMemory when the
//     heap could not give even the exception (the tier then raises its own
//     preallocated OutOfMemory).
//   - Every native checks its arguments' kinds and raises the documented
//     error (TypeError naming the native, the argument and what it got).
//
// Invariants: a Natives table is filled before any module is linked and
// only read afterwards, so threads look names up without a lock.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runatime/heap.hpp"
#include "types/type_system.hpp"

namespace runa::rt {
struct Thread;
}

namespace runa::bridge {

using heap::Value;

enum class NativeStatus : std::uint8_t { kReturn, kThrow, kOutOfMemory };

// One call: what the native sees and where it answers.
struct NativeCall {
  heap::Mutator& m;
  const types::TypeSystem& types;
  std::span<Value* const> args;           // handle slots
  std::FILE* out;                         // the program's standard output
  std::FILE* in = stdin;                  // its standard input
  Value* arguments = nullptr;             // a root slot: the List of the program's arguments
  rt::Thread* thread = nullptr;           // the calling thread (natives from the C ABI need it)
  const struct Native* native = nullptr;  // the native called (set by Natives::call)
  Value result = types::kNothing;
  Value thrown = types::kNothing;
};

using NativeFn = NativeStatus (*)(NativeCall& call);

// A native's fast path (optional): its common case, which needs none of
// NativeCall's context and neither throws nor fails. A tier's CALL tries it
// first, with the `arity` argument slots in a row from `args` (root slots,
// as NativeCall's are): true when it has done the whole call, the result
// in *out; false when the case is not its own, having changed nothing a
// program can see, and then the native runs as usual (and raises what it
// raises). So a fast path is never the only place a behaviour is decided:
// the native alone is complete. It may collect only where the native would.
// (What it saves: the NativeCall and its span of slot addresses, the count
// check, two calls; a map_contains took about 160 instructions around its
// lookup, docs/engine.md.)
using NativeFastFn = bool (*)(heap::Mutator& m, const types::TypeSystem& types, Value* args,
                              Value* out);

struct Native {
  std::string name;
  std::uint32_t arity = 0;
  NativeFn fn = nullptr;
  const void* context = nullptr;  // what the registrant gave (a table entry, a C callback)
  NativeFastFn fast = nullptr;    // its fast path, if it has one
};

class Natives {
 public:
  // Adds a native; false when the name is taken (the first one stays).
  bool add(std::string_view name, std::uint32_t arity, NativeFn fn, const void* context = nullptr);
  // Adds a native with its fast path (NativeFastFn above).
  bool add(std::string_view name, std::uint32_t arity, NativeFn fn, NativeFastFn fast);
  [[nodiscard]] const Native* find(std::string_view name) const;
  [[nodiscard]] std::size_t size() const { return by_name_.size(); }
  [[nodiscard]] const std::unordered_map<std::string, Native>& all() const { return by_name_; }

  // Calls `native` with call.args, after checking their count. MAY COLLECT.
  static NativeStatus call(const Native& native, NativeCall& call);

 private:
  std::unordered_map<std::string, Native> by_name_;
};

// Raising from a native: a new exception of the runtime type `type` (an
// Exceptions name) with `message`. kThrow, or kOutOfMemory when the heap
// cannot hold it. MAY COLLECT.
NativeStatus raise(NativeCall& call, std::string_view type, std::string_view message);
// A TypeError for argument `index` (0-based) of `native`, which wanted
// `wanted` and got the value at that index: "text_length: argument 1 must
// be a String, not Integer 7". MAY COLLECT.
NativeStatus wrong_argument(NativeCall& call, std::string_view native, std::size_t index,
                            std::string_view wanted);

// Every native of docs/natives.md: printing, text, math, lists,
// dictionaries, time, the program's arguments and exit, standard input,
// reflection, the collector.
void add_core_natives(Natives& natives);

}  // namespace runa::bridge
