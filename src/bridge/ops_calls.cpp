// Operations on calls: callees (functions, closures, natives), method
// lookup by name (docs/bytecode.md §2.5.6: the receiver's struct and its
// supertypes, the calling module's own methods on other types, then the
// methods of built-in types), natives, VARARGS, closures and cells
// (§2.5.3), modules (LOAD_MODULE, IMPORT).
#include <string>

#include "bridge/builtin_methods.hpp"
#include "bridge/runtime_impl.hpp"

namespace runa::rt::ops {

// Operands are root slots (Value*) throughout, also where an operation only
// reads one: the collector writes every one of them (runatime/ops.hpp).
// NOLINTBEGIN(readability-non-const-parameter)

namespace {

const types::TypeSystem& types_of(Thread& t) {
  return impl_of(t).types();
}

std::string arguments(std::uint32_t n) {
  return std::to_string(n) + (n == 1 ? " argument" : " arguments");
}

}  // namespace

const Shapes& shapes(Runtime& r) {
  return r.impl().shapes();
}

// ---- closures -----------------------------------------------------------------------------

bool make_cell(Thread& t, Value* v, Value* out) {
  const Value c = types_of(t).closures().make_cell(*t.m, heap::Handle(v));
  if (c == types::kNothing) return out_of_memory(t);
  *out = c;
  return true;
}

bool make_closure(Thread& t, Value* function, Value* captures, std::uint32_t n, Value* out) {
  std::vector<Value*> slots(n);
  for (std::uint32_t i = 0; i < n; ++i) slots[i] = captures + i;
  const Value c = types_of(t).closures().make_closure(*t.m, heap::Handle(function), slots);
  if (c == types::kNothing) return out_of_memory(t);
  *out = c;
  return true;
}

void set_upvalue(Thread& t, Value closure, std::uint32_t i, Value v) {
  types::Closures::set_upvalue(*t.m, closure, i, v);
}

void set_cell(Thread& t, Value cell, Value v) {
  types::Closures::set_cell(*t.m, cell, v);
}

// ---- calls --------------------------------------------------------------------------------

const FunctionInfo* callee(Thread& t, Value v, std::uint32_t n) {
  const Shapes& s = impl_of(t).shapes();
  const bool closure = has_type(v, s.closure);
  if (!closure && !has_type(v, s.function)) {
    raise(t, "TypeError", "CALL: " + types_of(t).describe(v) + " is not callable");
    return nullptr;
  }
  const FunctionInfo* f = function_info(closure ? closure_function(v) : v);
  if (n != f->params && !(f->varargs && n + 1 >= f->params)) {
    raise(t, "TypeError",
          std::string(f->name()) + " takes " +
              (f->varargs ? "at least " + arguments(f->params - 1) : arguments(f->params)) +
              ", got " + std::to_string(n));
    return nullptr;
  }
  if (!closure && f->upvalues > 0) {
    raise(t, "TypeError",
          "function " + std::string(f->name()) + " reads upvalues: call a closure of it");
    return nullptr;
  }
  return f;
}

const FunctionInfo* find_method(Thread& t, Value recv, std::string_view name) {
  RuntimeImpl& r = impl_of(t);
  types::TypeSystem& ts = r.types();
  const std::uint32_t selector = ts.registry().symbols().find(name);
  if (selector != 0) {
    if (const types::TypeDesc* d = ts.type_of(recv);
        d != nullptr && d->kind == types::Kind::kStruct) {
      if (const types::MethodDesc* md = ts.methods().lookup(d, selector); md != nullptr) {
        return r.method_function(md);
      }
    }
  }
  if (const bridge::Native* n = r.builtins().find(ts, recv, name); n != nullptr) {
    return r.native_function(n);
  }
  return nullptr;
}

namespace {

// f (the method `name` found on recv, or nullptr) when it takes n
// arguments besides the receiver; else nullptr after raising TypeError.
const FunctionInfo* callable_method(Thread& t, Value recv, std::string_view name,
                                    const FunctionInfo* f, std::uint32_t n, std::string_view who) {
  if (f == nullptr) {
    raise(t, "TypeError",
          std::string(who) + ": " + types_of(t).describe(recv) + " has no method " +
              std::string(name));
    return nullptr;
  }
  const std::uint32_t passed = n + 1;
  if (passed != f->params && !(f->varargs && passed + 1 >= f->params)) {
    raise(t, "TypeError",
          "method " + std::string(name) + " takes " + arguments(f->params - 1) +
              " besides its receiver, got " + std::to_string(n));
    return nullptr;
  }
  return f;
}

void record_receiver(ReceiverProfile& site, const void* type) {
  for (auto& slot : site.types) {
    const void* seen = slot.load(std::memory_order_acquire);
    if (seen == nullptr && slot.compare_exchange_strong(seen, type, std::memory_order_acq_rel)) {
      site.state.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (seen == type) return;  // recorded (by this thread or a racing one)
  }
  site.state.store(ReceiverProfile::kMegamorphic, std::memory_order_relaxed);
}

}  // namespace

const FunctionInfo* method(Thread& t, Value* recv, const ModuleInfo& m, std::uint32_t name,
                           std::uint32_t n, ReceiverProfile* site) {
  RuntimeImpl& r = impl_of(t);
  types::TypeSystem& ts = r.types();
  const std::string& text = m.module->constants[name].text;
  const FunctionInfo* f = nullptr;
  const types::TypeDesc* d = ts.type_of(*recv);
  if (site != nullptr && d != nullptr) record_receiver(*site, d);
  if (d != nullptr && d->kind != types::Kind::kStruct) {
    // The calling module's own methods on a type it does not own.
    const auto* record = static_cast<const ModuleRecord*>(m.internal);
    const std::uint32_t selector = ts.registry().symbols().find(text);
    if (const types::MethodDesc* md = record->loaded->types->extension(d, selector);
        selector != 0 && md != nullptr) {
      f = r.method_function(md);
    }
  }
  return f != nullptr ? callable_method(t, *recv, text, f, n, "CALL_METHOD")
                      : method_by_name(t, *recv, text, n, "CALL_METHOD");
}

const FunctionInfo* method_by_name(Thread& t, Value recv, std::string_view name, std::uint32_t n,
                                   std::string_view who) {
  return callable_method(t, recv, name, find_method(t, recv, name), n, who);
}

namespace {

// Calls the native of `f` with the argument slots `slots` and delivers its
// result to *out or throws what it threw.
bool call_native_with(Thread& t, const FunctionInfo& f, std::span<Value* const> slots, Value* out) {
  RuntimeImpl& r = impl_of(t);
  const auto* native = static_cast<const bridge::Native*>(f.native);
  bridge::NativeCall call{*t.m, r.types(), slots, r.options().out};
  call.arguments = r.arguments_slot();
  call.thread = &t;
  switch (bridge::Natives::call(*native, call)) {
    case bridge::NativeStatus::kReturn:
      *out = call.result;
      return true;
    case bridge::NativeStatus::kThrow: {
      heap::HandleScope scope(*t.m);
      heap::Handle e(*t.m, call.thrown);
      return throw_value(t, e.slot());
    }
    case bridge::NativeStatus::kOutOfMemory:
      break;
  }
  return out_of_memory(t);
}

// More arguments than call_native keeps on the C stack.
[[gnu::noinline]] bool call_native_many(Thread& t, const FunctionInfo& f, Value* args,
                                        std::uint32_t n, Value* out) {
  std::vector<Value*> slots(n);
  for (std::uint32_t i = 0; i < n; ++i) slots[i] = args + i;
  return call_native_with(t, f, slots, out);
}

}  // namespace

bool call_native(Thread& t, const FunctionInfo& f, Value* args, std::uint32_t n, Value* out) {
  // Its fast path first, when it has one (natives.hpp, NativeFastFn): no
  // NativeCall, no slot addresses. The count is checked here, so a wrong
  // one reaches Natives::call's TypeError.
  if (const auto* native = static_cast<const bridge::Native*>(f.native);
      native->fast != nullptr && n == native->arity &&
      native->fast(*t.m, impl_of(t).types(), args, out)) {
    return true;
  }
  // The argument slots' addresses: on the C stack for the usual few (a
  // native call allocates nothing of its own), and no vector on this path
  // (its clean-up on unwinding cost every call).
  constexpr std::uint32_t kInline = 8;
  if (n > kInline) [[unlikely]]
    return call_native_many(t, f, args, n, out);
  Value* slots[kInline];
  for (std::uint32_t i = 0; i < n; ++i) slots[i] = args + i;
  return call_native_with(t, f, std::span<Value* const>(slots, n), out);
}

bool gather(Thread& t, const FunctionInfo& f, Value* args, std::uint32_t n) {
  const std::uint32_t first = f.params - 1;
  Value* rest = args + first;
  return new_list(t, rest, n - first, rest);
}

// ---- modules ------------------------------------------------------------------------------

bool load_module(Thread& t, const ModuleInfo& from, std::uint32_t name, Value* out) {
  RuntimeImpl& r = impl_of(t);
  const std::string& text = from.module->constants[name].text;
  auto loaded = r.load_named(t, text);
  if (!loaded) {
    if (t.exception != types::kNothing) return false;  // its initializer threw
    return raise(t, "ImportError", "LOAD_MODULE " + text + ": " + loaded.error().describe());
  }
  const Value v = r.types().module_values().get(*t.m, &(*loaded)->info);
  if (v == types::kNothing) return out_of_memory(t);
  *out = v;
  return true;
}

bool import(Thread& t, Value* module, const ModuleInfo& from, const std::uint16_t* names,
            std::uint32_t n, Value* out) {
  RuntimeImpl& r = impl_of(t);
  types::TypeSystem& ts = r.types();
  if (!ts.module_values().is_value(*module)) {
    return raise(t, "TypeError", "IMPORT needs a Module, not " + ts.describe(*module));
  }
  const auto* m = static_cast<const ModuleInfo*>(types::PointerValues::pointer(*module));
  const auto* record = static_cast<const ModuleRecord*>(m->internal);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::string& name = from.module->constants[names[i]].text;
    Value v = types::kNothing;
    bool found = false;
    for (std::size_t g = 0; g < m->global_names.size() && !found; ++g) {
      if (m->global_names[g] == name) {
        v = m->globals[g];
        found = true;
      }
    }
    if (!found) {
      if (const FunctionInfo* f = m->function(name); f != nullptr) {
        v = *f->object;
        found = true;
      }
    }
    if (!found) {
      if (const types::TypeDesc* d = record->loaded->types->type(name); d != nullptr) {
        v = ts.type_values().get(*t.m, d);  // may collect: out is a root
        if (v == types::kNothing) return out_of_memory(t);
        found = true;
      }
    }
    if (!found) {
      return raise(t, "ImportError",
                   "module " + m->name + " has no global, function or type " + name);
    }
    out[i] = v;
  }
  return true;
}

// NOLINTEND(readability-non-const-parameter)

}  // namespace runa::rt::ops
