#include "types/type_system.hpp"

#include <algorithm>

#include "types/runtime_module.hpp"

namespace runa::types {

Result<std::unique_ptr<TypeSystem>> TypeSystem::create(heap::Heap& heap) {
  std::unique_ptr<TypeSystem> ts(new TypeSystem(heap));
  auto cx = Context::create(heap);
  if (!cx) return cx.error();
  ts->cx_ = std::move(*cx);
  auto strings = Strings::create(heap);
  if (!strings) return strings.error();
  ts->strings_.emplace(*strings);
  ts->keys_.cx = ts->cx_.get();
  ts->keys_.strings = &*ts->strings_;
  auto lists = Lists::create(heap, ts->keys_);
  if (!lists) return lists.error();
  ts->lists_.emplace(*lists);
  auto dicts = Dictionaries::create(heap, ts->keys_);
  if (!dicts) return dicts.error();
  ts->dicts_.emplace(*dicts);
  auto sets = Dictionaries::create(heap, ts->keys_, "Set");
  if (!sets) return sets.error();
  ts->sets_.emplace(*sets);
  auto tuples = Tuples::create(heap, ts->keys_);
  if (!tuples) return tuples.error();
  ts->tuples_.emplace(*tuples);
  auto iterators =
      Iterators::create(heap, *ts->strings_, *ts->lists_, *ts->dicts_, *ts->sets_, *ts->tuples_);
  if (!iterators) return iterators.error();
  ts->iterators_.emplace(*iterators);
  auto closures = Closures::create(heap);
  if (!closures) return closures.error();
  ts->closures_.emplace(*closures);
  auto suspensions = Suspensions::create(heap);
  if (!suspensions) return suspensions.error();
  ts->suspensions_.emplace(*suspensions);
  auto tasks = Tasks::create(heap);
  if (!tasks) return tasks.error();
  ts->tasks_.emplace(*tasks);
  auto runtime = load_runtime_module(ts->registry_);
  if (!runtime) return runtime.error();
  ts->exceptions_.emplace(*runtime, heap, *ts->strings_, *ts->lists_, *ts->tuples_);
  ts->results_.emplace(*runtime, heap);
  auto type_values = PointerValues::create(heap, "Type");
  if (!type_values) return type_values.error();
  ts->type_values_ = std::move(*type_values);
  auto module_values = PointerValues::create(heap, "Module");
  if (!module_values) return module_values.error();
  ts->module_values_ = std::move(*module_values);
  ts->text_ = {&heap, ts->cx_.get(), &*ts->strings_, &*ts->lists_, &*ts->dicts_};
  const TypeDesc* any = ts->registry_.primitive(Kind::kAny);
  ts->any_list_ = ts->registry_.list_of(any);
  ts->any_map_ = ts->registry_.map_of(any, any);
  return ts;
}

TypeSystem::~TypeSystem() = default;

const TypeDesc* TypeSystem::type_of(Value v) const {
  const Context& cx = *cx_;
  if (v == kNothing) return registry_.primitive(Kind::kNothing);
  if (is_small_int(v)) return registry_.primitive(Kind::kInteger);
  if (is_immediate_float(v)) return registry_.primitive(Kind::kFloat);
  if (is_boolean(v)) return registry_.primitive(Kind::kBoolean);
  if (is_character(v)) return registry_.primitive(Kind::kCharacter);
  if (strings_->is_string(v)) return registry_.primitive(Kind::kString);
  if (is_boxed_int(cx, v)) return registry_.primitive(Kind::kInteger);
  if (is_boxed_float(cx, v)) return registry_.primitive(Kind::kFloat);
  if (lists_->is_list(v)) return any_list_;
  if (dicts_->is_dictionary(v)) return any_map_;
  if (sets_->is_dictionary(v)) return registry_.primitive(Kind::kSet);
  if (tuples_->is_tuple(v)) return registry_.primitive(Kind::kTuple);
  return static_cast<const TypeDesc*>(heap_.descriptor_of(heap::as_object(v)));
}

bool TypeSystem::instance_of(Value v, const TypeDesc* t) const {
  switch (t->kind) {
    case Kind::kAny:
      return true;
    case Kind::kOptional:
      return v == kNothing || instance_of(v, t->args[0]);
    case Kind::kUnion:
      return std::any_of(t->args.begin(), t->args.end(),
                         [&](const TypeDesc* member) { return instance_of(v, member); });
    case Kind::kFunction:  // callable with that many arguments (§2.5.5)
      return closures_->is_callable(v) && closures_->accepts(v, t->args.size());
    default:
      break;
  }
  const TypeDesc* s = type_of(v);
  if (s == nullptr) return false;
  return s == t || is_subtype(s, t);
}

std::optional<Value> TypeSystem::cast(heap::Mutator& m, const heap::Handle& v,
                                      const TypeDesc* t) const {
  if (instance_of(v.value(), t)) return v.value();
  if (t->kind == Kind::kFloat && is_int(*cx_, v.value())) {
    const Value f = make_float(*cx_, m, static_cast<double>(as_int(v.value())));
    if (f != kNothing) return f;
  }
  return std::nullopt;
}

std::string TypeSystem::describe(Value v) const {
  const TypeDesc* s = type_of(v);
  std::string shown;
  text_.append_literal(v, shown);
  constexpr std::size_t kShown = 40;
  if (shown.size() > kShown) {
    std::size_t cut = kShown - 3;
    while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
    shown = shown.substr(0, cut) + "...";
  }
  return (s != nullptr ? s->name : std::string("an object")) + " " + shown;
}

std::string TypeSystem::cast_error(Value v, const TypeDesc* t) const {
  return "cannot cast " + describe(v) + " to " + t->name;
}

}  // namespace runa::types
