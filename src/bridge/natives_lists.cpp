// The List natives beyond the core ones (docs/natives.md, "Lists").
#include "bridge/native_args.hpp"

namespace runa::bridge {

namespace {

// A new List of `size` items, each the value `fill`.
NativeStatus list_new(NativeCall& call) {
  NativeStatus failed{};
  const auto size = int_arg(call, "list_new", 0, &failed);
  if (!size) return failed;
  if (*size < 0) {
    return raise(call, "ValueError", "list_new: a negative size " + std::to_string(*size));
  }
  heap::HandleScope scope(call.m);
  heap::Handle list(call.m, call.types.lists().make(call.m, static_cast<std::uint64_t>(*size)));
  if (list.value() == types::kNothing) return NativeStatus::kOutOfMemory;
  heap::Handle fill(call.args[1]);
  for (std::int64_t i = 0; i < *size; ++i) {
    if (!call.types.lists().append(call.m, list, fill)) return NativeStatus::kOutOfMemory;
  }
  call.result = list.value();
  return NativeStatus::kReturn;
}

// A new List of the same items (a shallow copy).
NativeStatus list_copy(NativeCall& call) {
  if (!call.types.lists().is_list(*call.args[0])) {
    return wrong_argument(call, "list_copy", 0, "a List");
  }
  heap::HandleScope scope(call.m);
  const std::uint64_t size = types::Lists::size(*call.args[0]);
  heap::Handle copy(call.m, call.types.lists().make(call.m, size));
  if (copy.value() == types::kNothing) return NativeStatus::kOutOfMemory;
  heap::Handle item(call.m, types::kNothing);
  for (std::uint64_t i = 0; i < size; ++i) {
    item.set(*types::Lists::get(*call.args[0], i));  // re-read: appending may move the source
    if (!call.types.lists().append(call.m, copy, item)) return NativeStatus::kOutOfMemory;
  }
  call.result = copy.value();
  return NativeStatus::kReturn;
}

// Removes and returns the last item.
NativeStatus list_pop(NativeCall& call) {
  if (!call.types.lists().is_list(*call.args[0])) {
    return wrong_argument(call, "list_pop", 0, "a List");
  }
  const auto item = types::Lists::pop(call.m, *call.args[0]);
  if (!item) return raise(call, "IndexError", "list_pop: the List is empty");
  call.result = *item;
  return NativeStatus::kReturn;
}

}  // namespace

void add_list_natives(Natives& natives) {
  natives.add("list_new", 2, list_new);
  natives.add("list_copy", 1, list_copy);
  natives.add("list_pop", 1, list_pop);
}

}  // namespace runa::bridge
