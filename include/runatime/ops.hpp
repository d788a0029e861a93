// runatime/ops.hpp — what an execution tier calls for every operation it
// does not do inline: the slow paths of arithmetic and comparison, items,
// text, types, iteration, closures, calls by name, modules and exceptions
// (docs/bytecode.md §2.5 gives each one's semantics; docs/bridge.md,
// "Operations", lists them). HotSpot's interpreter calls InterpreterRuntime
// the same way: the tier keeps the common case, the runtime the rest.
//
// The calling convention, for every function below unless it says otherwise:
//   - Operands are passed as pointers to root slots (a tier's frame slots,
//     which its frame enumerator reports, or handles), never as bare
//     values, because the operation may collect: the collector updates the
//     slots, and the operation reads them again after each allocation.
//   - The result goes to *out, also a root slot; it may be one of the
//     operand slots.
//   - It returns true on success. It returns false when it threw: the
//     exception is in t.exception, with its trace recorded (the tier then
//     unwinds to a handler or returns false itself).
//
// The layouts of Function, Closure and Cell objects below are part of this
// contract (tests/bridge/ops_test.cpp checks them against the types part),
// so a tier reads a callee, an upvalue or a cell inline.
#pragma once

#include <cstdint>
#include <string_view>

#include "runatime/bytecode.hpp"
#include "runatime/heap.hpp"
#include "runatime/runtime.hpp"
#include "runatime/values.hpp"

namespace runa::rt::ops {

// ---- the shapes a tier reads inline -----------------------------------------------

struct Shapes {
  std::uint32_t function = 0;  // heap type of Function objects
  std::uint32_t closure = 0;
  std::uint32_t cell = 0;
  std::uint32_t list = 0;
  std::uint32_t iterator = 0;               // ITER_CREATE's iterators over built-in values
  const types::Context* numbers = nullptr;  // boxed Integers and Floats
};
const Shapes& shapes(Runtime& r);

inline bool has_type(Value v, std::uint32_t type) {
  return heap::is_ref(v) && heap::hdr::type_of(heap::as_object(v)->load_header()) == type;
}
// A Function object: slot 0 is its FunctionInfo, slot 1 its arity (with
// the VARARGS bit 1 << 32), slot 2 its upvalue count.
inline const FunctionInfo* function_info(Value function) {
  // The word is the bridge's FunctionInfo* stored as a raw slot.
  return reinterpret_cast<const FunctionInfo*>(  // NOLINT(performance-no-int-to-ptr)
      heap::as_object(function)->slots()[0]);
}
// A Closure: a ref-tailed object; tail slot 0 is its Function, tail slot
// 1 + i its upvalue i (a Cell for CLOSURE's captures, a value for LAMBDA's).
inline Value closure_function(Value closure) {
  return heap::tail_fields(heap::as_object(closure))[0];
}
inline Value* upvalue_slot(Value closure, std::uint32_t i) {
  return heap::tail_fields(heap::as_object(closure)) + 1 + i;
}
// A Cell: slot 0 is the variable.
inline Value* cell_slot(Value cell) {
  return heap::as_object(cell)->slots();
}

// A List: slot 0 its storage (a reference array whose elements are the
// items, its length word the capacity), slot 1 its length, slot 2 its
// version (which an element store leaves alone). The fast paths of GET_ITEM
// and SET_ITEM; false when they do not apply (not a List, not a small
// Integer index, out of range): the tier then calls get_item / set_item.
inline bool list_get(const Shapes& s, Value list, Value index, Value* out) {
  if (!has_type(list, s.list) || !types::is_small_int(index)) return false;
  heap::Object* o = heap::as_object(list);
  const auto i = static_cast<std::uint64_t>(types::small_int_value(index));
  if (i >= o->slots()[1]) return false;  // a negative index is huge here
  *out = heap::array_slots(heap::as_object(o->slots()[0]))[i];
  return true;
}
inline bool list_set(heap::Mutator& m, const Shapes& s, Value list, Value index, Value v) {
  if (!has_type(list, s.list) || !types::is_small_int(index)) return false;
  heap::Object* o = heap::as_object(list);
  const auto i = static_cast<std::uint64_t>(types::small_int_value(index));
  if (i >= o->slots()[1]) return false;
  heap::Object* storage = heap::as_object(o->slots()[0]);
  heap::write(m, storage, heap::array_slots(storage) + i, v);
  return true;
}

// A built-in iterator (ITER_CREATE's): slot 0 its source, slot 1 its
// kind (kListIterator over a List), slot 2 the position (the next item's
// index), slot 3 the List's version when it was made. The fast path of
// ITER_NEXT over a List: true with the next item in *out and the position
// advanced; false when it does not apply (another iterator, the List
// changed, the end): the tier then calls iter_next, which decides.
inline constexpr std::uint64_t kListIterator = 0;
inline bool list_next(const Shapes& s, Value it, Value* out) {
  if (!has_type(it, s.iterator)) return false;
  Value* w = heap::as_object(it)->slots();
  if (w[1] != kListIterator) return false;
  heap::Object* list = heap::as_object(w[0]);
  const std::uint64_t i = w[2];
  if (list->slots()[2] != w[3] || i >= list->slots()[1]) return false;
  *out = heap::array_slots(heap::as_object(list->slots()[0]))[i];
  w[2] = i + 1;
  return true;
}

// ---- raising ---------------------------------------------------------------------------

// Throws a new runtime exception of `type` (an Exceptions name such as
// "TypeError") with `message`. Always returns false.
bool raise(Thread& t, std::string_view type, std::string_view message);
// THROW: throws the value in *v, recording its trace if it has none.
bool throw_value(Thread& t, Value* v);
// UNWIND: throws *v again, keeping its trace (`trace` is the one recorded
// with it, for values that are not Exception objects).
bool rethrow(Thread& t, Value* v, Value* trace);
// A preallocated OutOfMemory (the heap could not hold a new one).
bool out_of_memory(Thread& t);
// Whether the exception in *e is caught by CATCH_BEGIN of `type`.
bool catches(Thread& t, Value e, const void* type);

// ---- arithmetic and comparison (beyond values.hpp's inline cases) -----------------

// ADD ... OR, NEG and NOT on anything: String ADD, boxed numbers, faults.
bool binary(Thread& t, bytecode::Op op, Value* a, Value* b, Value* out);
bool unary(Thread& t, bytecode::Op op, Value* a, Value* out);
// EQ: any two values (numbers by value, Strings by content). Never collects.
bool equal(Thread& t, Value a, Value b);
// LT, LE, GT, GE on anything: Strings, mixed numbers, TypeError.
bool order(Thread& t, bytecode::Op op, Value* a, Value* b, Value* out);
// JUMP_IF_TRUE / JUMP_IF_FALSE on a value that is not a Boolean.
bool not_boolean(Thread& t, bytecode::Op op, Value v);
bool int_to_double(Thread& t, Value* v, Value* out);
bool double_to_int(Thread& t, Value* v, Value* out);
bool text_concat(Thread& t, Value* items, std::uint32_t n, Value* out);

// ---- constants, structs, globals ----------------------------------------------------------

// PUSH_CONST of a List or Map constant: a new object each time.
bool new_constant(Thread& t, const ModuleInfo& m, std::uint32_t index, Value* out);
// NEW's shape, resolved once: the heap type and size of instances of the
// module's struct type `type_id`.
struct StructShape {
  std::uint32_t layout = 0;
  std::uint32_t bytes = 0;
};
StructShape struct_shape(const ModuleInfo& m, std::uint32_t type_id);
// The same for a struct type's descriptor (runatime/types.hpp, Type::descriptor).
StructShape struct_shape(const void* type);
bool new_struct(Thread& t, StructShape shape, Value* out);
// The number of fields of the struct instance in v, -1 when v is none.
std::int64_t struct_fields(Runtime& r, Value v);
// LOAD_FIELD / STORE_FIELD on a value that is not a struct with that field.
bool bad_field(Thread& t, Value v, std::uint32_t field, bool store);
// STORE_FIELD's check on a cache miss: whether code of `in` may store field
// `field` of v — v is a struct with that field, and a READONLY field is
// stored only by a CONSTRUCTOR whose receiver type is the field's declaring
// struct or a subtype (docs/types.md). False after raising TypeError. A
// tier may cache a yes per (site, struct type): the answer depends on
// nothing else. Never collects unless it raises.
bool field_storable(Thread& t, Value v, std::uint32_t field, const FunctionInfo& in);

// ---- Lists, Dictionaries, items -------------------------------------------------------------

bool new_list(Thread& t, Value* items, std::uint32_t n, Value* out);
bool new_map(Thread& t, Value* pairs, std::uint32_t n, Value* out);
bool get_item(Thread& t, Value* c, Value* k, Value* out);
bool set_item(Thread& t, Value* c, Value* k, Value* v);
bool spread(Thread& t, Value* acc, Value* from);
// UNPACK: *s's n items into out[0..n) (out may start at s).
bool unpack(Thread& t, Value* s, std::uint32_t n, Value* out);

// ---- types --------------------------------------------------------------------------------

// A module's type id, resolved once (what instance_of and cast take).
const void* type(const ModuleInfo& m, std::uint32_t type_id);
bool instance_of(Runtime& r, Value v, const void* type);  // never collects
bool cast(Thread& t, Value* v, const void* type, Value* out);
bool type_of(Thread& t, Value* v, Value* out);

// ---- iteration ----------------------------------------------------------------------------

// ITER_CREATE of anything but a struct instance (the tier calls its
// iterator() method itself).
bool iter_create(Thread& t, Value* v, Value* out);
enum class Step : std::uint8_t { kValue, kEnd, kThrow, kNotBuiltIn };
// ITER_NEXT of a built-in iterator or a generator; kNotBuiltIn when *it is
// another value (a struct iterator: the tier calls has_next() and next()).
// Never collects, except stepping a generator, which runs its code (MAY
// COLLECT): the tier syncs its frame first, as for a call.
Step iter_next(Thread& t, Value* it, Value* out);
bool is_struct(Runtime& r, Value v);

// ---- closures -----------------------------------------------------------------------------

bool make_cell(Thread& t, Value* v, Value* out);
// CLOSURE (cells) or LAMBDA (values): *function with captures[0..n).
bool make_closure(Thread& t, Value* function, Value* captures, std::uint32_t n, Value* out);
// STORE_UPVALUE and a cell store: with the write barrier. Never collect.
void set_upvalue(Thread& t, Value closure, std::uint32_t i, Value v);
void set_cell(Thread& t, Value cell, Value v);

// ---- calls -----------------------------------------------------------------------------

// What CALL needs to know of a callee value: its function (nullptr when the
// value is not callable with n arguments: the TypeError is raised).
const FunctionInfo* callee(Thread& t, Value v, std::uint32_t n);
// The method `name` (a Text constant of m) of the receiver *recv, callable
// with n arguments besides the receiver; nullptr after raising TypeError.
// The receiver's type is recorded in `site` (a call site's profile; may be
// null): tiers call this on their inline caches' misses.
const FunctionInfo* method(Thread& t, Value* recv, const ModuleInfo& m, std::uint32_t name,
                           std::uint32_t n, ReceiverProfile* site = nullptr);
// The method `name` of recv callable with n arguments besides the
// receiver, as a call by name finds it (reflection's invoke); nullptr after
// raising TypeError ("<who>: <recv> has no method <name>"). Never collects
// unless it raises.
const FunctionInfo* method_by_name(Thread& t, Value recv, std::string_view name, std::uint32_t n,
                                   std::string_view who);
// A method found by name, for iterator protocols: nullptr when absent
// (nothing raised). Never collects.
const FunctionInfo* find_method(Thread& t, Value recv, std::string_view name);
// Calls a native function with args[0..n).
bool call_native(Thread& t, const FunctionInfo& f, Value* args, std::uint32_t n, Value* out);
// A VARARGS call: the arguments from f.params - 1 on, gathered into a List
// left in args[f.params - 1]. `n` is the number passed.
bool gather(Thread& t, const FunctionInfo& f, Value* args, std::uint32_t n);
// A frame of `f` was pushed beyond the thread's stack: StackOverflow.
bool stack_overflow(Thread& t, const FunctionInfo& f);

// ---- generators and async functions (docs/bridge.md, "Suspended frames") ----------

// A CALL of a GENERATOR or ASYNC function does not run its body: it makes a
// suspension (a Generator or a Coroutine object) holding the callee and the
// arguments, and the bridge continues it later through the tier that
// serves the function, which gets TierCallbacks::resume. Its saved frame is
// tier-neutral, so any tier continues what another suspended:
//   - slots, then operand-stack values, then kHandlerValues per open try
//     statement, outermost first (put_handler / get_handler);
//   - the bytecode offset to continue at: after a YIELD, the instruction
//     that follows it (the tier pushes the value sent in); at an AWAIT
//     still waiting, the AWAIT itself, its awaitable on the operand stack
//     (the tier awaits it again).

// Makes the suspension of a CALL of f (GENERATOR or ASYNC). MAY COLLECT.
bool suspended_call(Thread& t, const FunctionInfo& f, Value* callee, Value* args, std::uint32_t n,
                    Value* out);

enum class Resumed : std::uint8_t {
  kSuspended,  // stopped at a YIELD (*out: the value yielded) or at a waiting AWAIT
  kReturned,   // *out: the result (a generator's ends its iteration)
  kThrew,      // t.exception holds it
};
// Continues the generator or coroutine in *s on thread t, *sent being the
// result of the YIELD it stopped at. A finished generator stays finished
// (kReturned, nothing); a running one, or a finished coroutine, raises
// ValueError. MAY COLLECT.
Resumed resume(Thread& t, Value* s, Value* sent, Value* out);

// What a tier's resume reads: where the frame continues and what it holds.
struct FrameShape {
  std::uint32_t slots = 0;  // a created suspension: the number of arguments
  std::uint32_t stack = 0;
  std::uint32_t handlers = 0;
};
inline constexpr std::uint32_t kHandlerValues = 4;
struct SavedFrame {
  bool created = false;      // the body has not run: values are the arguments
  Value callee = 0;          // the Function or Closure called
  std::uint32_t offset = 0;  // bytecode offset to continue at
  FrameShape shape;
  const Value* values = nullptr;  // valid until the next call that may collect
};
SavedFrame saved_frame(Thread& t, Value s);
// Saves the running frame of the suspension in *s: values[0 ..) (root
// slots) as described above. false after raising OutOfMemory. MAY COLLECT.
bool suspend(Thread& t, Value* s, std::uint32_t offset, FrameShape shape, Value* values);

// An open try statement in a saved frame.
struct SavedHandler {
  std::uint32_t try_offset = 0;  // its TRY_BEGIN's bytecode offset
  std::uint8_t state = 0;        // 0 in the body, 1 in a catch clause, 2 in the finally block
  std::uint8_t completion = 0;   // in the finally block: 0 normal, 1 throwing, 2 returning
  std::uint32_t height = 0;      // values above the frame's slot 0 at TRY_BEGIN
  Value value = 0;               // the exception caught, or the pending exception or result
  Value trace = 0;               // that exception's trace when it is not an Exception
};
inline void put_handler(Value* at, const SavedHandler& h) {
  at[0] = types::make_small_int(h.try_offset);
  at[1] = types::make_small_int(h.state | (h.completion << 4) |
                                (static_cast<std::int64_t>(h.height) << 8));
  at[2] = h.value;
  at[3] = h.trace;
}
inline SavedHandler get_handler(const Value* at) {
  const std::int64_t w = types::small_int_value(at[1]);
  return {static_cast<std::uint32_t>(types::small_int_value(at[0])),
          static_cast<std::uint8_t>(w & 0xF),
          static_cast<std::uint8_t>((w >> 4) & 0xF),
          static_cast<std::uint32_t>(w >> 8),
          at[2],
          at[3]};
}

// AWAIT of *a: a Coroutine (continued here: ready when it returns, waiting
// when it waits), a Task or a Timer of the task natives (docs/bytecode.md
// §2.5.8). kReady with the result in *out (out may be a); kWaiting when the
// current task was registered to be woken (the tier then suspends its
// frame at the AWAIT, the awaitable kept on its operand stack, and runs
// the AWAIT again when resumed). MAY COLLECT.
enum class Awaited : std::uint8_t { kReady, kWaiting, kThrew };
Awaited await(Thread& t, Value* a, Value* out);
// Runs the Coroutine in *coroutine as a task on this thread's scheduler
// until it finishes (the program's other tasks meanwhile): an ASYNC main,
// the native task_run. MAY COLLECT.
bool run_coroutine(Thread& t, Value* coroutine, Value* out);

// ---- modules --------------------------------------------------------------------------

bool load_module(Thread& t, const ModuleInfo& from, std::uint32_t name, Value* out);
// IMPORT: the symbols named by constants names[0..n) of `from`.
bool import(Thread& t, Value* module, const ModuleInfo& from, const std::uint16_t* names,
            std::uint32_t n, Value* out);
// A feature a later issue brings (YIELD, AWAIT, INVOKE_FFI): NotAvailable.
bool not_available(Thread& t, std::string_view what);

}  // namespace runa::rt::ops
