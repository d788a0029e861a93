// Functions, closures and cells: the callable values of Runa and the
// captured variables they share (docs/bytecode.md §2.5.3; docs/types.md,
// "Functions, closures and cells").
//
//   function  plain object (layout "Function"), no references: the raw
//             words `code`, `arity` and `upvalues`. `code` is the
//             execution bridge's word for the function (its entry); the
//             types part never reads it, and it is never a heap reference.
//             `arity` counts the parameters (a VARARGS function's last one
//             included) and carries the VARARGS bit above them; `upvalues`
//             is the number it reads (0: it may be called bare).
//   closure   ref-tailed object (layout "Closure"): the reference
//             `function`, then a tail of `upvalues` values — cells for
//             CLOSURE's captures, which share a variable with their maker,
//             plain values for LAMBDA's, which are copies.
//   cell      plain object (layout "Cell"): one reference slot, the value.
//
// Invariants:
//   - A Function object is made once per function (the bridge keeps it), so
//     PUSH_CONST of a function allocates nothing; two Function values are
//     the same function exactly when they are the same object.
//   - A closure's function and tail length never change; its tail slots
//     change only through set_upvalue (STORE_UPVALUE: a LAMBDA's own copy)
//     and the cells they hold through set_cell. Every store takes the
//     write barrier.
//   - All three are precise for the collector (their references are
//     reference slots) and move like any object.
#pragma once

#include <cstdint>
#include <span>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "runatime/values.hpp"

namespace runa::types {

class Closures {
 public:
  // Registers the layouts with `heap`. Never collects.
  static Result<Closures> create(heap::Heap& heap);

  [[nodiscard]] bool is_function(Value v) const { return has_type(v, function_type_); }
  [[nodiscard]] bool is_closure(Value v) const { return has_type(v, closure_type_); }
  [[nodiscard]] bool is_cell(Value v) const { return has_type(v, cell_type_); }
  // The heap types of the three (the bridge publishes them to tiers, which
  // read these objects inline: runatime/ops.hpp).
  [[nodiscard]] std::uint32_t function_type() const { return function_type_; }
  [[nodiscard]] std::uint32_t closure_type() const { return closure_type_; }
  [[nodiscard]] std::uint32_t cell_type() const { return cell_type_; }

  // A value CALL accepts: a function or a closure.
  [[nodiscard]] bool is_callable(Value v) const { return is_function(v) || is_closure(v); }

  // A Function object; nothing when the heap is exhausted. MAY COLLECT.
  Value make_function(heap::Mutator& m, std::uint64_t code, std::uint32_t arity, bool varargs,
                      std::uint32_t upvalues) const;
  [[nodiscard]] static std::uint64_t code(Value function);
  [[nodiscard]] static std::uint32_t arity(Value function);
  [[nodiscard]] static bool varargs(Value function);
  [[nodiscard]] static std::uint32_t upvalue_count(Value function);

  // A closure of the function in `function` over the values in the handle
  // slots `captures` (cells for CLOSURE, values for LAMBDA), which must be
  // as many as the function's upvalues; nothing when the heap is exhausted.
  // MAY COLLECT.
  Value make_closure(heap::Mutator& m, const heap::Handle& function,
                     std::span<Value* const> captures) const;
  [[nodiscard]] static Value function_of(Value closure);
  // LOAD_UPVALUE / STORE_UPVALUE on the tail slot itself (i < the count).
  // Never collects.
  [[nodiscard]] static Value upvalue(Value closure, std::uint32_t i);
  static void set_upvalue(heap::Mutator& m, Value closure, std::uint32_t i, Value v);

  // A cell holding the value in `value`; nothing when exhausted. MAY COLLECT.
  Value make_cell(heap::Mutator& m, const heap::Handle& value) const;
  [[nodiscard]] static Value cell_value(Value cell);
  static void set_cell(heap::Mutator& m, Value cell, Value v);  // never collects

  // Whether CALL may pass `n` arguments to the callable v (§2.5.6): its
  // parameter count, or for VARARGS at least all but the gathering one.
  [[nodiscard]] bool accepts(Value v, std::uint64_t n) const {
    const Value f = is_closure(v) ? function_of(v) : v;
    return n == arity(f) || (varargs(f) && n + 1 >= arity(f));
  }

 private:
  Closures(std::uint32_t function, std::uint32_t closure, std::uint32_t cell)
      : function_type_(function), closure_type_(closure), cell_type_(cell) {}
  static bool has_type(Value v, std::uint32_t type) {
    return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type;
  }

  std::uint32_t function_type_;
  std::uint32_t closure_type_;
  std::uint32_t cell_type_;
};

}  // namespace runa::types
