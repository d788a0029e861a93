// TypeSystem: the types part of one heap, assembled — the boxed numbers'
// Context, the TypeRegistry, the built-in types (String, List, Dictionary,
// Set, Tuple, iterators), the key and text rules — and the questions every tier asks
// of a value: its type, whether it is an instance of a type, and CAST.
//
// One per heap, made before any mutator allocates the types' objects and
// destroyed before the heap. Everything it holds is immutable after
// create() except the registry (which locks) and the method cache (which
// is lock-free), so any attached thread may use it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "runatime/heap.hpp"
#include "runatime/result.hpp"
#include "runatime/values.hpp"
#include "types/closures.hpp"
#include "types/dictionary.hpp"
#include "types/exceptions.hpp"
#include "types/iterators.hpp"
#include "types/keys.hpp"
#include "types/list.hpp"
#include "types/method_cache.hpp"
#include "types/pointer_values.hpp"
#include "types/results.hpp"
#include "types/strings.hpp"
#include "types/suspensions.hpp"
#include "types/tasks.hpp"
#include "types/text.hpp"
#include "types/tuple.hpp"
#include "types/type_registry.hpp"

namespace runa::types {

class TypeSystem {
 public:
  // Registers every built-in layout with `heap`. Never collects.
  static Result<std::unique_ptr<TypeSystem>> create(heap::Heap& heap);
  TypeSystem(const TypeSystem&) = delete;
  TypeSystem& operator=(const TypeSystem&) = delete;
  TypeSystem(TypeSystem&&) = delete;
  TypeSystem& operator=(TypeSystem&&) = delete;
  ~TypeSystem();

  [[nodiscard]] heap::Heap& heap() const { return heap_; }
  [[nodiscard]] const Context& context() const { return *cx_; }
  [[nodiscard]] TypeRegistry& registry() { return registry_; }
  [[nodiscard]] const Strings& strings() const { return *strings_; }
  [[nodiscard]] const Lists& lists() const { return *lists_; }
  [[nodiscard]] const Dictionaries& dictionaries() const { return *dicts_; }
  [[nodiscard]] const Dictionaries& sets() const { return *sets_; }
  [[nodiscard]] const Tuples& tuples() const { return *tuples_; }
  [[nodiscard]] const Iterators& iterators() const { return *iterators_; }
  [[nodiscard]] const Closures& closures() const { return *closures_; }
  [[nodiscard]] const Suspensions& suspensions() const { return *suspensions_; }
  [[nodiscard]] const Tasks& tasks() const { return *tasks_; }
  [[nodiscard]] const Exceptions& exceptions() const { return *exceptions_; }
  [[nodiscard]] const Results& results() const { return *results_; }
  // Type values wrap a const TypeDesc*; Module values the bridge's module.
  [[nodiscard]] PointerValues& type_values() { return *type_values_; }
  [[nodiscard]] PointerValues& module_values() { return *module_values_; }
  [[nodiscard]] const KeyRules& keys() const { return keys_; }
  [[nodiscard]] const TextRules& text() const { return text_; }
  [[nodiscard]] MethodCache& methods() { return methods_; }

  // The type of a value: a primitive, String, List[Any], Dictionary[Any,
  // Any], Set, Tuple, or a struct's descriptor; nullptr for a heap object
  // no type describes (one a host registered a layout for). Never collects.
  [[nodiscard]] const TypeDesc* type_of(Value v) const;
  // "v is of type t" (docs/bytecode.md §2.5.5): INSTANCEOF and TYPE_CHECK.
  // Never collects.
  [[nodiscard]] bool instance_of(Value v, const TypeDesc* t) const;
  // CAST: v itself when it is of type t, an Integer converted when t is
  // Float, otherwise nullopt (the tier raises TypeError; cast_error() says
  // why). MAY COLLECT (a converted Float may be boxed); v is in a handle.
  std::optional<Value> cast(heap::Mutator& m, const heap::Handle& v, const TypeDesc* t) const;
  // "<type of v> <text of v, shortened>" for error messages: `Integer 7`,
  // `String "abc..."`. Never collects.
  [[nodiscard]] std::string describe(Value v) const;
  // "cannot cast <describe(v)> to <t>". Never collects.
  [[nodiscard]] std::string cast_error(Value v, const TypeDesc* t) const;

 private:
  explicit TypeSystem(heap::Heap& heap) : heap_(heap), registry_(heap) {}

  heap::Heap& heap_;
  std::unique_ptr<Context> cx_;
  TypeRegistry registry_;
  std::optional<Strings> strings_;
  KeyRules keys_;
  std::optional<Lists> lists_;
  std::optional<Dictionaries> dicts_;
  std::optional<Dictionaries> sets_;
  std::optional<Tuples> tuples_;
  std::optional<Iterators> iterators_;
  std::optional<Closures> closures_;
  std::optional<Suspensions> suspensions_;
  std::optional<Tasks> tasks_;
  std::optional<Exceptions> exceptions_;
  std::optional<Results> results_;
  std::unique_ptr<PointerValues> type_values_;
  std::unique_ptr<PointerValues> module_values_;
  TextRules text_;
  MethodCache methods_;
  const TypeDesc* any_list_ = nullptr;
  const TypeDesc* any_map_ = nullptr;
};

}  // namespace runa::types
