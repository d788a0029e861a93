// Exceptions: the runtime's exception types and objects (docs/bytecode.md
// §2.5.2; docs/types.md, "Exceptions").
//
// The runtime's errors are struct types of library 0 (runtime_module.hpp),
// so that a module's External type of the same name is the same descriptor
// (TypeRegistry::load_runtime) and CATCH_BEGIN tests them as any struct,
// subtypes included:
//
//   Exception                 fields: message (String), cause (Any), trace (Any)
//     ArithmeticError
//       OverflowError, DivisionByZero
//     TypeError, IndexError, KeyError, ValueError, StackOverflow,
//     OutOfMemory, NotAvailable, ImportError, PermissionError, IOError
//
// An exception object is an instance of one of them: `message` a String,
// `cause` the exception being handled when it was raised (or nothing),
// `trace` a List of frames, innermost first, each a Tuple (function name,
// source file, line) — Strings and an Integer, line 0 when unknown. The
// tier fills the trace when the exception is first thrown (THROW of an
// object whose trace is nothing); UNWIND keeps it.
//
// Any value can be thrown (§2.5.2). For a value that is not an Exception
// the tier keeps the trace beside the value in its unwinding state, not in
// the value, and prints it if the value is never caught.
#pragma once

#include <cstdint>
#include <string_view>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "types/list.hpp"
#include "types/strings.hpp"
#include "types/tuple.hpp"
#include "types/type_registry.hpp"

namespace runa::types {

class Exceptions {
 public:
  // `runtime` is the registry's runtime module (load_runtime_module).
  // Never collects.
  Exceptions(const ModuleTypes* runtime, heap::Heap& heap, const Strings& strings,
             const Lists& lists, const Tuples& tuples);

  // The runtime's exception type of that name, or nullptr.
  [[nodiscard]] const TypeDesc* type(std::string_view name) const;
  [[nodiscard]] const TypeDesc* root() const { return root_; }
  // An instance of a runtime exception type or of a program's subtype of
  // one. Never collects.
  [[nodiscard]] bool is_exception(Value v) const;

  // A new exception of `type` (a runtime exception type, or a struct whose
  // fields start with Exception's), its message the String in `message`,
  // its cause the value in `cause`, no trace yet; nothing when exhausted.
  // MAY COLLECT.
  static Value make(heap::Mutator& m, const TypeDesc* type, const heap::Handle& message,
                    const heap::Handle& cause);
  // The same with a message made from UTF-8 text. MAY COLLECT.
  Value make(heap::Mutator& m, const TypeDesc* type, std::string_view message) const;

  // Fields of an exception (is_exception). Never collect.
  [[nodiscard]] static Value message(Value e);
  [[nodiscard]] static Value cause(Value e);
  [[nodiscard]] static Value trace(Value e);
  static void set_trace(heap::Mutator& m, Value e, Value trace_list);

  // Appends the frame (function, file, line) to the List in `trace`; false
  // when exhausted. MAY COLLECT.
  bool add_frame(heap::Mutator& m, const heap::Handle& trace, std::string_view function,
                 std::string_view file, std::int64_t line) const;

 private:
  const ModuleTypes* types_;
  const TypeDesc* root_;
  heap::Heap* heap_;
  const Strings* strings_;
  const Lists* lists_;
  const Tuples* tuples_;
};

}  // namespace runa::types
