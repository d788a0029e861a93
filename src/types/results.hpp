// Result: the runtime's value for "a value or an error" (docs/types.md,
// "Optional and Result"). Struct types of library 0 (runtime_module.hpp):
//
//   Result      no fields: the common supertype a parameter is declared as
//     Ok        field value (Any)
//     Err       field error (Any)
//
// A program names them as External types with an empty layout and tests
// them with INSTANCEOF or CATCH-free branching (`v is Ok`); it makes them
// with the natives of the bridge (docs/natives.md) or, from C++, with ok()
// and err(). Both keep their one field in slot 0.
#pragma once

#include "runatime/heap.hpp"
#include "runatime/values.hpp"
#include "types/module_types.hpp"

namespace runa::types {

class Results {
 public:
  // `runtime` is the registry's runtime module. Never collects.
  Results(const ModuleTypes* runtime, heap::Heap& heap)
      : result_(runtime->type("Result")),
        ok_(runtime->type("Ok")),
        err_(runtime->type("Err")),
        heap_(&heap) {}

  [[nodiscard]] const TypeDesc* result_type() const { return result_; }
  [[nodiscard]] const TypeDesc* ok_type() const { return ok_; }
  [[nodiscard]] const TypeDesc* err_type() const { return err_; }
  [[nodiscard]] bool is_ok(Value v) const { return has_type(v, ok_); }
  [[nodiscard]] bool is_err(Value v) const { return has_type(v, err_); }

  // An Ok of the value in `value`, an Err of the value in `error`; nothing
  // when the heap is exhausted. MAY COLLECT.
  Value ok(heap::Mutator& m, const heap::Handle& value) const { return make(m, ok_, value); }
  Value err(heap::Mutator& m, const heap::Handle& error) const { return make(m, err_, error); }
  // An Ok's value or an Err's error. Never collects.
  [[nodiscard]] static Value payload(Value ok_or_err) {
    return heap::as_object(ok_or_err)->slots()[0];
  }

 private:
  [[nodiscard]] bool has_type(Value v, const TypeDesc* t) const {
    return heap::is_ref(v) && heap_->descriptor_of(heap::as_object(v)) == t;
  }
  static Value make(heap::Mutator& m, const TypeDesc* t, const heap::Handle& payload) {
    heap::Object* o = heap::allocate(m, t->heap_layout, sizeof(heap::Object) + sizeof(Value));
    if (o == nullptr) return kNothing;
    o->slots()[0] = payload.value();  // an initialising store (heap.hpp)
    return heap::ref_value(o);
  }

  const TypeDesc* result_;
  const TypeDesc* ok_;
  const TypeDesc* err_;
  heap::Heap* heap_;
};

}  // namespace runa::types
